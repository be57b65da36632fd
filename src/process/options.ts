import { node } from '../builtins.js';
import { validateSignal } from '../core/scope.js';
import type { Process } from './process.js';
import { normalise, suggest } from './suggest.js';
import { invalidArgument, outOfRange } from '../caller-errors.js';
import { cutText } from '../log/cut-text.js';
import { envVariables } from './spawn/exec-args.js';

/**
 * Where the child's stdin comes from: `'ignore'` (/dev/null), `'inherit'` (the parent's stdin), an
 * fd, or the bytes to feed it (a string is sent as UTF-8; a Buffer, Uint8Array, DataView or other
 * typed array as the bytes it views, as a stream write takes them; the keywords are keywords, so
 * send the literal text "ignore" as a Buffer). `'pipe'` is refused: nothing would write to it, and
 * so is a bare `ArrayBuffer` (wrap it: `new Uint8Array(buffer)`).
 */
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the keywords are listed for the reader and for editors' completion
export type StdinOption = 'ignore' | 'inherit' | number | string | NodeJS.ArrayBufferView;
/** Where an output stream goes when it is neither captured nor relayed. */
export type OutputOption = 'ignore' | 'inherit' | number;

/** Options of {@link runProcess}; each default is the one listed. */
export interface RunProcessOptions {
  /**
   * The child's stdin. Default `'ignore'` (/dev/null): a child that unexpectedly reads gets EOF at
   * once instead of stealing the terminal's input or hanging. Bytes or a string are written to a
   * pipe, which is then closed; a child that exits without reading them is not an error.
   */
  stdin?: StdinOption | undefined;
  /** Collect stdout into `CompletedProcess.stdout` (bounded by `maxCaptureBytes`). Default false. */
  captureStdout?: boolean | undefined;
  /** Collect stderr into `CompletedProcess.stderr` (bounded by `maxCaptureBytes`). Default false. */
  captureStderr?: boolean | undefined;
  /** Where stdout goes when not captured. Default `'inherit'` (trio's `run_process` default). */
  stdout?: OutputOption | undefined;
  /** Where stderr goes when not captured. Default `'inherit'`. */
  stderr?: OutputOption | undefined;
  /**
   * Most bytes held per captured stream. Default 64 MiB. Crossing it stops the child and rejects
   * with `OutputLimitError`: a clear error instead of an out-of-memory crash.
   */
  maxCaptureBytes?: number | undefined;
  /** Reject with `CalledProcessError` on a non-zero status. Default true: errors should never pass silently. */
  check?: boolean | undefined;
  /** Run `cmd` (a string) through `/bin/sh -c`, or through the shell named. Default false. */
  shell?: boolean | string | undefined;
  /** Working directory. Default: the parent's. */
  cwd?: string | URL | undefined;
  /**
   * The child's whole environment: it replaces the parent's, as `child_process` does (not merged
   * into it, as execa does; `{ ...process.env, FOO: '1' }` adds one). A variable set to `undefined`
   * is left out; a number or boolean is made a string; `null` or an object as a value is a
   * `TypeError`, and so is an env that keeps its entries where child_process does not look (a Map,
   * a Set, URLSearchParams, an array). Inherited variables count, as child_process reads them:
   * `Object.create(process.env)` with a few set is the whole environment. Default: the parent's
   * `process.env`.
   */
  env?: NodeJS.ProcessEnv | undefined;
  /** `argv[0]` seen by the child. Default: the command itself. */
  argv0?: string | undefined;
  /**
   * User id to run as. Default: the parent's. A child run as another user or group finds
   * `/dev/null` on each fd above stderr that this process inherited open (not close-on-exec).
   */
  uid?: number | undefined;
  /** Group id to run as. Default: the parent's. */
  gid?: number | undefined;
  /**
   * Supplementary group ids of the child (what `id -G` lists besides its gid), as `initgroups`
   * gives a user under systemd's `User=` or `su`: a service user in `ssl-cert` reads the keys that
   * group may. Needs root and util-linux's `setpriv` (Node's own spawn can only clear them).
   * Default: none when `uid` or `gid` is given (Node's spawn drops them), else the parent's.
   */
  groups?: readonly number[] | undefined;
  /** Cancels the run (stopping the child) when it aborts; combined with the implicit scope. Default: none. */
  signal?: AbortSignal | undefined;
  /**
   * On cancellation or `Process.stop()` the child's process group gets `stopSignal` (or
   * `deliverCancel` runs), then SIGKILL this many milliseconds after the stop began (trio's default
   * `deliver_cancel`). Default 5000.
   */
  killGraceMs?: number | undefined;
  /**
   * How long to keep draining after the child exited while something it left behind still holds
   * a pipe open; then the leftovers are stopped like a cancelled child. Default 2000.
   */
  drainGraceMs?: number | undefined;
  /**
   * Start the child in a new session: no controlling terminal, and its own process group, so that
   * stopping it stops everything it started. Default true. With `false` only the child itself is
   * signalled, and what it starts can outlive the scope.
   */
  newSession?: boolean | undefined;
  /**
   * The signal that asks the child's group to stop, on cancellation or `Process.stop()`; SIGCONT
   * follows it, so a suspended child hears it too. Default `'SIGTERM'`.
   */
  stopSignal?: NodeJS.Signals | undefined;
  /**
   * trio's `deliver_cancel`: replaces the first step of a stop (sending `stopSignal`), e.g. with a
   * shutdown command or an HTTP request. It runs outside the cancelled scope, so it may itself run
   * a process. Once the group is gone it is abandoned (its own scope cancelled) and not waited for,
   * so a hook that ignores the cancellation cannot hold the scope open; the processes it started
   * are stopped by that cancellation, each with its own grace, and waited for (at most
   * `killGraceMs` or 5 s, whichever is longer). SIGKILL to the group still follows `killGraceMs`
   * after the stop began, whatever it does. If it throws, the stop signal is sent at once.
   * `proc.stop()` called from it on its own process (`(p) => p.stop()`) sends `stopSignal` to the
   * group, the step the hook replaces, and resolves with the stop as ever: it would otherwise wait
   * on the very stop it is the first step of, and the child would hear nothing until the SIGKILL.
   * Default: none.
   */
  deliverCancel?: ((proc: Process) => void | Promise<void>) | undefined;
}

