import { isAbsolute, join, resolve } from 'node:path';
import { isScalar } from 'yaml';
import { NO_RESTART, PROCESS_NAME, PROCESS_NAME_RULE, type LogFilesSpec, type ProcessSpec, type ProcessUser } from '../spec.js';
import { fileVariable, mergeEnvFiles, type LoadedEnvFile } from '../environment/files.js';
import { joinParts, readsVariable, type InterpolatedPart } from '../environment/interpolate.js';
import { printable } from '../spawnable.js';
import { findUser } from '../user.js';
import { readStopSignal } from '../stop-signal.js';
import { checkGraph, dependencies, setDependencies } from './dependencies.js';
import { environment, type WrittenEnvironment, processEnvFiles, sharedEnvFiles, topEnvFile, warnShellDroppedNames } from './environment.js';
import { FOREIGN_PROCESS_KEYS, FOREIGN_TOP_KEYS } from './foreign-keys.js';
import { logFiles } from './logs.js';
import { liveness, readiness } from './probes.js';
import { isEmpty, isMapping, key, shownKey, type At, type KeyTable, type Node, type Reader } from './reader.js';
import { MAIN_REPLICAS, replicaCount, replicaNamesFree } from './replicas.js';
import { restartPolicy } from './restart.js';
import { boolean, commandWithParts, describe, duration, expansionNote, interpolatedParts, positiveDuration, scalarText, spawnable, text } from './values.js';
import { WATCH_KEY, type WatchDraft } from './watch.js';

// The keys of subvisor.yaml (SPEC.md §5 and §9), one entry each: how the value is read and
// checked, and where it goes. A new key is a new entry here; the reader does the rest (unknown
// keys with "did you mean", empty values, missing required keys, positions). The readers of the
// bigger values have a file each: probes.ts, restart.ts, dependencies.ts, environment.ts.

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A process being read: its spec, and the places later checks point at. */
export interface ProcessDraft {
  readonly spec: Mutable<ProcessSpec>;
  /** The process's name in the file. */
  readonly at: At;
  /** Where each dependency is first named, for the graph check's report. */
  readonly dependencies: Map<string, At>;
  /** Where each dependency's condition is written, when `dependsOn` is a mapping. */
  readonly conditions: Map<string, At>;
  /** Where `main: true` is written, when it is. */
  mainAt?: At;
  /** Where `task: true` is written, when it is. */
  taskAt?: At;
  /** The names of its `env`, in the config's order. */
  envNames?: readonly string[];
  /** The env files of the process, lowest first: the shared ones, then its own. */
  readonly envFiles: LoadedEnvFile[];
  /** `watch` as written: its paths are resolved against the cwd once every process is read. */
  watch?: WatchDraft;
}

/** The whole file being read. */
export interface ConfigDraft {
  processes: ProcessDraft[];
  /** The top-level `envFile`: false turns `.env` off; a list is read after `.env`. */
  envFile?: false | LoadedEnvFile[];
  /** The top-level `logs`: false (or absent) writes no files. */
  logs?: LogFilesSpec | false;
}

/** The shape of the file, shown wherever the top of it is wrong. */
export const EXAMPLE = 'start with `processes:` and one entry per process, e.g. `processes: { web: { cmd: node server.js } }`';

const NO_PROCESSES = `no processes listed; ${EXAMPLE}`;

const SERVICES = "is docker compose's word; write `processes:`";

