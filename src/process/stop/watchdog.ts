import type { ChildProcess } from 'node:child_process';
import { node } from '../../builtins.js';
import type { Writable } from 'node:stream';
import { getLogger } from '../../log/logger.js';
import { DEFAULT_PATH } from '../spawn/diagnose.js';
import { fdShortage } from '../spawn/fd-headroom.js';

/**
 * The one thing a parent cannot do for its children is outlive a SIGKILL: it runs no code at all
 * then, not even 'exit' listeners. So one tiny watchdog per parent (not per child: a spawn must
 * stay as cheap as a raw `child_process.spawn`) holds the read end of a pipe whose write end is
 * ours (and, for the moment of a start, a gated child's: see ../spawn/gate.ts). Each supervised child is registered on it while alive (`+ TARGET GRACE_MS SIGNAL`: a
 * process group as `-PGID`, the signal by number) and released when gone (`- TARGET`). When the
 * pipe reaches EOF the parent is gone, however it died: the watchdog sends every group still
 * registered its own stop signal and SIGCONT (a stopped process would not run its handler), then
 * SIGKILL to each group still alive when its own grace has passed, and exits once none is left.
 * Each group keeps its own grace: one child with a long grace must not keep a sibling that ignores
 * SIGTERM alive for as long. A group whose grace is infinite gets its signal and nothing more.
 *
 * What a group's members started in a group of their own (setsid: a daemon, a PostgreSQL backend)
 * gets that SIGKILL too, as at the end of a stop's grace (see ./terminate.ts), but is looked up in
 * /proc at our death, before any signal: once its parent obeys the stop signal it is init's child,
 * tied to nothing. Like a stop, it gets no stop signal of its own. Each is known by its pid and its
 * start time, and killed only while both still match, so a pid reused during the grace is left
 * alone. Those a stop found as it began are registered as `+ PID.START GRACE 0` until it ends
 * (see {@link watchOverEscapee}): the members that started them may have died of its stop
 * signal, the group gone or held by others, and then nothing ties them to it, so they would not
 * be found. They get the SIGKILL at their grace, each only while still itself. Only with a /proc
 * of our own pid namespace (/proc/self is the shell itself: another namespace's /proc numbers
 * other processes); without one, the groups alone, as before.
 *
 * Any POSIX sh will do, and the kill builtins differ: dash's takes a group (-PGID) only after
 * `--`, BusyBox's (Alpine's /bin/sh) refuses `--` as a bad pid and takes the group without it, so
 * the watchdog asks its own shell which (`$dd`) once the parent is gone.
 *
 * It is `sh` and `awk`, not `node`: a few milliseconds to start once, a couple of megabytes to
 * keep, and awk reads the registrations in buffered chunks (a shell's `read` costs a system call
 * per byte). It runs in its own session and ignores the terminal's signals, so a Ctrl-C or a kill
 * of the parent's process group (what CI runners do) cannot take it down before it has done its
 * job. Its write end is close-on-exec, so no child of ours holds it open past our death but a gated
 * child until it has written its own registration (the gate's point), and its handles are unref'd, so it never keeps the parent's event loop alive.
 *
 * A watchdog that dies (killed, or out of memory) is replaced at once, and the replacement is
 * given every live registration as arguments: they are part of it from its first instruction, so
 * there is no moment at which it runs without knowing them. The parent dying in the instant
 * between the old one's death and the new one's spawn is the only window left.
 *
 * A line is taken only as subvisor writes it: a target that is a pid, a group or PID.START, none of
 * them 0 or 1, and numbers for the grace (or `inf`) and the signal. A gated child run as another
 * user holds the pipe for a moment, and the watchdog acts as us (root, under `up` with `user:`):
 * `-1` would have it signal every process on the machine, and a grace of `x[$(cmd)]` is run as
 * code by bash's arithmetic (where /bin/sh is bash), by dash's an error that ends the watchdog.
 *
 * Best effort by design: if it cannot be started (no /bin/sh, EMFILE), supervision goes on without
 * it and the next registration tries again. `SUBVISOR_WATCHDOG=0` in the environment turns it off.
 */
