import { node } from '../builtins.js';
import { DEFAULT_KILL_GRACE_MS } from '../process/options.js';
import { DEFAULT_PATH, findOnPath } from '../process/spawn/diagnose.js';
import { suggest } from '../process/suggest.js';
import { isBareNumber, parseDuration } from './config/duration.js';
import { plainNumber } from './config/amount.js';
import { tooManyReplicas } from './config/replicas.js';
import type { Warning } from './warnings.js';
import { commandAfterDashesInstead, concurrentlyCommandsInstead, foreignWordInstead, foreignOptionInstead, foremanFormationWords, type ForeignCommand } from './foreign-options.js';

/** A mistake on the command line: reported in one line with a pointer to --help, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code: string = 'ERR_SUBVISOR_USAGE';
}

/** The duration `text` given to `flag` (`--grace 5s`), in ms; one it cannot read is a {@link UsageError} naming the flag. */
export function durationOption(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * A duration given to `flag` that must be longer than 0 (`--timeout`, `--interval`), in ms: 0 is a
 * {@link UsageError} ending in `why` (what the duration is), as the config refuses its positive
 * durations. A deadline of 0 would be met only by what has already happened, by a race.
 */
export function positiveDurationOption(flag: string, text: string, why: string): number {
  const ms = durationOption(flag, text);
  if (ms === 0) throw new UsageError(`${flag} must be longer than 0: ${why}`);
  return ms;
}

/**
 * A bare number from which a warning is no longer given: 1000 and up reads as milliseconds meant
 * (concurrently's `--kill-timeout 3000`), where 5, 10 or 300 reads as seconds.
 */
const BARE_MS_MEANT = 1000;

/**
 * A warning for each of the duration `flags` (`{ '--timeout': '5' }`) given a bare number under
 * {@link BARE_MS_MEANT}, other than 0 (0 is refused, or means at once, whatever the unit). It is
 * read as milliseconds, as everywhere here; but `timeout 5`, `docker stop -t 10` and foreman's `-t
 * 10` mean seconds, and a command stopped after 5 ms, or SIGKILLed 10 ms into its shutdown, tells
 * why only afterwards. A unit says which was meant, and silences it.
 */
export function bareDurationWarnings(flags: Readonly<Record<string, string | undefined>>): Warning[] {
  return Object.entries(flags).flatMap(([flag, text]) => {
    if (text === undefined || !isBareNumber(text)) return [];
    const ms = parseDuration(text);
    if (ms === 0 || ms >= BARE_MS_MEANT) return [];
    // A number with an exponent (`1e2`) takes no unit after it: the advice writes its value.
    const written = text.trim();
    const number = plainNumber(written);
    return [{ text: `${flag} ${written} is ${number} ms (a bare number is milliseconds); for seconds, write ${flag} ${number}s (or ${flag} ${number}ms, which says so without this warning)` }];
  });
}

/** The run's stop grace: `--grace` (`given`) read as {@link durationOption}, else the runner's default (`DEFAULT_KILL_GRACE_MS`). */
export function graceOption(given: string | undefined): number {
  return given === undefined ? DEFAULT_KILL_GRACE_MS : durationOption('--grace', given);
}

export interface RunArgs {
  readonly command: string[];
  readonly label: string | undefined;
  readonly ready: string | undefined;
  readonly readyTimeout: string | undefined;
  readonly timeout: string | undefined;
  readonly grace: string | undefined;
  /** `--stop-signal`, as given: read by readStopSignal. */
  readonly stopSignal: string | undefined;
  readonly json: boolean;
  readonly timestamps: boolean;
}

export interface UpArgs {
  readonly file: string | undefined;
  readonly socket: string | undefined;
  /**
   * The `NAME` words; also any word that is another tool's (a quoted command, npm scripts), kept
   * whole for {@link refuseForeignWords} once the config's names are known.
   */
  readonly names: string[];
  /**
   * The words after `--` (in `names` too): a command, as `run -- CMD` takes it, unless the config
   * names each of them; see {@link refuseForeignWords}.
   */
  readonly afterDashes: readonly string[];
  /** The `NAME=N` words (foreman's formation), in the order given. */
  readonly formation: ReadonlyMap<string, number>;
  /** Whether a Procfile's processes get PORT (false with `--no-port`). */
  readonly port: boolean;
  readonly grace: string | undefined;
  readonly json: boolean;
  readonly timestamps: boolean;
}

export interface ExportArgs {
  readonly format: 'systemd' | 'compose';
  readonly file: string | undefined;
  readonly output: string | undefined;
  readonly prefix: string | undefined;
  readonly image: string | undefined;
  /** `--ready-log=drop`: leave log-line readiness out instead of refusing it. */
  readonly dropReadyLog: boolean;
  /** Whether a Procfile's processes get PORT as under `up` (false with `--no-port`). */
  readonly port: boolean;
}

export interface ProbeArgs {
  readonly http: string | undefined;
  readonly status: string | undefined;
  readonly tcp: string | undefined;
  readonly exec: string | undefined;
  readonly interval: string | undefined;
  readonly timeout: string | undefined;
}

/** `run`'s options, as parseArgs reads them. */
const RUN_OPTIONS = {
  label: { type: 'string' },
  ready: { type: 'string' },
  'ready-timeout': { type: 'string' },
  timeout: { type: 'string' },
  grace: { type: 'string' },
  'stop-signal': { type: 'string' },
  json: { type: 'boolean' },
  timestamps: { type: 'boolean' },
} satisfies OptionsConfig;

/** The words of `run`'s options whose value is the next word: that word is not the command (`--grace 5s`). */
const RUN_VALUE_OPTIONS = valueOptionWords(RUN_OPTIONS);

/**
 * `run`'s options end at `--` or at the first word that is not an option, so `subvisor run ls -l`
 * works as well as `subvisor run -- ls -l`: everything from the command on belongs to it.
 */
export function parseRunArgs(args: readonly string[]): RunArgs {
  const split = runOptionsEnd(args);
  const command = args.slice(args[split] === '--' ? split + 1 : split);
  // Another tool's option is no option of run's, so the word after it was taken for the command
  // (`--kill-timeout 2000`): it is looked at all the same, as what was typed with that option.
  refuseUnknownOptions(args.slice(0, split + 1), withHelp(RUN_OPTIONS), foreignAnswers('run'));
  const { values } = parseOrExplain(args.slice(0, split), RUN_OPTIONS);
  if (command.length === 0) throw new UsageError('run needs a command: subvisor run [options] -- CMD [ARGS...]');
  const several = concurrentlyCommandsInstead(command, isProgram);
  if (several !== undefined) throw new UsageError(several);
  const label = values.label as string | undefined;
  // Every line of output starts with the label: an empty one reads as nothing, a newline splits each line in two.
  if (label !== undefined && (label === '' || /\p{Cc}/u.test(label))) throw new UsageError('--label needs a name without control characters (a newline, a tab), like --label web');
  return {
    command,
    label,
    ready: values.ready as string | undefined,
    readyTimeout: values['ready-timeout'] as string | undefined,
    timeout: values.timeout as string | undefined,
    grace: values.grace as string | undefined,
    stopSignal: values['stop-signal'] as string | undefined,
    json: values.json === true,
    timestamps: values.timestamps === true,
  };
}

/**
 * Where `run`'s options end: at `--` or at the first word that is not one, whichever comes first
 * (`args.length` when neither comes); a `--` after that word is the command's own (`subvisor run
 * npm test -- --watch`).
 */
function runOptionsEnd(args: readonly string[]): number {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string; // index < length
    if (RUN_VALUE_OPTIONS.has(arg)) index++;
    else if (arg === '--' || !arg.startsWith('-')) return index;
  }
  return args.length;
}

