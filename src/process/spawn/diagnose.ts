import { node } from '../../builtins.js';
import { physicalPathOf, statOf } from '../stat.js';
import { SpawnError, shellOnlyReason, type SpawnErrorOptions } from '../errors.js';
import { machineName, machineOf, ownMachine } from './elf.js';
import { DEFAULT_SHELL, childEnv, commandArgv } from './exec-args.js';
import { readHead } from './file-head.js';
import { unmappedIds } from './id-map.js';
import { groupsArgument, needsIdSwitch } from './groups.js';
import { WRITERS_LOOK_MS, writersOf, type Writer } from './writers.js';
import { SHELL_BUILTINS } from './shell-builtins.js';
import { closedDirectoryOnTheWay, type ClosedDirectory, type Identity } from './search-permission.js';
import type { ResolvedRunOptions } from '../options.js';
import { errnoCode } from '../../errno.js';
import { ASSIGNMENT, quoteCommand } from '../command.js';

/**
 * Why a command could not start, as a {@link SpawnError} that names the command and the cause and
 * says what to do. "spawn ENOENT" alone cannot tell a missing program from a missing cwd or a
 * missing interpreter, so the errno is read against the filesystem.
 */
export function diagnose(error: unknown, options: ResolvedRunOptions): SpawnError {
  if (error instanceof SpawnError) return error;
  const code = errnoCode(error);
  const cwd = givenCwd(options);
  const base = { code, cwd, cause: error };
  if (cwd !== undefined && code !== undefined && CWD_ERRNOS.has(code)) {
    const problem = cwdProblem(cwd);
    if (problem) return new SpawnError(options.cmd, problem, { ...base, cwdUnusable: true });
  }
  switch (code) {
    case 'ENOENT':
      return missingProgramError(options, base);
    case 'EACCES':
      return new SpawnError(options.cmd, deniedProgram(options), base);
    case 'ELOOP':
    case 'ENAMETOOLONG':
      return new SpawnError(options.cmd, `${unfollowedPath(options, code)}: ${unresolvable(code)}`, base);
    case 'ENOTDIR':
      // libuv's own PATH search (no gate) says ENOTDIR when the last entry it tried is a file
      // (PATH=$PATH:~/bin/tool); execvp, dash and bash pass such an entry over and say "not found"
      // (127), as the gate does: the look that decides it for the gate decides it here.
      if (!programName(options).includes('/') && execProblem(options) === 'ENOENT') return missingProgramError(options, { ...base, code: 'ENOENT' });
      return new SpawnError(options.cmd, throughAFile(options), base);
    case 'ENOEXEC':
      // May yet be a busy file: see namingBusyWriters.
      return new SpawnError(options.cmd, unrunnableProgram(options), base);
    case 'ETXTBSY':
      return new SpawnError(options.cmd, busyUnseen(options, 'a process this user cannot see'), base);
    case 'EMFILE':
    case 'ENFILE':
      return new SpawnError(options.cmd, `too many open files (${code}); raise the limit (ulimit -n) or run fewer children at once`, base);
    case 'EAGAIN':
      return new SpawnError(options.cmd, 'the system refused a new process (EAGAIN: process limit reached); run fewer children at once', base);
    case 'EPERM':
      return new SpawnError(options.cmd, 'operation not permitted (EPERM); uid/gid need privileges this process does not have', base);
    case 'EINVAL':
      return new SpawnError(options.cmd, invalidIdentity(options) ?? (error instanceof Error ? error.message : String(error)), base);
    case 'E2BIG':
      return new SpawnError(options.cmd, tooBig(options), base);
    default:
      return new SpawnError(options.cmd, error instanceof Error ? error.message : String(error), base);
  }
}

/**
 * An EINVAL of a spawn given `uid`/`gid` that this user namespace does not map (a rootless
 * container, `unshare -r`): the child's setuid or setgid refused an id that does not exist here.
 * Undefined when every id given is mapped, or none was given: the EINVAL is something else.
 */
function invalidIdentity(options: ResolvedRunOptions): string | undefined {
  const unmapped = unmappedIds(options.uid, options.gid);
  if (unmapped.length === 0) return undefined;
  return `${unmapped.join(' and ')} ${unmapped.length === 1 ? 'is' : 'are'} not mapped in this user namespace (EINVAL; see /proc/self/uid_map and gid_map): a rootless container maps a range of ids, unshare -r only root; run it as an id mapped here, or outside this namespace`;
}

