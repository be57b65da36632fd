import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Whether `pid` is a running process. A zombie is not running: pid 1 on some machines (micro-VM
 * inits) never reaps orphans, so a killed grandchild can stay a zombie for good.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls `condition` until it holds; throws after `timeoutMs` naming `what`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** A structural logger that records what is relayed to it at `io` (or any level method given). */
export function captureLogger(): { io: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { io: (line: string) => void lines.push(line), lines };
}

/** Kills what a failed test may have left behind; a no-op for pids already gone. */
export function killQuietly(...pids: (number | undefined)[]): void {
  for (const pid of pids) {
    if (pid === undefined) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * The fds the Node process `pid` waits to write to (a pipe nobody reads, a paused terminal): libuv
 * watches an fd for EPOLLOUT only while a write to it is queued. None once it is gone.
 */
export function fdsWaitingToWrite(pid: number): number[] {
  const EPOLLOUT = 0x4;
  let entries: string[] = [];
  try {
    entries = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return []; // gone
  }
  const waiting: number[] = [];
  for (const entry of entries) {
    let info = '';
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${entry}`, 'utf8');
    } catch {
      continue; // closed meanwhile
    }
    for (const [, watched, events] of info.matchAll(/^tfd:\s+(\d+)\s+events:\s+([0-9a-f]+)/gm)) {
      if ((Number.parseInt(events ?? '0', 16) & EPOLLOUT) !== 0) waiting.push(Number(watched));
    }
  }
  return waiting;
}

/** Whether the Node process `pid` waits for its fd `fd` to take a write (see {@link fdsWaitingToWrite}). */
export function waitsToWrite(pid: number, fd: number): boolean {
  return fdsWaitingToWrite(pid).includes(fd);
}

/**
 * Whether `signal` sent to `pid` waits to be delivered: the kernel has not yet run its action (nor a
 * handler) for it. Not once `pid` is gone (reaped: it may have exited before the signal came).
 */
export function signalPending(pid: number, signal: NodeJS.Signals): boolean {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return false; // gone
  }
  const bit = 1n << BigInt(constants.signals[signal] - 1);
  return [...status.matchAll(/^(?:SigPnd|ShdPnd):\s+([0-9a-f]+)$/gm)].some(([, mask]) => (BigInt(`0x${mask ?? '0'}`) & bit) !== 0n);
}

/** Whether `pid` has a handler for `signal` (its bit in /proc's SigCgt); false once it is gone. */
export function catches(pid: number, signal: NodeJS.Signals): boolean {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return false; // gone
  }
  const mask = /^SigCgt:\s+([0-9a-f]+)$/m.exec(status)?.[1] ?? '0';
  return (BigInt(`0x${mask}`) & (1n << BigInt(constants.signals[signal] - 1))) !== 0n;
}
