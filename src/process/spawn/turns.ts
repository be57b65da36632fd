/**
 * Spawns share the event loop's turns, so that many of them started at once leave it free between
 * them.
 *
 * Why. `spawn()` is synchronous: it forks and waits for the child's exec, 1-3 ms on an idle
 * machine and 50 ms or more on a loaded one, and each start adds its own setup around it. `up`
 * launches every process at once, and every start's way to its spawn is promises alone, so the
 * spawns of all of them ran in one turn of the event loop: 200 copies of a process on two busy
 * cores held it for 15 s, during which no signal handler ran, no child's output was read and the
 * control socket took no request (`ps` said the run was suspended or stuck). A turn now holds
 * spawns for {@link TURN_BUDGET_MS} at most (the first one always goes, however long it takes);
 * later ones wait, in the order they came, for later turns, where each goes as the one before it
 * is done while that turn's budget lasts.
 *
 * A lone spawn, and a few that fit in the budget, go on at once without a wait: that path is what
 * a plain start takes, and it costs one `setImmediate` a turn.
 */

/**
 * How long one turn of the event loop may spend on spawns before the rest wait. Short enough for
 * the loop to serve a Ctrl-C or a `ps` between spawns at once to a person; long enough that the
 * spawns of a start of many are not spread thinner than they need to be (see {@link spawnDone}):
 * at 10 ms a loaded machine, where one spawn takes longer, spawned one a turn.
 */
const TURN_BUDGET_MS = 50;

/** When this turn's first spawn began (`performance.now()`), or undefined when none has in this turn. */
let turnBegan: number | undefined;
/** The spawns waiting for a later turn, oldest first. */
const waiting: (() => void)[] = [];

/**
 * Undefined when a spawn may go on in this turn (it is then counted against the turn's budget), or
 * a promise that resolves at the start of the turn it may go on in. A waiting spawn whose
 * `cancelled` aborts leaves the line, and its promise resolves at once (the caller, seeing the
 * signal aborted, spawns nothing): a Ctrl-C during a start of hundreds waits for none of those
 * still in line.
 */
export function spawnTurn(cancelled?: AbortSignal): Promise<void> | undefined {
  if (waiting.length === 0 && fitsThisTurn()) return undefined;
  return new Promise((resolve) => {
    const onAbort = (): void => {
      const at = waiting.indexOf(go);
      if (at !== -1) waiting.splice(at, 1);
      resolve();
    };
    const go = (): void => {
      cancelled?.removeEventListener('abort', onAbort);
      resolve();
    };
    waiting.push(go);
    cancelled?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Whether a spawn may go on in this turn, which it then begins if none has yet. */
function fitsThisTurn(): boolean {
  const now = performance.now();
  if (turnBegan === undefined) {
    turnBegan = now;
    setImmediate(nextTurn);
    return true;
  }
  return now - turnBegan < TURN_BUDGET_MS;
}

/** The turn is over: the oldest waiting spawn, if any, goes on in this one. */
function nextTurn(): void {
  turnBegan = undefined;
  const next = waiting.shift();
  if (next === undefined) return;
  fitsThisTurn();
  next();
}

/**
 * A spawn is done: the next one waiting goes on in this turn too while its budget lasts. One a
 * turn cost the parent CPU: `up` of 100 `seq 1 20000` took 25-40% more of it than all its spawns
 * in one turn did (on a loaded machine); going on in the turn took back about half of that.
 */
export function spawnDone(): void {
  if (waiting.length === 0 || turnBegan === undefined || performance.now() - turnBegan >= TURN_BUDGET_MS) return;
  waiting.shift()?.();
}