/** The top level of the file. */
export const TOP_KEYS: KeyTable<ConfigDraft> = {
  keys: {
    envFile: key(topEnvFile, (config, files) => (config.envFile = files), { alsoKnownAs: ['envfiles', 'dotenv'] }),
    logs: key(logFiles, (config, logs) => (config.logs = logs), { alsoKnownAs: ['logfiles', 'logdir', 'logging', 'log'] }),
    processes: {
      read: (at, config, reader) => (config.processes = readProcesses(at, sharedEnvFiles(config, reader), reader)),
      empty: NO_PROCESSES,
      // Others' words for it; docker compose's `services` and pm2's `apps` have their own entries.
      alsoKnownAs: ['procs'],
    },
    // Answered once every key is read: see composeServices.
    services: { read: () => undefined, empty: `${SERVICES}; ${EXAMPLE}`, unlisted: true },
    ...FOREIGN_TOP_KEYS,
  },
  // The processes' variables come from the env files it names, wherever it is written.
  first: ['envFile'],
  extensions: true,
  finish: (config, seen, owner, reader) => {
    if (seen.has('services')) composeServices(config, seen, reader);
    // pm2's `apps` is answered with the whole `processes:` its apps become.
    else if (!seen.has('processes') && !seen.has('apps')) reader.report(owner.keyNode ?? owner.node, owner.path, `missing \`processes\`; ${EXAMPLE}`, owner.process);
  },
};

/**
 * docker compose's top-level `services`, in a compose file given to `up -f` or one copied whole:
 * refused, and, where no `processes` is written, its services are read as processes, so that one
 * run lists every other key to change rather than only this one.
 */
function composeServices(config: ConfigDraft, seen: ReadonlyMap<string, At>, reader: Reader): void {
  const services = seen.get('services');
  // Written without a value, it is answered as such already (its entry's `empty`).
  if (services === undefined || isEmpty(services.node) || services.node === services.keyNode) return;
  if (seen.has('processes')) {
    reader.report(services.keyNode, services.path, `${SERVICES}, which this file has already: move these entries under it`);
    return;
  }
  const readBelow = isMapping(services.node) ? ' (its services are read as processes below, to list what else to change)' : '';
  reader.report(services.keyNode, services.path, `${SERVICES}${readBelow}`);
  config.processes = readProcesses(services, sharedEnvFiles(config, reader), reader);
}

function readProcesses(at: At, shared: readonly LoadedEnvFile[], reader: Reader): ProcessDraft[] {
  if (isMapping(at.node) && at.node.items.length === 0) {
    reader.report(at.keyNode, at.path, NO_PROCESSES);
    return [];
  }
  if (!isMapping(at.node)) {
    reader.reportAt(at, `expected a mapping of process names to processes, found ${describe(at.node)}; write \`name:\` then the process's keys indented below it`);
    return [];
  }
  const drafts: ProcessDraft[] = [];
  const reported = reader.problems.length;
  reader.entries(at.node, at, (name, processAt, body) => drafts.push(readProcess(name, body, { ...processAt, process: name }, at.path, shared, reader)));
  // Only merges of mappings with nothing in them (`<<: *none`, `none: {}`): no processes, as `{}` has.
  if (drafts.length === 0 && reader.problems.length === reported) reader.report(at.keyNode, at.path, NO_PROCESSES);
  for (const entry of Object.values(PROCESS_KEYS.keys)) entry.across?.(drafts, reader);
  return drafts;
}

function readProcess(name: string, body: Node, at: At, ownerPath: string, shared: readonly LoadedEnvFile[], reader: Reader): ProcessDraft {
  const nameNode = at.keyNode ?? at.node; // a process is always a mapping entry, so it has a key
  // Said at `processes`, not `processes.NAME`: the message names it, quoted (a blank in it shows), once.
  if (!PROCESS_NAME.test(name)) reader.report(nameNode, ownerPath, `${name === '' ? 'a process name cannot be empty' : `invalid process name '${shownKey(name)}'`}: ${PROCESS_NAME_RULE}`, name);
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
  const envFiles = [...shared];
  // SPEC §9's precedence for what `${VAR}` reads: the parent's environment over the env files,
  // the process's own over the shared ones (its `envFile` is read first: see PROCESS_KEYS.first).
  const variables = (variable: string): string | undefined => reader.context.parentVariable(variable) ?? fileVariable(envFiles, variable);
  const draft: ProcessDraft = { spec, at, dependencies: new Map(), conditions: new Map(), envFiles };
  if (isMapping(body)) reader.readMapping(body, PROCESS_KEYS, draft, { ...at, variables });
  else reader.report(isEmpty(body) ? nameNode : body, at.path, `expected the process's keys (at least \`cmd\`), found ${describe(body)}; e.g. \`${name}: { cmd: node server.js }\``, name);
  const { envNames: fileNames = [], ...merged } = mergeEnvFiles(envFiles) ?? {};
  Object.assign(spec, merged);
  const envNames = [...new Set([...fileNames, ...(draft.envNames ?? [])])];
  if (envNames.length > 0) spec.envNames = envNames;
  return draft;
}

