import { parseLogsArgs } from '../args.js';
import { request } from '../control/client.js';
import { EXIT, signalStatus, type Ending } from '../exit-status.js';
import { createOutput } from '../output.js';
import { runSocket } from './run-socket.js';

/**
 * `subvisor logs [-f] [-n N] [NAME...]`: the last N output lines of the named processes (all
 * when none is named) from the run's memory, in the order they came, shown as `up` shows them;
 * with -f, then each new line until Ctrl-C (status 130) or the end of the run (status 0).
 */
export async function logsCommand(args: readonly string[]): Promise<Ending> {
  const parsed = parseLogsArgs(args);
  const socket = runSocket(parsed);
  // Names are padded to the widest, as `up` pads them: that needs every name when none is given.
  const names = parsed.names.length > 0 ? parsed.names : ((await request(socket, { command: 'ps' }))?.processes ?? []).map((row) => row.name);
  const output = createOutput({ names, json: false });
  const interrupted = new AbortController();
  const onInterrupt = (): void => interrupted.abort();
  if (parsed.follow) process.once('SIGINT', onInterrupt);
  try {
    await request(socket, { command: 'logs', names: parsed.names, lines: parsed.lines, follow: parsed.follow }, { onLine: (line) => void output.line(line.name, line.stream, line.line), signal: interrupted.signal });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    await output.close();
  }
  return { exitCode: interrupted.signal.aborted ? signalStatus('SIGINT') : EXIT.ok };
}
