import { parseLogsArgs } from '../args.js';
import { request } from '../control/client.js';
import { EXIT, signalStatus, type Ending } from '../exit-status.js';
import { endingOfClosedOutput, stopWhenOutputCloses, type Interrupted, type OutputFailed } from '../interrupts.js';
import { createOutput } from '../output.js';
import { runSocket } from './run-socket.js';

/**
 * `subvisor logs [-f] [-n N] [NAME...]`: the last N output lines of the named processes (all
 * when none is named) from the run's memory, in the order they came, shown as `up` shows them;
 * with -f, then each new line until Ctrl-C (status 130), the end of the run (status 0) or the
 * end of whoever reads it (status 141, as SIGPIPE ends a filter).
 */
export async function logsCommand(args: readonly string[]): Promise<Ending> {
  const parsed = parseLogsArgs(args);
  const socket = runSocket(parsed);
  // Ctrl-C ends a follow as its normal end (status 130), at any moment, the first request included.
  const interrupted = new AbortController();
  const onInterrupt = (): void => interrupted.abort();
  if (parsed.follow) process.once('SIGINT', onInterrupt);
  // A reader that went away (`logs -f | grep -m1 ready`) ends it as SIGPIPE ends a filter (141);
  // a terminal that went away, as SIGHUP would.
  let closedBy: Interrupted | OutputFailed | undefined;
  const releaseOutput = stopWhenOutputCloses((reason) => {
    closedBy ??= reason;
    interrupted.abort(reason);
  });
  try {
    // Names are padded to the widest, as `up` pads them (every name, in the run's order: a name
    // given may stand for several, `web` for web.1 and web.2).
    const output = createOutput({ names: await allNames(socket, interrupted.signal), json: false });
    try {
      await request(socket, { command: 'logs', names: parsed.names, lines: parsed.lines, follow: parsed.follow }, { onLine: (line) => void output.line(line.name, line.stream, line.line), signal: interrupted.signal });
    } finally {
      await output.close();
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    releaseOutput();
  }
  if (closedBy !== undefined) return endingOfClosedOutput(closedBy);
  return { exitCode: interrupted.signal.aborted ? signalStatus('SIGINT') : EXIT.ok };
}

async function allNames(socket: string, signal: AbortSignal): Promise<string[]> {
  return ((await request(socket, { command: 'ps' }, { signal }))?.processes ?? []).map((row) => row.name);
}