function setEnvironment(draft: ProcessDraft, env: WrittenEnvironment): void {
  draft.spec.env = env.variables;
  draft.envNames = env.names;
}

/** The keys of one process. */
export const PROCESS_KEYS: KeyTable<ProcessDraft> = {
  keys: {
    cmd: key(commandWithParts, setCommand, {
      interpolated: true,
      required: 'missing `cmd`; add the command to run, e.g. `cmd: node server.js` (run by sh -c) or `cmd: [node, server.js]` (argv)',
      alsoKnownAs: ['command', 'args', 'argv', 'run', 'exec'],
    }),
    cwd: key(directory, setDirectory, { interpolated: true, alsoKnownAs: ['dir', 'directory', 'workdir', 'workingdir', 'workingdirectory'] }),
    env: key(environment, setEnvironment, { interpolated: true, alsoKnownAs: ['environment'] }),
    envFile: key(processEnvFiles, (draft, files) => draft.envFiles.push(...files), { alsoKnownAs: ['envfiles', 'dotenv'] }),
    ready: key(readiness, (draft, ready) => (draft.spec.ready = ready), { interpolated: true, alsoKnownAs: ['readywhen', 'readiness', 'readinessprobe', 'healthcheck'] }),
    readyTimeout: key(positiveDuration('the time the process may take to be ready'), (draft, ms) => (draft.spec.readyTimeoutMs = ms)),
    liveness: key(liveness, (draft, probe) => (draft.spec.liveness = probe), { interpolated: true, alsoKnownAs: ['livenessprobe', 'alive', 'health'] }),
    dependsOn: key(dependencies, setDependencies, { alsoKnownAs: ['needs', 'after', 'requires'], across: checkGraph }),
    task: key(boolean('write `task: true` for a process that is expected to exit (YAML reads yes and on as strings)'), setTask, { alsoKnownAs: ['oneshot', 'job', 'once'] }),
    restart: key(restartPolicy, (draft, restart) => (draft.spec.restart = restart), { alsoKnownAs: ['restartpolicy'] }),
    main: key(boolean('write `main: true` (YAML reads yes and on as strings)'), setMain, { alsoKnownAs: ['primary'], across: onlyOneMain }),
    stopSignal: key(stopSignal, (draft, signal) => (draft.spec.stopSignal = signal), { alsoKnownAs: ['killsignal', 'signal'] }),
    grace: key(duration, (draft, ms) => (draft.spec.grace = ms), { alsoKnownAs: ['killgrace', 'killtimeout', 'stopgraceperiod', 'stoptimeout'] }),
    user: key(user, (draft, found) => (draft.spec.user = found), { alsoKnownAs: ['runas', 'username', 'uid'] }),
    replicas: key(replicaCount, (draft, count) => (draft.spec.replicas = count), { alsoKnownAs: ['scale', 'instances', 'copies', 'numprocs', 'count'], across: replicaNamesFree }),
    watch: WATCH_KEY,
    ...FOREIGN_PROCESS_KEYS,
  },
  // The process's env files hold variables every other value may use.
  first: ['envFile'],
  // Compose allows its extension fields in a service too (x-aws-role, an anchor kept beside the keys).
  extensions: true,
  finish: (draft, seen, owner, reader) => {
    const readyTimeout = seen.get('readyTimeout');
    const replicas = seen.get('replicas');
    if (replicas !== undefined && draft.spec.main && (draft.spec.replicas ?? 1) > 1) reader.reportAt(replicas, MAIN_REPLICAS);
    if (readyTimeout !== undefined && !seen.has('ready')) {
      reader.report(readyTimeout.keyNode, readyTimeout.path, 'has no effect without `ready`; add a `ready` probe or remove `readyTimeout`', owner.process);
    }
    warnShellDroppedNames(seen.get('env'), draft.spec.cmd, reader);
    const { ready, readyTimeoutMs } = draft.spec;
    // No try is made in the start period: a timeout within it fails the process, always.
    if (readyTimeout !== undefined && readyTimeoutMs !== undefined && ready !== undefined && ready.kind !== 'log' && ready.startPeriodMs >= readyTimeoutMs) {
      reader.reportAt(readyTimeout, `is ${readyTimeoutMs} ms, and \`ready\` is not tried in its first ${ready.startPeriodMs} ms (its startPeriod): it could never pass; make readyTimeout longer than startPeriod, or startPeriod shorter`);
    }
    // A task is never restarted after it succeeded, so `always` is `on-failure` for it (SPEC §9):
    // said once, here, so the runner never has to know.
    if (draft.spec.task && draft.spec.restart.policy === 'always') draft.spec.restart = { ...draft.spec.restart, policy: 'on-failure' };
  },
};