/**
 * The cwd the child's user may not enter (the gate found it so, see `CWD_CLOSED_STATUS` in
 * ./gate.ts), as a SpawnError that names the directory that stands in the way when its mode bits
 * show one (ACLs may also be why).
 */
export function closedCwd(options: ResolvedRunOptions): SpawnError {
  const cwd = childCwd(options) ?? '.';
  const identity = childIdentity(options);
  const who = identity.kind === 'own' ? 'this user' : `uid ${identity.uid}`;
  const closed = closedOnTheCwdWay(options);
  const why = closed === undefined ? '' : `: ${closed.path} is ${described(closed)}`;
  const reason = `permission denied (EACCES): ${who} may not enter the cwd ${cwd}${why}; grant it search (x) permission there, or give another cwd`;
  return new SpawnError(options.cmd, reason, { code: 'EACCES', cwd: givenCwd(options), cwdUnusable: true });
}

/**
 * The directory whose mode bits keep the child's user out of its cwd, or undefined when they show
 * none (ACLs are not read). A symlink's way is asked, then its target's, where the directory in
 * the way may be.
 */
export function closedOnTheCwdWay(options: ResolvedRunOptions): ClosedDirectory | undefined {
  const identity = childIdentity(options);
  const way = cwdWay(options);
  const target = way === undefined ? undefined : physicalPathOf(way);
  return (way === undefined ? undefined : closedDirectoryOnTheWay(`${node.path.resolve(way)}/.`, identity)) ?? (target === undefined ? undefined : closedDirectoryOnTheWay(`${target}/.`, identity));
}

/** The errnos a cwd that cannot be used gives a spawn (chdir's, in the child): each is checked against the cwd first. */
const CWD_ERRNOS = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'ELOOP', 'ENAMETOOLONG']);

/** The path that gave `code`: the program as given, or, for a name looked up on PATH, the entry's; or the `#!` line of a script whose interpreter gave it. */
function unfollowedPath(options: ResolvedRunOptions, code: 'ELOOP' | 'ENAMETOOLONG'): string {
  const program = programName(options);
  const cwd = childCwd(options);
  if (cwd === undefined) return program;
  const script = resolveProgram(program, options);
  const interpreter = script === undefined ? undefined : scriptInterpreter(script, cwd);
  if (interpreter !== undefined && executable(interpreter.path, false) === code) return `its interpreter line "${interpreter.line}"`;
  if (program.includes('/')) return program;
  return candidates(program, options, cwd).findLast((path) => executable(path, false) === code) ?? program;
}

/**
 * Why exec said ENOTDIR: the program's path, or its `#!` interpreter's, goes on through a file as
 * if it were a directory (`/etc/passwd/x`).
 */
function throughAFile(options: ResolvedRunOptions): string {
  const program = programName(options);
  const cwd = childCwd(options) ?? '/';
  const file = fileOnTheWay(programPath(cwd, program));
  if (file !== undefined) return `not a directory (ENOTDIR): ${file} is a file, and ${program} goes on through it as if it were a directory; fix the path`;
  const found = resolveProgram(program, options);
  const interpreter = found === undefined ? undefined : scriptInterpreter(found, cwd);
  const through = interpreter === undefined ? undefined : fileOnTheWay(interpreter.path);
  if (interpreter !== undefined && through !== undefined) return `its interpreter line "${interpreter.line}" goes on through ${through}, a file, as if it were a directory (ENOTDIR; fix the #! line of ${found})`;
  return `not a directory (ENOTDIR): a part of the path of ${program}, or of its #! interpreter, is a file; fix the path`;
}

/** The first part of `path` (absolute) that is there and is not a directory, when it is not `path` itself (or `path` ends in a slash). */
function fileOnTheWay(path: string): string | undefined {
  const parts = path.split('/').filter((part) => part !== '');
  const last = path.endsWith('/') ? parts.length : parts.length - 1;
  for (let end = 1; end <= last; end++) {
    const prefix = `/${parts.slice(0, end).join('/')}`;
    const stats = statOf(prefix);
    if (stats === undefined) return undefined;
    if (!stats.isDirectory()) return prefix;
  }
  return undefined;
}

/** A path the system would not follow to its end, in words: what `code` means, and what to do. */
function unresolvable(code: 'ELOOP' | 'ENAMETOOLONG'): string {
  return code === 'ELOOP'
    ? 'too many levels of symbolic links (ELOOP): a link on the way points back at itself; fix or remove it'
    : 'the path is too long (ENAMETOOLONG): a name on the way is over 255 bytes, or the whole over 4095; shorten it';
}

