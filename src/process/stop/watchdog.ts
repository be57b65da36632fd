import type { ChildProcess } from 'node:child_process';
import { node } from '../../builtins.js';
import type { Writable } from 'node:stream';

/**
 * The one thing a parent cannot do for its children is outlive a SIGKILL: it runs no code at all
 * then, not even 'exit' listeners. So one tiny watchdog per parent (not per child: a spawn must
 * stay as cheap as a raw `child_process.spawn`) holds the read end of a pipe whose only write end
 * is ours. Each supervised child's group is registered on it while alive (`+ TARGET GRACE_MS`) and
 * released when gone (`- TARGET GRACE_MS`). When the pipe reaches EOF the parent is gone, however
 * it died: the watchdog sends SIGTERM to every group still registered, SIGKILL to those still
 * alive after the longest grace, and exits.
 *
 * It is `sh` and `awk`, not `node`: a few milliseconds to start once, a couple of megabytes to
 * keep, and awk reads the registrations in buffered chunks (a shell's `read` costs a system call
 * per byte). It runs in its own session and ignores the terminal's signals, so a Ctrl-C or a kill
 * of the parent's process group (what CI runners do) cannot take it down before it has done its
 * job. Its write end is close-on-exec, so no child of ours holds it open past our death, and its
 * handles are unref'd, so it never keeps the parent's event loop alive. It does not outlive the
 * parent by more than one grace period: it exits right after the stop.
 *
 * Best effort by design: if it cannot be started (no /bin/sh, EMFILE), supervision goes on without
 * it and the next registration tries again. `SUBVISOR_WATCHDOG=0` in the environment turns it off.
 */
const SCRIPT = `
trap '' INT TERM HUP QUIT PIPE
awk '
$1 == "+" { live[$2] = $3; next }
$1 == "-" { delete live[$2]; next }
END { most = 0; list = ""; for (t in live) { list = list " " t; if (live[t] + 0 > most) most = live[t] + 0 } if (list != "") print most list }
' | {
  read -r most targets || exit 0
  kill -s TERM -- $targets 2>/dev/null
  waited=0
  while [ "$waited" -lt "$most" ]; do
    alive=
    for target in $targets; do kill -s 0 -- "$target" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && exit 0
    sleep 0.05 2>/dev/null || sleep 1
    waited=$((waited + 50))
  done
  kill -s KILL -- $targets 2>/dev/null
}
`;

let disabled: boolean | undefined;
let watchdog: { readonly child: ChildProcess; readonly stdin: Writable } | undefined;
/** Releases not yet written: they go out with the next registration, or at the end of this loop turn. */
let pendingReleases = '';
let flushScheduled = false;

/**
 * Registers `pid` (its process group when `group`) to be stopped if the parent dies without
 * stopping it; returns the function that releases it (idempotent).
 */
export function watchOverChild(pid: number, group: boolean, killGraceMs: number): () => void {
  if (process.platform === 'win32') return noop; // no process groups, no sh: nothing to watch with
  // Read once: SUBVISOR_WATCHDOG=0 turns it off (no extra process; a parent SIGKILL then orphans).
  disabled ??= process.env.SUBVISOR_WATCHDOG === '0';
  if (disabled) return noop;
  const target = group ? -pid : pid;
  const stdin = ensureStarted();
  if (stdin === undefined) return noop;
  // One write per child: the releases of children that ended since the last write ride along.
  send(stdin, `${pendingReleases}+ ${target} ${Number.isFinite(killGraceMs) ? Math.ceil(killGraceMs) : 2 ** 31 - 1}\n`);
  pendingReleases = '';
  let released = false;
  return () => {
    if (released) return;
    released = true;
    // A watchdog restarted since never heard of this entry: nothing to release.
    if (watchdog?.stdin !== stdin) return;
    pendingReleases += `- ${target}\n`;
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushReleases).unref();
    }
  };
}

/**
 * Writes the pending releases now. Called at the end of the loop turn, and by the parent's 'exit'
 * listener, which runs no further turn: a released group left registered would be signalled
 * again when we die, and by then its id may belong to someone else.
 */
export function flushReleases(): void {
  flushScheduled = false;
  if (pendingReleases === '' || watchdog === undefined) return;
  send(watchdog.stdin, pendingReleases);
  pendingReleases = '';
}

function ensureStarted(): Writable | undefined {
  if (watchdog) return watchdog.stdin;
  let child: ChildProcess;
  try {
    // cwd '/': a long-lived helper must not pin whatever directory the parent happened to be in.
    child = node.childProcess.spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true, cwd: '/', windowsHide: true });
  } catch {
    return undefined; // go on without, retry next time
  }
  // A failed spawn reports 'error' (and no 'exit'), with no stdin at all under EMFILE; a watchdog
  // that died (someone killed it) is replaced at the next registration. Neither may become an
  // unhandled 'error' event, so the listeners go on before anything else.
  const forget = (): void => {
    if (watchdog?.child !== child) return;
    watchdog = undefined;
    pendingReleases = ''; // they were for that one
  };
  child.on('error', forget);
  child.on('exit', forget);
  const stdin = child.stdin;
  if (!stdin) return undefined;
  stdin.on('error', forget);
  watchdog = { child, stdin };
  // Neither the process nor its pipe may keep the parent alive: it exists only for the parent's death.
  child.unref();
  (stdin as Writable & { unref?: () => void }).unref?.();
  return stdin;
}

function send(stdin: Writable, text: string): void {
  // Writes to a pipe with room are done synchronously by libuv, so a registration is in the pipe
  // before spawn's caller goes on, and a release made in an 'exit' listener still arrives.
  if (!stdin.destroyed) stdin.write(text);
}

function noop(): void {
  // nothing was registered
}
