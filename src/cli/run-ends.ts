import { Interrupted, abortOnce, handleInterrupts, stopRunWhenOutputCloses, whatIsLeft, type OutputFailed } from './interrupts.js';
import { namesInWords } from './names-in-words.js';
import type { Output } from './output.js';
import type { ProcessSnapshot } from './stack/state.js';
import { stopOnUncaughtError, type UncaughtErrors } from './uncaught.js';

/** The listeners of {@link listenForEnds}, for the run's end. */
export interface RunEnds {
  readonly uncaught: UncaughtErrors;
  /** The run is over: only its last output is left to write (see handleInterrupts). */
  readonly runOver: () => void;
  /** What closed the output while the run went on, if anything did: the status then says so. */
  readonly closedBy: () => Interrupted | OutputFailed | undefined;
  readonly release: () => void;
}

/**
 * What ends a `run` or an `up` from outside while it goes on, each through `stop`: a Ctrl-C or
 * SIGTERM (a second one kills at once the processes still up, named; `killedWhat` when none is,
 * as what an exited one left is all that is killed), a closed stdout (or, with `fullFileStops`, one
 * whose file had no room: see ./stdout-file.ts), an error of ours nothing
 * caught (see ./uncaught.ts; it may wait `stopGraceMs` and a little more for the processes to stop).
 */
export function listenForEnds(stack: { readonly childrenRunning: boolean; ps(): ProcessSnapshot[] }, stop: AbortController, output: Output, options: { readonly killedWhat: string; readonly stopGraceMs: number; readonly fullFileStops: boolean }): RunEnds {
  const interrupts = handleInterrupts(
    // The first Ctrl-C ends the run as any end does: in reverse dependency order, each process
    // saying `stopping (SIGINT)` when its turn comes.
    (signal) => stop.abort(new Interrupted(signal)),
    ({ why, processesLeft }) => {
      // The run's own word: under `subvisor`, not as a state line of a process. No summary
      // follows (the CLI exits now, whatever a reader holds up), so this line says what is killed:
      // the first few names in words, every one in --json's `processes`.
      const killed = processesLeft ? stillUp(stack) : [];
      const what = killed.length === 0 ? options.killedWhat : namesInWords(killed);
      if (processesLeft) output.report(`subvisor: ${why}: killing ${what} at once`, { stream: 'report', event: 'killed', line: why, processes: killed });
      return output.abandon(why);
    },
    whatIsLeft(stack, output),
  );
  const outputWatch = stopRunWhenOutputCloses(stop, { fullFileStops: options.fullFileStops });
  const uncaught = stopOnUncaughtError({ stop: abortOnce(stop), abandon: (why) => output.abandon(why), stopGraceMs: options.stopGraceMs });
  const release = (): void => {
    interrupts.release();
    outputWatch.release();
    uncaught.release();
  };
  return { uncaught, release, runOver: interrupts.runOver, closedBy: outputWatch.closedBy };
}

/** The processes whose current attempt is still up (a pid to kill), in the run's order. */
function stillUp(stack: { ps(): ProcessSnapshot[] }): string[] {
  return stack
    .ps()
    .filter((row) => row.pid !== undefined)
    .map((row) => row.name);
}
