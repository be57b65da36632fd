import { formatProblem, sortProblems, type Config } from './config/index.js';
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
