import { resolve } from 'node:path';
import { isScalar, isSeq, type ParsedNode } from 'yaml';
import { graphProblems } from '../graph.js';
import { MAX_DURATION_MS } from '../duration.js';
import { DEFAULT_RESTART_BACKOFF_MS, DEFAULT_RESTART_MAX, NO_RESTART, PROCESS_NAME, PROCESS_NAME_RULE, logProbe, type ProcessSpec, type RestartPolicy } from '../spec.js';
import { printable, unspawnableEnvName } from '../spawnable.js';
import { didYouMean } from '../../../process/suggest.js';
import { isEmpty, isMapping, key, type At, type KeyTable, type Node, type ReadValue, type Reader } from './reader.js';
import { boolean, describe, duration, positiveDuration, positiveInteger, scalarText, spawnable, text } from './values.js';

// The keys of subvisor.yaml (SPEC.md §5), one entry each: how the value is read and checked, and
// where it goes. A new key is a new entry here; the reader does the rest (unknown keys with "did
// you mean", empty values, missing required keys, positions).

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A process being read: its spec, and the places later checks point at. */
export interface ProcessDraft {
  readonly spec: Mutable<ProcessSpec>;
  /** The process's name in the file. */
  readonly at: At;
  /** Where each dependency is first named, for the graph check's report. */
  readonly dependencies: Map<string, At>;
  /** Where `main: true` is written, when it is. */
  mainAt?: At;
}

/** The whole file being read. */
export interface ConfigDraft {
  processes: ProcessDraft[];
}

/** The shape of the file, shown wherever the top of it is wrong. */
export const EXAMPLE = 'start with `processes:` and one entry per process, e.g. `processes: { web: { cmd: node server.js } }`';

const NO_PROCESSES = `no processes listed; ${EXAMPLE}`;

/** The top level of the file. */
export const TOP_KEYS: KeyTable<ConfigDraft> = {
  keys: {
    processes: {
      read: (at, config, reader) => (config.processes = readProcesses(at, reader)),
      required: `missing \`processes\`; ${EXAMPLE}`,
      empty: NO_PROCESSES,
    },
  },
};

function readProcesses(at: At, reader: Reader): ProcessDraft[] {
  if (isMapping(at.node) && at.node.items.length === 0) {
    reader.report(at.keyNode, at.path, NO_PROCESSES);
    return [];
  }
  if (!isMapping(at.node)) {
    reader.reportAt(at, `expected a mapping of process names to processes, found ${describe(at.node)}; write \`name:\` then the process's keys indented below it`);
    return [];
  }
  const drafts: ProcessDraft[] = [];
  reader.entries(at.node, at, (name, processAt, body) => drafts.push(readProcess(name, body, { ...processAt, process: name }, reader)));
  for (const entry of Object.values(PROCESS_KEYS.keys)) entry.across?.(drafts, reader);
  return drafts;
}

function readProcess(name: string, body: Node, at: At, reader: Reader): ProcessDraft {
  const nameNode = at.keyNode ?? at.node; // a process is always a mapping entry, so it has a key
  if (!PROCESS_NAME.test(name)) reader.report(nameNode, at.path, `invalid process name '${printable(name)}': ${PROCESS_NAME_RULE}`, name);
  const { line = 1, column = 1 } = reader.position(nameNode);
  const spec: Mutable<ProcessSpec> = {
    name,
    cmd: [],
    cwd: reader.baseDir,
    dependsOn: [],
    restart: NO_RESTART,
    task: false,
    main: false,
    source: { file: reader.file, line, column },
  };
  const draft: ProcessDraft = { spec, at, dependencies: new Map() };
  if (isMapping(body)) reader.readMapping(body, PROCESS_KEYS, draft, at);
  else reader.report(isEmpty(body) ? nameNode : body, at.path, `expected the process's keys (at least \`cmd\`), found ${describe(body)}; e.g. \`${name}: { cmd: node server.js }\``, name);
  return draft;
}

