import { isScalar, isSeq } from 'yaml';
import { graphProblems } from '../graph.js';
import type { Condition, Dependency } from '../spec.js';
import { didYouMean, suggest } from '../../../process/suggest.js';
import type { ProcessDraft } from './keys.js';
import { isEmpty, isMapping, type At, type Reader } from './reader.js';
import { describe, listItem, scalarText } from './values.js';
import { printable } from '../spawnable.js';

// `dependsOn` (SPEC §9): a list of names, each waited for until `ready`, or a mapping of names to
// the condition to wait for. Whether the names exist, and the cycles, are graph.ts's to decide.

const CONDITIONS: readonly Condition[] = ['started', 'ready', 'succeeded', 'completed'];

/** docker compose's and process-compose's words for the conditions, as "did you mean" reads them (lower case, no `_`). */
const COMPOSE_WORDS: Readonly<Record<string, Condition>> = {
  servicestarted: 'started',
  servicehealthy: 'ready',
  processstarted: 'started',
  processhealthy: 'ready',
  processlogready: 'ready',
  processcompleted: 'completed',
  processcompletedsuccessfully: 'succeeded',
  healthy: 'ready',
  servicecompletedsuccessfully: 'succeeded',
  completedsuccessfully: 'succeeded',
  success: 'succeeded',
  exited: 'completed',
  done: 'completed',
};

/** What `dependsOn` holds: each dependency and where it is written. */
export interface DependencyDraft {
  readonly dependency: Dependency;
  /** The name. */
  readonly at: At;
  /** The condition, when the mapping form gives one. */
  readonly conditionAt?: At;
}

/** `dependsOn`: a list of process names, or a mapping of process names to conditions. */
export function dependencies(at: At, reader: Reader): DependencyDraft[] | undefined {
  if (isMapping(at.node)) {
    const drafts: DependencyDraft[] = [];
    reader.entries(at.node, at, (name, conditionAt, node) => {
      const nameAt = { ...conditionAt, node: conditionAt.keyNode ?? conditionAt.node };
      if (isEmpty(node)) reader.report(conditionAt.keyNode, conditionAt.path, `has no condition; write \`${name}: ready\` (or started, succeeded, completed)`, at.process);
      else {
        const condition = readCondition(name, conditionAt, reader);
        if (condition !== undefined) drafts.push({ dependency: { name, condition }, at: nameAt, conditionAt });
      }
    });
    return drafts;
  }
  if (!isSeq(at.node)) {
    const hint = isScalar(at.node) ? `; write a list: \`dependsOn: [${scalarText(at.node) ?? ''}]\`` : '';
    reader.reportAt(at, `expected a list of process names or a mapping of names to conditions, found ${describe(at.node)}${hint}`);
    return undefined;
  }
  const drafts: DependencyDraft[] = [];
  at.node.items.forEach((item, i) => {
    const itemAt = listItem(at, i, reader.deref(item) ?? at.node);
    const name = isScalar(itemAt.node) ? scalarText(itemAt.node) : undefined;
    if (name === undefined) {
      const hint = isMapping(itemAt.node) ? '; for conditions make `dependsOn` a mapping: `dependsOn: { db: ready, migrate: succeeded }`' : '';
      reader.reportAt(itemAt, `expected a process name, found ${describe(itemAt.node)}${hint}`);
    } else drafts.push({ dependency: { name, condition: 'ready' }, at: itemAt });
  });
  return drafts;
}

function readCondition(name: string, at: At, reader: Reader): Condition | undefined {
  const written = isScalar(at.node) ? scalarText(at.node) : undefined;
  const known = CONDITIONS.find((condition) => condition === written);
  if (known !== undefined) return known;
  const use = 'use started, ready (the default of a list), succeeded (exited 0) or completed (exited)';
  const longForm = isMapping(at.node) ? longFormCondition(at.node.get('condition', true)) : undefined;
  if (longForm !== undefined) reader.reportAt(at, `expected one condition, found compose's long form; write \`${printable(name)}: ${longForm}\``);
  else if (written === undefined) reader.reportAt(at, `expected one condition, found ${describe(at.node)}; ${use}, alone (\`db: ready\`, where compose writes \`db: { condition: service_healthy }\`)`);
  else reader.reportAt(at, `unknown condition '${written}'; ${use}${didYouMean(written, CONDITIONS, COMPOSE_WORDS)}`);
  return undefined;
}

/**
 * The condition compose's (or process-compose's) `{ condition: service_healthy }` means here, when
 * its word has one. Its other keys (`required`, `restart`) have no place in `dependsOn`: a
 * dependency is always required, and `subvisor restart NAME` restarts the dependents anyway.
 */
function longFormCondition(condition: unknown): Condition | undefined {
  const word = isScalar(condition) && typeof condition.value === 'string' ? condition.value : undefined;
  const meant = word === undefined ? undefined : suggest(word, CONDITIONS, COMPOSE_WORDS);
  return CONDITIONS.find((known) => known === meant);
}

/** Puts the dependencies into the draft: one per name (a name listed twice is waited for once). */
export function setDependencies(draft: ProcessDraft, list: readonly DependencyDraft[]): void {
  const kept: Dependency[] = [];
  for (const { dependency, at, conditionAt } of list) {
    if (draft.dependencies.has(dependency.name)) continue;
    draft.dependencies.set(dependency.name, at);
    if (conditionAt !== undefined) draft.conditions.set(dependency.name, conditionAt);
    kept.push(dependency);
  }
  draft.spec.dependsOn = kept;
}

/** Unknown dependencies, self-dependencies, cycles and impossible conditions, decided by graph.ts and placed here. */
export function checkGraph(drafts: readonly ProcessDraft[], reader: Reader): void {
  const draftOf = new Map(drafts.map((draft) => [draft.spec, draft]));
  for (const problem of graphProblems(drafts.map((draft) => draft.spec))) {
    const draft = draftOf.get(problem.spec);
    const byName = problem.dependency === undefined ? undefined : draft?.dependencies.get(problem.dependency);
    const byCondition = problem.dependency === undefined || problem.about !== 'condition' ? undefined : draft?.conditions.get(problem.dependency);
    const at = byCondition ?? byName ?? draft?.at;
    reader.report(at?.node ?? null, at?.path ?? '', problem.message, problem.spec.name, undefined, problem.guessed);
  }
}
