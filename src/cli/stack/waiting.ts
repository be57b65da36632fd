import type { Condition, Dependency } from '../config/spec.js';

/**
 * The most copies of one process a dependent names one by one in what it says it waits for; past
 * this, the process is named with its count of copies. Why. A dependency on a process with
 * replicas is one on every copy (config/replicas.ts), and naming each copy made the `waiting for`
 * line as long as the copies still awaited, said again each time one of them met its condition:
 * a dependent of 1000 copies wrote 1000 such lines, 9.5 MB in all, and its `ps` state was a list
 * of a thousand names. A few stragglers by name still tell which copy holds the dependent up.
 */
export const MAX_NAMED_COPIES = 3;

/** One thing a dependent is told to wait for: a process, a copy of one, or many copies of one (`web (200 copies)`). */
export interface Awaiting {
  readonly name: string;
  readonly condition: Condition;
}

const CONDITION_WORDS: Readonly<Record<Condition, string>> = { started: 'to start', ready: 'to be ready', succeeded: 'to succeed', completed: 'to complete' };

/**
 * What a dependent waits for, as it is told (its `waiting for` line, its `ps` state): `pending`,
 * in order, with the copies of a process (`copyOf`) that has more than {@link MAX_NAMED_COPIES}
 * still pending told as that process, with the number of its copies in `all` (the dependent's
 * whole `dependsOn`). That text stays the same while the copies meet their condition one by one,
 * so it is said once, not once per copy.
 *
 * @example
 * ```ts
 * awaiting(webCopies, webCopies).map(({ name }) => name);        // ['web (200 copies)']
 * awaiting(webCopies.slice(198), webCopies).map(({ name }) => name); // ['web.199', 'web.200']
 * ```
 */
export function awaiting(pending: readonly Dependency[], all: readonly Dependency[]): Awaiting[] {
  let copies = copiesIn.get(all);
  if (copies === undefined) copiesIn.set(all, (copies = countByProcess(all)));
  const pendingCopies = countByProcess(pending);
  const told = new Set<string>();
  const result: Awaiting[] = [];
  for (const { name, condition, copyOf } of pending) {
    if (copyOf === undefined || (pendingCopies.get(copyOf) ?? 0) <= MAX_NAMED_COPIES) result.push({ name, condition });
    else if (!told.has(copyOf)) {
      told.add(copyOf);
      result.push({ name: `${copyOf} (${copies.get(copyOf) ?? 0} copies)`, condition });
    }
  }
  return result;
}

/** `waiting for db to be ready, web (200 copies) to be ready`: the state line of a dependent. */
export function waitingLine(awaited: readonly Awaiting[]): string {
  return `waiting for ${awaited.map(({ name, condition }) => `${name} ${CONDITION_WORDS[condition]}`).join(', ')}`;
}

/** The copies of each process in a whole `dependsOn`, counted once: it is asked again at each change. */
const copiesIn = new WeakMap<readonly Dependency[], Map<string, number>>();

/** How many of `dependencies` are on copies of each process. */
function countByProcess(dependencies: readonly Dependency[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { copyOf } of dependencies) if (copyOf !== undefined) counts.set(copyOf, (counts.get(copyOf) ?? 0) + 1);
  return counts;
}