/**
 * Linux's limit on one argument or one environment entry (MAX_ARG_STRLEN: 32 pages, with its
 * NUL), apart from the limit on them all together.
 */
const MAX_ARG_BYTES = 32 * 4096;

/**
 * What exec found too large, and what to do: one argument or variable over {@link MAX_ARG_BYTES}
 * (setpriv's list of the `groups` among them), else all of them together.
 */
function tooBig(options: ResolvedRunOptions): string {
  const oversized = (text: string): boolean => Buffer.byteLength(text) + 1 > MAX_ARG_BYTES;
  const one = `more than the ${MAX_ARG_BYTES / 1024} KiB Linux takes in one`;
  const instead = '(E2BIG); pass data through stdin or a file instead';
  const argv = commandArgv(options);
  const argument = argv.findIndex(oversized);
  // Counted as exec sees them: with `shell: true`, the command is the shell's third argument.
  if (argument !== -1) return `argv[${argument}]${options.shell === false ? '' : ' (the command string)'} is ${kib(argv[argument] ?? '')} KiB, ${one} argument ${instead}`;
  const variable = childEnv(options).find(([name, value]) => oversized(`${name}=${value}`));
  if (variable !== undefined) return `the environment variable ${variable[0]} is ${kib(variable[1])} KiB, ${one} variable ${instead}`;
  // setpriv gets the groups as one argument: the kernel's limit of 65536 groups does not fit in it.
  const groups = needsIdSwitch(options) ? groupsArgument(options.groups ?? []) : '';
  if (oversized(groups)) return `the ${options.groups?.length ?? 0} groups given are ${kib(groups)} KiB as setpriv's --groups argument, ${one} argument (E2BIG); give fewer groups`;
  return `the arguments and environment are too large together ${instead}`;
}

function kib(text: string): number {
  return Math.ceil(Buffer.byteLength(text) / 1024);
}

/**
 * A {@link SpawnError} when an fd given for stdin, stdout or stderr is not open in this process,
 * else undefined. The child would otherwise start with a broken stream and fail on its first
 * write ("write error: Invalid argument"), far from the cause.
 */
export function closedStdioFd(options: ResolvedRunOptions, passedOn: PassedOnFds = {}): SpawnError | undefined {
  for (const name of ['stdin', 'stdout', 'stderr'] as const) {
    const fd = name === 'stdin' || typeof options[name] === 'number' ? options[name] : passedOn[name];
    if (typeof fd !== 'number' || isOpen(fd)) continue;
    const reason = `${name} is fd ${fd}, which is not open in this process; pass an open fd (from fs.openSync), 'inherit' or 'ignore'`;
    return new SpawnError(options.cmd, reason, { code: 'EBADF', cwd: givenCwd(options) });
  }
  return undefined;
}

/**
 * Where superviseRunProcess passes on a stream it reads itself (stderr, for its tail; stdout, for
 * `readyWhen`): the child is given a pipe, and an fd given for the stream is written to after.
 */
export type PassedOnFds = Readonly<Partial<Record<'stdout' | 'stderr', unknown>>>;

function isOpen(fd: number): boolean {
  try {
    node.fs.fstatSync(fd);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'EBADF';
  }
}

/**
 * The errno an exec of the command would fail with, found by looking, without starting anything:
 * `ENOENT` (no such program on the path, or its `#!` interpreter is missing), `EACCES` (not an
 * executable file), another errno where a path could not be followed (`ELOOP`, `ENAMETOOLONG`),
 * or undefined when it looks startable. The spawn gate asks first (see
 * ./gate.ts), so that the common failures are reported as they always were: before anything ran,
 * and without a shell's complaint on the child's stderr. The exec itself still has the last word.
 */
export function execProblem(options: ResolvedRunOptions): ExecErrno | undefined {
  const program = programName(options);
  const checkMode = execModeChecked(options);
  const cwd = childCwd(options);
  // The parent's own directory was removed: the child still starts in it, and only a relative
  // path would be found differently; the exec says whether the command runs there.
  if (cwd === undefined) return undefined;
  const key = `${String(checkMode)}\0${cwd}\0${searchPath(options)}\0${program}`;
  if (startableNow.has(key)) return undefined;
  const problem = lookForProblem(program, checkMode, options, cwd);
  if (problem === undefined) rememberStartable(key);
  return problem;
}

/**
 * Whether {@link execProblem} checks the program's permission bits: not for a child run as another
 * user (uid/gid), for whom they read differently; that verdict is left to the exec.
 */
export function execModeChecked(options: ResolvedRunOptions): boolean {
  return options.uid === undefined && options.gid === undefined;
}