const SCRIPT = `
trap '' INT TERM HUP QUIT PIPE
procs=
read -r self _ 2>/dev/null </proc/self/stat && [ "$self" = $$ ] && procs=/proc
awk '
function take(line, f) {
  n = split(line, f, " ")
  if (f[1] == "+" && n == 4 && ours(f[2]) && f[3] ~ /^([0-9]+|inf)$/ && f[4] ~ /^[0-9]+$/) live[f[2]] = f[3] " " f[4]
  else if (f[1] == "-" && n == 2) delete live[f[2]]
}
function ours(t) {
  return t ~ /^-?[1-9][0-9]*([.][0-9]+)?$/ && t !~ /^-?1([.]|$)/ && t !~ /^-.*[.]/
}
BEGIN { for (i = 1; i < ARGC; i++) { take(ARGV[i]); delete ARGV[i] } }
{ take($0) }
END { for (t in live) print t, live[t] }
' "$@" | {
  tick() {
    if read -r up _ 2>/dev/null </proc/uptime; then now=$(( \${up%.*} * 100 + 1\${up#*.} - 100 )); else now=$((now + 5)); fi
  }
  same() {
    read -r s 2>/dev/null </proc/$1/stat || return 1
    want=$2
    set -- \${s##*) }
    case $1 in Z|X) return 1;; esac
    [ "\${20}" = "$want" ]
  }
  escapees() {
    awk -v groups="$*" 'BEGIN {
      n = split(groups, g, " ")
      for (i = 1; i <= n; i++) { split(g[i], f, ":"); grace[f[1]] = f[2] }
      for (i = 1; i < ARGC; i++) {
        s = ""
        while ((getline line < ARGV[i]) > 0) s = s line " "
        close(ARGV[i])
        pid = ARGV[i]; gsub(/[^0-9]/, "", pid)
        if (!sub(/.*[)] /, "", s)) continue
        split(s, f, " ")
        if (f[1] == "Z" || f[1] == "X") continue
        start[pid] = f[20]; kids[f[2]] = kids[f[2]] " " pid
        if (f[3] in grace) { queue[++last] = pid; from[pid] = f[3] }
      }
      for (q = 1; q <= last; q++) {
        m = split(kids[queue[q]], k, " ")
        for (j = 1; j <= m; j++) {
          c = k[j]
          if (c in from) continue
          from[c] = from[queue[q]]; queue[++last] = c
          if (grace[from[c]] != "inf") print c "." start[c] ":" grace[from[c]]
        }
      }
      exit
    }' /proc/[0-9]*/stat
  }
  dd=; kill -s 0 -- $$ 2>/dev/null && dd=--
  now=0; pending=; signals=; groups=
  while read -r target grace signal; do
    signals="$signals $target:$signal"
    [ "$grace" = inf ] || grace=$(( (grace + 9) / 10 ))
    [ "$grace" = inf ] || pending="$pending $target:$grace"
    case $target in -*) groups="$groups \${target#-}:$grace";; esac
  done
  [ -n "$groups" ] && [ -n "$procs" ] && pending="$pending $(escapees $groups)"
  for entry in $signals; do
    target=\${entry%:*}
    case $target in *.*) same "\${target%.*}" "\${target#*.}" || continue; target=\${target%.*} ;; esac
    kill -s "\${entry#*:}" $dd "$target" 2>/dev/null
    kill -s CONT $dd "$target" 2>/dev/null
  done
  tick; start=$now
  while [ -n "$pending" ]; do
    sleep 0.05 2>/dev/null || sleep 1
    tick; left=
    for entry in $pending; do
      target=\${entry%:*}
      case $target in
        *.*) same "\${target%.*}" "\${target#*.}" || continue; target=\${target%.*} ;;
        *) kill -s 0 $dd "$target" 2>/dev/null || continue ;;
      esac
      if [ $((now - start)) -ge "\${entry#*:}" ]; then kill -s KILL $dd "$target" 2>/dev/null; else left="$left $entry"; fi
    done
    pending=$left
  done
}
`;

/** What the watchdog needs to know of a child to stop it in the parent's place. */
export interface WatchedChild {
  readonly pid: number;
  /** The child leads its own process group (a new session): the whole group is stopped, else the child alone. */
  readonly newSession: boolean;
  readonly killGraceMs: number;
  readonly stopSignal: NodeJS.Signals;
}

