import { loggerProblem, type LevelMethodLogger } from '../log/structural.js';

/**
 * A `log` method of any shape: the last fallback of the relay (`console.log(line)`), yet the
 * package's own `Logger.log(level, message)` and winston's take other arguments, and a logger
 * must not be refused for a method it is not asked to use in that way.
 */
interface AnyLog {
  readonly log?: (...args: never[]) => unknown;
}
import { commandInMessage, describeCommand, escapeControlCharacters } from './command.js';
import { LIFECYCLE_LOG, lifecycleLog, type LifecycleLog } from './lifecycle-log.js';
import { RUN_PROCESS_KEYS, describe, refuseUnknownKeys, resolveCommonOptions, resolveStdin, validateBoolean, validateMs, validateOutput, type OutputOption, type ResolvedRunOptions, type RunProcessOptions } from './options.js';
import { resolveMaxLineBytes } from './output/lines.js';
import type { PassThroughDestination } from './output/passthrough.js';
import type { Process } from './process.js';
import { compileReadyWhen, type ReadyWhen } from './readiness.js';
import { resolveRelayTarget, type OutputLine, type RelayTarget } from './relay.js';
import { invalidArgument } from '../caller-errors.js';
import { normalise } from './suggest.js';

/**
 * Options of {@link superviseRunProcess}. Every {@link RunProcessOptions} option not managed here
 * is forwarded as is (`cwd`, `env`, `shell`, `argv0`, `uid`, `gid`, `groups`, `signal`, `killGraceMs`,
 * `drainGraceMs`, `newSession`, `stopSignal`, `deliverCancel`). The managed keys win on conflict
 * (SPEC §3): stdin is always /dev/null whatever `stdin` says, and a relayed stream is read line by
 * line whatever `stdout`/`stderr` say. Unknown keys are a `TypeError`.
 *
 * `Level` is the `relayLevel` given, so that `logger` is checked for that method (inferred from
 * a call's options). Written without it (`const opts: SuperviseOptions = …`), or with a level only
 * known at run time (a `string`), any level is accepted and the logger is checked when it is used.
 */
