// tinyexec, as its README shows: `await x(file, args)`, lines by iterating the process, and
// `throwOnError: true` for a failure, which rejects with NonZeroExitError and the output.
import { NonZeroExitError, x } from 'tinyexec';
import { withPromiseAll, didNotFail, fileAndArgs, LineCounter, type Contender } from './contender.js';

export const contender: Contender = {
  async exitStatus(cmd) {
    const [file, args] = fileAndArgs(cmd);
    return (await x(file, args)).exitCode ?? -1;
  },

  exitStatusesTogether(cmd, count) {
    return withPromiseAll(contender, cmd, count);
  },

  async relayLines(cmd) {
    const [file, args] = fileAndArgs(cmd);
    const sink = new LineCounter();
    for await (const line of x(file, args, { throwOnError: true })) sink.add(line);
    return sink;
  },

  async failure(cmd) {
    const [file, args] = fileAndArgs(cmd);
    try {
      await x(file, args, { throwOnError: true });
    } catch (error) {
      return error;
    }
    throw didNotFail(cmd);
  },

  describeFailure(error) {
    if (!(error instanceof NonZeroExitError) || error.output === undefined) throw new Error(`bench: expected a NonZeroExitError with output, got ${String(error)}`);
    return { exitCode: error.exitCode, stderr: error.output.stderr };
  },
};