interface Registration {
  /** The line that registers it; the last registration of a target wins. */
  line: string;
  /** How many holders keep it registered (spawn until the exit, the supervisor until the group is gone). */
  holders: number;
}

interface Watchdog {
  readonly child: ChildProcess;
  readonly stdin: Writable;
  readonly startedAt: number;
  /** Lines handed to {@link write} and not yet to the stream. */
  queued: string;
  /** A write to the stream has not completed yet. */
  writing: boolean;
}

/** A watchdog that dies sooner than this after starting is not replaced at once more than {@link QUICK_DEATHS} times in a row. */
const MIN_LIFETIME_MS = 1000;
/** A watchdog that keeps dying right away (say, no awk) would otherwise be respawned in a loop. */
const QUICK_DEATHS = 3;

let disabled: boolean | undefined;
let watchdog: Watchdog | undefined;
/** By target: a pid, a group (-PGID), or a process that left its group (PID.START). */
const registrations = new Map<number | string, Registration>();
/** Releases not yet written: they go out with the next registration, or at the end of this loop turn. */
let pendingReleases = '';
let flushScheduled = false;
let quickDeaths = 0;

/**
 * Registers `child` (its process group when it leads one) to be stopped if the parent dies
 * without stopping it, and returns the function that releases this hold (idempotent). A target
 * registered twice (by the spawn, then by its supervisor) stays registered until both released it.
 * The line goes into the watchdog's pipe at once, unless the pipe is full (see {@link write}).
 * `written`: the child writes its registration line itself (the spawn gate does, see
 * {@link registrationPipe}); it is only recorded here, for a replacement watchdog and the release.
 */
export function watchOverChild(child: WatchedChild, written = false): () => void {
  if (!watchdogEnabled()) return noop;
  const [before, after] = registrationAround(child);
  return register(child.newSession ? -child.pid : child.pid, `${before}${child.pid}${after}\n`, written);
}

/**
 * Registers a process that left a child's group, found by a stop as it began, until that stop ends
 * (see ./terminate.ts), to be SIGKILLed if the parent dies first, when `killGraceMs` has passed since
 * that death, only while its pid still runs with the same start time. No stop signal (0): as for
 * those the watchdog finds itself, its parent, if it has one left, stops it. Returns the function
 * that releases it (idempotent).
 */
export function watchOverEscapee(escapee: { readonly pid: number; readonly startTime: string }, killGraceMs: number): () => void {
  if (!watchdogEnabled()) return noop;
  const grace = graceField(killGraceMs);
  const target = `${escapee.pid}.${escapee.startTime}`;
  return register(target, `+ ${target} ${grace} 0\n`, false);
}

function register(target: number | string, line: string, written: boolean): () => void {
  let registration = registrations.get(target);
  const changed = registration?.line !== line;
  registration ??= { line, holders: 0 };
  registration.line = line;
  registration.holders += 1;
  registrations.set(target, registration);
  const fresh = watchdog === undefined;
  const running = watchdog ?? start(); // a new watchdog has every registration already, this one included
  if (running !== undefined && !fresh && changed && !written) write(running, line);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release(target, registration);
  };
}

/**
 * A child's registration line without its pid: what goes before the pid and what after it (newline
 * excluded). The spawn gate writes `BEFORE$$AFTER` itself, as the very first thing the child does.
 */
export function registrationAround(child: Omit<WatchedChild, 'pid'>): readonly [before: string, after: string] {
  return [`+ ${child.newSession ? '-' : ''}`, ` ${graceField(child.killGraceMs)} ${signalNumber(child.stopSignal)}`];
}

/**
 * A grace as a line carries it: whole milliseconds, in digits (what the watchdog takes, and its
 * shell's arithmetic can hold), or `inf`, for Infinity and for one too long for that (1e21 would
 * be written `1e+21`, and the line dropped).
 */
function graceField(killGraceMs: number): string {
  const ms = Math.ceil(killGraceMs);
  return Number.isSafeInteger(ms) ? String(ms) : 'inf';
}