export interface SuperviseOptions<Level extends string = string> extends Omit<RunProcessOptions, 'stdin' | 'stdout' | 'stderr' | 'captureStdout' | 'captureStderr' | 'maxCaptureBytes'> {
  /** Raise {@link CalledProcessError} when the child exits non-zero on its own. Default true. */
  check?: boolean | undefined;
  /** The child's name in relayed lines (`[label:out] line`), in {@link OutputLine}s, in the log and in errors. Default: the command joined by spaces, cut after 1000 characters. Its control characters, a given label's too, are written as escapes (`\n`, `\e`), so the tag in front of each line stays on it. */
  label?: string | undefined;
  /** Relay each stdout line, as it arrives, to `onLine` (else `logger[relayLevel]`). Default false. */
  relayStdout?: boolean | undefined;
  /** Relay each stderr line, as it arrives, to `onLine` (else `logger[relayLevel]`). Default false. */
  relayStderr?: boolean | undefined;
  /**
   * Receives each relayed line as an {@link OutputLine}, of the streams `relayStdout`/`relayStderr`
   * select; the logger and `relayLevel` are then not used for lines. It runs on the line's arrival;
   * a slow one makes the child wait, and so does one that returns a promise: the pipe is not read
   * until it settles (backpressure, e.g. from a full output stream). One that throws (or whose
   * promise rejects) stops the child and fails the call. Default: none, the lines go to the logger.
   * Typed as SPEC writes it, `=> void`, which an arrow that returns something
   * (`(event) => lines.push(event)`) is (`void | Promise<void>` refused it), or as one that returns
   * a promise, which lint rules against promises given where `void` is expected accept.
   */
  onLine?: ((event: OutputLine) => void) | ((event: OutputLine) => Promise<void>) | undefined;
  /**
   * The logger method relayed lines go to. Default `'io'` (21): just above `info`, so it shows at
   * the usual verbosity yet stays filterable on its own; a logger without `io` then gets `info`
   * (else `log`), so `console` works. A level given explicitly that the logger lacks is an error.
   */
  relayLevel?: Level | undefined;
  /**
   * Anything with a method named like `relayLevel` (a pino logger, `console`, a test's capture).
   * Lifecycle records go to its `runtime` and `warning` methods when it has them. Default: `getLogger()`.
   */
  logger?: (string extends Level ? object : LevelMethodLogger<NoInfer<Level> | 'info' | 'runtime' | 'warning'> & AnyLog) | undefined;
  /**
   * Where stdout goes when it is not relayed: `'ignore'` (/dev/null), `'inherit'`, or an fd.
   * Default `'ignore'`, so a child cannot draw on the parent's terminal. With `readyWhen`, stdout
   * is read (to find the ready line) and its bytes passed on. `'pipe'` only with `relayStdout`
   * (which reads it; without, nothing would: refused). With `relayStdout`, the relay wins.
   */
  stdout?: OutputOption | 'pipe' | undefined;
  /**
   * Where stderr goes when it is not relayed: `'ignore'`, `'inherit'`, or an fd. Default
   * `'ignore'`. stderr is read all the same, its last 16 KiB kept (`CompletedProcess.stderr`, a
   * failure's note) and its bytes passed on. `'pipe'` only with `relayStderr`, as for `stdout`.
   */
  stderr?: OutputOption | 'pipe' | undefined;
  /**
   * Delay `started(proc)` until a line of stdout or stderr (relayed or not) passes: a RegExp, or a
   * synchronous predicate (an async one is refused). A child that exits first fails `start()`
   * with {@link ExitedBeforeReadyError}; one that closes its stdout and stderr first and still
   * runs 500 ms later is stopped, and `start()` fails with `OutputClosedBeforeReadyError`.
   * Default: ready once spawned.
   */
  readyWhen?: ReadyWhen | undefined;
  /** Fail `start()` with `ReadyTimeoutError` (and stop the child) if not ready in time: a bound on the wait for `readyWhen`, so without one it has nothing to bound. Default: no limit. */
  readyTimeoutMs?: number | undefined;
  /** Longest relayed line, in UTF-8 bytes; longer ones are relayed in pieces. Default 1 MiB. */
  maxLineBytes?: number | undefined;
  /**
   * Called with the live {@link Process} the moment it has spawned, before it is ready: for a
   * pid in a log line, or a status display. Default: none.
   */
  onSpawn?: ((proc: Process) => void) | undefined;
  /**
   * Default, and always: /dev/null. Accepted for runProcess's sake and overridden, so that a
   * supervised child cannot steal the terminal's input (use runProcess to feed a short command).
   */
  stdin?: RunProcessOptions['stdin'];
}

/**
 * Set to true, the child reads the parent's stdin instead of /dev/null: how the command line's
 * `run` hands its one child the pipe or file it was given (`producer | subvisor run -- consumer`),
 * never a terminal. A symbol, so it is no option a user can name: for them a supervised child's
 * stdin stays /dev/null (SPEC §3). @internal
 */
export const INHERIT_STDIN: unique symbol = Symbol('subvisor.inheritStdin');

/**
 * Set to true, a child that closes its stdout and stderr before a `readyWhen` line is not failed
 * for it (see `OutputClosedBeforeReadyError`): its exit, or `readyTimeoutMs`, decides, as before.
 * For the command line's readiness that is not a condition of success: `run --ready` (optional)
 * and a task (whose exit 0 is its success). A symbol, so it is no option a user can name. @internal
 */
export const OUTPUT_CLOSED_WAITS: unique symbol = Symbol('subvisor.outputClosedWaits');

/** The runProcess options a supervised child does not take: nothing is captured. */
const NOT_FORWARDED = new Set(['captureStdout', 'captureStderr', 'maxCaptureBytes']);

const SUPERVISE_KEYS: Readonly<Record<keyof SuperviseOptions, true>> = {
  ...(Object.fromEntries(Object.keys(RUN_PROCESS_KEYS).filter((key) => !NOT_FORWARDED.has(key)).map((key) => [key, true])) as Record<keyof Omit<RunProcessOptions, 'captureStdout' | 'captureStderr' | 'maxCaptureBytes'>, true>),
  label: true,
  relayStdout: true,
  relayStderr: true,
  onLine: true,
  relayLevel: true,
  logger: true,
  readyWhen: true,
  readyTimeoutMs: true,
  maxLineBytes: true,
  onSpawn: true,
};