function setCommand(draft: ProcessDraft, { cmd, parts }: { cmd: readonly string[] | string; parts: InterpolatedPart[][] }): void {
  draft.spec.cmd = cmd;
  if (readsVariable(parts)) draft.spec.cmdParts = parts;
}

/** `cwd`: a directory, interpolated; relative ones resolved against the config file's. */
function directory(at: At, reader: Reader): { cwd: string; parts: InterpolatedPart[] } | undefined {
  const written = text()(at, reader);
  const parts = written === undefined ? undefined : interpolatedParts(at, written, reader, { warnLeft: true });
  if (parts === undefined) return undefined;
  const dir = joinParts(parts);
  if (dir === '') reader.reportAt(at, `is empty${expansionNote(at)}; give a directory (relative ones are resolved against the config file) or remove the key`);
  else if (spawnable(at, dir, reader) !== undefined) return { cwd: resolve(reader.baseDir, dir), parts: isAbsolute(dir) ? parts : [join(reader.baseDir, '/'), ...parts] };
  return undefined;
}

function setDirectory(draft: ProcessDraft, { cwd, parts }: { cwd: string; parts: InterpolatedPart[] }): void {
  draft.spec.cwd = cwd;
  if (readsVariable([parts])) draft.spec.cwdParts = parts;
}

function setMain(draft: ProcessDraft, main: boolean, at: At): void {
  draft.spec.main = main;
  if (main) draft.mainAt = at;
}

function setTask(draft: ProcessDraft, task: boolean, at: At): void {
  draft.spec.task = task;
  if (task) draft.taskAt = at;
}

function onlyOneMain(drafts: readonly ProcessDraft[], reader: Reader): void {
  const mains = drafts.filter((draft) => draft.mainAt !== undefined);
  for (const extra of mains.slice(1)) {
    const message = `only one process can be main, and '${mains[0]?.spec.name ?? ''}' already is; the run ends when the main process exits, so keep \`main: true\` on one`;
    if (extra.mainAt !== undefined) reader.reportAt(extra.mainAt, message);
  }
}

/**
 * `stopSignal`: the name of the signal that asks the process to stop, like `SIGINT` (see
 * readStopSignal: `int` is SIGINT too; numbers are refused, since they differ between systems).
 */
