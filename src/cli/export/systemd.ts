import { basename, isAbsolute, resolve } from 'node:path';
import { printable } from '../config/spawnable.js';
import { cutText } from '../../log/cut-text.js';
import { DEFAULT_PROBE_TIMEOUT_MS, stopGraceMs, type Config, type ProcessSpec, type RestartPolicy } from '../config/spec.js';
import type { OutsideProbe } from '../stack/probes.js';
import { goDuration } from '../config/duration.js';
import { exportedEnvironment } from './environment.js';
import { ExportError } from './errors.js';
import { exportedProcesses, type ExportPlanOptions } from './plan.js';
import { describeProbe, exportedReadyDeadlineMs, probeArgumentWords } from './probe-command.js';
import { checkLogReadiness, droppedLogNote } from './readiness.js';
import { envFileLine, systemdLiteral, systemdProgramPath, systemdWord, systemdWordOf, type Variable } from './quote.js';
import { UnitVariables } from './unit-variables.js';
import { joinParts, type InterpolatedPart } from '../config/environment/interpolate.js';
import { configDirectory, shownConfigFile } from '../config/location.js';

/** What {@link exportSystemd} needs besides the config (and, for `PORT`, {@link ExportPlanOptions}). */
export interface SystemdExportOptions extends ExportPlanOptions {
  /** The first part of every unit name: `PREFIX-PROCESS.service`, `PREFIX.target`. */
  readonly prefix: string;
  /** The absolute directory the units are read from, where the generated env files are named. */
  readonly unitDir: string;
  /** Absolute paths of node and of subvisor's CLI, for the `ExecStartPost=` probes (SPEC §11). */
  readonly nodePath: string;
  readonly cliPath: string;
  /** `--ready-log=drop`: write a comment for log-line readiness instead of refusing it. */
  readonly dropReadyLog: boolean;
}

/** One file of an export: its name in the output directory, its text, its mode. */
export interface ExportedFile {
  readonly name: string;
  readonly text: string;
  /** 0o600 for the env files, which may hold secrets from `.env`; 0o644 otherwise. */
  readonly mode: number;
  /** The process whose ready probe this service's `ExecStartPost=` runs (node and the CLI, as its `User=`). */
  readonly probes?: string;
}

/** Slack between the probe's deadline and `TimeoutStartSec=`, so the probe, which says why, is the one that gives up. */
const START_TIMEOUT_SLACK_MS = 10_000;

/** A unit name prefix systemd takes (unit names allow ASCII letters, digits and `:_.\-`; `@` would make a template). */
export const UNIT_PREFIX = /^[A-Za-z0-9_.:-]+$/;

/**
 * The units of `subvisor export systemd` (SPEC §11): per process `subvisor up` would run (see
 * {@link exportedProcesses}: a copy of `replicas: N` is `PREFIX-NAME.1.service` ...,
 * `SUBVISOR_REPLICA` in its environment) a `PREFIX-NAME.service` and the env file it reads last
 * (`PREFIX-NAME.env`, the environment as subvisor merges it), in the config's order, then
 * `PREFIX.target`, which wants them all and which each is part of, so `systemctl start|stop
 * PREFIX.target` runs or stops the stack (in reverse `After=` order). Byte-identical for the same
 * config, options and base `PORT`: nothing is sorted by anything else, timed or looked up.
 */