/**
 * Whether the command line of `up` or `run` asks for `--json`, read before it is parsed, so that a
 * mistake in it can be told as a record too. Only an option word counts: `up`'s end at `--`,
 * `run`'s at its command (`run -- ls --json`, `run ls --json` are ls's). Once the line parses,
 * this agrees with its `json`: a value-taking option given `--json` (`-f --json`) is refused by
 * the parser as ambiguous.
 */
export function jsonAsked(command: 'up' | 'run', args: readonly string[]): boolean {
  const end = command === 'run' ? runOptionsEnd(args) : args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}

/** Whether `word` names a program run could start: a file there, or one on PATH by that name (`my tool`). */
function isProgram(word: string): boolean {
  return node.fs.existsSync(word) || (!word.includes('/') && findOnPath(word, (process.env.PATH ?? DEFAULT_PATH).split(':')) !== undefined);
}

export function parseUpArgs(args: readonly string[]): UpArgs {
  const { values, positionals } = parseOrExplain(
    args,
    {
      file: { type: 'string', short: 'f' },
      socket: { type: 'string' },
      grace: { type: 'string' },
      json: { type: 'boolean' },
      timestamps: { type: 'boolean' },
      'no-port': { type: 'boolean' },
    },
    true,
    foreignAnswers('up'),
  );
  const { names, formation } = splitFormation(positionals);
  // parseArgs refuses an option whose value would be `--` (`-f --`), so the first `--` is the one that ends the options.
  const dashes = args.indexOf('--');
  return {
    file: values.file as string | undefined,
    socket: values.socket as string | undefined,
    names,
    afterDashes: dashes === -1 ? [] : args.slice(dashes + 1),
    formation,
    port: values['no-port'] !== true,
    grace: values.grace as string | undefined,
    json: values.json === true,
    timestamps: values.timestamps === true,
  };
}

