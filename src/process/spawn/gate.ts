import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { node } from '../../builtins.js';
import type { ResolvedRunOptions } from '../options.js';
import { DEFAULT_PATH, cwdWay } from './diagnose.js';
import { childEnv, commandArgv } from './exec-args.js';
import { errnoCode } from '../../errno.js';
import { canonicalPathOf } from '../stat.js';
import { crossesUsers } from './inherited-fds.js';
import { givenBytes } from './given-environment.js';
import { printfFormat } from './printf-format.js';
import { ENV, installed } from './installed.js';

/**
 * The spawn gate: a child does not run its command until the watchdog knows it.
 *
 * Why a gate. The watchdog (../stop/watchdog.ts) can only stop what it was told of, and the parent
 * can tell it only a pid, which exists once `spawn()` has returned; `spawn()` returns only after
 * the child has exec'd its command. A parent SIGKILLed in between (and `up` spawns one process after
 * another, back to back, so that is most of the time during a start) leaves children nobody knows:
 * 200 `sleep 1000`, parent SIGKILLed 0.5-1 s in, left 46-124 orphans. Registering right after
 * `spawn()` returns still lost the child that was being forked when the SIGKILL landed.
 *
 * How. The child first runs `/bin/sh` (dash), which registers itself: it writes its own
 * registration line (its pid, `$$`, is the command's to be) into the watchdog's pipe, which it was
 * given as fd 3, closes that, and `exec`s the command, so the pid stays the command's own. The
 * watchdog takes our death from the end of that pipe, and no end comes while any process still
 * holds a write end of it: the child holds one from its fork on (inherited, until the exec of the
 * shell; then fd 3) and lets go only once its line is in the pipe. So whenever the SIGKILL lands,
 * the watchdog reads the child's registration before it acts on our death, or the child died
 * before it ran anything; no command ever runs unwatched. Nothing waits for the parent: the
 * command starts as soon as the shell does, as under `sh -c`, and a start overlaps the next.
 * (An earlier gate waited for the parent's word that it had registered the pid: a round trip per
 * start that, on two busy cores, cost `up` of 100 processes a third of its time. Another design
 * was weighed: a watchdog that finds, after the parent's death, children it was never told of.
 * Nothing marks them once they are reparented and have exec'd; start times, sessions and parent
 * ids can all be matched by unrelated processes, so it could not be both complete and safe.)
 * The pipe is a socket that libuv made non-blocking, for every process that shares it: when the
 * watchdog lags behind and it is full, the write fails at once (EAGAIN) instead of waiting, so the
 * shell tries again, after 10 ms, 50 ms, 200 ms, then every second (each wait is a `sleep`
 * process: hundreds of shells polling fast would starve the watchdog they wait for), for as long
 * as the watchdog (whose pid it is given) is alive; the count is a `local`, so a variable of the
 * same name in the command's environment is left as it was. `sleep` is looked for on the
 * command's PATH, then on Node's default one: a PATH without it (only node's own directory) would
 * make the wait a busy loop. A watchdog that died makes the write
 * fail for good (EPIPE: the shell ignores SIGPIPE for that write only, so the command still gets
 * the default): the shell goes on, and the replacement is given the child by the parent, as every
 * live registration. A gated child stopped before its write (SIGSTOP, a debugger) holds the pipe
 * open, so it also delays the watchdog's reaction to our death until it continues.
 *
 * Spawn errors stay what they were. `exec` of a missing program makes the shell exit 127, which
 * would look like the command's own failure. So, first, the parent looks before it spawns (see
 * `execProblem` in ./diagnose.ts): a missing program or interpreter, or a file that is not
 * executable, is reported as the same diagnosed SpawnError, with nothing started. Second, for what
 * looking cannot foresee (a race with the filesystem, a missing dynamic loader, another uid's
 * permissions), the gate reports the exec's failure on a socket to the parent (fd 4): `{ exec
 * CMD; } 4>&-` closes fd 4 for the command while the shell keeps a close-on-exec copy to restore if
 * the exec fails (dash restores it on its way out; bash, where /bin/sh is bash, would exit with it
 * closed, so there `execfail` lets the exec return and the group end, which restores it), so the
 * parent reads EOF exactly when the command is running, or the exit status of the
 * failed exec (127: no such file, 126: found but not runnable: permission denied, or a binary for
 * another machine), written by an EXIT trap that only a
 * failed exec reaches. (Only then does the child's stderr also get the shell's one-line
 * complaint.) A cwd the command's user may not enter ends the gate before the exec with
 * {@link CWD_CLOSED_STATUS}. The start waits for that verdict without blocking the event loop (see
 * `gateVerdict`).
 *
 * The environment stays what it was. dash rewrites PWD, PPID, OPTIND and IFS at startup and drops
 * variables whose names are not shell names (`a-b`, `x.y`, yarn's `npm_package_scripts_build:dev`).
 * The first four are taken out of its environment and set back (or unset) before the exec; when
 * a name dash cannot hold is present, the exec goes through `env -i NAME=VALUE... CMD`, which sets
 * the environment exactly as given (one more exec, only for such environments). Without a PATH,
 * the command is looked up on Node's default path, as Node would. A value this process was given
 * that is not UTF-8 (see ./given-environment.ts) is made by the shell's `printf` from an ASCII
 * format, so the command gets the bytes, not the U+FFFD Node decoded them to.
 *
 * Where it does not apply: `argv0` (dash's `exec` cannot set argv[0]); no `/bin/sh`; an environment
 * dash cannot hold with no `/usr/bin/env`, or a program name that `env` would take for an option
 * or an assignment (one that starts with `-` or contains `=`); arguments and environment that fit
 * exec's limit alone but not beside the gate's script (E2BIG, see `startChild` in ../spawn.ts); the
 * watchdog turned off (`SUBVISOR_WATCHDOG=0`, Windows) or not started, for a child given no ids (one
 * given them goes through the gate unregistered, see {@link UNREGISTERED}). Such a child is registered right after `spawn()` returns: a
 * parent SIGKILLed during that one spawn can still orphan it. `shell`, `uid`/`gid`, `cwd`,
 * `newSession: false` and `Process.pid` work as without the gate.
 */
