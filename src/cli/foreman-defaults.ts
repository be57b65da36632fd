import { parse } from 'yaml';
import { node } from '../builtins.js';
import { foremanSettingInstead } from './foreign-options.js';

/** Where foreman reads the defaults of its options: in the current directory, as it does. */
const DOT_FOREMAN = '.foreman';

/** Which of `.foreman`'s settings the command line of `up` gives itself, so that the file's would not count under foreman either. */
export interface GivenOnCommandLine {
  /** `-f` (which also stands for foreman's `root`, the Procfile's directory). */
  readonly file: boolean;
  /** `NAME` or `NAME=N` words. */
  readonly formation: boolean;
  /** `PORT` in the environment, or `--no-port`. */
  readonly port: boolean;
  /** `--grace`. */
  readonly grace: boolean;
}

/**
 * The `.foreman` settings that change what runs, each with the {@link GivenOnCommandLine} that
 * answers it (`env` has none: it is always warned of). The others (`color`, `timestamp`) change
 * only how the output looks, and are not worth a line on every run.
 */
const WHAT_RUNS: Readonly<Record<string, keyof GivenOnCommandLine | undefined>> = {
  procfile: 'file',
  root: 'file',
  formation: 'formation',
  concurrency: 'formation',
  port: 'port',
  timeout: 'grace',
  env: undefined,
};

/**
 * What `up` uses anyway for a setting, written as `.foreman` writes it (`port: '3000'`, the base
 * PORT a `.env` gives): a setting of that value runs the same under both, and is not warned of.
 */
export type InEffect = Readonly<Record<string, string | undefined>>;

/**
 * What foreman would have taken from `.foreman` here and subvisor does not (it reads no other
 * tool's defaults): each setting the command line does not give, and `up` does not already have
 * ({@link InEffect}), with what to write instead, as lines for stderr. A `.foreman` naming
 * `procfile: Procfile.dev` or `port: 3000` would otherwise run another Procfile, or another port,
 * than `foreman start` did, without a word. None when there is no `.foreman`, or it is not a
 * mapping (foreman would refuse it).
 */
export function dotForemanWarnings(given: GivenOnCommandLine, inEffect: InEffect = {}): string[] {
  let settings: unknown;
  try {
    // Only a regular file is read: a FIFO named .foreman would block the run before anything
    // starts (and /dev/zero behind a symlink fill memory), for a warning.
    if (node.fs.statSync(DOT_FOREMAN, { throwIfNoEntry: false })?.isFile() !== true) return [];
    settings = parse(node.fs.readFileSync(DOT_FOREMAN, 'utf8'));
  } catch {
    // No file (the usual case), or one foreman could not read either: nothing of it would count.
    return [];
  }
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) return [];
  return Object.entries(settings).flatMap(([name, value]) => {
    if (!Object.hasOwn(WHAT_RUNS, name)) return [];
    const answer = WHAT_RUNS[name];
    if (answer !== undefined && given[answer]) return [];
    const written = value === null || value === undefined ? undefined : String(value);
    if (written !== undefined && inEffect[name] === written) return [];
    const instead = foremanSettingInstead(name, written);
    return instead === undefined ? [] : [`${DOT_FOREMAN}: ${name}: foreman's defaults are not read; ${instead}`];
  });
}
