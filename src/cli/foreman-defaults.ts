import { parse } from 'yaml';
import { node } from '../builtins.js';
import { foremanSettingInstead, overmindSettingInstead } from './foreign-options.js';

/** Where foreman reads the defaults of its options: in the current directory, as it does. */
const DOT_FOREMAN = '.foreman';

/** Where overmind reads the defaults of its options (`OVERMIND_PROCFILE=Procfile.dev`): in the current directory, as it does. */
const DOT_OVERMIND_ENV = '.overmind.env';

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
 * overmind's variables that change what runs, each as the option it stands for (its long name,
 * or `N` for `--no-port`, which has none) and the {@link GivenOnCommandLine} that answers it
 * (undefined: always warned of). The others (`OVERMIND_COLORS`, `OVERMIND_TITLE`) change only how
 * the output looks; `OVERMIND_SOCKET` only where overmind's own commands find it.
 */
const OVERMIND_WHAT_RUNS: Readonly<Record<string, { readonly option: string; readonly given: keyof GivenOnCommandLine | undefined; readonly switch?: boolean }>> = {
  OVERMIND_PROCFILE: { option: 'procfile', given: 'file' },
  OVERMIND_ROOT: { option: 'root', given: 'file' },
  OVERMIND_PROCESSES: { option: 'processes', given: 'formation' },
  OVERMIND_FORMATION: { option: 'formation', given: 'formation' },
  OVERMIND_PORT: { option: 'port', given: 'port' },
  OVERMIND_NO_PORT: { option: 'N', given: 'port', switch: true },
  OVERMIND_PORT_STEP: { option: 'port-step', given: undefined },
  OVERMIND_TIMEOUT: { option: 'timeout', given: 'grace' },
  OVERMIND_CAN_DIE: { option: 'can-die', given: undefined },
  OVERMIND_ANY_CAN_DIE: { option: 'any-can-die', given: undefined, switch: true },
  OVERMIND_AUTO_RESTART: { option: 'auto-restart', given: undefined },
};

/**
 * What foreman would have taken from `.foreman` here and subvisor does not (it reads no other
 * tool's defaults): each setting the command line does not give, and `up` does not already have
 * ({@link InEffect}), with what to write instead, as lines for stderr. A `.foreman` naming
 * `procfile: Procfile.dev` or `port: 3000` would otherwise run another Procfile, or another port,
 * than `foreman start` did, without a word. None when there is no `.foreman`, or it is not a
 * mapping (foreman would refuse it). The same of overmind's `.overmind.env`.
 */
export function procfileDefaultsWarnings(given: GivenOnCommandLine, inEffect: InEffect = {}): string[] {
  const settings = regularFile(DOT_FOREMAN, (text) => parse(text) as unknown);
  const foreman =
    settings === null || typeof settings !== 'object' || Array.isArray(settings)
      ? []
      : Object.entries(settings).flatMap(([name, value]) => {
          if (!Object.hasOwn(WHAT_RUNS, name)) return [];
          const written = value === null || value === undefined ? undefined : String(value);
          if (!warned(WHAT_RUNS[name], name, written, given, inEffect)) return [];
          const instead = foremanSettingInstead(name, written);
          return instead === undefined ? [] : [`${DOT_FOREMAN}: ${name}: foreman's defaults are not read; ${instead}`];
        });
  return [...foreman, ...dotOvermindEnvWarnings(given, inEffect)];
}

/** {@link procfileDefaultsWarnings} of overmind's `.overmind.env` (`NAME=value` lines, as its godotenv reads them). */
function dotOvermindEnvWarnings(given: GivenOnCommandLine, inEffect: InEffect): string[] {
  const variables = regularFile(DOT_OVERMIND_ENV, (text) => node.util.parseEnv(text));
  return Object.entries(variables ?? {}).flatMap(([name, written]) => {
    const setting = Object.hasOwn(OVERMIND_WHAT_RUNS, name) ? OVERMIND_WHAT_RUNS[name] : undefined;
    if (setting === undefined || written === undefined || !warned(setting.given, setting.option, written, given, inEffect)) return [];
    // A switch set off (OVERMIND_NO_PORT=false) is what up does anyway.
    if (setting.switch === true && /^(?:|0|false)$/i.test(written.trim())) return [];
    const instead = overmindSettingInstead(setting.option, written);
    return instead === undefined ? [] : [`${DOT_OVERMIND_ENV}: ${name}: overmind's defaults are not read; ${instead}`];
  });
}

/** Whether a setting `name` of `written` is worth a warning: the command line does not give it (`answer`), and up does not use that value anyway. */
function warned(answer: keyof GivenOnCommandLine | undefined, name: string, written: string | undefined, given: GivenOnCommandLine, inEffect: InEffect): boolean {
  return !(answer !== undefined && given[answer]) && !(written !== undefined && inEffect[name] === written);
}

/** `read` of the text of `file` in the current directory; undefined when it is not there, no regular file, or cannot be read. */
function regularFile<T>(file: string, read: (text: string) => T): T | undefined {
  try {
    // Only a regular file is read: a FIFO by that name would block the run before anything
    // starts (and /dev/zero behind a symlink fill memory), for a warning.
    if (node.fs.statSync(file, { throwIfNoEntry: false })?.isFile() !== true) return undefined;
    return read(node.fs.readFileSync(file, 'utf8'));
  } catch {
    // No file (the usual case), or one the other tool could not read either: nothing of it would count.
    return undefined;
  }
}