export function exportSystemd(config: Config, options: SystemdExportOptions): ExportedFile[] {
  if (!UNIT_PREFIX.test(options.prefix)) throw new ExportError('ERR_EXPORT_PREFIX', `--prefix ${JSON.stringify(options.prefix)} cannot start a unit name; use ASCII letters, digits, _, ., : and -`);
  const unitDirProblem = unitPathProblem(options.unitDir);
  if (unitDirProblem !== undefined) throw new ExportError('ERR_EXPORT_PATH', `-o ${JSON.stringify(options.unitDir)} ${unitDirProblem}, which a systemd unit cannot carry in EnvironmentFile=; pick another -o`);
  checkLogReadiness(config, options.dropReadyLog);
  const processes = exportedProcesses(config, options);
  const source = basename(shownConfigFile(config.file));
  const files: ExportedFile[] = [];
  const byName = new Map(processes.map((spec) => [spec.name, spec]));
  const awaited = awaitedExits(processes);
  for (const spec of processes) {
    const environment = exportedEnvironment(spec);
    const variables = new UnitVariables(environment);
    const service = serviceUnit(spec, byName, awaited, config, options, variables);
    files.push({ name: `${options.prefix}-${spec.name}.service`, text: service.text, mode: 0o644, ...(service.probed ? { probes: spec.name } : {}) });
    files.push({ name: envFileName(options.prefix, spec), text: envFile(spec, environment, variables, source), mode: 0o600 });
  }
  files.push({ name: `${options.prefix}.target`, text: targetUnit(config, processes, options.prefix), mode: 0o644 });
  checkUnitNameLengths(files, options.prefix);
  return files;
}

/** The longest unit name systemd takes (UNIT_NAME_MAX, 256 with its NUL); a file name is at most 255 bytes too. */
const UNIT_NAME_MAX_BYTES = 255;

/** Refuses, before anything is written, a unit (or env file) name longer than systemd or a file system takes. */
function checkUnitNameLengths(files: readonly ExportedFile[], prefix: string): void {
  const longest = files.reduce((best, file) => (Buffer.byteLength(file.name) > Buffer.byteLength(best.name) ? file : best));
  const bytes = Buffer.byteLength(longest.name);
  if (bytes <= UNIT_NAME_MAX_BYTES) return;
  const over = bytes - UNIT_NAME_MAX_BYTES;
  throw new ExportError('ERR_EXPORT_PREFIX', `the unit name ${cutText(longest.name, 60)} would be ${bytes} bytes, more than the ${UNIT_NAME_MAX_BYTES} systemd takes; shorten --prefix (${Buffer.byteLength(prefix)} bytes) or the process's name by ${over} byte${over === 1 ? '' : 's'}`);
}

function envFileName(prefix: string, spec: ProcessSpec): string {
  return `${prefix}-${spec.name}.env`;
}

function envFile(spec: ProcessSpec, environment: readonly [string, string][], variables: UnitVariables, source: string): string {
  const header = `# Generated by \`subvisor export systemd\` from ${source}: the environment of ${spec.name}, merged as subvisor merges it\n# (.env, the envFiles, then env). Its unit reads it last, so it wins.\n`;
  const lines = (entries: readonly [string, string][]): string => entries.map(([name, value]) => `${envFileLine(name, value)}\n`).join('');
  const added = variables.added();
  const renamed = variables.renamed();
  const fromEnvironment = added.length === 0 ? '' : `# From subvisor's environment when exported, for the unit's command lines, which read them as \${NAME}\n# (here rather than in the unit, which every user may read).\n${lines(added)}`;
  const interpolated = renamed.length === 0 ? '' : `# The values the unit's command lines read where the names above hold others (env sets them), as\n# \${SUBVISOR_INTERPOLATED_NAME} (here rather than in the unit, which every user may read).\n${lines(renamed)}`;
  return header + lines(environment) + fromEnvironment + interpolated;
}

function targetUnit(config: Config, processes: readonly ProcessSpec[], prefix: string): string {
  const source = basename(shownConfigFile(config.file));
  const comments = [`Generated by \`subvisor export systemd\` from ${source}: \`systemctl start ${prefix}.target\` starts the stack, \`stop\` stops it.`];
  if (config.logs !== undefined) comments.push(`logs: not carried: journald keeps each unit's output (journalctl -u ${prefix}-NAME.service) and rotates it as journald.conf says; no log files are written.`);
  if (processes.length > 1) comments.push(`fail-fast: not translated: under subvisor a process that fails (no restart left) stops the stack; here the other units keep running (systemd stops a unit's dependents only when it is stopped by hand).`);
  return section(comments, [
    ['Unit', [`Description=${systemdLiteral(`${prefix}: the processes of ${source}`)}`, `Wants=${processes.map((spec) => `${prefix}-${spec.name}.service`).join(' ')}`]],
    ['Install', ['WantedBy=multi-user.target']],
  ]);
}

