// subvisor, used as its README shows: runProcess for a command run to the end (in a nursery when
// several run together), superviseRunProcess with relayStdout for per-line relay to a logger (or,
// in relayLineEvents, to onLine), and the CalledProcessError a failure raises.
// The built package by its name (dist/index.js, through package.json's exports), as users import it.
import { CalledProcessError, openNursery, runProcess, superviseRunProcess } from 'subvisor';
import { didNotFail, LineCounter, type Contender } from './contender.js';

const LABEL = 'bench';
/** Every relayed line reaches the logger as `[bench:out] line`. */
export const RELAY_PREFIX = `[${LABEL}:out] `;

export const contender: Contender = {
  async exitStatus(cmd) {
    return (await runProcess([...cmd])).returncode;
  },

  async exitStatusesTogether(cmd, count) {
    // The structured way: every child belongs to the nursery, which returns only when all are done.
    const statuses: number[] = [];
    await openNursery(async (tn) => {
      for (let index = 0; index < count; index++) tn.startSoon(async () => void statuses.push((await runProcess([...cmd])).returncode));
    });
    return statuses;
  },

  async relayLines(cmd, maxLineBytes) {
    const sink = new LineCounter(RELAY_PREFIX.length);
    await superviseRunProcess([...cmd], { relayStdout: true, label: LABEL, logger: { io: sink.add }, maxLineBytes });
    return sink;
  },

  async failure(cmd) {
    try {
      await superviseRunProcess([...cmd]);
    } catch (error) {
      return error;
    }
    throw didNotFail(cmd);
  },

  describeFailure(error) {
    if (!(error instanceof CalledProcessError) || error.stderr === null) throw new Error(`bench: expected a CalledProcessError with stderr, got ${String(error)}`);
    return { exitCode: error.returncode, stderr: error.stderr };
  },
};

/**
 * S2's second subvisor reader: the same relay with `onLine`, each line an `OutputLine` event
 * (`{ label, stream, line, pid }`) instead of a `[bench:out] line` string for a logger. The counter
 * gets `event.line` itself, so it does what raw's split hands it, and nothing more.
 */
export async function relayLineEvents(cmd: readonly string[]): Promise<LineCounter> {
  const sink = new LineCounter();
  await superviseRunProcess([...cmd], { relayStdout: true, label: LABEL, onLine: (event) => sink.add(event.line) });
  return sink;
}
