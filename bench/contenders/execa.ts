// execa 9, as its documentation shows: `await execa(file, args)`, lines by iterating the
// subprocess (with `buffer: false`, as the docs advise when iterating: otherwise the whole output
// is also kept, and 256 MiB crosses the default maxBuffer), and the ExecaError it rejects with.
import { execa, ExecaError } from 'execa';
import { withPromiseAll, didNotFail, fileAndArgs, LineCounter, type Contender } from './contender.js';

export const contender: Contender = {
  async exitStatus(cmd) {
    const [file, args] = fileAndArgs(cmd);
    return (await execa(file, args)).exitCode ?? -1;
  },

  exitStatusesTogether(cmd, count) {
    return withPromiseAll(contender, cmd, count);
  },

  async relayLines(cmd) {
    const [file, args] = fileAndArgs(cmd);
    const sink = new LineCounter();
    for await (const line of execa(file, args, { buffer: false })) sink.add(line);
    return sink;
  },

  async failure(cmd) {
    const [file, args] = fileAndArgs(cmd);
    try {
      await execa(file, args);
    } catch (error) {
      return error;
    }
    throw didNotFail(cmd);
  },

  describeFailure(error) {
    if (!(error instanceof ExecaError) || typeof error.stderr !== 'string') throw new Error(`bench: expected an ExecaError with stderr, got ${String(error)}`);
    return { exitCode: error.exitCode ?? -1, stderr: error.stderr };
  },
};