/** `NAME=N`: a word with an `=` is a formation word (a process name has none). */
const FORMATION_WORD = /^([^=]*)=(.*)$/;

/** The words of `up` split into `NAME`s and `NAME=N`s; a malformed `NAME=N` is a {@link UsageError}. */
function splitFormation(words: readonly string[]): { names: string[]; formation: Map<string, number> } {
  const names: string[] = [];
  const formation = new Map<string, number>();
  for (const word of words) {
    const match = foreignWordInstead(word) === undefined ? FORMATION_WORD.exec(word) : null;
    if (match === null) {
      names.push(word);
      continue;
    }
    const [, name = '', count = ''] = match;
    if (name === '') throw new UsageError(`'${word}': a formation word is NAME=N, the process's name first (e.g. web=2)`);
    const words = word.includes(',') ? foremanFormationWords(word) : undefined;
    if (words !== undefined) throw new UsageError(`'${word}': one NAME=N per word (foreman's -m joins them with commas): subvisor up ${words.join(' ')}`);
    if (!/^\d+$/.test(count) || Number(count) < 1) {
      throw new UsageError(`'${word}': the count must be a whole number of at least 1 (e.g. ${name}=2); to leave ${name} out, do not name it`);
    }
    const refused = tooManyReplicas(Number(count), count);
    if (refused !== undefined) throw new UsageError(`'${word}': ${refused}`);
    if (formation.has(name)) throw new UsageError(`'${word}': ${name} is given a count twice; keep one`);
    formation.set(name, Number(count));
  }
  return { names, formation };
}

/**
 * Refuses a command typed after `up --` as `run` takes it (see {@link commandAfterDashesInstead}),
 * then the first of up's words that is no process name but another tool's (see
 * {@link foreignWordInstead}), with what to write instead. `processNames` are the config's, or
 * none when there is no config file: they alone tell `"web worker"` (two names quoted together)
 * from `"npm run dev"` (a command), so this runs where up resolves its names.
 */
export function refuseForeignWords({ names: words, afterDashes }: Pick<UpArgs, 'names' | 'afterDashes'>, processNames: ReadonlySet<string>): void {
  const command = commandAfterDashesInstead(afterDashes, isProgram, processNames);
  if (command !== undefined) throw new UsageError(command);
  for (const word of words) {
    const instead = foreignWordInstead(word, processNames);
    if (instead !== undefined) throw new UsageError(instead);
  }
}