/**
 * Commands found startable during this turn of the event loop. `up` starts a hundred copies of one
 * program in one pass, and each look is a stat per PATH entry, an access check and a read of the
 * file's first line: 0.7 ms a start, for an answer that cannot have changed in between. Forgotten
 * at the end of the turn, so a program removed or replaced later is looked at again (and the exec
 * has the last word anyway).
 */
const startableNow = new Set<string>();

/**
 * Forgets every command found startable. An answer remembered during the check phase (a test
 * runner's next test, a callback of setImmediate) is cleared only in the next turn's check phase,
 * after that turn's I/O: so whenever a spawn's verdict arrives, news from outside, what was looked
 * at before it is looked at again.
 */
export function forgetStartable(): void {
  startableNow.clear();
}

function rememberStartable(key: string): void {
  // Not unref'd: an unref'd immediate does not keep the loop from waiting in its poll for I/O,
  // and an answer kept through that wait would outlive its turn by as long as the wait.
  if (startableNow.size === 0) setImmediate(() => startableNow.clear());
  startableNow.add(key);
}

/** The errnos {@link execProblem} finds by looking. */
export type ExecErrno = 'ENOENT' | 'EACCES' | 'ELOOP' | 'ENAMETOOLONG' | 'ENOTDIR';

function lookForProblem(program: string, checkMode: boolean, options: ResolvedRunOptions, cwd: string): ExecErrno | undefined {
  let found: string | undefined;
  let reported: ExecErrno | undefined;
  for (const candidate of candidates(program, options, cwd)) {
    const kind = executable(candidate, checkMode);
    if (kind === 'yes') {
      found = candidate;
      break;
    }
    // dash (the gate's exec) goes on looking past a PATH entry it cannot use and, if nothing
    // else runs, reports the last errno other than ENOENT. A PATH entry that is a file is no
    // place to look (ENOTDIR is skipped as ENOENT is, by execvp and dash alike); a path given
    // through a file is refused as the exec refuses it, 126 under bash and timeout(1).
    if (kind === 'missing' || (kind === 'ENOTDIR' && !program.includes('/'))) continue;
    reported = kind === 'denied' ? 'EACCES' : kind;
  }
  if (found === undefined) return reported ?? 'ENOENT';
  // The kernel runs a script's `#!` interpreter in its place, and says ENOENT when that is missing
  // (ENOTDIR when its path goes through a file, EACCES when it is a directory or not executable).
  const interpreter = scriptInterpreter(found, cwd);
  if (interpreter === undefined) return undefined;
  const kind = executable(interpreter.path, checkMode);
  if (kind === 'missing') return 'ENOENT';
  if (kind === 'denied') return 'EACCES';
  return kind === 'yes' ? undefined : kind;
}

/**
 * A script's `#!` line and the interpreter it names (its first word), resolved from `cwd` as the
 * kernel resolves it; undefined for a file with no `#!` line, or one that names nothing.
 */
function scriptInterpreter(script: string, cwd: string): { readonly line: string; readonly path: string } | undefined {
  const line = interpreterLine(script);
  const name = line?.slice(2).trim().split(/[ \t]/, 1)[0] ?? '';
  return line === undefined || name === '' ? undefined : { line, path: node.path.resolve(cwd, name) };
}

/** Node's own error for a failed spawn, for an errno found by other means: the cause a SpawnError keeps. */
export function spawnErrno(code: string | undefined, options: ResolvedRunOptions, detail: string): NodeJS.ErrnoException {
  const program = programName(options);
  const errno: Partial<Record<string, number>> = node.os.constants.errno;
  return Object.assign(new Error(`spawn ${program} ${code ?? 'failed'}: ${detail}`), {
    code,
    errno: code === undefined ? undefined : -(errno[code] ?? 0),
    syscall: `spawn ${program}`,
    path: program,
  });
}

/**
 * Where a search of `dirs` (PATH entries, in order) finds `program` as exec would run it: the first
 * `dir/program` exec could run, or undefined. The same test as a failed spawn's diagnosis; `subvisor
 * export` asks it of systemd's fixed path and of `up`'s.
 */
export function findOnPath(program: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const path = node.path.join(dir, program);
    if (executable(path, true) === 'yes') return path;
  }
  return undefined;
}