/** One unit's text: comment lines, then `[Section]`s of `Key=value` lines, a blank line between. */
function section(comments: readonly string[], sections: readonly (readonly [string, readonly string[]])[]): string {
  const head = comments.map((line) => `# ${printable(line)}\n`).join('');
  return head + sections.map(([name, lines]) => `[${name}]\n${lines.map((line) => `${line}\n`).join('')}`).join('\n');
}

function serviceUnit(spec: ProcessSpec, byName: ReadonlyMap<string, ProcessSpec>, awaited: AwaitedExits, config: Config, options: SystemdExportOptions, variables: UnitVariables): { text: string; probed: boolean } {
  const { prefix } = options;
  const notes = [`Generated by \`subvisor export systemd\` from ${basename(shownConfigFile(config.file))}: process ${spec.name}.`];
  if (spec.replica !== undefined) notes.push(`replicas: copy ${spec.replica.index} of ${spec.replica.of} (SUBVISOR_REPLICA=${spec.replica.index}), as \`subvisor up\` names and runs it.`);
  const oneshot = runsAsOneshot(spec, awaited);
  const waiters = awaited.get(spec.name);
  if (!spec.task && waiters !== undefined) {
    notes.push(`Type=oneshot, as for a task: ${waiters.join(', ')} ${waiters.length === 1 ? 'waits' : 'wait'} for ${spec.name}'s exit, and systemd orders a unit after a oneshot's whole run but after a service's start only.`);
  }
  const unit = [`Description=${systemdLiteral(`${prefix}: ${spec.name}`)}`, `PartOf=${prefix}.target`, ...dependencyLines(spec, prefix)];
  notes.push(...startedNotes(spec, byName, awaited));
  const restart = restartLines(spec, oneshot, notes);
  unit.push(...restart.unit);
  const cwd = unitWorkingDirectory(spec, config);
  const cwdWord = cwdByShell(spec, variables, notes);
  const readiness = readinessLines(spec, oneshot, options, notes, variables, cwdWord);
  const service = [
    ...(oneshot ? ['Type=oneshot', 'RemainAfterExit=yes'] : ['Type=exec']),
    `ExecStart=${commandLine(spec.name, commandWords(spec.cmd, spec.cmdParts), variables, cwd, cwdWord)}`,
    ...readiness,
    ...(cwdWord === undefined ? [`WorkingDirectory=${unitPath(spec, 'cwd', cwd)}`] : []),
    ...userLines(spec, notes),
    // No `Environment=` for `env`: its values are interpolated, so they may hold `.env`'s secrets
    // (`postgres://app:${DB_PASSWORD}@db`), and a unit is 0644 and its `Environment=` shown to every
    // user by `systemctl show`. The generated env file (0600) below holds them.
    // The files as subvisor read them, `-` so a target without them still starts: the generated
    // file below holds their variables already, and, read last, wins over them.
    ...(spec.envFiles ?? []).map((path) => `EnvironmentFile=-${unitPath(spec, 'envFile', path)}`),
    // The directory was checked once (exportSystemd), and a file name is made of safe characters.
    `EnvironmentFile=${systemdLiteral(`${options.unitDir}/${envFileName(prefix, spec)}`)}`,
    ...restart.service,
    'KillMode=control-group',
    `KillSignal=${spec.stopSignal ?? 'SIGTERM'}`,
    `TimeoutStopSec=${nonZeroSpan(stopGraceMs(spec))}`,
  ];
  otherNotes(spec, prefix, notes);
  const text = section(notes, [
    ['Unit', unit],
    ['Service', service],
    ['Install', [`WantedBy=${prefix}.target`]],
  ]);
  return { text, probed: readiness.length > 0 };
}

/** The directory a process's unit runs in (`WorkingDirectory=`): its cwd, else the config's directory, as under `up`. */
export function unitWorkingDirectory(spec: ProcessSpec, config: Config): string {
  return spec.cwd ?? configDirectory(config.file);
}