/** One stream of the child: read or not, relayed or not, and where its bytes go on. */
export interface StreamPlan {
  readonly relayed: boolean;
  /** Passed on after reading, when read only for readiness or the tail. */
  readonly passOn: PassThroughDestination | undefined;
}

/** Everything superviseRunProcess needs, checked and with its defaults, before anything spawns. */
export interface Supervision {
  readonly options: ResolvedRunOptions;
  readonly label: string;
  /** How an error names the child: the `label` given (its control characters escaped), else the command as {@link commandInMessage} quotes it. */
  readonly nameInMessages: string;
  readonly check: boolean;
  readonly stdout: StreamPlan;
  readonly stderr: StreamPlan;
  readonly relay: RelayTarget | undefined;
  readonly readyWhen: ((line: string) => boolean) | undefined;
  /** How `readyWhen` is named in messages. */
  readonly readyWhenText: string;
  readonly readyTimeoutMs: number;
  /** Whether a child whose every read pipe ended before a ready line fails for it (see {@link OUTPUT_CLOSED_WAITS}). */
  readonly outputClosedFails: boolean;
  readonly maxLineBytes: number;
  readonly onSpawn: ((proc: Process) => void) | undefined;
  readonly log: LifecycleLog;
}

const WHERE = 'superviseRunProcess';

/** Checks the options of superviseRunProcess; throws a TypeError/RangeError naming what to use instead. */
export function resolveSupervision(cmd: unknown, opts: SuperviseOptions): Supervision {
  refuseFootguns(opts);
  refuseUnknownKeys(WHERE, opts, SUPERVISE_KEYS);
  validateManagedKeys(opts);
  const relayStdout = validateBoolean(WHERE, 'relayStdout', opts.relayStdout, false);
  const relayStderr = validateBoolean(WHERE, 'relayStderr', opts.relayStderr, false);
  const check = validateBoolean(WHERE, 'check', opts.check, true);
  const readyWhen = compileReadyWhen(WHERE, opts.readyWhen);
  if (opts.onSpawn !== undefined && typeof opts.onSpawn !== 'function') throw invalidArgument(`${WHERE}: onSpawn must be a function, got ${describe(opts.onSpawn)}`);
  if (opts.label !== undefined && typeof opts.label !== 'string') throw invalidArgument(`${WHERE}: label must be a string, got ${describe(opts.label)}`);
  const loggerIsWrong = opts.logger === undefined ? undefined : loggerProblem(opts.logger);
  if (loggerIsWrong !== undefined) throw invalidArgument(`${WHERE}: logger ${loggerIsWrong}; leave it out for subvisor's own`);
  const relay = relayStdout || relayStderr ? resolveRelayTarget(WHERE, opts) : undefined;
  // 'pipe' got past refuseFootguns only beside its relay, which reads that pipe: nothing to pass on.
  const given = { stdout: opts.stdout === 'pipe' ? undefined : opts.stdout, stderr: opts.stderr === 'pipe' ? undefined : opts.stderr };
  const stdout = streamPlan(relayStdout, readyWhen !== undefined, given.stdout);
  // stderr is always read: its tail is part of how the child ended (CompletedProcess.stderr, with
  // `check: false` too, SPEC §8), and what makes a failure legible.
  const stderr = streamPlan(relayStderr, true, given.stderr);
  const stdin = (opts as { [INHERIT_STDIN]?: unknown })[INHERIT_STDIN] === true ? 'inherit' : 'ignore';
  const options = resolveCommonOptions(WHERE, cmd, { ...opts, ...given, stdin, check }, {
    stdout: relayStdout || readyWhen !== undefined ? 'pipe' : (given.stdout ?? 'ignore'),
    stderr: 'pipe',
  });
  // A given label is shown as the default one is, its control characters escaped: the one place
  // that keeps it from breaking a relayed line, a log record or a message in two (a raw `\n`).
  const label = opts.label === undefined ? describeCommand(options.cmd) : escapeControlCharacters(opts.label);
  return {
    options,
    label,
    nameInMessages: opts.label === undefined ? commandInMessage(options.cmd) : label,
    check,
    stdout,
    stderr,
    relay,
    readyWhen,
    readyWhenText: String(opts.readyWhen),
    readyTimeoutMs: validateMs(WHERE, 'readyTimeoutMs', opts.readyTimeoutMs, Infinity),
    outputClosedFails: (opts as { [OUTPUT_CLOSED_WAITS]?: unknown })[OUTPUT_CLOSED_WAITS] !== true,
    maxLineBytes: resolveMaxLineBytes(opts.maxLineBytes, WHERE),
    onSpawn: opts.onSpawn,
    log: givenLifecycleLog(opts) ?? lifecycleLog(label, opts.logger),
  };
}