/**
 * `export systemd|compose`: `--prefix` belongs to systemd, `--image` to compose; each is refused by
 * the other. The format is the one word that is not an option, wherever it is: options before it
 * (`export -f dev.yaml compose`) are read as anywhere else.
 */
export function parseExportArgs(args: readonly string[]): ExportArgs {
  const { values, positionals } = parseOrExplain(
    args,
    {
      file: { type: 'string', short: 'f' },
      output: { type: 'string', short: 'o' },
      'ready-log': { type: 'string' },
      prefix: { type: 'string' },
      image: { type: 'string' },
      'no-port': { type: 'boolean' },
    },
    true,
  );
  const [format, ...extra] = positionals;
  if (format !== 'systemd' && format !== 'compose') {
    throw new UsageError(format === undefined ? 'export needs a format: subvisor export systemd|compose' : `unknown export format '${format}'; use systemd or compose`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0] ?? ''}': export takes one format (${format}) and options`);
  const foreign = format === 'systemd' ? 'image' : 'prefix';
  if (values[foreign] !== undefined) throw new UsageError(`--${foreign} applies only to export ${format === 'systemd' ? 'compose' : 'systemd'}`);
  const readyLog = values['ready-log'] as string | undefined;
  if (readyLog !== undefined && readyLog !== 'drop') throw new UsageError(`--ready-log takes only 'drop' (leave log-line readiness out), not '${readyLog}'`);
  return {
    format,
    file: values.file as string | undefined,
    // `-o -` is stdout, as `-f -` is stdin (and as for tar and curl): never a file or a directory named `-`.
    output: values.output === '-' ? undefined : (values.output as string | undefined),
    prefix: values.prefix as string | undefined,
    image: values.image as string | undefined,
    dropReadyLog: readyLog === 'drop',
    port: values['no-port'] !== true,
  };
}

export function parseProbeArgs(args: readonly string[]): ProbeArgs {
  const { values } = parseOrExplain(args, {
    http: { type: 'string' },
    status: { type: 'string' },
    tcp: { type: 'string' },
    exec: { type: 'string' },
    interval: { type: 'string' },
    timeout: { type: 'string' },
  });
  const kinds = (['http', 'tcp', 'exec'] as const).filter((kind) => values[kind] !== undefined);
  if (kinds.length !== 1) throw new UsageError(`probe needs exactly one of --http URL, --tcp HOST:PORT or --exec CMD${kinds.length > 1 ? ` (got --${kinds.join(' and --')})` : ''}`);
  if (values.status !== undefined && values.http === undefined) throw new UsageError('--status applies only to --http');
  const text = (name: string): string | undefined => values[name] as string | undefined;
  return { http: text('http'), status: text('status'), tcp: text('tcp'), exec: text('exec'), interval: text('interval'), timeout: text('timeout') };
}

/** Where a client command finds the run: its config (-f FILE, else the default file here), or its socket. */
export interface RunLocator {
  readonly file: string | undefined;
  readonly socket: string | undefined;
}

export interface ControlArgs extends RunLocator {
  readonly names: string[];
  readonly json: boolean;
}

/** `ps [--json]`, `stop|start|restart NAME...`: which run, and the names (`ps` takes none, the others need one). */
export function parseControlArgs(command: 'ps' | 'stop' | 'start' | 'restart', args: readonly string[]): ControlArgs {
  const { values, positionals } = parseOrExplain(args, { file: { type: 'string', short: 'f' }, socket: { type: 'string' }, ...(command === 'ps' ? { json: { type: 'boolean' } } : {}) }, true);
  // `foreman start` (and honcho's, overmind's) runs the stack, as `up` does here: said to whoever types it.
  if (command === 'start' && positionals.length === 0) {
    throw new UsageError('start needs the name of a process of a running stack: subvisor start NAME...; to run the stack, as foreman start does: subvisor up');
  }
  if (command !== 'ps' && positionals.length === 0) throw new UsageError(`${command} needs the name of a process: subvisor ${command} NAME...`);
  return { ...runLocator(values, '-f'), names: positionals, json: values.json === true };
}