/** The keys of one process. */
export const PROCESS_KEYS: KeyTable<ProcessDraft> = {
  keys: {
    cmd: key(command, (draft, cmd) => (draft.spec.cmd = cmd), {
      required: 'missing `cmd`; add the command to run, e.g. `cmd: node server.js` (run by sh -c) or `cmd: [node, server.js]` (argv)',
      alsoKnownAs: ['command', 'args', 'argv', 'run', 'exec'],
    }),
    cwd: key(directory, (draft, cwd) => (draft.spec.cwd = cwd), { alsoKnownAs: ['dir', 'directory', 'workdir', 'workingdir', 'workingdirectory'] }),
    env: key(environment, (draft, env) => (draft.spec.env = env), { alsoKnownAs: ['environment'] }),
    ready: key(readyPattern, (draft, ready) => (draft.spec.ready = logProbe(ready)), { alsoKnownAs: ['readywhen', 'readiness', 'healthcheck'] }),
    readyTimeout: key(positiveDuration('the time the process may take to print its ready line'), (draft, ms) => (draft.spec.readyTimeoutMs = ms)),
    dependsOn: key(dependencyList, setDependencies, { alsoKnownAs: ['needs', 'after', 'requires'], across: checkGraph }),
    restart: key(restartPolicy, (draft, restart) => (draft.spec.restart = restart)),
    main: key(boolean('write `main: true` (YAML reads yes and on as strings)'), setMain, { alsoKnownAs: ['primary'], across: onlyOneMain }),
    grace: key(duration, (draft, ms) => (draft.spec.grace = ms), { alsoKnownAs: ['killgrace', 'killtimeout', 'stopgraceperiod'] }),
  },
  finish: (draft, seen, owner, reader) => {
    const readyTimeout = seen.get('readyTimeout');
    if (readyTimeout !== undefined && !seen.has('ready')) {
      reader.report(readyTimeout.keyNode, readyTimeout.path, 'has no effect without `ready`; add a `ready` pattern or remove `readyTimeout`', owner.process);
    }
  },
};

/** `cmd`: a shell string (run by `sh -c`), or a list: the argv. */
function command(at: At, reader: Reader): readonly string[] | string | undefined {
  if (!isSeq(at.node)) {
    const shell = text('a string (run by sh -c) or a list (argv)')(at, reader);
    if (shell === undefined) return undefined;
    if (shell.trim() !== '') return spawnable(at, shell, reader);
    reader.reportAt(at, 'is empty; give the command to run');
    return undefined;
  }
  if (at.node.items.length === 0) {
    reader.reportAt(at, 'is an empty list; give the program and its arguments, e.g. `[node, server.js]`');
    return undefined;
  }
  const argv: string[] = [];
  at.node.items.forEach((item, i) => {
    const itemAt = listItem(at, i, reader.deref(item) ?? at.node);
    const arg = isScalar(itemAt.node) ? scalarText(itemAt.node) : undefined;
    if (arg === undefined) reader.reportAt(itemAt, `expected a string, found ${describe(itemAt.node)}; quote it if it is meant as text`);
    else if (i === 0 && arg.trim() === '') reader.reportAt(itemAt, 'the program name is empty');
    else if (spawnable(itemAt, arg, reader) !== undefined) argv.push(arg);
  });
  return argv;
}

/** `cwd`: a directory, relative ones resolved against the config file's. */
function directory(at: At, reader: Reader): string | undefined {
  const dir = text()(at, reader);
  if (dir === '') reader.reportAt(at, 'is empty; give a directory (relative ones are resolved against the config file) or remove the key');
  else if (dir !== undefined && spawnable(at, dir, reader) !== undefined) return resolve(reader.baseDir, dir);
  return undefined;
}

/** `env`: names to values. The messages never show a value: env values are where secrets live. */
function environment(at: At, reader: Reader): Record<string, string> | undefined {
  if (!isMapping(at.node)) {
    reader.reportAt(at, `expected a mapping of variable names to values, found ${describe(at.node)}; e.g. \`env: { PORT: "8080" }\``);
    return undefined;
  }
  const env: Record<string, string> = {};
  reader.entries(at.node, at, (name, variable, node) => {
    const unusable = unspawnableEnvName(name);
    if (unusable !== undefined) reader.report(variable.keyNode, variable.path, unusable, at.process);
    else if (isEmpty(node)) reader.report(variable.keyNode, variable.path, 'has no value; write `""` for an empty string', at.process);
    else {
      const value = isScalar(node) ? scalarText(node) : undefined;
      if (value === undefined) reader.reportAt(variable, `expected a string, found ${describe(node)}`);
      else if (spawnable(variable, value, reader) !== undefined) env[name] = value;
    }
  });
  return env;
}

/** `ready`: a regular expression an output line must match. */
function readyPattern(at: At, reader: Reader): RegExp | undefined {
  const pattern = text('a regular expression (as a string)')(at, reader);
  if (pattern === undefined) return undefined;
  if (pattern === '') {
    reader.reportAt(at, 'is empty, which every line matches; remove `ready` to count the process ready as soon as it starts');
    return undefined;
  }
  try {
    return new RegExp(pattern);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    reader.reportAt(at, `is not a valid regular expression (${reason}); fix the pattern (a JavaScript RegExp, without flags)`, error);
    return undefined;
  }
}

/** `dependsOn`: a list of process names, each with its place (checked against the others later). */
function dependencyList(at: At, reader: Reader): { name: string; at: At }[] | undefined {
  if (!isSeq(at.node)) {
    const hint = isScalar(at.node) ? `; write a list: \`dependsOn: [${scalarText(at.node) ?? ''}]\`` : '';
    reader.reportAt(at, `expected a list of process names, found ${describe(at.node)}${hint}`);
    return undefined;
  }
  const dependencies: { name: string; at: At }[] = [];
  at.node.items.forEach((item, i) => {
    const itemAt = listItem(at, i, reader.deref(item) ?? at.node);
    const name = isScalar(itemAt.node) ? scalarText(itemAt.node) : undefined;
    if (name === undefined) reader.reportAt(itemAt, `expected a process name, found ${describe(itemAt.node)}`);
    else dependencies.push({ name, at: itemAt });
  });
  return dependencies;
}