/**
 * The cwd as a word of a command line, `/srv/${TOKEN}`, when a variable whose value the unit leaves
 * to its env file (see ./unit-variables.ts) made it; else undefined, and `WorkingDirectory=` holds
 * it. systemd takes `WorkingDirectory=` as written, unexpanded, and `systemctl show` prints it to
 * every user, so such a cwd is entered by the shell that runs each command line
 * ({@link CD_THEN_EXEC}), given it as an argument, where systemd substitutes `${NAME}`.
 */
function cwdByShell(spec: ProcessSpec, variables: UnitVariables, notes: string[]): string | undefined {
  const parts = spec.cwdParts;
  const nameOf = (variable: Variable): string | undefined => variables.nameOf(variable);
  if (parts === undefined || !parts.some((part) => typeof part !== 'string' && nameOf(part) !== undefined)) return undefined;
  notes.push('cwd: holds a variable\'s value, which systemd would show to every user in WorkingDirectory=; each command line enters it with /bin/sh instead.');
  return systemdWordOf(parts, nameOf);
}

/**
 * A path as a unit's `WorkingDirectory=` or `EnvironmentFile=` takes it (`%` doubled). systemd
 * reads a setting up to the line's end and trims the blanks around it, and has no escape for
 * either in a path: a path with a control character (a line break) or a blank at an end would be
 * read as another, or as two lines, so it is refused.
 */
function unitPath(spec: ProcessSpec, key: 'cwd' | 'envFile', path: string): string {
  const problem = unitPathProblem(path);
  if (problem !== undefined) throw new ExportError('ERR_EXPORT_PATH', `process ${spec.name}: its ${key} ${JSON.stringify(path)} ${problem}, which a systemd unit cannot carry; rename the directory or file`);
  return systemdLiteral(path);
}

/** Why systemd would read `path` as another (see {@link unitPath}), or undefined. */
function unitPathProblem(path: string): string | undefined {
  if (/\p{Cc}/u.test(path)) return 'holds a control character';
  // systemd joins the next line to one that ends with a backslash (the next key would be lost).
  if (path.endsWith('\\')) return 'ends with a backslash';
  return path.trim() === path ? undefined : 'starts or ends with a blank';
}

/** One word of a command, as interpolation made it (see `ProcessSpec.cmdParts`). */
type Word = readonly InterpolatedPart[];

/**
 * The argv a command runs as (a string under `/bin/sh -c`), each word as interpolation made it
 * where `parts` has it, else as it is.
 */
function commandWords(cmd: ProcessSpec['cmd'], parts: readonly Word[] | undefined): Word[] {
  const argv = typeof cmd === 'string' ? ['/bin/sh', '-c', cmd] : cmd;
  const written = typeof cmd === 'string' ? [undefined, undefined, ...(parts ?? [])] : (parts ?? []);
  return argv.map((word, index) => {
    const pieces = written[index];
    return pieces !== undefined && joinParts(pieces) === word ? pieces : [word];
  });
}

/**
 * A string runs under `/bin/sh -c`, as `subvisor up` runs it; an array is argv. systemd takes a
 * program by absolute path or by bare name only, so a relative one (`./scripts/db.sh`, which `up`
 * finds from the process's cwd) is made absolute against `cwd`. A bare name that starts with one
 * of systemd's prefix characters is refused: systemd strips them even from a quoted word, and the
 * unit would run another program, or this one another way (`+` as root, `-` with failures ignored).
 */
