import { isScalar, isSeq } from 'yaml';
import { node } from '../../../builtins.js';
import { printable } from '../spawnable.js';
import { pm2Apps } from './pm2/apps.js';
import { DEFAULT_RESTART_MAX } from '../spec.js';
import { isMapping, type At, type KeyEntry, type Node, type Reader } from './reader.js';
import { scalarText } from './values.js';

// Keys of docker compose's and process-compose's files that subvisor.yaml has no place for, as
// someone moving a compose file across copies them. A key spelled like one of ours is led to it
// by "did you mean" (`working_dir`, `depends_on`); these have no such twin, or the twin alone
// would mislead (`availability.max_restarts`), so each is answered with what to write instead,
// built from its value where that says more. They are refused, never taken: two ways to say one
// thing drift apart, and a container's settings (`image`, `ports`) mean nothing to a process here.

/** What to write instead of one foreign key: a fixed answer, or one built from the value. */
type Instead = string | ((at: At, reader: Reader) => string);

/** A key known only to be refused, at the key, with `instead`; left out of "known keys" and guesses. */
function refused<T>(instead: Instead): KeyEntry<T> {
  const answer = (at: At, reader: Reader): string => (typeof instead === 'string' ? instead : instead(at, reader));
  return {
    read: (at, _target, reader) => reader.reportAt({ ...at, node: at.keyNode ?? at.node }, answer(at, reader)),
    ...(typeof instead === 'string' ? { empty: instead } : {}),
    unlisted: true,
  };
}

const CONTAINER_ONLY = "is docker compose's container setting, which has no meaning for a process on this machine; remove it";
const CONTAINER_DECLARATION = "is docker compose's declaration for containers, which has no meaning for processes on this machine; remove it";
const noTerminal = (key: string): string => `is docker compose's; a process here has no terminal and reads /dev/null (its output is relayed line by line); remove \`${key}\``;
const NAME_THEM = 'name the processes to run instead: `subvisor up NAME...` starts them and what they depend on';

/** A scalar's text (a number as written) as a message may show it; undefined for anything else. */
function scalarWord(node: Node): string | undefined {
  const text = isScalar(node) ? scalarText(node) : undefined;
  return text === undefined ? undefined : printable(text);
}

/** The value at `key` of the mapping at `at`; null when there is none, or `at` is no mapping. */
function valueAt(at: At, reader: Reader, key: string): Node {
  return isMapping(at.node) ? reader.valueOf(at.node, key) : null;
}

/** The scalar at `key` of the mapping at `at`, as {@link scalarWord} shows it. */
function field(at: At, reader: Reader, key: string): string | undefined {
  return scalarWord(valueAt(at, reader, key));
}

/** `entrypoint`: it goes first in `cmd`. */
function entrypoint(at: At, reader: Reader): string {
  const words = isSeq(at.node) ? at.node.items.map((item) => scalarWord(reader.deref(item)) ?? '...') : [scalarWord(at.node) ?? '...'];
  return `is docker compose's; a process here has one command: write the entrypoint first in \`cmd\`, then the command's arguments: \`cmd: [${words.join(', ')}, ...]\``;
}

/** `deploy`: of it, only `replicas` has a meaning here. */
function deploy(at: At, reader: Reader): string {
  const replicas = field(at, reader, 'replicas');
  if (replicas !== undefined) return `is docker compose's; write \`replicas: ${replicas}\` on the process itself (the rest of \`deploy\` is for a container runtime)`;
  return "is docker compose's, for a container runtime; copies of a process are `replicas: N`; remove `deploy`";
}

/** process-compose's `is_daemon`. */
function isDaemon(at: At): string {
  if (isScalar(at.node) && at.node.value === false) return "is process-compose's, and `false` is the only way here; remove it";
  return "is process-compose's; subvisor supervises a process in the foreground (one that forks into the background looks exited at once): start it in the foreground, as most daemons have a flag for, and remove `is_daemon`";
}

/** process-compose's restart words, in subvisor's (`exit_on_failure` is up's fail-fast, which needs no key). */
const RESTARTS: Readonly<Record<string, string>> = { on_failure: 'on-failure', always: 'always', no: 'no' };

/** process-compose's `availability`: `restart` with its bounds, and `exit_on_end`, which is `main`. */
function availability(at: At, reader: Reader): string {
  const restart = field(at, reader, 'restart');
  const policy = restart !== undefined && Object.hasOwn(RESTARTS, restart) ? RESTARTS[restart] : undefined;
  const written = field(at, reader, 'max_restarts');
  // process-compose's 0 (its default) is no bound; `max` is one always, and `max: 0` is refused.
  const max = written === '0' ? undefined : written;
  const backoff = field(at, reader, 'backoff_seconds');
  const write: string[] = [];
  if (policy !== undefined && policy !== 'no') write.push(`restart: { policy: ${policy}${max === undefined ? '' : `, max: ${max}`}${backoff === undefined ? '' : `, backoff: ${backoff}s`} }`);
  if (policy === 'no') write.push('restart: no');
  const exitOnEnd = valueAt(at, reader, 'exit_on_end');
  if (isScalar(exitOnEnd) && exitOnEnd.value === true) write.push('main: true');
  const failFast = restart === 'exit_on_failure' ? ' (its exit_on_failure is what up does already: an unexpected failure ends the run)' : '';
  const unbounded = written === '0' && policy !== undefined && policy !== 'no' ? ` (its max_restarts: 0 is no bound; here \`max\` bounds the restarts in a row, ${DEFAULT_RESTART_MAX} by default, counted again once the process stays up for \`resetAfter\`)` : '';
  return write.length === 0 ? `is process-compose's; write \`restart\` instead, e.g. \`restart: { policy: on-failure, max: 3 }\`${failFast}` : `is process-compose's; write \`${write.join('` and `')}\` instead${failFast}${unbounded}`;
}