function stopSignal(at: At, reader: Reader): NodeJS.Signals | undefined {
  // A number is read as the text it was written as: readStopSignal says what a number is told, as it does for `--stop-signal 15`.
  const written = isScalar(at.node) && (typeof at.node.value === 'string' || typeof at.node.value === 'number') ? scalarText(at.node) : undefined;
  if (written === undefined) {
    reader.reportAt(at, `expected a signal name like SIGINT, found ${describe(at.node)}; signal numbers differ between systems, names do not`);
    return undefined;
  }
  const read = readStopSignal(written);
  if ('problem' in read) {
    reader.reportAt(at, read.problem);
    return undefined;
  }
  return read.signal;
}

/**
 * `user`: a user name or a uid, looked up in the passwd file. Starting a process as another user
 * takes root; a subvisor that is not root refuses any `user` but its own here, before anything
 * starts, rather than failing with EPERM at the spawn, after the processes before it are running.
 * So does a root whose user namespace does not map the user's ids (EINVAL at the spawn).
 */
function user(at: At, reader: Reader): ProcessUser | undefined {
  const raw = isScalar(at.node) ? at.node.value : undefined;
  const wanted = typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? raw : typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
  if (wanted === undefined) {
    reader.reportAt(at, `expected a user name or a uid, found ${describe(at.node)}; e.g. \`user: postgres\``);
    return undefined;
  }
  if (typeof wanted === 'string' && wanted.includes(':')) {
    // compose's `user: NAME:GROUP` (or `UID:GID`): no user name holds a colon (passwd's separator).
    const name = wanted.slice(0, wanted.indexOf(':'));
    reader.reportAt(at, `user takes a user only, not compose's user:group ('${printable(wanted)}'); write \`user: ${printable(name)}\`: the process gets that user's primary group and the groups /etc/group lists it in`);
    return undefined;
  }
  const { context } = reader;
  const passwd = context.users();
  if (!('users' in passwd)) {
    reader.reportAt(at, `cannot look the user up: cannot read ${context.passwdFile} (${passwd.reason}); name a user of this system, or remove \`user\``, passwd.cause);
    return undefined;
  }
  const found = findUser(passwd.users, wanted);
  const shown = typeof wanted === 'number' || /^\d+$/.test(wanted) ? `uid ${wanted}` : `'${printable(wanted)}'`;
  if (found === undefined) {
    reader.reportAt(at, `unknown user ${shown}: it is not in ${context.passwdFile}; create the user, or name an existing one`);
    return undefined;
  }
  if (context.uid !== 0 && found.uid !== context.uid) {
    reader.reportAt(
      at,
      `${found.name} needs subvisor to run as root (it runs as uid ${context.uid}, and only root can start a process as another user); run subvisor as root, or remove \`user\` to run the process as yourself`,
    );
    return undefined;
  }
  const unmapped = context.uid === 0 ? context.unmappedIds(found) : [];
  if (unmapped.length > 0) {
    reader.reportAt(
      at,
      `${found.name} cannot be taken here: ${unmapped.join(' and ')} ${unmapped.length === 1 ? 'is' : 'are'} not mapped in this user namespace (see /proc/self/uid_map and gid_map; a rootless container maps a range of ids, unshare -r only root); map ${unmapped.length === 1 ? 'it' : 'them'}, run subvisor outside this namespace, or remove \`user\``,
    );
    return undefined;
  }
  const member = context.groupsOf(found);
  // Groups that cannot be given here leave the process as Node's spawn alone would: without them.
  const { groups, reason } = context.givableGroups(member);
  if (reason === undefined) return { ...found, groups };
  const left = member.filter((group) => !groups.includes(group));
  // A user in no group then lacks only its gid in the list, whose access its gid gives anyway: nothing to say.
  if (left.length > 0) reader.warnAt(at, `${found.name} is a member of gid ${left.join(', ')}, which the process will not be given: ${reason}`);
  return groups.length === 0 ? found : { ...found, groups };
}
