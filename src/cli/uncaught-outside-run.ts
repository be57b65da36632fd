import { exitOnceSaid, exitingAtOnce } from './last-words.js';
import type { Terminals } from './terminal.js';

/** How many runs listen for errors nothing caught (see ./uncaught.ts): while one does, the error is its to handle. */
let runsListening = 0;

/**
 * Marks a run as the one that handles an error nothing caught (./uncaught.ts stops it in order),
 * until the function returned is called (once is enough; more calls change nothing).
 */
export function runTakesUncaughtErrors(): () => void {
  runsListening += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    runsListening -= 1;
  };
}

/**
 * Ends the CLI with the status `reported` gives (having said the error) after an error nothing
 * caught that no run is there to handle: one thrown in a callback after a command's promise has
 * gone on (a socket's 'data' handler of `ps` or `logs -f`, a write's callback, a timer), or a
 * rejection nobody handled. Without this, Node's own end said it as a crash with status 1, which a
 * script cannot tell from a failed command, where an error of ours met while the command's promise
 * runs says the same words and exits 70 (see `reported` in ./main.ts). The command may wait on
 * forever (`logs -f`), so the exit is at once, once the words are said (see exitOnceSaid).
 */
export function exitOnUncaughtError(reported: (error: unknown) => number, terminals: Terminals): void {
  process.on('uncaughtException', (error) => {
    // Already on the way out (the wait says it), or a run's to stop in order.
    if (exitingAtOnce() || runsListening > 0) return;
    exitOnceSaid(reported(error), undefined, { terminals, signal: 'SIGHUP' });
  });
}