/** process-compose's `shutdown`: `signal` and `timeout_seconds` are `stopSignal` and `grace`. */
function shutdown(at: At, reader: Reader): string {
  const signal = field(at, reader, 'signal');
  const byNumber = signal !== undefined && /^\d+$/.test(signal) ? Object.entries(node.os.constants.signals).find(([, number]) => String(number) === signal)?.[0] : undefined;
  const timeout = field(at, reader, 'timeout_seconds');
  const write = [...(signal === undefined ? [] : [`stopSignal: ${byNumber ?? signal}`]), ...(timeout === undefined ? [] : [`grace: ${timeout}s`])];
  const command = valueAt(at, reader, 'command') !== null ? '; a stop command has no key here: the stop signal is sent to the process group, so make the process stop on it' : '';
  return write.length === 0 ? `is process-compose's; write \`stopSignal\` and \`grace\` instead, e.g. \`stopSignal: SIGINT\` and \`grace: 10s\`${command}` : `is process-compose's; write \`${write.join('` and `')}\` instead${command}`;
}

/** The keys of one process that other tools have and subvisor refuses, each with what to write. */
export const FOREIGN_PROCESS_KEYS: Readonly<Record<string, KeyEntry<unknown>>> = {
  image: refused("is docker compose's; subvisor runs commands on this machine, not images: give what the image runs as `cmd` (installed here), and remove `image`"),
  build: refused("is docker compose's; subvisor builds no image: to build something first, make the build a process with `task: true` that the others wait for (`dependsOn: { build: succeeded }`), or remove `build`"),
  ports: refused("is docker compose's; a process here listens on this machine's ports itself, so there is nothing to publish: remove `ports` (a process that reads its port from the environment gets it from `env: { PORT: \"8080\" }`)"),
  expose: refused("is docker compose's; a process here listens on this machine's ports itself, so there is nothing to expose: remove `expose`"),
  volumes: refused("is docker compose's; a process here sees this machine's files, so there is nothing to mount: remove `volumes` (`cwd` sets the directory it runs in)"),
  networks: refused(CONTAINER_ONLY),
  network_mode: refused(CONTAINER_ONLY),
  container_name: refused(CONTAINER_ONLY),
  hostname: refused(CONTAINER_ONLY),
  labels: refused(CONTAINER_ONLY),
  platform: refused(CONTAINER_ONLY),
  pull_policy: refused(CONTAINER_ONLY),
  init: refused("is docker compose's; subvisor passes the stop signal to the process's whole group already, so what it started stops with it; remove `init`"),
  tty: refused(noTerminal('tty')),
  stdin_open: refused(noTerminal('stdin_open')),
  logging: refused("is docker compose's; subvisor relays each line of output, and writes it to DIR/NAME.log with `logs: { dir: DIR }` at the top of the file; remove `logging`"),
  entrypoint: refused(entrypoint),
  deploy: refused(deploy),
  profiles: refused(`is docker compose's; subvisor has no profiles: ${NAME_THEM}`),
  disabled: refused(`is process-compose's; ${NAME_THEM}`),
  is_daemon: refused(isDaemon),
  availability: refused(availability),
  shutdown: refused(shutdown),
  log_location: refused("is process-compose's; subvisor writes each process's output to DIR/NAME.log with `logs: { dir: DIR }` at the top of the file: remove it here"),
  namespace: refused("is process-compose's grouping for its views; subvisor has none: remove it"),
};

/** The top-level keys other tools have and subvisor refuses, each with what to write. */
export const FOREIGN_TOP_KEYS: Readonly<Record<string, KeyEntry<unknown>>> = {
  version: refused("is docker compose's (obsolete there too) or process-compose's file version; subvisor.yaml has none: remove it"),
  name: refused("is docker compose's project name; subvisor names no project (a stack is its config file): remove it"),
  environment: refused("is process-compose's variables for every process; write them in .env beside the config (NAME=value lines, read by default), or in a file named by `envFile`"),
  log_location: refused("is process-compose's one log file; subvisor writes one per process, DIR/NAME.log, with `logs: { dir: DIR }`"),
  log_level: refused("is process-compose's own log level; subvisor.yaml has none: remove it"),
  apps: refused(pm2Apps),
  volumes: refused(CONTAINER_DECLARATION),
  networks: refused(CONTAINER_DECLARATION),
  secrets: refused(CONTAINER_DECLARATION),
  configs: refused(CONTAINER_DECLARATION),
};