/**
 * The gate's status for a cwd its user may not enter. Node's spawn changes directory before it
 * switches to `uid`/`gid`, as root, so a child run as another user could start in a directory it
 * may not search, where every relative path fails with EACCES; systemd's `User=` with
 * `WorkingDirectory=`, runc and `su` enter it as the user and refuse. The gate, already that user,
 * asks the kernel (`test -x` of `.` and of the whole way to it, ACLs included) and reports this
 * instead of running the command.
 * For its own user the answer is always yes (its chdir took the same permission), so it is asked
 * only of a child given ids: the question is a syscall (`faccessat2`) that some seccomp profiles
 * refuse, which would stop every spawn there.
 */
export const CWD_CLOSED_STATUS = 125;

/** Ends the gate's `set back` arguments; the command follows. Neither can be one: those never start with `--`. */
const SEPARATOR = '--';
/**
 * {@link SEPARATOR}, for a child given ids: the gate asks first whether it may enter its cwd, given
 * after it as an absolute path, so that every directory above it is asked too (see {@link cwdAsked}).
 */
const SEPARATOR_CHECKING_CWD = '--cwd';

const SCRIPT = `register() {
  local tries=0 pause
  until printf '%s%s%s\\n' "$1" "$$" "$2" >&3 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || return
    tries=$((tries + 1))
    case $tries in 1) pause=0.01 ;; 2) pause=0.05 ;; 3) pause=0.2 ;; *) pause=1 ;; esac
    PATH="\${PATH:+$PATH:}${DEFAULT_PATH}" sleep "$pause"
  done
}
raw() {
  set -- "\${1#%}" "$(printf ".$2.")"
  set -- "$1" "\${2#.}"
  export "$1=\${2%.}"
}
trap '' PIPE
[ "$3" = - ] || register "$1" "$2" "$3"
trap - PIPE
exec 3>&-
shift 3
while :; do
  case $1 in ${SEPARATOR}|${SEPARATOR_CHECKING_CWD}) break ;; -*) unset "\${1#-}" ;; :*) PATH=\${1#:} ;; %*) raw "\${1%%=*}" "\${1#*=}" ;; *) export "$1" ;; esac
  shift
done
trap 'echo "$?" >&4' EXIT
if [ "$1" = ${SEPARATOR_CHECKING_CWD} ]; then
  [ -x . ] && [ -x "$2" ] || exit ${CWD_CLOSED_STATUS}
  shift
fi
shift
[ -z "\${BASH_VERSION-}" ] || shopt -s execfail 2>/dev/null
{ exec "$@"; } 4>&-`;

