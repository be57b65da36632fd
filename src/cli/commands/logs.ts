import { parseLogsArgs, type LogsArgs } from '../args.js';
import { request } from '../control/client.js';
import { ControlError, UNKNOWN_PROCESS } from '../control/errors.js';
import { node } from '../../builtins.js';
import { EXIT, signalStatus, type Ending } from '../exit-status.js';
import { endingOfClosedOutput, stopWhenOutputCloses, type Interrupted, type OutputFailed } from '../interrupts.js';
import { createOutput } from '../output.js';
import { writeText } from '../../log/sinks/write.js';
import { runSocket } from './run-socket.js';
import { findConfigFile } from './config-file.js';
import { loadConfig } from '../config/load.js';
import { STDIN_CONFIG } from '../config/location.js';
import { join } from 'node:path';

/**
 * `subvisor logs [-f] [-n N] [NAME...]`: the last N output lines of the named processes (all
 * when none is named) from the run's memory, in the order they came, shown as `up` shows them;
 * with -f, then each new line until Ctrl-C (status 130), the end of the run (status 0) or the
 * end of whoever reads it (status 141, as SIGPIPE ends a filter). Its reading follows its output:
 * when that is full, the run holds the lines (up to a bound), and lines past the bound are left
 * out, said on stderr where they would have been, and make the status 1 at the run's end.
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
  let skipped = 0;
  try {
    // Names are padded to the widest, as `up` pads them (every name, in the run's order: a name
    // given may stand for several, `web` for web.1 and web.2), and coloured as `up` colours them.
    const output = createOutput({ ...(await namesOfRun(socket, interrupted.signal, parsed)), json: false });
    const onSkipped = (lines: number): void => {
      skipped += lines;
      output.flush(); // said after the lines before the gap, as far as the output has taken them
      writeText(process.stderr, `subvisor: logs: ${lines} lines left out here: this reader fell too far behind the run; keep it reading (a pager paused, or a slow pipe, falls behind), or follow into a file\n`);
    };
    try {
      await request(socket, { command: 'logs', names: parsed.names, lines: parsed.lines, follow: parsed.follow }, { onLines: ({ name, stream, lines }) => output.lines(name, stream, lines.join('\n')), onSkipped, signal: interrupted.signal });
    } catch (error) {
      throw fileTakenForName(error, parsed);
    } finally {
      await output.close();
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    releaseOutput();
  }
  if (closedBy !== undefined) return endingOfClosedOutput(closedBy);
  if (interrupted.signal.aborted) return { exitCode: signalStatus('SIGINT') };
  return { exitCode: skipped > 0 ? EXIT.failure : EXIT.ok };
}

/**
 * `logs -f subvisor.yaml`, as `ps -f subvisor.yaml` is written: here -f is --follow (as tail's),
 * so the file was taken for a process name, which the run does not have. When such a name is a
 * file here, the error says so, and how to give the config; any other error is `error` as it was.
 */
function fileTakenForName(error: unknown, parsed: LogsArgs): unknown {
  if (!(error instanceof ControlError) || error.code !== UNKNOWN_PROCESS || !parsed.follow) return error;
  const file = parsed.names.find((name) => node.fs.statSync(name, { throwIfNoEntry: false })?.isFile() === true);
  if (file === undefined) return error;
  return new ControlError(`${error.message}; '${file}' is a file here, and logs reads -f as --follow (as tail does): give the config as --file ${file}`, error.code, { cause: error });
}

async function namesOfRun(socket: string, signal: AbortSignal, parsed: LogsArgs): Promise<{ names: string[]; colourOrder: readonly string[] | undefined }> {
  try {
    const answer = await request(socket, { command: 'ps' }, { signal });
    return { names: (answer?.processes ?? []).map((row) => row.name), colourOrder: answer?.colourOrder };
  } catch (error) {
    throw pointedAtLogFiles(error, parsed);
  }
}

/**
 * With no run up there is no memory to read the lines from, but a config with `logs` has left the
 * lines of the runs before in its files, which is what someone asking after a run ended (or
 * crashed) wants: the error says where they are, besides how to start a run. Any other error, or
 * a config that cannot be read (or comes from a pipe, gone with its run), is `error` as it was.
 */
function pointedAtLogFiles(error: unknown, parsed: LogsArgs): unknown {
  if (!(error instanceof ControlError) || error.code !== 'ERR_SUBVISOR_NO_RUN' || parsed.socket !== undefined) return error;
  let dir: string | undefined;
  try {
    const file = findConfigFile(parsed.file);
    dir = file === STDIN_CONFIG ? undefined : loadConfig(file).logs?.dir;
  } catch {
    return error;
  }
  if (dir === undefined) return error;
  return new ControlError(`${error.message}; the lines of the runs before are in the log files, ${join(dir, 'NAME.log')}`, error.code, { cause: error });
}
