import { basename, isAbsolute, relative, sep } from 'node:path';
import { Document, Scalar, YAMLMap, YAMLSeq, visit, type Tags } from 'yaml';
import { printable } from '../config/spawnable.js';
import { stopGraceMs, type Condition, type Config, type ProcessSpec } from '../config/spec.js';
import type { OutsideProbe } from '../stack/probes.js';
import { goDuration } from '../config/duration.js';
import { exportedEnvironment } from './environment.js';
import { ExportError } from './errors.js';
import { exportedProcesses, type ExportPlanOptions } from './plan.js';
import { describeProbe, exportedReadyDeadlineMs, oneTryArguments } from './probe-command.js';
import { checkLogReadiness, droppedLogNote } from './readiness.js';
import { configDirectory, shownConfigFile } from '../config/location.js';

/** What {@link exportCompose} needs besides the config (and, for `PORT`, {@link ExportPlanOptions}). */
export interface ComposeExportOptions extends ExportPlanOptions {
  /** The image of every service (`--image`). Default {@link DEFAULT_IMAGE}. */
  readonly image: string;
  /** `--ready-log=drop`: write a comment for log-line readiness instead of refusing it. */
  readonly dropReadyLog: boolean;
}

/**
 * The image when `--image` is not given: Node's, since a subvisor stack is often Node programs,
 * and slim Debian rather than Alpine so the glibc binaries of a project's `node_modules` run.
 * Whatever the image, it must hold the project at {@link APP_DIR}.
 */
export const DEFAULT_IMAGE = 'node:22-bookworm-slim';
/** Where the project (the config's directory) is inside the image. */
export const APP_DIR = '/app';
/**
 * In every service's environment, for `init: true`: Docker's init (tini) passes `stop_signal` to
 * its child alone, so what a shell started (`sh -c "a; b"`, a script that runs node without
 * `exec`) never hears it, and is SIGKILLed when the container ends, with no grace. Set, tini
 * signals the child's whole process group, as `up` stops a process, and systemd its unit's cgroup.
 */
const INIT_SIGNALS_GROUP: readonly [string, string] = ['TINI_KILL_PROCESS_GROUP', '1'];
/** Docker's healthcheck timeout is this much longer than the probe's, so the probe, which says why, gives up first. */
const HEALTHCHECK_SLACK_MS = 1_000;

type Service = Record<string, unknown>;

/** The Compose file's text, and the mode it must have, if any. */
export interface ComposeFile {
  readonly text: string;
  /**
   * 0o600 when the config gives a service an `environment` (`.env`'s secrets, inline) or its command,
   * healthcheck or working_dir holds a variable's value (see writesVariableValue), over an existing file's mode
   * too; otherwise undefined: a new file gets what the umask leaves of 0o644, and an
   * existing one keeps its own (never widened).
   */
  readonly mode: number | undefined;
}

/**
 * The Compose file of `subvisor export compose` (SPEC §11): one service per process `subvisor up`
 * would run (see {@link exportedProcesses}), in the config's order, each with `init: true` (a real
 * PID 1 reaps orphaned grandchildren, which Node does not). No top-level `name:`, durations as Go
 * durations, every `$` doubled so Compose's own interpolation leaves the values as subvisor
 * resolved them. What has no Compose equivalent is said in a comment. Byte-identical for the same
 * config, options and base `PORT`.
 *
 * The copies of `replicas: N` are N services `NAME-1` ... `NAME-N` (see {@link serviceName}), not
 * one service with `deploy.replicas: N`: Compose gives all the containers of one service the same
 * environment, so no copy could have its own `SUBVISOR_REPLICA` (or a Procfile copy its own
 * `PORT`), and a dependent could not wait for each copy by name as under `up`.
 */