const SHELL = '/bin/sh';
/** The fd of the socket on which the gate reports a failed exec: after stdin, stdout, stderr and the watchdog's pipe. */
const VERDICT_FD = 4;
/** What dash rewrites at startup; the gate sets each back to the caller's value, or unsets it. */
const REWRITTEN = new Set(['PWD', 'PPID', 'OPTIND', 'IFS']);
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Where /bin/sh is bash (Fedora, Arch): names it keeps readonly (setting one back ends the shell
 * before the command runs) or reads as its own options (`SHELLOPTS=xtrace` would trace the gate
 * onto the command's stderr). An environment with one goes through `env -i`, untouched.
 */
const BASH_OWN = new Set(['PPID', 'UID', 'EUID', 'SHELLOPTS', 'BASHOPTS', 'BASH_VERSINFO']);

let bashAsSh: boolean | undefined;

/** Whether /bin/sh is bash (a link to it, or the same file), looked at once. */
function shellIsBash(): boolean {
  bashAsSh ??= node.path.basename(canonicalPathOf(SHELL) ?? '').startsWith('bash') || ['/bin/bash', '/usr/bin/bash'].some((bash) => sameFile(SHELL, bash));
  return bashAsSh;
}

function sameFile(a: string, b: string): boolean {
  const first = node.fs.statSync(a, { throwIfNoEntry: false });
  const second = node.fs.statSync(b, { throwIfNoEntry: false });
  return first !== undefined && second !== undefined && first.dev === second.dev && first.ino === second.ino;
}

/** What to spawn instead of the command: the gate's shell, its arguments (the command last), its environment. */
export interface GatedSpawn {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Whether environment values that are not UTF-8 reach the command as their bytes: not through `env -i`, whose assignments are arguments, text. */
  readonly passesBytes: boolean;
}

/**
 * How to spawn `options`' command behind the gate, or undefined where the gate cannot apply (see
 * above). `registration`: the child's registration line around its pid (the watchdog's
 * `registrationAround`), which the gate completes with its own, and the watchdog's pid.
 */
export function gateCommand(options: ResolvedRunOptions, registration: readonly [before: string, after: string, watchdogPid: string]): GatedSpawn | undefined {
  if (options.argv0 !== undefined || !installed(SHELL)) return undefined;
  const argv = commandArgv(options);
  const env = childEnv(options);
  const shellEnv: NodeJS.ProcessEnv = {};
  const setBack: string[] = [];
  for (const [name, value] of env) {
    // dash refuses to start at all with a non-numeric OPTIND in its environment.
    if (!SHELL_NAME.test(name) || (name === 'OPTIND' && !/^\d+$/.test(value)) || (BASH_OWN.has(name) && shellIsBash())) return throughEnv(argv, env, registration, separatorFor(options));
    const bytes = givenBytes(name, value);
    // Bytes that are not UTF-8 cannot be handed over as they are: the shell makes them from ASCII.
    if (bytes !== undefined) setBack.push(`%${name}=${printfFormat(bytes)}`);
    else if (REWRITTEN.has(name)) setBack.push(`${name}=${value}`);
    else shellEnv[name] = value;
  }
  if (!env.some(([name]) => name === 'PWD')) setBack.push('-PWD');
  if (!env.some(([name]) => name === 'PATH')) setBack.push(`:${DEFAULT_PATH}`);
  return { file: SHELL, args: ['-c', SCRIPT, 'subvisor-gate', ...registration, ...setBack, ...separatorFor(options), ...argv], env: { ...shellEnv, ...SHELL_PWD }, passesBytes: true };
}

/**
 * The gate shell's own PWD (the command's is set back, or unset, before the exec). A shell starting
 * without a PWD that names its cwd asks getcwd(), and in a cwd removed under the parent (a build
 * directory wiped while a shell sat in it) that fails and dash says so on the command's stderr,
 * `sh: 0: getcwd() failed: No such file or directory` (bash: `shell-init: error retrieving current
 * directory`), words the command never wrote. /proc/self/cwd is the shell's cwd, removed or not, so
 * both take it as their PWD without asking; where /proc is missing they ask as before.
 */
const SHELL_PWD = { PWD: '/proc/self/cwd' } as const;

/** The stdio entries of a gated child after its own three: the watchdog's pipe (fd 3; left closed when {@link UNREGISTERED}: Node opens nothing for an ignored fd above 2), its verdict socket (fd 4). */
export type GateStdio = [Writable | 'ignore', 'pipe'];

/** The {@link GateStdio} for the watchdog pipe `watchdogPipe` (from the watchdog's `registrationPipe`), or for none. */
export function gateStdio(watchdogPipe: Writable | undefined): GateStdio {
  return [watchdogPipe ?? 'ignore', 'pipe'];
}

/**
 * The registration of a gate spawned with no watchdog to register with (turned off, or it cannot
 * start): none (the `-` in the watchdog's pid's place skips it). Such a gate is spawned only for a
 * child given ids (see {@link givenIds}), for its verdict alone: without it, a cwd the user may not
 * enter would be entered as root, and a program it may not run behind setpriv (groups) would be
 * env's exit status 126, read as the command's own.
 */
export const UNREGISTERED = ['', '', '-'] as const;

/** Whether the child is given ids (uid, gid or groups): the gate then asks whether it may enter its cwd. */
export function givenIds(options: ResolvedRunOptions): boolean {
  return options.uid !== undefined || options.gid !== undefined || options.groups !== undefined;
}

/** The longest a start waits for its gate's verdict; past it, it goes on without one (a gate stopped by a debugger). */
const VERDICT_CAP_MS = 2000;

/**
 * Waits for the gated child's verdict: undefined once its command runs, or the exit status of its
 * failed exec (127: not found, 126: found but not runnable, 2: another error). A gate that died before
 * its exec (a signal) reports nothing: its exit says what happened.
 *
 * A verdict already given is read at once, without waiting for a turn of the event loop: after a
 * pass of spawns (`up` starts its processes back to back) most gates have long exec'd, and waiting a
 * turn for their verdicts held every start back (`up` of 100 noisy children: 5% of its time).
 * Otherwise the wait is asynchronous: while one gate execs, the event loop goes on relaying other
 * children's output and starting others. Whatever the command does meanwhile still reaches
 * whoever spawned it, who attaches to its pipes only once this resolves: the pipes are held unread
 * until then (see `readPipesInPlace` in ../output/pipe-reads.ts; what the command writes waits in
 * the kernel's pipe, and a full pipe makes it wait).
 */
export async function gateVerdict(child: ChildProcess): Promise<number | undefined> {
  const control = child.stdio[VERDICT_FD];
  if (!isDuplex(control)) return undefined; // no socket: go on without the verdict, as without the gate
  const given = reportSoFar(control);
  if (given.ended) {
    control.destroy();
    return statusOf(given.report);
  }
  return verdict(control, given.report);
}

/** What the gate has reported by now, and whether its report has ended, read without waiting. */
interface ReportSoFar {
  readonly report: string;
  readonly ended: boolean;
}

const reportScratch = Buffer.alloc(64);

/**
 * Reads what the verdict socket already holds, straight from its descriptor (non-blocking, as
 * libuv made it: a gate stopped before its exec cannot block this read): up to the end, or up to
 * the point where a read would wait (EAGAIN; EINTR is taken the same way, and the event loop's
 * read retries). A socket whose descriptor is not at hand, or that the event loop has read from
 * already, reports nothing yet. A gate that died shows as the end with nothing reported; a failed
 * read is taken the same way, as in {@link verdict}.
 */
function reportSoFar(control: Socket): ReportSoFar {
  const fd = (control as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  // spawnProcess asks in the turn of the spawn, before the event loop has polled the socket; for
  // any other caller, bytes the loop has read already are in the stream, ahead of the socket's.
  if (typeof fd !== 'number' || fd < 0 || control.readableLength > 0) return { report: '', ended: false };
  let report = '';
  for (;;) {
    let count: number;
    try {
      count = node.fs.readSync(fd, reportScratch);
    } catch (error) {
      const code = errnoCode(error);
      return code === 'EAGAIN' || code === 'EINTR' ? { report, ended: false } : { report: '', ended: true };
    }
    if (count === 0) return { report, ended: true };
    report += reportScratch.toString('latin1', 0, count);
  }
}

/** A finished report's meaning: nothing once the command runs, or its failed exec's status. */
function statusOf(report: string): number | undefined {
  return report === '' ? undefined : Number.parseInt(report, 10);
}

/** Reads the gate's report to its end, after `start` (what was read of it already): nothing once the command runs (EOF on exec), or its failed exec's status. */
function verdict(control: Socket, start: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let report = start;
    const done = (): void => {
      clearTimeout(cap);
      control.destroy();
      resolve(statusOf(report));
    };
    const cap = setTimeout(done, VERDICT_CAP_MS);
    cap.unref();
    control.setEncoding('latin1');
    control.on('data', (text: string) => (report += text));
    control.once('end', done);
    // A read error (a gate that died shows as a plain end): nothing reported; the exit tells what happened.
    control.once('error', () => {
      report = '';
      done();
    });
  });
}