/** Whether exec could run `path`: `yes`, `denied` (EACCES), `missing`, or the errno of a path that cannot be followed (ENOTDIR: through a file). */
function executable(path: string, checkMode: boolean): 'yes' | 'denied' | 'missing' | 'ELOOP' | 'ENAMETOOLONG' | 'ENOTDIR' {
  try {
    if (!node.fs.statSync(path).isFile()) return 'denied'; // a directory: exec says EACCES
    if (checkMode) node.fs.accessSync(path, node.fs.constants.X_OK);
    return 'yes';
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return 'missing';
    return code === 'ELOOP' || code === 'ENAMETOOLONG' || code === 'ENOTDIR' ? code : 'denied';
  }
}

/** Where the program would be looked for, in order: itself when it names a path, else each PATH entry. */
function candidates(program: string, options: ResolvedRunOptions, cwd: string): string[] {
  if (program.includes('/')) return [programPath(cwd, program)];
  // An empty entry means the current directory.
  return searchPath(options)
    .split(':')
    .map((dir) => node.path.resolve(cwd, dir === '' ? '.' : dir, program));
}

/**
 * A program's path, absolute: a slash at its end is kept, as exec reads it (`/bin/true/` asks for a
 * directory, and is refused ENOTDIR), where path.resolve would drop it.
 */
function programPath(cwd: string, program: string): string {
  const path = node.path.resolve(cwd, program);
  return program.endsWith('/') && !path.endsWith('/') ? `${path}/` : path;
}

/** The child's PATH, as execvp and dash read it; without one, Node's documented default. */
function searchPath(options: ResolvedRunOptions): string {
  return (options.env ?? process.env).PATH ?? DEFAULT_PATH;
}

