import { SpawnError } from '../process/errors.js';
import { isRefusal, statusOfFailure, statusOfRefusal, type Ending } from './exit-status.js';
import { createOutput } from './output.js';
import { reportRefusal } from './report.js';

/**
 * Runs `body`, a command of `up` or `run`; with `json`, a refusal of it (a command line it cannot
 * parse, a config it cannot use, a second `up`; `run`'s empty program name, a command that cannot
 * start before there is a run to start it) is one `"event":"failure"` record on stdout, not words
 * on stderr. A `--json` reader reads stdout, and only records: told in words, it saw the
 * command end with 2 and no record at all, and had to guess (SPEC §5: bad config before anything
 * starts).
 */
export async function refusalsAsRecords(json: boolean, body: () => Promise<Ending>): Promise<Ending> {
  if (!json) return body();
  try {
    return await body();
  } catch (error) {
    if (!isRefusal(error) && !(error instanceof SpawnError)) throw error;
    const exitCode = isRefusal(error) ? statusOfRefusal(error) : statusOfFailure(error);
    const output = createOutput({ names: [], json: true });
    reportRefusal(output, error, exitCode);
    await output.close();
    return { exitCode };
  }
}
