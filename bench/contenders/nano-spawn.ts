// nano-spawn, as its README shows: `await spawn(file, args)`, lines by iterating
// `subprocess.stdout`, and the SubprocessError it rejects with.
import spawn, { SubprocessError } from 'nano-spawn';
import { withPromiseAll, didNotFail, fileAndArgs, LineCounter, type Contender } from './contender.js';

export const contender: Contender = {
  async exitStatus(cmd) {
    const [file, args] = fileAndArgs(cmd);
    await spawn(file, args); // rejects on a non-zero status; success is status 0
    return 0;
  },

  exitStatusesTogether(cmd, count) {
    return withPromiseAll(contender, cmd, count);
  },

  async relayLines(cmd) {
    const [file, args] = fileAndArgs(cmd);
    const sink = new LineCounter();
    for await (const line of spawn(file, args).stdout) sink.add(line);
    return sink;
  },

  async failure(cmd) {
    const [file, args] = fileAndArgs(cmd);
    try {
      await spawn(file, args);
    } catch (error) {
      return error;
    }
    throw didNotFail(cmd);
  },

  describeFailure(error) {
    if (!(error instanceof SubprocessError)) throw new Error(`bench: expected a SubprocessError, got ${String(error)}`);
    return { exitCode: error.exitCode ?? -1, stderr: error.stderr };
  },
};