function isDuplex(stream: unknown): stream is Socket {
  return stream instanceof Object && 'write' in stream && 'setEncoding' in stream;
}

/**
 * The errno that the status of a failed exec stands for (dash's mapping). 126 is any file dash
 * found but could not run: one that `execProblem` already found executable (`modeChecked`, as the
 * same user) was refused for its content, most likely a binary for another architecture.
 */
export function execStatusCode(status: number, modeChecked: boolean): string | undefined {
  if (status === 127) return 'ENOENT';
  if (status === 126) return modeChecked ? 'ENOEXEC' : 'EACCES';
  return undefined;
}

/** A gate whose exec goes through `env -i`, which sets the environment exactly (order included). */
function throughEnv(argv: readonly string[], env: readonly (readonly [string, string])[], registration: readonly [string, string, string], separator: readonly string[]): GatedSpawn | undefined {
  const program = argv[0] ?? '';
  if (!installed(ENV) || program.startsWith('-') || program.includes('=')) return undefined;
  const assignments = env.filter(([name]) => name !== '').map(([name, value]) => `${name}=${value}`);
  return { file: SHELL, args: ['-c', SCRIPT, 'subvisor-gate', ...registration, ...separator, ENV, '-i', '--', ...assignments, ...argv], env: { ...SHELL_PWD }, passesBytes: false };
}

function separatorFor(options: ResolvedRunOptions): string[] {
  return givenIds(options) ? [SEPARATOR_CHECKING_CWD, cwdAsked(options)] : [SEPARATOR];
}

/**
 * The cwd whose way the gate asks its user to search, absolute. `test -x .` alone passes a
 * directory the user may enter below one it may not (`/root/app`, /root 0700): Node's chdir, as
 * root, got it there, but every absolute path into it (`$PWD/x`, and so every file node resolves
 * from it) fails with EACCES, and systemd's `WorkingDirectory=`, entered as the user, refuses it.
 * `.` alone where the parent's own directory, from which a relative cwd is read, is gone, and for
 * a child given this process's own ids: it may use any cwd this process may (this process may
 * itself run below a directory it may not search, entered as root before it switched).
 */
function cwdAsked(options: ResolvedRunOptions): string {
  return crossesUsers(options.uid, options.gid) ? (cwdWay(options) ?? '.') : '.';
}