function commandLine(owner: string, words: readonly Word[], variables: UnitVariables, cwd?: string, cwdWord?: string): string {
  const [first = [], ...args] = words;
  const nameOf = (variable: Variable): string | undefined => variables.nameOf(variable);
  // The shell enters the cwd first (see cwdByShell), and finds a relative program from there, as up does.
  if (cwdWord !== undefined) return [...CD_THEN_EXEC.map(systemdWord), cwdWord, ...words.map((word) => systemdWordOf(word, nameOf))].join(' ');
  const relative = cwd !== undefined && joinParts(first).includes('/') && !isAbsolute(joinParts(first));
  const path = relative ? resolve(cwd, joinParts(first)) : joinParts(first);
  const prefix = EXEC_PREFIX.exec(path)?.[0];
  if (prefix !== undefined) {
    throw new ExportError('ERR_EXPORT_PATH', `process ${owner}: its program ${JSON.stringify(path)} starts with ${JSON.stringify(prefix)}, which systemd reads as a prefix of ExecStart= even in quotes; give the program's absolute path`);
  }
  // systemd runs the program's path as it reads it, unexpanded: one that holds a variable's value
  // (a .env secret, see ./unit-variables.ts) would be in the unit for every user to read, so a
  // shell execs it, given it as an argument, where systemd substitutes `${NAME}`.
  const execByShell = first.some((part) => typeof part !== 'string' && nameOf(part) !== undefined);
  const argv = args.map((word) => systemdWordOf(word, nameOf));
  if (execByShell) {
    const program = relative ? [`${cwd}/`, ...first] : first;
    return [...EXEC_ARGUMENT.map(systemdWord), systemdWordOf(program, nameOf), ...argv].join(' ');
  }
  // systemd runs the path as written and substitutes `$` only in argv, so a path with a `$` is
  // written twice: `@PATH ARGV0`, the path as it is, argv[0] with its `$` doubled like every argument.
  const head = path.includes('$') ? [`@${systemdProgramPath(path)}`, systemdWord(path)] : [systemdWord(path)];
  return [...head, ...argv].join(' ');
}

/** A shell that execs its first argument with the rest: argv[0] is the path, as systemd would give it. */
const EXEC_ARGUMENT = ['/bin/sh', '-c', 'exec "$0" "$@"'];

/**
 * A shell that enters its first argument, then execs the rest; a cwd it cannot enter fails the
 * start, as it does under systemd and up. `-L`: a `..` in it is taken from the path as written, as
 * up resolves a cwd (and export its WorkingDirectory=); `-P` would take it from where a link on the
 * way leads, another directory (`config-link/../work`).
 */
const CD_THEN_EXEC = ['/bin/sh', '-c', 'cd -L -- "$0" && exec "$@"'];

/** The characters systemd reads as prefixes at the start of an `ExecStart=` program (systemd.service(5); `|` since systemd 258). */
const EXEC_PREFIX = /^[-@:+!|]/;

/** For each process a dependent waits on to exit (`succeeded`, `completed`): who waits, as `web (succeeded)`. */
type AwaitedExits = ReadonlyMap<string, readonly string[]>;

function awaitedExits(processes: readonly ProcessSpec[]): AwaitedExits {
  const awaited = new Map<string, string[]>();
  for (const spec of processes) {
    for (const { name, condition } of spec.dependsOn) {
      if (condition === 'succeeded' || condition === 'completed') awaited.set(name, [...(awaited.get(name) ?? []), `${spec.name} (${condition})`]);
    }
  }
  return awaited;
}

/**
 * Whether `spec` is a `Type=oneshot`: a task, or a process a dependent waits on to exit. systemd
 * orders a unit after another's start-up, which for a oneshot is its whole run and for a service
 * its start alone: `dependsOn: { build: succeeded }` on a `build` without `task: true` waits for
 * its exit 0 under up, and as `Type=exec` its dependents would start beside it.
 */
function runsAsOneshot(spec: ProcessSpec, awaited: AwaitedExits): boolean {
  return spec.task || awaited.has(spec.name);
}

/** `dependsOn`: `Requires=` (`Wants=` for `completed`, which a failure also meets) and `After=`. */
function dependencyLines(spec: ProcessSpec, prefix: string): string[] {
  return spec.dependsOn.flatMap((dependency) => {
    const unit = `${prefix}-${dependency.name}.service`;
    return [`${dependency.condition === 'completed' ? 'Wants' : 'Requires'}=${unit}`, `After=${unit}`];
  });
}

/**
 * `started` (and `ready` on a task) waits for less under subvisor than `After=` does under systemd,
 * which orders a unit after another's whole start-up: a oneshot's run to its end, a service's
 * `ExecStartPost=` probe.
 * Said in the unit, as the compose export says what it cannot carry, rather than changed in silence.
 */
