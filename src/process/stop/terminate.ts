import { node } from '../../builtins.js';
import { groupHasLiveMembers } from './group.js';
import { processInternals, type Process } from '../process.js';

/** How a group is stopped: the first step, and how long it has before SIGKILL. */
export interface StopPolicy {
  readonly killGraceMs: number;
  readonly stopSignal: NodeJS.Signals;
  /** Replaces sending `stopSignal` + SIGCONT as the first step; called synchronously, fire-and-forget. */
  readonly deliverCancel?: (() => void) | undefined;
  /** Called once, just before the SIGKILL escalation. */
  readonly onEscalate?: (() => void) | undefined;
}

/** How a child is addressed when stopping it: its whole process group, or (newSession: false) itself. */
export interface StopTarget {
  readonly proc: Process;
  readonly newSession: boolean;
}

/**
 * Sends `signal` to the child's process group (a new-session child leads its own group, whose id
 * is its pid), or to the child alone. Returns false when nothing was there to receive it.
 */
export function signalTarget(target: StopTarget, signal: NodeJS.Signals): boolean {
  if (!target.newSession) {
    if (target.proc.returncode !== null) return false;
    target.proc.sendSignal(signal);
    return true;
  }
  try {
    process.kill(-target.proc.pid, signal);
    return true;
  } catch (error) {
    if (isNoSuchProcess(error)) return false;
    throw error;
  }
}

/** Whether anything is left to stop: the child, or (new session) a live member of its group. */
export function targetAlive(target: StopTarget): boolean {
  if (target.proc.returncode === null) return true;
  return target.newSession && groupHasLiveMembers(target.proc.pid);
}

/** How often to look whether the group has emptied: exits of grandchildren make no event here. */
const GROUP_POLL_MS = 10;
/** How long the members of a SIGKILLed group are given to actually be gone. */
const SIGKILL_SETTLE_MS = 1000;

/**
 * Stops the child and everything in its group: SIGTERM, then SIGKILL once `killGraceMs` has passed
 * with anything still alive (trio's default `deliver_cancel`). The grace is measured for the whole
 * group, not just the leader: a grandchild that ignores SIGTERM must not outlive the scope merely
 * because its parent obeyed. Resolves once the leader has exited and the group is empty: SIGKILL
 * cannot be refused, but it is delivered asynchronously, so its effect is waited for too (bounded:
 * a process stuck in the kernel, in uninterruptible sleep, dies only when the kernel lets it).
 */
export async function stopTarget(target: StopTarget, policy: StopPolicy): Promise<void> {
  if (!targetAlive(target)) return;
  if (policy.deliverCancel) policy.deliverCancel();
  else {
    signalTarget(target, policy.stopSignal);
    // A suspended member (job control, a debugger) would hold the stop signal unread until SIGKILL.
    signalTarget(target, 'SIGCONT');
  }
  const deadline = performance.now() + policy.killGraceMs;
  while (targetAlive(target)) {
    const left = deadline - performance.now();
    if (left <= 0) {
      policy.onEscalate?.();
      signalTarget(target, 'SIGKILL');
      await processInternals.exited(target.proc);
      const killedBy = performance.now() + SIGKILL_SETTLE_MS;
      while (targetAlive(target) && performance.now() < killedBy) await node.timersPromises.setTimeout(GROUP_POLL_MS);
      return;
    }
    // While the leader runs, its exit is an event worth waking for; once it has exited, its
    // wait() is settled and racing it would spin through microtasks for the whole grace, starving
    // the event loop, so only the poll interval is waited then.
    if (target.proc.returncode === null) await exitOrTimeout(target.proc, Math.min(left, GROUP_POLL_MS * 5));
    else await node.timersPromises.setTimeout(Math.min(left, GROUP_POLL_MS));
  }
}

/** Waits for the child's exit or `ms`, whichever comes first, leaving no timer behind. */
async function exitOrTimeout(proc: Process, ms: number): Promise<void> {
  const timer = new AbortController();
  try {
    await Promise.race([processInternals.exited(proc), node.timersPromises.setTimeout(ms, undefined, { signal: timer.signal })]);
  } finally {
    timer.abort();
  }
}

function isNoSuchProcess(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ESRCH';
}