/** Every option of {@link RunProcessOptions}: unknown keys are refused against this list. */
export const RUN_PROCESS_KEYS: Readonly<Record<keyof RunProcessOptions, true>> = {
  stdin: true,
  captureStdout: true,
  captureStderr: true,
  stdout: true,
  stderr: true,
  maxCaptureBytes: true,
  check: true,
  shell: true,
  cwd: true,
  env: true,
  argv0: true,
  uid: true,
  gid: true,
  groups: true,
  signal: true,
  killGraceMs: true,
  drainGraceMs: true,
  newSession: true,
  stopSignal: true,
  deliverCancel: true,
};


export const DEFAULT_KILL_GRACE_MS = 5000;
export const DEFAULT_DRAIN_GRACE_MS = 2000;
export const DEFAULT_MAX_CAPTURE_BYTES = 64 * 1024 * 1024;

/** What spawning needs, with every default resolved. */
export interface ResolvedRunOptions {
  readonly cmd: readonly string[] | string;
  readonly shell: boolean | string;
  readonly cwd: string | URL | undefined;
  readonly env: NodeJS.ProcessEnv | undefined;
  readonly argv0: string | undefined;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  /** Supplementary groups to give the child; undefined: as Node's spawn leaves them. */
  readonly groups: readonly number[] | undefined;
  readonly stdin: 'ignore' | 'inherit' | number | 'pipe';
  readonly input: Buffer | undefined;
  readonly stdout: OutputOption | 'pipe';
  readonly stderr: OutputOption | 'pipe';
  readonly signal: AbortSignal | undefined;
  readonly killGraceMs: number;
  readonly drainGraceMs: number;
  readonly newSession: boolean;
  readonly check: boolean;
  readonly stopSignal: NodeJS.Signals;
  readonly deliverCancel: ((proc: Process) => void | Promise<void>) | undefined;
}

