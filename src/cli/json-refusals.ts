import { isEarlyEnd, statusOfEarlyEnd, type Ending } from './exit-status.js';
import { createOutput } from './output.js';
import { reportRefusal } from './report.js';

/**
 * Runs `body`, a command of `up` or `run`; with `json`, a refusal of it (a command line it cannot
 * parse, a config it cannot use, a second `up`), or a failure to start before the run exists (a
 * program name that is empty, a current directory removed), is one `"event":"failure"` record on stdout, not
 * words on stderr. A `--json` reader reads stdout, and only records: told in words, it saw the
 * command end with 2 and no record at all, and had to guess (SPEC §5: bad config before anything
 * starts).
 */
export async function refusalsAsRecords(json: boolean, body: () => Promise<Ending>): Promise<Ending> {
  if (!json) return body();
  try {
    return await body();
  } catch (error) {
    if (!isEarlyEnd(error)) throw error;
    const output = createOutput({ names: [], json: true });
    const exitCode = statusOfEarlyEnd(error);
    reportRefusal(output, error, exitCode);
    await output.close();
    return { exitCode };
  }
}
