import { formatProblem, sortProblems, type Config } from './config/index.js';
import { problemFields } from './config/errors.js';
import { sayWarnings, warnInWords, type Warning } from './warnings.js';

/**
 * What the config allows but likely did not mean (an unset `${VAR}` read as empty, an env file's
 * value cut at a `#`), each at its place (`FILE:LINE:COL: PATH: ...`), then `unplaced`, warnings of
 * no place in the config (a `.foreman` beside it). The config is used all the same.
 */
function configWarnings(config: Config, unplaced: readonly string[]): Warning[] {
  const placed = sortProblems(config.warnings ?? []).map((warning) => ({ text: formatProblem(warning), fields: { problem: problemFields(warning) } }));
  return [...placed, ...unplaced.map((text) => ({ text }))];
}

/** Says the config's warnings on stderr, before anything starts: `subvisor: warning: FILE:LINE:COL: PATH: ...`. */
export function warnAboutConfig(config: Config, unplaced: readonly string[] = []): void {
  warnInWords(configWarnings(config, unplaced));
}

/**
 * The config's warnings as `up` says them (see {@link sayWarnings}): words on stderr, or with
 * `json` one record each on stdout, where it is in the config in `problem`.
 */
export async function sayConfigWarnings(config: Config, json: boolean, unplaced: readonly string[] = []): Promise<void> {
  await sayWarnings(configWarnings(config, unplaced), json);
}