/** Which run: by its config or by its socket, one of them (the socket would win, and the config would be silently ignored). */
function runLocator(values: Record<string, unknown>, fileFlag: '-f' | '--file'): RunLocator {
  const file = values.file as string | undefined;
  const socket = values.socket as string | undefined;
  if (file !== undefined && socket !== undefined) throw new UsageError(`give ${fileFlag} FILE (the run beside that config) or --socket PATH (the run listening there), not both`);
  return { file, socket };
}

export interface LogsArgs extends RunLocator {
  readonly names: string[];
  readonly follow: boolean;
  readonly lines: number;
}

/** `logs [-f] [-n N] [NAME...]`: here -f is --follow (as tail's), so the config file is `--file FILE`. */
export function parseLogsArgs(args: readonly string[]): LogsArgs {
  const { values, positionals } = parseOrExplain(
    args,
    { follow: { type: 'boolean', short: 'f' }, lines: { type: 'string', short: 'n' }, file: { type: 'string' }, socket: { type: 'string' } },
    true,
  );
  const given = values.lines as string | undefined;
  const lines = given === undefined ? 100 : Number(given);
  if (given !== undefined && (!/^\d+$/.test(given) || !Number.isSafeInteger(lines))) throw new UsageError(`-n: expected a whole number of lines, 0 or more, got '${given}'`);
  return { ...runLocator(values, '--file'), names: positionals, follow: values.follow === true, lines };
}

type OptionsConfig = NonNullable<Parameters<typeof node.util.parseArgs>[0]>['options'];

/** The words (`--name`, and `-x` for a short one) of the options in `options` that take a value. */
function valueOptionWords(options: NonNullable<OptionsConfig>): ReadonlySet<string> {
  return new Set(
    Object.entries(options)
      .filter(([, option]) => option.type === 'string')
      .flatMap(([name, option]) => (option.short === undefined ? [`--${name}`] : [`--${name}`, `-${option.short}`])),
  );
}

/** What to write instead of another tool's option `rawName`, typed with `value`; undefined when it is none of that tool's. */
type ForeignOptionAnswer = (rawName: string, value: string | undefined) => string | undefined;

/** The answers to other tools' options typed to `command` (see foreign-options.ts). */
function foreignAnswers(command: ForeignCommand): ForeignOptionAnswer {
  return (rawName, value) => foreignOptionInstead(command, rawName, value);
}

/**
 * A command's own options: its table and `--help` (`-h`). `subvisor run --help` is where people look
 * first: every command takes it, in a cluster too (`logs -hn`), so every check reads it as one of them.
 */
function withHelp(options: OptionsConfig): OptionsConfig {
  return { ...options, help: { type: 'boolean', short: 'h' } };
}

function parseOrExplain(
  given: readonly string[],
  options: OptionsConfig,
  allowPositionals = false,
  foreign?: ForeignOptionAnswer,
): { values: Record<string, unknown>; positionals: string[] } {
  const own = withHelp(options);
  refuseUnknownOptions(given, own, foreign);
  const args = negativeValuesJoined(given, own);
  refuseMissingValues(args, own);
  refuseSwitchValues(args, own);
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = node.util.parseArgs({ args, options: own, allowPositionals, strict: true });
  } catch (error) {
    // Node's explanation can run over lines ("ambiguous", then how to give a value that starts
    // with a dash): one line still, all of it.
    throw new UsageError(error instanceof Error ? error.message.split('\n').join(' ') : String(error));
  }
  if (parsed.values.help === true) throw new HelpRequested();
  refuseEmptyValues(parsed.values, options);
  return parsed;
}

/**
 * The option that takes a value `word` ends with, and the flags before it: `--lines` and `-n` are
 * `lines`, and so is a short-option cluster ending in it (`-fn`: `-f` then `-n`, its value the next
 * word, as parseArgs reads it). Undefined for any other word.
 */