/** Where the child starts; undefined when that is the parent's own directory and it was removed. */
export function childCwd(options: ResolvedRunOptions): string | undefined {
  const given = givenCwd(options);
  if (given !== undefined) return given;
  try {
    return process.cwd();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The child's cwd as an absolute path whose way the kernel takes as the spawn's chdir took it: a
 * relative one after this process's own directory, its `..` left in place (`LINK/..` is the parent
 * of the link's target there, where `path.resolve` would read the link away). Undefined when this
 * process's own directory, from which it would be read, is gone.
 */
export function cwdWay(options: ResolvedRunOptions): string | undefined {
  const cwd = childCwd(options);
  if (cwd === undefined || node.path.isAbsolute(cwd)) return cwd;
  try {
    return `${process.cwd()}/${cwd}`;
  } catch {
    return undefined;
  }
}

/** The cwd option as a path, or undefined when none was given. */
function givenCwd(options: ResolvedRunOptions): string | undefined {
  return options.cwd instanceof URL ? node.url.fileURLToPath(options.cwd) : options.cwd;
}

/** Where a command is looked for when the child's environment has no PATH (Node's documented default). */
export const DEFAULT_PATH = '/usr/bin:/bin';

function cwdProblem(cwd: string): string | undefined {
  try {
    if (!node.fs.statSync(cwd).isDirectory()) return `the cwd ${cwd} is not a directory`;
    node.fs.accessSync(cwd, node.fs.constants.X_OK);
    return undefined;
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return `the cwd ${cwd} does not exist`;
    if (code === 'EACCES') return `the cwd ${cwd} cannot be entered (permission denied)`;
    if (code === 'ELOOP' || code === 'ENAMETOOLONG') return `the cwd ${cwd} cannot be reached: ${unresolvable(code)}`;
    return `the cwd ${cwd} is unusable (${code ?? 'unknown error'})`;
  }
}

/** A program not found, as a {@link SpawnError}: one that names a command only a shell could run says so (`shellOnly`). */
function missingProgramError(options: ResolvedRunOptions, base: SpawnErrorOptions): SpawnError {
  const shellOnly = shellOnlyOf(options);
  const reason = shellOnly === undefined ? missingProgram(options) : shellOnlyReason(programName(options), shellOnly, LIBRARY_SHELL_WAYS);
  return new SpawnError(options.cmd, reason, { ...base, shellOnly });
}

/** How a caller of this library has a shell run a command. */
const LIBRARY_SHELL_WAYS = "sh -c '...', or shell: true";

/** Why only a shell could run a command whose program was not found: a whole command in one word, or a builtin of sh. */
function shellOnlyOf(options: ResolvedRunOptions): SpawnError['shellOnly'] {
  if (options.shell !== false) return undefined;
  const program = programName(options);
  if (resolveProgram(program, options) !== undefined) return undefined;
  if (isWholeCommand(program, options)) return 'whole-command';
  return SHELL_BUILTINS.get(program) === 'sh' ? 'builtin' : undefined;
}

function missingProgram(options: ResolvedRunOptions): string {
  if (options.shell !== false) {
    const shell = typeof options.shell === 'string' ? options.shell : DEFAULT_SHELL;
    return `the shell ${shell} was not found`;
  }
  const program = programName(options);
  const path = resolveProgram(program, options);
  if (path === undefined) {
    if (ASSIGNMENT.test(program)) return `${program} is a variable assignment, which a shell reads, not a program: put env in front (env ${program} CMD...), or have a shell read it (sh -c '...')`;
    // A whole command in one word, or a builtin of sh, is shellOnlyOf's.
    const shell = SHELL_BUILTINS.get(program);
    if (shell === 'bash') return `${program} is built into bash, not a program, and not into every sh (dash, Debian's and Ubuntu's, lacks it): have bash run the command (bash -c '...')`;
    if (!program.includes('/')) return `${program} was not found on PATH (check the spelling, install it, or give its full path)`;
    return blankReading(program, options) === 'either' ? missingEither(program) : `no such file: ${program}`;
  }
  // The file is there, yet exec said ENOENT: the kernel could not find its interpreter.
  const interpreter = interpreterLine(path);
  if (interpreter === undefined) return `${path} exists but could not be executed (ENOENT: a missing interpreter or dynamic loader)`;
  // The kernel reads the #! line up to the \n, so a file saved with Windows line ends names
  // `/bin/sh\r`: the line looks right everywhere but in the message, and the fix is elsewhere.
  // The commands are quoted as a shell reads them, to be pasted: a path may hold a space.
  if (interpreter.endsWith('\r')) return `its interpreter line "${interpreter}" ends in a carriage return: ${path} has Windows line ends (CRLF); convert it: ${quoteCommand(['dos2unix', path])} (or ${quoteCommand(['sed', '-i', 's/\\r$//', path])})`;
  return `its interpreter line "${interpreter}" names a program that does not exist (fix the #! line of ${path})`;
}

/**
 * Whether the program named is a whole command written as one word (`['npm run dev']`, as
 * concurrently takes its commands). Told apart, it gets the advice that fits; "check the spelling"
 * would send its author looking for a typo. See {@link blankReading}.
 */
function isWholeCommand(program: string, options: ResolvedRunOptions): boolean {
  return blankReading(program, options) === 'command';
}

/**
 * How a program name with a blank in it reads, when it was not found: a whole command in one word
 * (`'npm run dev'`; `'nosuch --x'` too, whose program is missing as well: split, it says so), a
 * path with a blank (`'/opt/My App/run'`, `'my dir/x'` where `my dir` is a directory), or either
 * (`'my dir/x'` where nothing is: split, `my` is missing just the same). A `/` marks a path, unless
 * the first word is a program (`'node dist/x.js'`); a blank before it, only a directory there
 * holding that blank tells a path from a command. Undefined for a name without a blank.
 */
function blankReading(program: string, options: ResolvedRunOptions): 'command' | 'path' | 'either' | undefined {
  const [first] = program.trim().split(/\s+/);
  // A blank at either end too (`' ls'`, a quoting slip): split, or read by a shell, it runs.
  if (!/\s/.test(program) || first === undefined || first === '') return undefined;
  if (resolveProgram(first, options) !== undefined) return 'command';
  if (first.includes('/')) return 'path';
  if (!program.includes('/')) return 'command';
  const cwd = childCwd(options);
  return cwd !== undefined && isDirectory(node.path.resolve(cwd, leadingDirectory(program))) ? 'path' : 'either';
}

/** Why `program`, which reads as a path with a blank or as a whole command, is missing either way (see {@link blankReading}): the reason fits both readings. */
function missingEither(program: string): string {
  const [first] = program.trim().split(/\s+/);
  return `no such file: ${program}, nor a directory ${leadingDirectory(program)}; read as a whole command in one word, its program ${first ?? ''} is not on PATH either`;
}

/** The path's first directory, as written: in `my dir/x`, `my dir`. */
function leadingDirectory(program: string): string {
  return program.slice(0, program.indexOf('/'));
}

/** The program exec is asked to run: the command's first word, or the shell for `shell` commands. */
function programName(options: ResolvedRunOptions): string {
  if (options.shell !== false) return typeof options.shell === 'string' ? options.shell : DEFAULT_SHELL;
  return typeof options.cmd === 'string' ? options.cmd : (options.cmd[0] as string); // validated non-empty
}

/** Why exec said EACCES: the program is a directory, or a file this user may not execute. */
function deniedProgram(options: ResolvedRunOptions): string {
  const program = programName(options);
  const cwd = childCwd(options);
  const directory = cwd === undefined ? undefined : candidates(program, options, cwd).find(isDirectory);
  // A path is named as given; a name, by where PATH found the directory.
  if (directory !== undefined) return `permission denied: ${program.includes('/') ? program : directory} is a directory, not a program`;
  const identity = childIdentity(options);
  const interpreter = deniedInterpreter(options, identity);
  if (interpreter !== undefined) return interpreter;
  const who = identity.kind === 'own' ? 'this user' : `uid ${identity.uid}`;
  // A name looked up on PATH is blamed on a closed directory only where the file is seen to be:
  // a PATH entry the user may not enter makes execvp say EACCES whether or not the program is there.
  const behind = cwd === undefined ? [] : candidates(program, options, cwd).filter((path) => program.includes('/') || isFile(path));
  const closed = firstClosed(behind, identity);
  if (closed !== undefined) {
    const { directory: through, program: path } = closed;
    return `permission denied: ${who} may not enter ${through.path} (${described(through)}), so cannot run ${path}; grant it search (x) permission on that directory, or put the program where it can reach it`;
  }
  // No file to blame in sight: a PATH entry it may not enter is the likely cause, and what is in
  // it cannot be seen from here (this user may not look either).
  const hidden = cwd === undefined || program.includes('/') || resolveProgram(program, options) !== undefined ? undefined : firstClosed(candidates(program, options, cwd), identity);
  if (hidden !== undefined) {
    return `permission denied: ${who} may not enter ${hidden.directory.path} (${described(hidden.directory)}), a directory on PATH where ${program} may be; grant it search (x) permission there, or give the program's full path`;
  }
  return `permission denied: ${program} is not executable by ${who} (missing chmod +x, or on a file system mounted noexec?)`;
}

/**
 * Why exec refused a script that may itself be run: its `#!` line names a directory, or a file
 * the child's user may not execute (judged for this process's own user only). Undefined otherwise.
 */
function deniedInterpreter(options: ResolvedRunOptions, identity: Identity): string | undefined {
  const script = resolveProgram(programName(options), options);
  const cwd = childCwd(options);
  const named = script === undefined || cwd === undefined ? undefined : scriptInterpreter(script, cwd);
  if (script === undefined || named === undefined) return undefined;
  const own = identity.kind === 'own';
  if (own && !accessible(script, node.fs.constants.X_OK)) return undefined; // the script's own EACCES comes first
  const { line, path: interpreter } = named;
  if (isDirectory(interpreter)) return `its interpreter line "${line}" names ${interpreter}, which is a directory (EACCES; fix the #! line of ${script})`;
  if (own && isFile(interpreter) && !accessible(interpreter, node.fs.constants.X_OK)) {
    return `its interpreter line "${line}" names ${interpreter}, which is not executable (EACCES; fix the #! line of ${script}, or chmod +x ${interpreter} if it is a program)`;
  }
  return undefined;
}

function accessible(path: string, mode: number): boolean {
  try {
    node.fs.accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

function described(directory: ClosedDirectory): string {
  return `mode ${directory.mode}, owned by uid ${directory.ownerUid}`;
}

/** The first candidate behind a directory the child's user may not enter, and that directory. */
function firstClosed(paths: readonly string[], identity: Identity): { program: string; directory: ClosedDirectory } | undefined {
  for (const program of paths) {
    const directory = closedDirectoryOnTheWay(program, identity);
    if (directory !== undefined) return { program, directory };
  }
  return undefined;
}

/** Who the exec runs as: the uid/gid given (a uid alone keeps this process's gid) with the groups given, else this process's user. */
function childIdentity(options: ResolvedRunOptions): Identity {
  if (options.uid === undefined && options.gid === undefined) return { kind: 'own' };
  return { kind: 'other', uid: options.uid ?? process.getuid?.() ?? 0, gid: options.gid ?? process.getgid?.() ?? 0, groups: options.groups ?? [] };
}

function isFile(path: string): boolean {
  return statOf(path)?.isFile() === true;
}

function isDirectory(path: string): boolean {
  return statOf(path)?.isDirectory() === true;
}

function resolveProgram(program: string, options: ResolvedRunOptions): string | undefined {
  const cwd = childCwd(options);
  if (cwd === undefined) return undefined;
  return candidates(program, options, cwd).find(isFile);
}

function interpreterLine(path: string): string | undefined {
  const text = readHead(path, 256)?.toString('utf8');
  return text?.startsWith('#!') === true ? text.split('\n', 1)[0] : undefined;
}

/**
 * `error`, a diagnosed start failure, with the processes that hold the program open for writing
 * named, when it may be a busy file (ETXTBSY) and they are seen (see ./writers.ts): the look
 * stats every open file on the system, so it runs only for these errors, and between turns of the
 * event loop. The gate's status 126 for a program it had found executable reads as ENOEXEC; a
 * writer in sight makes it ETXTBSY, which the kernel checks before it reads the file's format.
 * A script's `#!` interpreter is looked at too: the kernel opens it for the exec as it opens the
 * script, and refuses it the same way. A look cut short (its time over, or `cancelled`) may have
 * missed the writer: the error then says that the file may be busy, rather than only "damaged".
 */
export async function namingBusyWriters(error: SpawnError, options: ResolvedRunOptions, cancelled?: AbortSignal): Promise<SpawnError> {
  if (error.code !== 'ENOEXEC' && error.code !== 'ETXTBSY') return error;
  const path = resolveProgram(programName(options), options);
  if (path === undefined) return error;
  const cwd = childCwd(options);
  const interpreter = cwd === undefined ? undefined : scriptInterpreter(path, cwd);
  const files: [string, string][] = [[path, path], ...(interpreter === undefined ? [] : [[interpreter.path, `${interpreter.path}, the interpreter its line "${interpreter.line}" names,`] as [string, string]])];
  const seen = await writersOf(files.map(([file]) => file), WRITERS_LOOK_MS, cancelled);
  const base = { code: 'ETXTBSY', cwd: error.cwd, cause: error.cause };
  for (const [file, named] of files) {
    const writers = seen.writers.get(file) ?? [];
    if (writers.length > 0) return new SpawnError(options.cmd, `text file busy (ETXTBSY): ${named} is open for writing by ${writersNamed(writers)}, so the system will not run it; wait until it is written and closed (a copy or a build still under way?), then run it again`, base);
  }
  if (seen.cutShortBy === undefined) return error;
  const who = unfinishedLook(seen.cutShortBy);
  if (error.code === 'ETXTBSY') return new SpawnError(options.cmd, busyUnseen(options, who), base);
  // The gate's 126 (ENOEXEC) of a file still being written, whose writer the look did not reach.
  return new SpawnError(options.cmd, `${unrunnableProgram(options)}; or it is still open for writing (text file busy) by ${who}`, { ...base, code: error.code });
}

/** Who holds a busy file open for writing when a look for its writers was cut short, by its time or by the start's cancel. */
function unfinishedLook(cutShortBy: 'time' | 'cancel'): string {
  return cutShortBy === 'time' ? `a process not found in the time given to look through /proc (at most ${WRITERS_LOOK_MS} ms)` : 'a process the look through /proc did not reach (the start was cancelled while it looked)';
}

/** What an ETXTBSY whose writer was not seen says: `who`, a process this user cannot see or one a look cut short did not reach. */
function busyUnseen(options: ResolvedRunOptions, who: string): string {
  return `text file busy (ETXTBSY): ${programName(options)}, or its #! interpreter, is open for writing by ${who}; wait until it is written and closed, then run it again`;
}

/** Up to three writers by pid and name, and how many more. */
function writersNamed(writers: readonly Writer[]): string {
  // This process is named as such: it may hold the program only through an fd it was started with.
  const named = writers.slice(0, 3).map((writer) => `pid ${writer.pid} (${writer.pid === process.pid ? 'this process' : writer.name})`);
  return writers.length > named.length ? `${named.join(', ')} and ${writers.length - named.length} more` : named.join(', ');
}

/**
 * Why a program that looked runnable was refused for its content (ENOEXEC). Its ELF header says
 * which: a binary for another machine is named with both machines; one for this machine was
 * damaged (a truncated download, say) or refused by a security policy, whose denial the exit status
 * of the spawn gate cannot tell from a bad format.
 */
function unrunnableProgram(options: ResolvedRunOptions): string {
  const program = programName(options);
  const path = resolveProgram(program, options);
  const machine = path === undefined ? undefined : machineOf(path);
  const ours = ownMachine();
  if (machine === undefined || ours === undefined) return `exec format error: ${program} is not a program this machine can run (built for another architecture, or damaged?)`;
  if (machine !== ours) return `exec format error: ${program} is built for ${machineName(machine)}, and this machine runs ${machineName(ours)}`;
  return `exec format error: ${program} is built for ${machineName(ours)}, as this machine runs, yet the system would not run it: it is damaged (truncated?), a process this user cannot see has it open for writing (text file busy), or a security policy (AppArmor, SELinux) forbids it`;
}