/** The command line's own {@link LifecycleLog}, when it gave one (see {@link LIFECYCLE_LOG}). */
function givenLifecycleLog(opts: object): LifecycleLog | undefined {
  const given: unknown = (opts as { [LIFECYCLE_LOG]?: unknown })[LIFECYCLE_LOG];
  return typeof given === 'object' && given !== null ? (given as LifecycleLog) : undefined;
}

function streamPlan(relayed: boolean, needed: boolean, destination: OutputOption | undefined): StreamPlan {
  const passOn = !relayed && needed && destination !== undefined && destination !== 'ignore' ? destination : undefined;
  return { relayed, passOn };
}

/**
 * The managed keys win on conflict, but what they are given must still mean something: a value no
 * stream could take (`stdin: {}`, `stderr: -7`) is a mistake to point at, whether or not the
 * managed value then overrides it (`stdin: 'pipe'` only says what /dev/null replaces, so it passes).
 */
function validateManagedKeys(opts: SuperviseOptions): void {
  if (opts.stdin !== undefined && opts.stdin !== 'pipe') resolveStdin(WHERE, opts.stdin);
  for (const name of ['stdout', 'stderr'] as const) if (opts[name] !== undefined) validateOutput(WHERE, name, opts[name]);
}

function refuseFootguns(opts: SuperviseOptions): void {
  if (typeof opts !== 'object' || (opts as unknown) === null) throw invalidArgument(`${WHERE}: options must be an object, got ${describe(opts)}`);
  const loose = opts as Record<string, unknown>;
  for (const name of ['stdout', 'stderr'] as const) {
    const relayKey = name === 'stdout' ? 'relayStdout' : 'relayStderr';
    // With its relay on, the pipe is read line by line: what 'pipe' asks is what happens.
    if (loose[name] === 'pipe' && loose[relayKey] !== true) {
      // stderr is read all the same (its tail is kept), so for it 'pipe' is a wish for lines nothing hands out.
      const why = name === 'stdout' ? 'would leave a pipe nobody reads, and the child would block once it fills' : 'asks for its lines, and without its relay nothing hands them out (its last 16 KiB are kept all the same)';
      throw invalidArgument(`${WHERE}: ${name}: 'pipe' ${why}; use ${relayKey}: true to read it line by line`);
    }
  }
  refuseCapture(loose);
}

/** runProcess's capture options, which a supervised child does not take, by the name each was given under. */
const CAPTURE_KEYS: ReadonlyMap<string, { readonly key: string; readonly instead: string }> = new Map([
  ['capturestdout', { key: 'captureStdout', instead: 'relayStdout: true to receive it line by line' }],
  ['capturestderr', { key: 'captureStderr', instead: 'relayStderr: true to receive it line by line (its last 16 KiB are kept all the same, as CompletedProcess.stderr)' }],
  ['maxcapturebytes', { key: 'maxCaptureBytes', instead: 'maxLineBytes to bound each relayed line' }],
  ['maxbuffer', { key: 'maxCaptureBytes', instead: 'maxLineBytes to bound each relayed line' }],
]);

/** Matched up to case, `_` and `-`, so `capture_stdout` is told the same as `captureStdout`. */
function refuseCapture(loose: Record<string, unknown>): void {
  for (const given of Object.keys(loose)) {
    const capture = CAPTURE_KEYS.get(normalise(given));
    if (capture === undefined || loose[given] === undefined) continue;
    throw invalidArgument(
      `${WHERE}: ${given} is not supported (a supervised child may run for days, so its output is not held in memory); use ${capture.instead}, or runProcess(cmd, { ${capture.key}: ... }) for a short command`,
    );
  }
}