/** Checks `cmd` and the options shared by runProcess and superviseRunProcess; throws TypeError/RangeError. */
export function resolveCommonOptions(
  where: string,
  cmd: unknown,
  opts: RunProcessOptions,
  streams: { stdout: OutputOption | 'pipe'; stderr: OutputOption | 'pipe' },
): ResolvedRunOptions {
  const given: unknown = opts; // JavaScript callers and parsed config can pass anything
  if (typeof given !== 'object' || given === null) throw invalidArgument(`${where}: options must be an object, got ${describe(given)}`);
  if (opts.deliverCancel !== undefined && typeof opts.deliverCancel !== 'function') {
    throw invalidArgument(`${where}: deliverCancel must be a function of the Process, got ${describe(opts.deliverCancel)}`);
  }
  const shell = opts.shell ?? false;
  if (typeof shell !== 'boolean' && typeof shell !== 'string') throw invalidArgument(`${where}: shell must be a boolean or a shell path, got ${describe(shell)}`);
  const command = validateCommand(where, cmd, shell !== false);
  const { stdin, input } = resolveStdin(where, opts.stdin);
  if (opts.cwd !== undefined && typeof opts.cwd !== 'string' && !(opts.cwd instanceof URL)) throw invalidArgument(`${where}: cwd must be a string or URL, got ${describe(opts.cwd)}`);
  const env: unknown = opts.env;
  if (env !== undefined) validateEnv(where, env);
  if (opts.argv0 !== undefined && typeof opts.argv0 !== 'string') throw invalidArgument(`${where}: argv0 must be a string, got ${describe(opts.argv0)}`);
  for (const key of ['uid', 'gid'] as const) {
    const id = opts[key];
    if (id !== undefined && !(Number.isInteger(id) && id >= 0)) throw invalidArgument(`${where}: ${key} must be a non-negative integer, got ${describe(id)}`);
  }
  const groups = validateGroups(where, opts.groups);
  if (groups !== undefined && opts.argv0 !== undefined) throw invalidArgument(`${where}: groups cannot be combined with argv0 (the groups are set by setpriv, which cannot set argv[0]); drop one of them`);
  return {
    cmd: command,
    shell,
    cwd: opts.cwd,
    env: opts.env,
    argv0: opts.argv0,
    uid: opts.uid,
    gid: opts.gid,
    groups,
    stdin,
    input,
    stdout: validateOutput(where, 'stdout', streams.stdout),
    stderr: validateOutput(where, 'stderr', streams.stderr),
    signal: validateSignal(opts.signal, where),
    killGraceMs: validateMs(where, 'killGraceMs', opts.killGraceMs, DEFAULT_KILL_GRACE_MS),
    drainGraceMs: validateMs(where, 'drainGraceMs', opts.drainGraceMs, DEFAULT_DRAIN_GRACE_MS),
    newSession: validateBoolean(where, 'newSession', opts.newSession, true),
    check: validateBoolean(where, 'check', opts.check, true),
    stopSignal: validateStopSignal(where, opts.stopSignal),
    deliverCancel: opts.deliverCancel,
  };
}

/**
 * Refuses option keys the function does not know, as Python refuses an unexpected keyword
 * argument: a misspelt `killGraceMS` or another library's `timeout` would otherwise be ignored in
 * silence, and the child would run without the limit its caller believes it has.
 */
export function refuseUnknownKeys(where: string, opts: object, known: Readonly<Record<string, true>>): void {
  // execa's and child_process's order, (file, args): the arguments would be options "0", "1"...
  if (Array.isArray(opts)) {
    throw invalidArgument(`${where}: options must be an object, got an array; the program and its arguments go together, first: ${where}(['echo', 'hi'])`);
  }
  for (const key of Object.keys(opts)) {
    if (Object.hasOwn(known, key)) continue;
    throw invalidArgument(`${where}: unknown option ${JSON.stringify(key)}${unknownKeyHint(where, key, opts, known)}`);
  }
}

