import { wholeCharactersUpTo } from '../log/cut-text.js';
import { writeText } from '../log/sinks/write.js';
import { dieOf, type DeadlySignal } from './exit-status.js';
import { errorSummary } from './internal-error.js';
import type { Terminals } from './terminal.js';

/**
 * The longest an exit at once waits for its last words (what is killed, what output is dropped)
 * to reach stderr. A terminal takes them in a moment, and a pipe whose reader reads at all; a
 * terminal paused with Ctrl-S takes nothing until Ctrl-Q (stderr's writes wait for it there: see
 * ./terminal-writes.ts), and the exit that `kill` or `timeout` asked for must not wait for a
 * person to come back. After this the words are dropped with the rest of the output.
 */
export const LAST_WORDS_MS = 1500;

let exiting = false;

/**
 * Signals that change nothing while the words wait: a third Ctrl-C, `timeout`'s SIGTERM after its
 * first. The run's listeners are gone by then, and a signal's default action would end the process
 * by that signal instead of with its status, and without its words. (A SIGHUP is the terminal gone,
 * where nothing more can be said, and dying of it is the clean way out: see dieOf.)
 */
const CHANGE_NOTHING = ['SIGINT', 'SIGTERM'] as const;

/**
 * Whether the process is already on its way out at once ({@link exitOnceSaid} was called): its
 * status and its last words are decided, and a signal or an error now changes neither.
 */
export function exitingAtOnce(): boolean {
  return exiting;
}

/** How a process whose terminal has hung up ends instead of exiting (see dieOf): the terminals it had, and the signal it dies of. */
export interface HungUpEnd {
  readonly terminals: Terminals;
  readonly signal: DeadlySignal;
}

/**
 * Exits with `status` once `said` has settled and stderr has written everything it was given
 * before then, or after {@link LAST_WORDS_MS}, whichever comes first. Until then the program goes
 * on (the caller has already killed what it had to); a timer keeps it alive for the exit. Only the
 * first call counts; an error nothing caught during the wait is said in a line (see sayFirstError)
 * and changes nothing either. Once one of `hungUp.terminals` has hung up, before the wait or during it (its
 * window closed while it was paused), it dies of `hungUp.signal` instead, the words unsaid: an
 * exit then crashes Node 20 (see dieOf).
 *
 * @param said - Settles once the last words are given to stderr. Default: they already are.
 */
export function exitOnceSaid(status: number, said: Promise<void> | undefined, hungUp: HungUpEnd): void {
  if (exiting) return;
  exiting = true;
  for (const signal of CHANGE_NOTHING) process.on(signal, changeNothing);
  const exit = (): void => {
    if (hungUp.terminals.hungUp() !== undefined) dieOf(hungUp.signal);
    process.exit(status);
  };
  if (hungUp.terminals.hungUp() !== undefined) exit();
  setTimeout(exit, LAST_WORDS_MS);
  // A write calls back once stderr has written it and everything queued before it: the exit waits
  // for the latest one, an empty one if nothing more is said.
  let writes = 0;
  let saidAll = false;
  const sayAfter: string[] = [];
  const sayThenExit = (text: string): void => {
    writes += 1;
    const mine = writes;
    const ifLatest = (): void => {
      if (mine === writes) exit();
    };
    if (!writeText(process.stderr, text, ifLatest)) exit();
  };
  // Before `said` settles, words wait for the last words (which may wait for stdout's write under
  // way, not to land inside its line), and go out with the empty write.
  const say = (text: string): void => {
    if (saidAll) sayThenExit(text);
    else sayAfter.push(text);
  };
  // Node's own end for an error nothing catches would exit with 1 instead, its stack written to
  // stderr with a blocking write that a paused terminal holds up.
  process.on('uncaughtException', sayFirstError(status, say));
  const afterSaid = (): void => {
    saidAll = true;
    sayThenExit(sayAfter.join(''));
  };
  (said ?? Promise.resolve()).then(afterSaid, afterSaid);
}

/**
 * The most of an error's text said while the process waits for its last words to exit: its first
 * line, cut short. A defect that throws on every tick would otherwise fill the wait with stacks.
 */
const ERROR_WHILE_EXITING_CHARS = 200;

/**
 * What an error nothing caught does while the process waits for its last words to exit: nothing
 * changes (it ends with `status`, as decided), and the first such error is said with `say` in one
 * line, so that a defect is not left unsaid; any more would say nothing new.
 */
function sayFirstError(status: number, say: (text: string) => void): (error: unknown) => void {
  let told = false;
  return (error) => {
    if (told) return;
    told = true;
    const [firstLine = ''] = errorSummary(error).split('\n', 1);
    const short = firstLine.length > ERROR_WHILE_EXITING_CHARS ? `${wholeCharactersUpTo(firstLine, ERROR_WHILE_EXITING_CHARS)}...` : firstLine;
    say(`subvisor: an internal error while exiting with status ${status}: ${short}\n`);
  };
}

/** A signal while the last words wait: the exit is already decided (see CHANGE_NOTHING). */
function changeNothing(): void {
  // on purpose: see CHANGE_NOTHING
}