function startedNotes(spec: ProcessSpec, byName: ReadonlyMap<string, ProcessSpec>, awaited: AwaitedExits): string[] {
  return spec.dependsOn.flatMap(({ name, condition }) => {
    const dependency = byName.get(name);
    if (dependency === undefined) return [];
    // A task's `ready` is met once it started (or its probe passed), well before its exit.
    if (runsAsOneshot(dependency, awaited) && (condition === 'started' || condition === 'ready')) {
      return [`dependsOn: ${name} ${condition} -> After= waits for ${name} to exit, and Requires= for it to succeed: systemd starts nothing after a oneshot before it has run.`];
    }
    if (condition !== 'started') return [];
    if (dependency.ready !== undefined && dependency.ready.kind !== 'log') return [`dependsOn: ${name} started -> After= waits for ${name}'s ExecStartPost= probe to pass: systemd orders units after the whole start-up.`];
    return [];
  });
}

/**
 * A time span for a systemd setting where 0 means "no limit at all": `TimeoutStopSec=0` never
 * sends SIGKILL. subvisor's 0 means the opposite (`grace: 0`: SIGKILL at once), so it is written
 * as the shortest span systemd takes.
 */
function nonZeroSpan(ms: number): string {
  return goDuration(Math.max(ms, 1));
}

/**
 * `restart`: `Restart=` and `RestartSec=` in [Service], the budget as a start limit in [Unit]:
 * `max` restarts are `max + 1` starts, within a window of `resetAfter` (after which subvisor
 * forgets the restarts) plus the waits between them.
 */
function restartLines(spec: ProcessSpec, oneshot: boolean, notes: string[]): { unit: string[]; service: string[] } {
  const restart: RestartPolicy = spec.restart;
  // systemd refuses Restart=always on a oneshot; for a task it means on-failure anyway (SPEC §9).
  const policy = oneshot && restart.policy === 'always' ? 'on-failure' : restart.policy;
  if (policy === 'no') return { unit: [], service: ['Restart=no'] };
  if (policy !== restart.policy) {
    notes.push(spec.task ? 'restart: always is on-failure for a task, which is never restarted after success.' : 'restart: always is on-failure for a oneshot (systemd refuses always there): after an exit 0, which subvisor restarts, it stays exited.');
  }
  if (restart.maxBackoffMs > restart.backoffMs) notes.push(`restart: systemd waits RestartSec= every time; subvisor's doubling up to maxBackoff ${goDuration(restart.maxBackoffMs)} is not translated.`);
  return {
    unit: startLimitLines(restart, notes),
    service: [`Restart=${policy}`, `RestartSec=${goDuration(restart.backoffMs)}`, ...(policy === 'on-failure' && !oneshot ? [`RestartForceExitStatus=${CLEAN_DAEMON_SIGNALS}`] : [])],
  };
}

/** The most starts `StartLimitBurst=` takes (an unsigned int). */
const START_LIMIT_BURST_MAX = 2 ** 32 - 1;
/**
 * The longest span written as a number: systemd reads microseconds in 64 bits (5.8e5 years), and
 * past 2^53 ms (2.9e5 years) our arithmetic is no longer exact; `infinity` says the same.
 */
const SYSTEMD_SPAN_MAX_MS = Number.MAX_SAFE_INTEGER;

/**
 * The restart budget as a start limit: `max` restarts are `max + 1` starts, within a window of
 * `resetAfter` plus the waits between them. systemd ignores a number it cannot hold (a line it
 * ignores leaves its default, 5 starts in 10 s, far fewer than asked), so a window past its
 * longest span is `infinity`, and a budget past the most starts it counts is no start limit.
 */
function startLimitLines(restart: RestartPolicy, notes: string[]): string[] {
  if (restart.max + 1 > START_LIMIT_BURST_MAX) {
    notes.push(`restart: max ${restart.max} is more starts than systemd counts (${START_LIMIT_BURST_MAX}), so the unit has no start limit.`);
    return ['StartLimitIntervalSec=0'];
  }
  const windowMs = restart.resetAfterMs + restart.max * restart.backoffMs;
  return [`StartLimitIntervalSec=${windowMs > SYSTEMD_SPAN_MAX_MS ? 'infinity' : goDuration(windowMs)}`, `StartLimitBurst=${restart.max + 1}`];
}