export function exportCompose(config: Config, options: ComposeExportOptions): ComposeFile {
  checkLogReadiness(config, options.dropReadyLog);
  const processes = exportedProcesses(config, options);
  checkServiceNames(processes);
  const byName = new Map(processes.map((spec) => [spec.name, spec]));
  const notes = new Map<string, string[]>();
  // A Map, not an object: an object puts a name that reads as an integer (`1`) before the others.
  const services = new Map<string, Service>();
  for (const spec of processes) {
    const own: string[] = [];
    services.set(serviceName(spec), service(spec, config, options, byName, own));
    notes.set(serviceName(spec), own);
  }
  // Written for YAML 1.1 readers, as Compose's (go-yaml) resolves plain scalars: a value such as
  // `no`, `1_000`, `0x1F`, `1:30` or `2024-01-01` is then quoted, so it stays the string it was.
  const doc = new Document({ services }, { version: '1.1', customTags: plainMaps });
  quoteForGoYaml(doc);
  doc.commentBefore = header(config, processes, options.image);
  // Each service by its pair, not looked up by name: a lookup reads the services' keys one by one
  // (50 000 processes took 80 s to export).
  const written = doc.get('services', true);
  for (const { key, value: node } of written instanceof YAMLMap ? written.items : []) {
    const own = notes.get(String(key instanceof Scalar ? key.value : key)) ?? [];
    if (own.length > 0 && node instanceof YAMLMap) node.commentBefore = own.map((line) => ` ${printable(line)}`).join('\n');
    // A command reads best on one line, as it would be typed.
    for (const path of [['command'], ['healthcheck', 'test']]) {
      const sequence = node instanceof YAMLMap ? node.getIn(path, true) : undefined;
      if (sequence instanceof YAMLSeq) quoteForFlow(sequence);
    }
  }
  const text = escapeForGoYaml(doc.toString({ lineWidth: 0 }));
  // The environment is written inline, `.env`'s secrets too, as the systemd export's env files hold it.
  return { text, mode: processes.some((spec) => exportedEnvironment(spec).length > 0 || writesVariableValue(spec)) ? 0o600 : undefined };
}

/**
 * The YAML 1.1 tags without `!!omap`, which would write each Map (kept for its order) as a
 * sequence of one-key maps: Compose wants a plain mapping, in the Map's order.
 */
function plainMaps(tags: Tags): Tags {
  return tags.filter((tag) => (typeof tag === 'string' ? tag : tag.tag) !== 'tag:yaml.org,2002:omap' && tag !== 'omap');
}

/**
 * Whether the service of `spec` holds a variable's value in its command, healthcheck or `working_dir`. Compose has
 * nowhere else to put it: its own `${NAME}` is read from the deploying shell and its `.env` when the
 * file is loaded (and `docker compose config` prints it), not from the container's environment, and
 * `$$NAME` for the container's shell would be read by the shell's rules, not inserted as subvisor
 * inserts it. So the file is its owner's alone, as one with an `environment` is, also when the value
 * came from subvisor's environment, which `environment` leaves out.
 */
function writesVariableValue(spec: ProcessSpec): boolean {
  const probe = healthcheckProbe(spec);
  const probeParts = probe?.kind === 'http' ? probe.urlParts : probe?.kind === 'tcp' ? probe.addressParts : probe?.kind === 'exec' ? probe.cmdParts : undefined;
  return spec.cmdParts !== undefined || spec.cwdParts !== undefined || probeParts !== undefined;
}

function header(config: Config, processes: readonly ProcessSpec[], image: string): string {
  const main = config.processes.find((spec) => spec.main);
  return [
    ` Generated by \`subvisor export compose\` from ${basename(shownConfigFile(config.file))}: one service per process.`,
    ` The image (${image}) must hold the project at ${APP_DIR}, and \`subvisor\` on its PATH for the http and tcp healthchecks.`,
    ` init: true runs Docker's tini, which ${INIT_SIGNALS_GROUP.join('=')} in each environment makes stop_signal reach a command's whole process group, as under subvisor.`,
    ...(main === undefined ? [] : [` main: ${main.name} ends the run under subvisor; here: docker compose up --abort-on-container-exit --exit-code-from ${main.name}`]),
    ...(config.logs === undefined ? [] : [' logs: not carried: Docker keeps each container\'s output (docker compose logs NAME; rotation is the logging driver\'s); no log files are written.']),
    ...(processes.length > 1 ? [" fail-fast: not translated: under subvisor a process that fails (no restart left) stops the stack; here the other containers keep running (--abort-on-container-exit stops them at any exit, a task's success too)."] : []),
  ].join('\n');
}

/**
 * The Compose service of a process: its name, or `NAME-INDEX` for a copy (`web.1` is `web-1`).
 * Not `web.1`, which the schema allows: the service name is also a host name on the project's
 * network, where a dot reads as a domain, and Kubernetes (through kompose) takes no dot in a
 * Service name; `-INDEX` is also how Compose numbers its own containers.
 */
export function serviceName(spec: ProcessSpec): string {
  return spec.replica === undefined ? spec.name : `${spec.replica.of}-${spec.replica.index}`;
}

/** Refuses a copy whose service name is already a process's (`web-1` beside `web: { replicas: 2 }`). */
function checkServiceNames(processes: readonly ProcessSpec[]): void {
  const taken = new Set(processes.filter((spec) => spec.replica === undefined).map((spec) => spec.name));
  const clash = processes.find((spec) => spec.replica !== undefined && taken.has(serviceName(spec)));
  if (clash !== undefined) {
    throw new ExportError('ERR_EXPORT_NAME', `process ${clash.name}: its Compose service would be ${serviceName(clash)}, which is already the name of a process; rename that process`);
  }
}