/**
 * The watchdog's pipe, for a child to write its own registration on before it runs anything (the
 * spawn gate, ../spawn/gate.ts): started if need be, with every pending release written first, so
 * that the child's line can never overtake the release of a process whose id it reuses. While any
 * process holds this pipe the watchdog cannot see its end, so a child that holds it from its fork
 * on is either registered or gone by the time the watchdog acts on our death. Undefined when there
 * is no watchdog (off, or it cannot be started): the child is then registered after `spawn()`.
 */
export async function registrationPipe(): Promise<{ readonly stream: Writable; readonly pid: number } | undefined> {
  if (!watchdogEnabled()) return undefined;
  const running = watchdog ?? start();
  if (running === undefined) return undefined;
  if (pendingReleases !== '') write(running, '');
  // A full pipe (the watchdog lags behind) keeps lines in our queue: wait until all are out,
  // releases made meanwhile included.
  while (watchdog === running && !running.stdin.destroyed && (running.queued !== '' || running.stdin.writableLength > 0)) {
    await new Promise<void>((resolve) => afterWrite.push(resolve));
  }
  const { pid } = running.child;
  return watchdog === running && !running.stdin.destroyed && pid !== undefined ? { stream: running.stdin, pid } : undefined;
}

/** Whether a watchdog is used: the spawn gate is only worth its cost when one is. */
export function watchdogEnabled(): boolean {
  // Read once: SUBVISOR_WATCHDOG=0 turns it off (no extra process; a parent SIGKILL then orphans).
  // Windows has neither process groups nor sh.
  disabled ??= process.platform === 'win32' || process.env.SUBVISOR_WATCHDOG === '0';
  return !disabled;
}

function release(target: number | string, registration: Registration): void {
  registration.holders -= 1;
  if (registration.holders > 0 || registrations.get(target) !== registration) return;
  registrations.delete(target);
  if (watchdog === undefined) return; // a replacement will be given only what is still registered
  pendingReleases += `- ${target}\n`;
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushReleases).unref();
  }
}

/**
 * Writes the pending releases now. Called at the end of the loop turn, and by the parent's 'exit'
 * listener, which runs no further turn: a released group left registered would be signalled
 * again when we die, and by then its id may belong to someone else.
 */
export function flushReleases(): void {
  flushScheduled = false;
  if (pendingReleases === '' || watchdog === undefined) return;
  write(watchdog, '');
}

/** The most a single write to the watchdog's pipe carries: whole lines, one socket buffer each. */
const CHUNK_CHARS = 4096;
/** Called after each write to the stream completes (or fails), and when a watchdog is forgotten. */
let afterWrite: (() => void)[] = [];

/**
 * Queues `text` after the pending releases (so that a release and a re-registration of the same id
 * arrive in order) and writes it out. Gated children write their own lines into the same pipe,
 * which is a socket: a write of ours must never be split around one of theirs, where the watchdog
 * would read two broken lines. So one write at a time, of whole lines, at most {@link CHUNK_CHARS}:
 * small enough for the kernel to take whole or not at all. Writes to a pipe with room are done
 * synchronously by libuv, so that is at once unless the watchdog lags behind.
 */
function write(running: Watchdog, text: string): void {
  running.queued += pendingReleases + text;
  pendingReleases = '';
  pump(running);
}

function pump(running: Watchdog): void {
  if (running.writing || running.queued === '') return;
  if (running.stdin.destroyed || watchdog !== running) {
    running.queued = ''; // a replacement was given every live registration as arguments
    wroteOut();
    return;
  }
  const { queued } = running;
  const cut = queued.length <= CHUNK_CHARS ? queued.length : queued.lastIndexOf('\n', CHUNK_CHARS - 1) + 1;
  running.queued = queued.slice(cut);
  running.writing = true;
  // On an error (the watchdog died) the callback still comes; its replacement has every registration.
  running.stdin.write(queued.slice(0, cut), () => {
    running.writing = false;
    pump(running);
    wroteOut();
  });
}

function wroteOut(): void {
  const waiting = afterWrite;
  afterWrite = [];
  for (const resolve of waiting) resolve();
}

/** The watchdog's stdio: the pipe only the parent writes to, nothing else. */
const WATCHDOG_STDIO = ['pipe', 'ignore', 'ignore'] as const;