/** What to write instead of an unknown key: the word it stands for elsewhere, else the nearest option, else them all. */
function unknownKeyHint(where: string, key: string, opts: object, known: Readonly<Record<string, true>>): string {
  const word = normalise(key);
  if (DEADLINE_WORDS.has(word)) return '; for a deadline, wrap the call: failAfter(ms, (signal) => ...) (TooSlowError), or pass signal: AbortSignal.timeout(ms)';
  if (word === 'stdio') return stdioHint(where);
  if (isTaskContext(opts)) return taskContextHint(where);
  const nearest = suggest(key, Object.keys(known), OTHER_LIBRARIES_WORDS);
  // Nothing close: then every option is named, so the one meant is among them all the same.
  return nearest === undefined ? `; the options are ${Object.keys(known).join(', ')}` : `; did you mean ${JSON.stringify(nearest)}?`;
}

/**
 * Kept out of the options by type: a task's context (`superviseRunProcess(cmd, ctx)`, the `{}`
 * before it forgotten). The options are all optional and a context's `signal` is one of them, so
 * TypeScript let it through; with this it is a type error, as {@link refuseUnknownKeys} makes it a
 * `TypeError` at run time.
 */
export interface NotATaskContext {
  /** Not an option: `started` is a task context's, which goes third to `superviseRunProcess`, and to `runProcess` not at all. */
  readonly started?: never;
}

/**
 * A task's context passed as the options (`superviseRunProcess(cmd, ctx)`, the `{}` before it
 * forgotten). JavaScript lets it through, as TypeScript did before {@link NotATaskContext}, so this
 * message is all the user gets: "unknown option started" would not say what went wrong.
 */
function isTaskContext(opts: object): boolean {
  return 'started' in opts && typeof opts.started === 'function' && 'signal' in opts && opts.signal instanceof AbortSignal;
}

/**
 * execa's and Node's `stdio` is three options here. The nearest name, `stdin`, is the one stream a
 * supervised child's caller may not set (always /dev/null, a managed key that wins in silence).
 */
function stdioHint(where: string): string {
  return where === 'superviseRunProcess'
    ? "; each stream is an option of its own here: stdout and stderr ('inherit', 'ignore' or an fd), or relayStdout and relayStderr to relay their lines; stdin is always /dev/null"
    : "; each stream is an option of its own here: stdin, stdout and stderr ('inherit', 'ignore' or an fd; stdout and stderr inherit by default)";
}

function taskContextHint(where: string): string {
  return where === 'superviseRunProcess'
    ? '; that is a task context (ctx), which goes third: superviseRunProcess(cmd, {}, ctx)'
    : `; that is a task context (ctx), which ${where} does not take: the task's scope cancels the call by itself (or pass { signal: ctx.signal })`;
}

/**
 * What execa, Node's child_process, Python, docker and systemd call our options, and the short
 * words a user reaches for first (normalised: lower case, no `_`/`-`): too far from our names for
 * the edit distance to find, yet plainly meaning one of them.
 */
const OTHER_LIBRARIES_WORDS: Readonly<Record<string, string>> = {
  killsignal: 'stopSignal',
  forcekillaftertimeout: 'killGraceMs',
  forcekillafterdelay: 'killGraceMs',
  grace: 'killGraceMs',
  gracems: 'killGraceMs',
  graceperiod: 'killGraceMs',
  graceperiodms: 'killGraceMs',
  stoptimeout: 'killGraceMs',
  timeoutstopsec: 'killGraceMs',
  killtimeout: 'killGraceMs',
  workingdirectory: 'cwd',
  workdir: 'cwd',
  dir: 'cwd',
  user: 'uid',
  group: 'gid',
  maxbuffer: 'maxCaptureBytes',
  input: 'stdin',
  reject: 'check',
  detached: 'newSession',
  startnewsession: 'newSession',
  cancelsignal: 'signal',
};

/**
 * Another library's run deadline (execa's and Node's `timeout`, Python's too): no option of ours
 * is that, and `killGraceMs` (the grace after a stop) would sound like it while limiting nothing.
 */
const DEADLINE_WORDS: ReadonlySet<string> = new Set(['timeout', 'timeoutms', 'deadline', 'deadlinems']);