function service(spec: ProcessSpec, config: Config, options: ComposeExportOptions, byName: ReadonlyMap<string, ProcessSpec>, notes: string[]): Service {
  if (spec.replica !== undefined) {
    const { of, index } = spec.replica;
    notes.push(`replicas: copy ${index} of ${of} (${spec.name} under subvisor, SUBVISOR_REPLICA=${index}): a service per copy, as deploy.replicas would give every copy one environment.`);
  }
  const environment = exportedEnvironment(spec);
  const envFiles = envFilesNote(spec, config);
  if (envFiles !== undefined) notes.push(envFiles);
  const entries: [string, unknown][] = [
    ['image', options.image],
    ['init', true],
    ['command', (typeof spec.cmd === 'string' ? ['/bin/sh', '-c', spec.cmd] : [...spec.cmd]).map(literal)],
    ['working_dir', literal(workingDir(spec, config, notes))],
    ['environment', Object.fromEntries([...environment, INIT_SIGNALS_GROUP].map(([name, value]) => [name, literal(value)]))],
    ['user', spec.user === undefined ? undefined : literal(spec.user.name)],
    ['depends_on', dependsOn(spec, byName, notes)],
    ['healthcheck', healthcheck(spec, notes)],
    ['restart', restart(spec, notes)],
    ['stop_signal', spec.stopSignal ?? 'SIGTERM'],
    ['stop_grace_period', goDuration(stopGraceMs(spec))],
  ];
  if (spec.liveness !== undefined) notes.push('liveness: not translated: Compose does not restart an unhealthy container.');
  if (spec.watch !== undefined) notes.push('watch: not carried: Compose restarts nothing when files change; for development, `docker compose watch` does, from a develop.watch section (none is written).');
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}

/**
 * Double quotes for the strings go-yaml would not read back as written, which the 1.1 schema above
 * leaves plain: those it reads as numbers (see {@link goYamlReadsAsNumber}), and those holding a
 * character it refuses raw or reads as a line break (see {@link escapeForGoYaml}).
 */
