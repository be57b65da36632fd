import { node } from '../../builtins.js';
import { lastTry, probeFields } from './failures.js';
import type { ProbeResult } from './probes.js';
import { formatDuration } from './state.js';

/**
 * How long a process waits for its ready probe before a state line says it still does: long
 * enough that an ordinary slow start (a database's recovery, a bundler's first build) says
 * nothing, short enough that a probe that can never pass (a typo, a program that is not there:
 * a shell's status 127) is seen before one gives up on the run, which without a `readyTimeout`
 * would otherwise wait for ever, silent.
 */
export const STILL_NOT_READY_FIRST_MS = 30_000;

/**
 * The most between two such lines. Each comes after twice the wait of the one before (30 s, 1 min,
 * 2 min, ...): a wait left on for hours says it once in a while, not a screen of lines.
 */
const STILL_NOT_READY_MAX_GAP_MS = 10 * 60_000;

/**
 * Calls `say` with the time waited, `firstMs` after it is called, then at growing intervals (see
 * {@link STILL_NOT_READY_MAX_GAP_MS}), only for times before `untilMs` (a `readyTimeout`, which
 * says the rest itself; `Infinity` for none), until `signal` aborts. Resolves then; never rejects.
 */
export async function sayWhileNotReady(firstMs: number, untilMs: number, say: (afterMs: number) => void, signal: AbortSignal): Promise<void> {
  const began = performance.now();
  let dueMs = firstMs;
  while (dueMs < untilMs) {
    try {
      await node.timersPromises.setTimeout(dueMs - (performance.now() - began), undefined, { signal });
    } catch {
      return; // aborted: the wait is over
    }
    say(dueMs);
    // Once subvisor was suspended (Ctrl-Z) past several of them, the next is the next still ahead, not a burst.
    const waitedMs = performance.now() - began;
    do dueMs += Math.min(dueMs, STILL_NOT_READY_MAX_GAP_MS);
    while (dueMs <= waitedMs);
  }
}

/**
 * The state line of a process still waiting for its ready probe after `afterMs`, with its last
 * try as a liveness failure shows it, and the same fields in `--json` as a probe's failure.
 */
export function stillNotReady(afterMs: number, last: ProbeResult | undefined): { readonly text: string; readonly fields: Record<string, unknown> } {
  const tried = last === undefined ? 'no try has finished yet' : `last try: ${lastTry(last.output, last.exit)}`;
  return { text: `still not ready after ${formatDuration(afterMs)}; ${tried}`, fields: { afterMs: Math.round(afterMs), ...(last === undefined ? {} : probeFields(last.output, last.exit)) } };
}