/** Linux's NGROUPS_MAX: setgroups refuses more. */
const MAX_GROUPS = 65536;

function validateGroups(where: string, value: unknown): readonly number[] | undefined {
  if (value === undefined) return undefined;
  // Array.from: every() passes over a sparse array's holes, which would reach setpriv as empty ids.
  if (!Array.isArray(value) || value.length > MAX_GROUPS || !Array.from(value as unknown[]).every((id) => Number.isInteger(id) && (id as number) >= 0)) {
    throw invalidArgument(`${where}: groups must be an array of at most ${MAX_GROUPS} non-negative integer group ids, got ${describe(value)}`);
  }
  return [...(value as number[])];
}

function validateStopSignal(where: string, value: unknown): NodeJS.Signals {
  if (value === undefined) return 'SIGTERM';
  if (typeof value !== 'string' || !Object.hasOwn(node.os.constants.signals, value) || value === 'SIGKILL' || value === 'SIGSTOP') {
    throw invalidArgument(`${where}: stopSignal must be a signal name a process can handle, such as 'SIGTERM', 'SIGINT' or 'SIGQUIT', got ${describe(value)}`);
  }
  return value as NodeJS.Signals;
}

export function validateBoolean(where: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgument(`${where}: ${name} must be true or false, got ${describe(value)}`);
  return value;
}

/**
 * A duration option in ms, `Infinity` for none. Every duration is honoured as given, also past what
 * one Node timer holds (2^31 - 1 ms): the timers that wait for them are chains (core/timer.ts).
 */
export function validateMs(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw outOfRange(`${where}: ${name} must be a number of milliseconds >= 0, got ${describe(value)}`);
  return value;
}

export function validatePositiveInteger(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw outOfRange(`${where}: ${name} must be a positive integer, got ${describe(value)}`);
  return value;
}

function validateCommand(where: string, cmd: unknown, shell: boolean): readonly string[] | string {
  if (typeof cmd === 'string') {
    if (!shell) {
      throw invalidArgument(
        `${where}: a command string needs shell: true (it is run by /bin/sh -c); to run a program without a shell, pass an argv array like ['ls', '-l']`,
      );
    }
    if (cmd.trim() === '') throw invalidArgument(`${where}: the command string is empty`);
    return cmd;
  }
  if (!Array.isArray(cmd)) throw invalidArgument(`${where}: cmd must be an argv array of strings (or a string with shell: true), got ${describe(cmd)}`);
  if (cmd.length === 0) throw invalidArgument(`${where}: cmd is an empty array; give at least the program to run`);
  if (cmd[0] === '') throw invalidArgument(`${where}: cmd[0], the program to run, is an empty string; give its name or path`);
  // By index, not forEach, which skips the holes of a sparse array (`['echo', , 'x']` ran `echo undefined x`).
  for (let index = 0; index < cmd.length; index++) {
    const arg: unknown = cmd[index];
    if (typeof arg !== 'string') throw invalidArgument(`${where}: cmd[${index}] must be a string, got ${index in cmd ? describe(arg) : 'a hole in the array'}`);
    if (arg.includes('\0')) throw invalidArgument(`${where}: cmd[${index}] contains a NUL byte, which no program can receive`);
  }
  if (shell) throw invalidArgument(`${where}: with shell: true, pass the command as one string (an argv array would be joined without quoting)`);
  return cmd as string[];
}

/**
 * The environment as child_process reads it (see envVariables: inherited variables too), each made
 * a string with `${value}`. Whatever that turns into something nobody meant is refused before
 * spawning: any object but a record (a Map or a Set has no such properties, so the child got an
 * empty environment), and a value that is no string, number, boolean or bigint (`null` became the
 * word "null", an object "[object Object]"). `undefined` leaves the variable out, as child_process does. A NUL in a name
 * or value is refused as one in `cmd` is, rather than as the spawn's failure. Messages name the
 * variable, never its value: the environment holds secrets.
 */