function quoteForGoYaml(doc: Document): void {
  visit(doc, {
    Scalar: (_key, node) => {
      if (typeof node.value === 'string' && (goYamlReadsAsNumber(node.value) || GO_YAML_UNSAFE.test(node.value))) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
}

/**
 * Whether go-yaml (v3, Compose's reader) takes the plain scalar `text` for a number: it drops every
 * `_`, then tries Go's `strconv.ParseInt` with base prefixes (`0x`, `0X`, `0b`, `0O`, a leading
 * `0` for octal, any case, after a sign), then its own float pattern.
 */
function goYamlReadsAsNumber(text: string): boolean {
  if (!/^[-+0-9.]/.test(text)) return false;
  const plain = text.replaceAll('_', '');
  return /^[-+]?(?:0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]*|[1-9][0-9]*)$/.test(plain) || /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(plain);
}

/**
 * What go-yaml refuses raw (DEL, the C1 controls, U+FFFE, U+FFFF) or reads as a line break (U+0085,
 * U+2028, U+2029, which would end a comment or fold a value into a space). The `yaml` library
 * writes them as they are, even inside double quotes.
 */
const GO_YAML_UNSAFE = /[\u007f-\u009f\u2028\u2029\ufffe\uffff]/;

/**
 * `text` with every {@link GO_YAML_UNSAFE} character as a `\uXXXX` escape: a string holding one is
 * double-quoted (see {@link quoteForGoYaml}), where that escape is the character; in a comment it
 * is only text.
 */
function escapeForGoYaml(text: string): string {
  return text.replace(new RegExp(GO_YAML_UNSAFE.source, 'g'), (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A sequence on one line, `[ a, b ]`. Some items are quoted where YAML itself leaves them plain, so
 * the library writing the file would too, but go-yaml (Compose's reader, and libyaml's rules) does
 * not read them back: one with a `?`, at which go-yaml ends a plain item of a flow sequence
 * (`postgres://db/app?sslmode=disable`), and one that starts with `:`, which it takes for a key
 * (`:8080`, `::1`).
 */
function quoteForFlow(sequence: YAMLSeq): void {
  sequence.flow = true;
  for (const item of sequence.items) {
    if (item instanceof Scalar && typeof item.value === 'string' && (item.value.includes('?') || item.value.startsWith(':'))) item.type = Scalar.QUOTE_DOUBLE;
  }
}

/** `$` doubled: Compose would otherwise substitute `$NAME` from the host's environment. */
function literal(text: string): string {
  return text.replaceAll('$', '$$$$');
}

/**
 * The env files are in `environment` already, merged as `up` merges them, and not listed as
 * `env_file`: Compose would read them again by its own rules (it refuses an open quote that node's
 * reader keeps, and expands `$NAME` in them), and `docker compose up` fails for one that is not
 * beside the Compose file, wherever that is deployed. The comment says where the values came from.
 */
function envFilesNote(spec: ProcessSpec, config: Config): string | undefined {
  if (!spec.envFiles?.length) return undefined;
  const names = spec.envFiles.map((path) => relative(configDirectory(config.file), path));
  const listed = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `environment: ${listed} merged as subvisor reads them; no env_file, which Compose would read by its own rules, and need beside this file.`;
}

/** The process's cwd inside the image: the config's directory is {@link APP_DIR}. */
function workingDir(spec: ProcessSpec, config: Config, notes: string[]): string {
  const projectDir = configDirectory(config.file);
  const cwd = spec.cwd ?? projectDir;
  const inside = relative(projectDir, cwd);
  if (inside === '') return APP_DIR;
  if (!inside.startsWith('..') && !isAbsolute(inside)) return `${APP_DIR}/${inside.split(sep).join('/')}`;
  notes.push(`working_dir: ${spec.name}'s cwd is outside the project, so it is kept as it is; the image must have it.`);
  return cwd;
}

const CONDITIONS: Readonly<Record<Condition, string>> = {
  started: 'service_started',
  ready: 'service_healthy',
  succeeded: 'service_completed_successfully',
  completed: 'service_completed_successfully',
};

function dependsOn(spec: ProcessSpec, byName: ReadonlyMap<string, ProcessSpec>, notes: string[]): Map<string, { condition: string }> | undefined {
  if (spec.dependsOn.length === 0) return undefined;
  const entries = spec.dependsOn.map(({ name, condition }) => {
    const dependency = byName.get(name);
    const target = dependency === undefined ? name : serviceName(dependency);
    // Without a healthcheck there is nothing to be healthy: ready means started, as under subvisor.
    const healthy = dependency !== undefined && healthcheckProbe(dependency) !== undefined;
    if (condition === 'completed') notes.push(`depends_on: ${target} completed -> service_completed_successfully: Compose has no condition met by a failed exit.`);
    return [target, { condition: condition === 'ready' && !healthy ? 'service_started' : CONDITIONS[condition] }] as const;
  });
  // In the config's order, as the services are (a Map keeps a name such as `2` where it was).
  return new Map(entries);
}

function healthcheckProbe(spec: ProcessSpec): OutsideProbe | undefined {
  return spec.ready === undefined || spec.ready.kind === 'log' ? undefined : spec.ready;
}

/**
 * `ready` as a healthcheck: an exec probe as Docker runs commands (`CMD-SHELL` for a string,
 * `CMD` for argv), http and tcp through `subvisor probe`, one try per check. Docker's `retries`
 * covers `readyTimeout`, so a dependent waits for `service_healthy` as long as subvisor would.
 */
function healthcheck(spec: ProcessSpec, notes: string[]): Record<string, unknown> | undefined {
  const dropped = droppedLogNote(spec);
  if (dropped !== undefined) notes.push(dropped);
  const probe = healthcheckProbe(spec);
  if (probe === undefined) return undefined;
  notes.push(`ready: ${describeProbe(probe)} -> healthcheck.`);
  const test =
    probe.kind === 'exec'
      ? typeof probe.cmd === 'string'
        ? ['CMD-SHELL', probe.cmd]
        : ['CMD', ...probe.cmd]
      : ['CMD', 'subvisor', 'probe', ...oneTryArguments(probe)];
  const deadlineMs = exportedReadyDeadlineMs(spec);
  return {
    test: test.map(literal),
    interval: goDuration(probe.intervalMs),
    timeout: goDuration(probe.kind === 'exec' ? probe.timeoutMs : probe.timeoutMs + HEALTHCHECK_SLACK_MS),
    retries: Math.max(1, Math.ceil(deadlineMs / probe.intervalMs)),
    ...(probe.startPeriodMs > 0 ? { start_period: goDuration(probe.startPeriodMs) } : {}),
  };
}

/** `restart`: `on-failure:MAX` keeps the budget; `always` has none in Compose (said in a comment). */
function restart(spec: ProcessSpec, notes: string[]): string {
  const { policy, max } = spec.restart;
  if (policy === 'no') return 'no';
  if (policy === 'on-failure' || spec.task) return `on-failure:${max}`;
  notes.push(`restart: always restarts without a bound here (subvisor stops after ${max}).`);
  return 'always';
}