function valueOptionEnding(word: string, options: OptionsConfig): { name: string; flags: string[] } | undefined {
  const known = Object.entries(options ?? {});
  if (word.startsWith('--')) {
    const option = known.find(([name]) => word === `--${name}`);
    return option?.[1].type === 'string' ? { name: option[0], flags: [] } : undefined;
  }
  if (!/^-[^-]/.test(word)) return undefined;
  // Short names are one UTF-16 unit each, as parseArgs reads a cluster.
  const letters = Array.from({ length: word.length - 1 }, (_, i) => word.charAt(i + 1));
  const shorts = letters.map((letter) => known.find(([, { short }]) => short === letter));
  const last = shorts.at(-1);
  const flagsBefore = shorts.slice(0, -1).every((option) => option !== undefined && option[1].type === 'boolean');
  if (last?.[1].type !== 'string' || !flagsBefore) return undefined;
  return { name: last[0], flags: letters.slice(0, -1).map((letter) => `-${letter}`) };
}

/** Whether `word` is one of the command's own options (`--follow`, `--file=x`, `-f`, `-h`), or a cluster of them. */
function isOwnOption(word: string, options: OptionsConfig): boolean {
  const known = options ?? {};
  if (word.startsWith('--')) return Object.hasOwn(known, word.slice(2).split('=')[0] ?? '');
  return /^-[^-]/.test(word) && Object.values(known).some(({ short }) => short === word[1]);
}

/**
 * `-n -1`, `--timeout -5s`: parseArgs takes a value that starts with a dash for a forgotten one and
 * says how to force it (`--lines=-1`), which the option's own check then refuses anyway. No option
 * is named like a negative number, so such a word right after an option that takes a value (alone
 * or ending a cluster: `-fn -1`) is passed on as its value, and the option says what it expects.
 * Nothing after `--` is touched.
 */
function negativeValuesJoined(args: readonly string[], options: OptionsConfig): string[] {
  const joined: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const word = args[index] ?? '';
    if (word === '--') return [...joined, ...args.slice(index)];
    const option = valueOptionEnding(word, options);
    const next = args[index + 1];
    if (option !== undefined && next !== undefined && /^-\d/.test(next)) {
      joined.push(...option.flags, `--${option.name}=${next}`);
      index++;
    } else joined.push(word);
  }
  return joined;
}

/**
 * An option that takes a value given none: the line ends after it, or an option or `--` comes next
 * (`run --grace -- sleep 9`, a value forgotten), alone or ending a cluster (`logs -fn`). parseArgs
 * says "argument missing" of the first, naming the option as its table does, and calls the second
 * "ambiguous", with how to give a value that starts with a dash (`--grace=-XYZ`), which no one here
 * meant; this says the value is missing, and what came in its place. Only a word that is none of
 * the command's options gets the way to give it as the value (`-n--last`): `logs -n --follow`
 * meant --follow.
 */
function refuseMissingValues(args: readonly string[], options: OptionsConfig): void {
  const end = args.indexOf('--');
  for (const [index, word] of (end === -1 ? args : args.slice(0, end)).entries()) {
    if (valueOptionEnding(word, options) === undefined) continue;
    const next = args[index + 1];
    // A lone `-` is a value (`-f -`: the config on stdin), as parseArgs takes it.
    if (next !== undefined && (next === '-' || !next.startsWith('-'))) continue;
    const instead =
      next === undefined
        ? 'the line ended there'
        : next === '--'
          ? '`--` came next'
          : isOwnOption(next, options)
            ? `${next}, an option, came next`
            : `${next} came next; a value that starts with a dash is written ${word}${word.startsWith('--') ? '=' : ''}${next}`;
    throw new UsageError(`${word} needs a value right after it, and got none (${instead}): ${word} VALUE`);
  }
}