/**
 * The deaths systemd counts as a service's clean exit (for a oneshot, only exit 0 is): its
 * `Restart=on-failure` restarts none of them. Under subvisor a death by a signal it did not send
 * is a failure, and on-failure restarts it (a server killed by SIGPIPE on a closed socket, by a
 * `kill` from outside); `RestartForceExitStatus=` restarts them too, never after a stop asked for.
 */
const CLEAN_DAEMON_SIGNALS = 'SIGHUP SIGINT SIGTERM SIGPIPE';

/**
 * `ready`: an http, tcp or exec probe becomes an `ExecStartPost=` that runs `subvisor probe` until
 * it passes, so the unit is active (and its `After=` dependents start) only once it is ready.
 */
function readinessLines(spec: ProcessSpec, oneshot: boolean, options: SystemdExportOptions, notes: string[], variables: UnitVariables, cwdWord: string | undefined): string[] {
  const ready = spec.ready;
  if (ready === undefined) return [];
  if (ready.kind === 'log') {
    notes.push(droppedLogNote(spec) ?? '');
    return [];
  }
  if (oneshot) {
    notes.push(`ready: ${describeProbe(ready)} is not translated: a oneshot is ready when it has exited.`);
    return [];
  }
  const probe: OutsideProbe = ready;
  const deadlineMs = exportedReadyDeadlineMs(spec);
  notes.push(`ready: ${describeProbe(probe)} -> ExecStartPost= runs \`subvisor probe\` until it passes (systemd has no such readiness of its own).`);
  const untranslated = [
    ...(probe.timeoutMs === DEFAULT_PROBE_TIMEOUT_MS ? [] : [`timeout ${goDuration(probe.timeoutMs)}`]),
    ...(probe.startPeriodMs === 0 ? [] : [`startPeriod ${goDuration(probe.startPeriodMs)}`]),
  ];
  if (untranslated.length > 0) {
    notes.push(`ready: the probe's ${untranslated.join(' and ')} ${untranslated.length > 1 ? 'are' : 'is'} not translated: \`subvisor probe\` tries at once, each try cut at ${goDuration(DEFAULT_PROBE_TIMEOUT_MS)} or the deadline.`);
  }
  const nameOf = (variable: Variable): string | undefined => variables.nameOf(variable);
  const words = [[options.nodePath], [options.cliPath], ['probe'], ...probeArgumentWords(probe, deadlineMs, nameOf)];
  return [`ExecStartPost=${commandLine(spec.name, words, variables, undefined, cwdWord)}`, `TimeoutStartSec=${goDuration(deadlineMs + START_TIMEOUT_SLACK_MS)}`];
}

/** The kernel's overflow uid: `nobody` on every Linux. */
const NOBODY_UID = 65_534;

/**
 * `User=`, by name: the target's passwd gives its uid, as ours did here. But `nobody` is written
 * as its number, the same user on every Linux (the kernel's overflow uid): by name, systemd-analyze
 * verify warns of it ("Special user nobody configured, this is not safe!"), and the unit says why.
 */
function userLines(spec: ProcessSpec, notes: string[]): string[] {
  const { user } = spec;
  if (user === undefined) return [];
  if (user.name !== 'nobody' || user.uid !== NOBODY_UID) return [`User=${systemdLiteral(user.name)}`];
  notes.push(`user: nobody is written as its uid, ${NOBODY_UID}: systemd warns of the name, since what one service running as nobody writes, every other one can change (DynamicUser=yes gives a service a user of its own).`);
  return [`User=${NOBODY_UID}`];
}

/** What has no systemd equivalent, said in the unit rather than silently lost. */
function otherNotes(spec: ProcessSpec, prefix: string, notes: string[]): void {
  if (spec.liveness !== undefined) notes.push('liveness: not translated: systemd restarts a service when it exits; a hung one needs WatchdogSec= and sd_notify.');
  if (spec.watch !== undefined) notes.push('watch: not carried: systemd does not restart a unit when its files change (a .path unit with PathChanged= can; none is written).');
  if (spec.main) notes.push(`main: not translated: ${prefix}.target stays up when ${spec.name} exits; \`systemctl stop ${prefix}.target\` ends the stack.`);
}
