import { formatProblem, sortProblems, type Config } from './config/index.js';
import { problemFields } from './config/errors.js';
import type { Output } from './output.js';
import { shownAsText } from '../log/sanitize.js';

/**
 * Says on stderr, before anything starts, what the config allows but likely did not mean (an unset
 * `${VAR}` read as empty, an env file's value cut at a `#`), each at its place: `subvisor: warning: FILE:LINE:COL: PATH: ...`. The
 * config is used all the same.
 */
export function warnAboutConfig(config: Config): void {
  const warnings = config.warnings ?? [];
  if (warnings.length === 0) return;
  process.stderr.write(sortProblems(warnings).map((warning) => `subvisor: warning: ${shownAsText(formatProblem(warning))}\n`).join(''));
}

/**
 * The same warnings for `up --json`, whose reader reads only stdout's records: one record each,
 * `"event":"warning"`, its words in `line` and where it is in `problem`.
 */
export function reportConfigWarnings(output: Pick<Output, 'report'>, config: Config): void {
  for (const warning of sortProblems(config.warnings ?? [])) {
    const text = formatProblem(warning);
    output.report(text, { stream: 'report', event: 'warning', line: text, problem: problemFields(warning) });
  }
}