function validateEnv(where: string, env: unknown): void {
  if (typeof env !== 'object' || env === null || !isRecord(env)) {
    throw invalidArgument(`${where}: env must be a plain object of strings ({ ...process.env, NAME: 'value' }), got ${describeEnv(env)}`);
  }
  for (const [name, value] of envVariables(env)) {
    if (value !== undefined && !['string', 'number', 'boolean', 'bigint'].includes(typeof value)) {
      const got = value === null ? 'null' : typeof value;
      throw invalidArgument(`${where}: env ${JSON.stringify(name)} must be a string, got ${got}; leave it out (or undefined) to unset it`);
    }
    if (name.includes('\0') || (typeof value === 'string' && value.includes('\0'))) {
      throw invalidArgument(`${where}: env ${JSON.stringify(name)} contains a NUL byte, which no program can receive`);
    }
  }
}

/**
 * A record of variables, told by what kind of object it is, not by its prototype: a plain object,
 * one without a prototype, process.env, one made with `Object.create` from such (its variables
 * inherited, as child_process reads them), one made in another realm (a vm context, a test
 * runner's sandbox) or a class's instance that holds them as its own properties. A Map, a Set,
 * URLSearchParams or an array keeps what it holds where child_process does not look, so the child
 * would get an empty environment, or one of stray keys.
 */
function isRecord(env: object): boolean {
  return !Array.isArray(env) && Object.prototype.toString.call(env) === '[object Object]';
}

function describeEnv(env: unknown): string {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return describe(env);
  return withArticle(Object.prototype.toString.call(env).slice('[object '.length, -1));
}

/** `a Map`, `an Int32Array`, `a URLSearchParams`: a type's name as said aloud. */
function withArticle(name: string): string {
  return `${/^[AEIO]/i.test(name) ? 'an' : 'a'} ${name}`;
}

export function resolveStdin(where: string, stdin: unknown): { stdin: ResolvedRunOptions['stdin']; input: Buffer | undefined } {
  if (stdin === undefined || stdin === 'ignore') return { stdin: 'ignore', input: undefined };
  if (stdin === 'pipe') {
    // trio refuses PIPE outside nursery.start() too: nobody would write to it, and taking the word
    // as the four bytes "pipe" (what a string otherwise means) is surely not what was meant.
    throw invalidArgument(`${where}: stdin: 'pipe' is not supported (nothing would write to it); use 'ignore', 'inherit', an fd, or the bytes to send (a string, a Buffer or any typed array)`);
  }
  if (stdin === 'inherit') return { stdin: 'inherit', input: undefined };
  if (typeof stdin === 'number') return { stdin: validateFd(where, 'stdin', stdin), input: undefined };
  if (typeof stdin === 'string') return { stdin: 'pipe', input: Buffer.from(stdin) };
  // What a stream write takes: a Buffer, a Uint8Array or any other view of bytes (a DataView, a
  // typed array of wider numbers: its bytes as they lie in memory). Only the view's own bytes go.
  if (ArrayBuffer.isView(stdin)) return { stdin: 'pipe', input: Buffer.from(stdin.buffer, stdin.byteOffset, stdin.byteLength) };
  // A write refuses a bare buffer too; the fix is one wrapper away, so the message names it.
  if (stdin instanceof ArrayBuffer || stdin instanceof SharedArrayBuffer) {
    throw invalidArgument(`${where}: stdin is ${withArticle(stdin.constructor.name)}; pass a view of its bytes: new Uint8Array(buffer)`);
  }
  throw invalidArgument(`${where}: stdin must be 'ignore', 'inherit', an fd, a string, or bytes (a Buffer, Uint8Array, DataView or other typed array), got ${describe(stdin)}`);
}

export function validateOutput(where: string, name: string, value: unknown): OutputOption | 'pipe' {
  if (value === 'ignore' || value === 'inherit' || value === 'pipe') return value;
  if (typeof value === 'number') return validateFd(where, name, value);
  throw invalidArgument(`${where}: ${name} must be 'ignore', 'inherit' or an fd, got ${describe(value)}`);
}

function validateFd(where: string, name: string, fd: number): number {
  if (!Number.isInteger(fd) || fd < 0) throw invalidArgument(`${where}: ${name} fd must be a non-negative integer, got ${fd}`);
  return fd;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(cutText(value, 40));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}