function setDependencies(draft: ProcessDraft, dependencies: { name: string; at: At }[]): void {
  // A name listed twice is harmless: it is waited for once, and reported (if wrong) once.
  for (const dependency of dependencies) if (!draft.dependencies.has(dependency.name)) draft.dependencies.set(dependency.name, dependency.at);
  draft.spec.dependsOn = [...draft.dependencies.keys()].map((name) => ({ name, condition: 'ready' }));
}

/** Unknown dependencies, self-dependencies and cycles, decided by graph.ts and placed here. */
function checkGraph(drafts: readonly ProcessDraft[], reader: Reader): void {
  const draftOf = new Map(drafts.map((draft) => [draft.spec, draft]));
  for (const problem of graphProblems(drafts.map((draft) => draft.spec))) {
    const draft = draftOf.get(problem.spec);
    const at = problem.dependency === undefined ? draft?.at : draft?.dependencies.get(problem.dependency);
    reader.report(at?.node ?? null, at?.path ?? '', problem.message, problem.spec.name);
  }
}

function setMain(draft: ProcessDraft, main: boolean, at: At): void {
  draft.spec.main = main;
  if (main) draft.mainAt = at;
}

function onlyOneMain(drafts: readonly ProcessDraft[], reader: Reader): void {
  const mains = drafts.filter((draft) => draft.mainAt !== undefined);
  for (const extra of mains.slice(1)) {
    const message = `only one process can be main, and '${mains[0]?.spec.name ?? ''}' already is; the run ends when the main process exits, so keep \`main: true\` on one`;
    if (extra.mainAt !== undefined) reader.reportAt(extra.mainAt, message);
  }
}

const RESTART_POLICIES = ['no', 'on-failure'] as const;
type PolicyName = (typeof RESTART_POLICIES)[number];

/** `restart`: a policy name, or a mapping of {@link RESTART_KEYS}. */
function restartPolicy(at: At, reader: Reader): RestartPolicy | undefined {
  if (isMapping(at.node)) {
    const draft: RestartDraft = {};
    reader.readMapping(at.node, RESTART_KEYS, draft, at);
    if (draft.policy === undefined) return undefined;
    if (draft.policy === 'no') return NO_RESTART;
    return { ...NO_RESTART, policy: 'on-failure', max: draft.max ?? DEFAULT_RESTART_MAX, backoffMs: draft.backoffMs ?? DEFAULT_RESTART_BACKOFF_MS, maxBackoffMs: MAX_DURATION_MS };
  }
  if (!isScalar(at.node)) {
    reader.reportAt(at, `expected \`no\`, \`on-failure\` or a mapping like \`{ policy: on-failure, max: 3 }\`, found ${describe(at.node)}`);
    return undefined;
  }
  const policy = policyName(at, reader);
  if (policy === 'no') return NO_RESTART;
  return policy === undefined ? undefined : { ...NO_RESTART, policy, maxBackoffMs: MAX_DURATION_MS };
}

interface RestartDraft {
  policy?: PolicyName;
  max?: number;
  backoffMs?: number;
}

const policyName: ReadValue<PolicyName> = (at, reader) => {
  const name = isScalar(at.node) ? scalarText(at.node) : undefined;
  const known = RESTART_POLICIES.find((policy) => policy === name);
  if (known !== undefined) return known;
  const shown = name === undefined ? describe(at.node) : `'${name}'`;
  reader.reportAt(at, `unknown restart policy ${shown}; use \`no\` or \`on-failure\`${name === undefined ? '' : didYouMean(name, RESTART_POLICIES)}`);
  return undefined;
};

/** The keys of `restart: { ... }`. */
export const RESTART_KEYS: KeyTable<RestartDraft> = {
  keys: {
    policy: key(policyName, (draft, policy) => (draft.policy = policy), { required: 'missing `policy`; add `policy: on-failure` (or `policy: no`)' }),
    max: key(positiveInteger('restarts', 'use `policy: no` for none'), (draft, max) => (draft.max = max)),
    backoff: key(duration, (draft, ms) => (draft.backoffMs = ms)),
  },
  finish: (draft, seen, owner, reader) => {
    if (draft.policy !== 'no') return;
    for (const name of ['max', 'backoff']) {
      const at = seen.get(name);
      if (at !== undefined) reader.reportAt(at, 'applies only to `policy: on-failure`; remove it or change the policy');
    }
  },
};

/** Item `index` of the list at `at`, at its own place. */
function listItem(at: At, index: number, node: ParsedNode): At {
  return { node, keyNode: null, path: `${at.path}[${index}]`, process: at.process };
}
