import { formatProblem, sortProblems, type Config } from './config/index.js';
import { problemFields } from './config/errors.js';
import { createOutput } from './output.js';
import { shownAsText } from '../log/sanitize.js';

/**
 * Says on stderr, before anything starts, what the config allows but likely did not mean (an unset
 * `${VAR}` read as empty, an env file's value cut at a `#`), each at its place: `subvisor: warning: FILE:LINE:COL: PATH: ...`. The
 * config is used all the same.
 */
export function warnAboutConfig(config: Config, unplaced: readonly string[] = []): void {
  const lines = [...sortProblems(config.warnings ?? []).map(formatProblem), ...unplaced];
  if (lines.length === 0) return;
  process.stderr.write(lines.map((line) => `subvisor: warning: ${shownAsText(line)}\n`).join(''));
}

/**
 * The config's warnings as `up` says them, at once, before anything else can be said (a refusal
 * of the run, its first process): words on stderr, or with `json` one record each on stdout,
 * `"event":"warning"`, its words in `line` and where it is in `problem`, since a `--json` reader
 * reads only stdout's records. Their output is written out before this resolves: said on the run's
 * own output, they were dropped when the run was refused before it existed (`up --json NAME` of a
 * name the config has not), and came after the refusal of a second `up`, whose output was never closed.
 * `unplaced` are warnings of no place in the config (a `.foreman` beside it), said after its own.
 */
export async function sayConfigWarnings(config: Config, json: boolean, unplaced: readonly string[] = []): Promise<void> {
  if (!json) return warnAboutConfig(config, unplaced);
  const warnings = sortProblems(config.warnings ?? []);
  if (warnings.length + unplaced.length === 0) return;
  const output = createOutput({ names: [], json: true });
  for (const warning of warnings) {
    const text = formatProblem(warning);
    output.report(text, { stream: 'report', event: 'warning', line: text, problem: problemFields(warning) });
  }
  for (const text of unplaced) output.report(text, { stream: 'report', event: 'warning', line: text });
  await output.close();
}