function start(): Watchdog | undefined {
  const lines = [...registrations.values()].map(({ line }) => line.slice(0, -1));
  // Short of fds, a spawn may lose its pipe for good (see ../spawn/fd-headroom.ts): not tried then.
  if (fdShortage(WATCHDOG_STDIO) !== undefined) return undefined; // go on without, retry next time
  let child: ChildProcess;
  try {
    // cwd '/': a long-lived helper must not pin whatever directory the parent happened to be in.
    child = node.childProcess.spawn('/bin/sh', ['-c', SCRIPT, 'subvisor-watchdog', ...lines], {
      stdio: [...WATCHDOG_STDIO],
      detached: true,
      cwd: '/',
      env: watchdogEnv(),
      windowsHide: true,
    });
  } catch {
    return undefined; // go on without, retry next time
  }
  // A failed spawn reports 'error' (and no 'exit'), with no stdin at all under EMFILE. Neither may
  // become an unhandled 'error' event, so the listeners go on before anything else.
  child.on('error', () => forget(child, false));
  child.on('exit', () => forget(child, true));
  const stdin = child.stdin;
  if (!stdin) return undefined;
  stdin.on('error', () => undefined); // EPIPE once it died: its 'exit' says so and replaces it
  pendingReleases = ''; // they were for the previous one; the new one knows only what is live
  watchdog = { child, stdin, startedAt: performance.now(), queued: '', writing: false };
  // Neither the process nor its pipe may keep the parent alive: it exists only for the parent's death.
  child.unref();
  (stdin as Writable & { unref?: () => void }).unref?.();
  return watchdog;
}

/**
 * The watchdog's environment: the parent's, with Node's default directories after its PATH, where
 * `awk` and `sleep` are. A parent whose PATH holds only node's own directory (nvm, a systemd unit's
 * `Environment=PATH=`, a slim image) would start a watchdog that dies at once, and nothing would
 * be left to stop the children at the parent's SIGKILL.
 */
function watchdogEnv(): NodeJS.ProcessEnv {
  const path = process.env.PATH;
  return { ...process.env, PATH: path === undefined || path === '' ? DEFAULT_PATH : `${path}:${DEFAULT_PATH}` };
}

/** The watchdog is gone (or never started): drop it, and replace it at once while children are registered. */
function forget(child: ChildProcess, exited: boolean): void {
  const current = watchdog;
  if (current?.child !== child) return;
  watchdog = undefined;
  pendingReleases = '';
  // Only its shell may have died: the awk reading the pipe would then live on with registrations
  // that are no longer kept up to date, and stop them (ids that may have been reused by then) when
  // we die. The whole group goes, and only then the pipe, whose EOF it would take for our death.
  if (child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ESRCH: the whole group is gone already
    }
  }
  current.stdin.destroy();
  current.queued = '';
  wroteOut(); // nobody waits on a forgotten watchdog's pipe
  if (!exited || registrations.size === 0) return;
  quickDeaths = performance.now() - current.startedAt < MIN_LIFETIME_MS ? quickDeaths + 1 : 0;
  if (quickDeaths < QUICK_DEATHS) start();
  else warnDying(); // the next registration tries again
}

let warnedDying = false;

/** Says once that the watchdog keeps dying at start: the promise it keeps no longer holds. */
function warnDying(): void {
  if (warnedDying) return;
  warnedDying = true;
  getLogger().warning(
    `the watchdog (/bin/sh running awk) died within ${MIN_LIFETIME_MS} ms of its start ${QUICK_DEATHS} times in a row: ` +
      'children will not be stopped if this process is killed with SIGKILL; check that /bin/sh, awk and sleep can run',
  );
}

function signalNumber(signal: NodeJS.Signals): number {
  // dash's kill knows names without "SIG" only, and not every name Node knows: the number is unambiguous.
  // Typed as total, but a few names (SIGBREAK, SIGLOST, SIGINFO) exist on some systems only.
  const numbers: Partial<Record<NodeJS.Signals, number>> = node.os.constants.signals;
  return numbers[signal] ?? numbers.SIGTERM ?? 15;
}

function noop(): void {
  // nothing was registered
}