/**
 * A switch given a value (`--follow=x`, `--json=false`, `--help=1`): parseArgs says "Option '-f,
 * --follow' does not take an argument", in its table's words. This says it in ours, with what a
 * switch is: on when given, off when left out (`--json=false` is no way to turn it off).
 */
function refuseSwitchValues(args: readonly string[], options: OptionsConfig): void {
  const end = args.indexOf('--');
  for (const word of end === -1 ? args : args.slice(0, end)) {
    const match = /^--([^=]+)=/.exec(word);
    const name = match?.[1];
    if (name === undefined || !Object.hasOwn(options ?? {}, name) || options?.[name]?.type !== 'boolean') continue;
    throw new UsageError(`--${name} takes no value (got ${word}): write --${name} alone, or leave it out`);
  }
}

/** Options whose empty value means something: `--ready ''` is a pattern every line matches. */
const EMPTY_MEANS_SOMETHING = new Set(['ready']);

/**
 * An option given an empty value (`-o ''`, `--exec ''`, often an unset shell variable): it names no
 * file, command or duration, and read as one (`resolve('')` is the current directory) it would do
 * something nobody asked for.
 */
function refuseEmptyValues(values: Record<string, unknown>, options: OptionsConfig): void {
  const empty = Object.entries(values).find(([name, value]) => typeof value === 'string' && value.trim() === '' && !EMPTY_MEANS_SOMETHING.has(name));
  if (empty === undefined) return;
  const [name] = empty;
  const short = options?.[name]?.short;
  throw new UsageError(`--${name}${short === undefined ? '' : ` (-${short})`} needs a value, not an empty or blank string (is a shell variable unset?)`);
}

/** `--help` (or `-h`) among a command's options: the usage goes to stdout, and the status is 0. */
export class HelpRequested extends Error {
  constructor() {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

/**
 * An unknown option, with the known one most likely meant (`--lable`: did you mean --label?), or
 * what `foreign` says to write for it (another tool's option): found among parseArgs' own tokens
 * (read without strictness), before the strict parse that would only say it is unknown.
 */
function refuseUnknownOptions(args: readonly string[], options: OptionsConfig, foreign?: ForeignOptionAnswer): void {
  const known = options ?? {};
  const { tokens } = node.util.parseArgs({ args: [...args], options: known, allowPositionals: true, strict: false, tokens: true });
  for (const [i, token] of tokens.entries()) {
    if (token.kind !== 'option' || Object.hasOwn(known, token.name)) continue;
    const instead = foreign?.(token.rawName, valueTypedWith(args, tokens, i));
    if (instead !== undefined) throw new UsageError(instead);
    const longNames = Object.keys(known);
    const meant = suggest(token.name, longNames);
    const hint = meant === undefined ? `; the options are ${longNames.map((name) => `--${name}`).join(', ')}` : `; did you mean --${meant}?`;
    throw new UsageError(`unknown option '${token.rawName}'${hint}`);
  }
}

type ArgsToken = ReturnType<typeof node.util.parseArgs>['tokens'] extends (infer T)[] | undefined ? T : never;

/**
 * The value typed with the unknown option at `tokens[i]`, which parseArgs read as a flag:
 * `--port=3000`'s; the rest of its word for a short one (`-p3000`, as foreman and honcho take it,
 * which parseArgs splits into the flags -p -3 -0 -0 -0), after its `=` if it has one (`-p=3000`,
 * as foreman's Thor, concurrently's yargs and overmind's Go flags take it); or the word after it (`-p 3000`).
 */
function valueTypedWith(args: readonly string[], tokens: readonly ArgsToken[], i: number): string | undefined {
  const token = tokens[i];
  if (token?.kind !== 'option') return undefined;
  if (token.value !== undefined) return token.value;
  const word = args[token.index] ?? '';
  if (!word.startsWith('--') && word !== token.rawName && word.startsWith(token.rawName)) return word.slice(token.rawName.length).replace(/^=/, '');
  const next = tokens[i + 1];
  return next?.kind === 'positional' ? next.value : undefined;
}
