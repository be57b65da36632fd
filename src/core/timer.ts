/** setTimeout's largest delay: Node fires a longer one after 1 ms, with a TimeoutOverflowWarning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fire` once `ms` have passed, however many that is, and returns the way to call it off.
 *
 * A wait longer than one timer can hold is a chain of timers of at most `limitMs` each: treating
 * it as "never" would turn a 30-day deadline into none, and refusing it would make every caller
 * that computes a deadline clamp it first. `Infinity` arms nothing. `limitMs` is there for tests,
 * which cannot wait 24.8 days to see the chain hand over.
 */
export function startTimer(ms: number, fire: () => void, limitMs = MAX_TIMER_MS): () => void {
  if (ms === Infinity) return noTimer;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (left: number): void => {
    timer = left > limitMs ? setTimeout(() => arm(left - limitMs), limitMs) : setTimeout(fire, left);
  };
  arm(ms);
  return () => clearTimeout(timer);
}

function noTimer(): void {
  // an infinite wait armed nothing, so there is nothing to clear
}

/** Whether `promise` settles within `ms`; false at once if `interrupt` aborts first. No timer survives. */
export async function settlesWithin(promise: Promise<unknown>, ms: number, interrupt?: AbortSignal): Promise<boolean> {
  if (interrupt?.aborted) return false;
  let release: () => void = noTimer;
  try {
    return await Promise.race([
      promise.then(() => true),
      new Promise<false>((resolve) => {
        const onAbort = (): void => resolve(false);
        // Any duration, however long, is honoured: a plain timer past 2^31-1 ms fires after 1 ms.
        const cancelTimer = startTimer(Math.max(ms, 0), () => resolve(false));
        interrupt?.addEventListener('abort', onAbort, { once: true });
        release = () => {
          cancelTimer();
          interrupt?.removeEventListener('abort', onAbort);
        };
      }),
    ]);
  } finally {
    release();
  }
}
