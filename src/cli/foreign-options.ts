import { basename, join } from 'node:path';
import { quoteCommand } from '../process/command.js';
import { MAX_DURATION_MS, goDuration, isDurationText, parseDuration } from './config/duration.js';
import { plainNumber } from './config/amount.js';
import { PROCESS_NAME, processNameFrom } from './config/spec.js';
import { pm2UpWordInstead } from './foreign-commands.js';
import { meantName } from './misspelt-name.js';

// Someone moving from foreman, honcho or overmind types their `start` options to `subvisor up` first, and
// someone moving from concurrently or npm-run-all their options to `up` or `run`. None is taken as it is (each has
// a subvisor way already, and two ways to say one thing drift apart), but each is answered with
// that way, built from what was typed, rather than with a list of options. So are `run`'s own options typed to `up`. A letter two of them
// use (`-c`, `-p`, `-t`, `-m`, `-s`) is told apart here, by the value typed with it, and nowhere else.

/** The command an option was typed to: foreman's and honcho's `start` is `up`; concurrently's options go to either. */
export type ForeignCommand = 'up' | 'run';

/** What to write for another tool's option, and whose option it is. */
interface Answer {
  readonly tool: string;
  readonly text: string;
}

/** An option of another tool, and what to write for it: `value` is the word typed with it or after it, if any. */
interface ForeignOption {
  readonly names: readonly string[];
  readonly instead: (value: string | undefined, command: ForeignCommand) => Answer;
}

const FORMATION_EXAMPLE = 'web=2 worker=1';

/**
 * The words of foreman's `-m web=2,worker=1` (`['web=2', 'worker=1']`), or undefined for a word
 * that is not one. foreman drops blanks inside it; its `all=N` has no word here, so a value with
 * one gives no words either. foreman's `web=0` leaves web out, as not naming it does here (a word
 * `web=0` is refused): it gives no word, and a value of nothing else gives none at all.
 */
export function foremanFormationWords(word: string): string[] | undefined {
  const parts = word.replace(/\s/g, '').split(',').filter((part) => part !== '');
  if (!parts.every((part) => /^[^=]+=\d+$/.test(part) && !part.startsWith('all='))) return undefined;
  const words = parts.filter((part) => !/=0+$/.test(part));
  return words.length > 0 ? words : undefined;
}

function formation(tool: string, value: string | undefined): Answer {
  const words = value === undefined ? undefined : foremanFormationWords(value);
  return { tool, text: `the formation is words after up: subvisor up ${words?.join(' ') ?? FORMATION_EXAMPLE}` };
}

function root(tool: string, value: string | undefined): Answer {
  return { tool, text: `processes run in the Procfile's directory: subvisor up -f ${join(value ?? 'DIR', 'Procfile')}` };
}

function timestamps(value: string | undefined): Answer {
  return { tool: 'foreman', text: value === 'false' ? 'up shows no times unless given --timestamps: subvisor up' : 'up shows the times with --timestamps: subvisor up --timestamps' };
}

function foremanPort(value: string | undefined): Answer {
  return { tool: 'foreman', text: `the first PORT is the environment's: PORT=${value !== undefined && isWholeNumber(value) ? value : '5000'} subvisor up` };
}

function foremanTimeout(value: string | undefined): Answer {
  const grace = graceOf(value, 's');
  return { tool: 'foreman', text: `${graceTold(grace)}: subvisor up --grace ${grace ?? '5s'}` };
}

/**
 * The longest --grace it suggests: a whole number of hours, within the longest a timer waits
 * (MAX_DURATION_MS). A grace typed to mean "never SIGKILL" (concurrently's `--kill-timeout
 * 99999999`, foreman's `-t 99999999`) is longer than --grace takes, and a suggestion --grace then
 * refused would send the user round again.
 */
const LONGEST_GRACE = goDuration(Math.floor(MAX_DURATION_MS / 3_600_000) * 3_600_000);

/** What is said of --grace before the suggestion: its longest too, when the value typed was longer. */
function graceTold(grace: string | undefined): string {
  return `the time to stop before SIGKILL is --grace, with a unit${grace === LONGEST_GRACE ? `, at most ${LONGEST_GRACE}` : ''}`;
}

/**
 * `value` as --grace takes it: a bare number in `bareUnit` (foreman's seconds, concurrently's ms),
 * one with a unit (10s) as written, the longest --grace takes when it is longer; undefined when it
 * is no duration.
 */
function graceOf(value: string | undefined, bareUnit: 's' | 'ms'): string | undefined {
  const written = value?.trim();
  if (written === undefined || !isDurationText(written)) return undefined;
  // Read as --grace reads it: every unit ends in a letter, so one that ends in a digit is bare
  // (.5 too, which --grace would take as ms).
  const grace = /\d$/.test(written) ? `${plainNumber(written)}${bareUnit}` : written;
  return fitsGrace(grace) ? grace : LONGEST_GRACE;
}

/** Whether --grace takes `text`: it refuses one longer than a timer waits. */
function fitsGrace(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

function isWholeNumber(value: string): boolean {
  return /^\d+$/.test(value);
}

const CONCURRENTLY = 'concurrently';

/** concurrently's answer for `command`: `run` supervises one command, so what is about several is said of `up`, with that first. */
function concurrently(command: ForeignCommand, forUp: string, forRun?: string): Answer {
  return { tool: CONCURRENTLY, text: command === 'up' ? forUp : (forRun ?? `run supervises one command, and up several, the processes of a subvisor.yaml: ${forUp}`) };
}

/** chalk's names, as concurrently's `-c red,bgBlue.bold` takes them: a value of them is concurrently's, not foreman's flag followed by a process name. */
const CHALK_WORDS = /^(?:auto|#[0-9a-f]{3}(?:[0-9a-f]{3})?|(?:(?:bg)?(?:black|red|green|yellow|blue|magenta|cyan|white|gray|grey)(?:bright)?|reset|bold|dim|italic|underline|inverse|hidden|strikethrough)(?:\.[a-z]+)*)$/i;

function isColourList(value: string | undefined): boolean {
  return value !== undefined && value.split(',').every((colour) => CHALK_WORDS.test(colour.trim()));
}

function colour(command: ForeignCommand, value: string | undefined): Answer {
  // foreman's -c forces colour; honcho's takes the formation, which has an `=`; concurrently's the prefixes' colours.
  if (value?.includes('=') === true) return formation('honcho', value);
  const force = `colour is on for a terminal; to force it, FORCE_COLOR=1 subvisor ${command}`;
  if (isColourList(value)) return { tool: CONCURRENTLY, text: `${command === 'up' ? "each process's prefix has a colour of its own" : 'the label has a colour'}, chosen by ${command}; ${force}` };
  return { tool: 'foreman', text: force };
}

/**
 * `up -c worker`: foreman's -c is a flag, so `worker` is the process to run, kept in its answer;
 * overmind's -c takes the processes that can die, one as well as several: both are said.
 */
function colourOrCanDie(name: string): Answer {
  return { tool: 'foreman', text: `${colour('up', undefined).text} ${name}; overmind's -c ${name} (the processes that can die): ${canDie(name).text}` };
}

function names(command: ForeignCommand, value: string | undefined): Answer {
  const first = value?.split(',')[0]?.trim() || 'web';
  return concurrently(
    command,
    `a process's name is its key under processes: in subvisor.yaml (${first}: { cmd: ... }), or in a Procfile (${first}: CMD)`,
    `the prefix of the command's lines is its label: subvisor run --label ${first} -- CMD`,
  );
}

function prefix(command: ForeignCommand): Answer {
  return concurrently(
    command,
    'each line starts with its process\'s name, padded to the longest; --timestamps adds the time: subvisor up --timestamps',
    'each line starts with the label; --timestamps adds the time: subvisor run --label NAME --timestamps -- CMD',
  );
}

function timestampFormat(command: ForeignCommand): Answer {
  return concurrently(command, 'each line starts with the time (HH:MM:SS.mmm) with --timestamps: subvisor up --timestamps', 'each line starts with the time (HH:MM:SS.mmm) with --timestamps: subvisor run --timestamps -- CMD');
}

/** concurrently's `--success`: `command-web` (or `command-0`) names the process whose exit decides. */
function success(command: ForeignCommand, value: string | undefined): Answer {
  const named = value === undefined ? undefined : /^command-(.+)$/.exec(value)?.[1];
  if (named !== undefined) return concurrently(command, `the run ends with the exit of its main process, and its status: make ${named} main: true in subvisor.yaml`);
  if (value === 'all') return concurrently(command, 'up exits 0 when every process ended well, and with the status of the first that failed: subvisor up');
  return concurrently(command, "up exits with the status of the first process that failed, or ends with the exit of its main process (main: true in subvisor.yaml), and that one's status");
}

function restartTries(command: ForeignCommand, value: string | undefined): Answer {
  return concurrently(command, `restarts are per process, in subvisor.yaml: restart: { policy: on-failure, max: ${value !== undefined && isWholeNumber(value) ? value : 'N'} }`);
}

function restartAfter(command: ForeignCommand, value: string | undefined): Answer {
  const backoff = value !== undefined && isWholeNumber(value) ? `, backoff: ${value}ms` : '';
  return concurrently(command, `restarts are per process, in subvisor.yaml, each waiting twice as long as the one before: restart: { policy: on-failure${backoff} }`);
}

function maxProcesses(command: ForeignCommand): Answer {
  return concurrently(command, 'up starts each process once what it dependsOn is ready, and the others at once; to start b once a has ended, in subvisor.yaml: b: { dependsOn: { a: completed } }');
}

function killSignal(command: ForeignCommand, value: string | undefined): Answer {
  const signal = value ?? 'SIGINT';
  return concurrently(command, `the signal that stops a process is its stopSignal, in subvisor.yaml: stopSignal: ${signal}`, `the signal that stops the command is --stop-signal: subvisor run --stop-signal ${signal} -- CMD`);
}

function killTimeout(command: ForeignCommand, value: string | undefined): Answer {
  const grace = graceOf(value, 'ms');
  const told = graceTold(grace);
  return concurrently(command, `${told}: subvisor up --grace ${grace ?? '5s'}`, `${told}: subvisor run --grace ${grace ?? '5s'} -- CMD`);
}

/** concurrently's `--group` and npm-run-all's `--aggregate-output`: each process's lines together, once it has ended. */
function grouped(command: ForeignCommand): Answer {
  return concurrently(command, "lines are shown as they come, each with its process's name; one process's lines alone, while up runs: subvisor logs NAME", 'run supervises one command, whose lines are shown as they come: subvisor run -- CMD');
}

function passthrough(command: ForeignCommand): Answer {
  return concurrently(
    command,
    'a command takes its arguments from the environment, in subvisor.yaml: cmd: npm test -- ${ARGS:-}, then: ARGS=--watch subvisor up',
    'run passes every word after -- to the command: subvisor run -- CMD ARGS',
  );
}

function teardown(command: ForeignCommand, value: string | undefined): Answer {
  const cleanup = value ?? 'CLEANUP';
  return concurrently(command, `up runs nothing once its processes have stopped; run the cleanup after it: subvisor up; ${cleanup}`, `run runs nothing once its command has stopped; run the cleanup after it: subvisor run -- CMD; ${cleanup}`);
}

function hide(command: ForeignCommand, value: string | undefined): Answer {
  const name = value?.split(',')[0]?.trim() || 'NAME';
  return concurrently(command, `up shows every process's lines; a process's cmd can send those not wanted elsewhere, in subvisor.yaml: ${name}: { cmd: CMD > /dev/null }`, 'run shows the lines of its command; to see none, send them elsewhere: subvisor run -- sh -c \'CMD > /dev/null\'');
}

function continueOnError(command: ForeignCommand): Answer {
  return {
    tool: NPM_RUN_ALL,
    text: `${command === 'run' ? 'run supervises one command; ' : ''}up stops every process at the first failure; a task may fail without ending the run when what depends on it waits for it to have completed, in subvisor.yaml: dependsOn: { NAME: completed }`,
  };
}

const OVERMIND = 'overmind';

/** The tools whose `start` is `up`: their options have no counterpart under `run`. */
const PROCFILE_RUNNERS: ReadonlySet<string> = new Set(['foreman', 'honcho', OVERMIND]);

/** overmind's lists of names (`-l web,worker`, `-c web,worker`): the names, or undefined for none. */
function nameList(value: string | undefined): string[] | undefined {
  const names = value?.split(',').map((name) => name.trim()).filter((name) => name !== '');
  return names === undefined || names.length === 0 ? undefined : names;
}

/** One process name (`worker`), which overmind's lists take as they are and foreman's flags take as the next word. */
function isOneName(value: string | undefined): value is string {
  return value !== undefined && PROCESS_NAME.test(value);
}

/** overmind's list values: names joined by commas (`web,worker`), which neither foreman's flags nor concurrently's take. */
function isNameList(value: string | undefined): boolean {
  return value !== undefined && value.includes(',') && !value.includes('=') && !isColourList(value) && nameList(value) !== undefined;
}

function processes(value: string | undefined): Answer {
  return { tool: OVERMIND, text: `the processes to run are words after up: subvisor up ${nameList(value)?.join(' ') ?? 'web worker'}` };
}

function canDie(value: string | undefined): Answer {
  const name = nameList(value)?.[0] ?? 'NAME';
  return { tool: OVERMIND, text: `a process that exits 0 ends alone already, and the others run on; one whose failure must not end the run either is a task its dependents wait for as completed, in subvisor.yaml: ${name}: { task: true }, and NAME: { dependsOn: { ${name}: completed } }` };
}

function portStep(): Answer {
  return { tool: OVERMIND, text: "PORT steps by 100 per Procfile entry and 1 per copy, as foreman's; a process that needs another sets it in its command: web: PORT=3000 node server.js" };
}

function autoRestart(value: string | undefined): Answer {
  return { tool: OVERMIND, text: `restarts are per process, in subvisor.yaml: ${nameList(value)?.[0] ?? 'NAME'}: { restart: { policy: always } }` };
}

/** `up -r web`: overmind's -r takes the processes to restart, one as well as several; concurrently's is a flag, said too. */
function autoRestartOrRaw(name: string): Answer {
  return { tool: OVERMIND, text: `${autoRestart(name).text}; concurrently's -r (raw output) takes no name: ${raw('up').text}` };
}

function raw(command: ForeignCommand): Answer {
  return concurrently(command, "each line starts with its process's name; a program reads --json, one record per line with the line as it was: subvisor up --json", "each line starts with the label; a program reads --json, one record per line with the line as it was: subvisor run --json -- CMD");
}

function overmindSocket(value: string | undefined): Answer {
  return { tool: OVERMIND, text: `the control socket is --socket: subvisor up --socket ${value ?? 'PATH'}` };
}

/** overmind's socket paths (`./.overmind.sock`, `/tmp/x.sock`): npm-run-all's `-s` takes script names, which have no `/`. */
function isSocketPath(value: string | undefined): boolean {
  return value !== undefined && (value.includes('/') || value.endsWith('.sock'));
}

/** `run`'s own options, typed to `up` by someone who used `run` first: each is a key of a process in subvisor.yaml. */
const RUN = 'run';

function runReady(value: string | undefined): Answer {
  // JSON's string is YAML's double-quoted one: `\d` written as `\\d`, as the config needs it.
  return { tool: RUN, text: `up waits for each process's ready, in subvisor.yaml: ready: ${JSON.stringify(value ?? 'REGEX')}` };
}

function runReadyTimeout(value: string | undefined): Answer {
  return { tool: RUN, text: `how long each process's ready may take is its readyTimeout, in subvisor.yaml: readyTimeout: ${value ?? '30s'}` };
}

function runStopSignal(value: string | undefined): Answer {
  return { tool: RUN, text: `the signal that stops a process is its stopSignal, in subvisor.yaml: stopSignal: ${value ?? 'SIGINT'}` };
}

function runLabel(value: string | undefined): Answer {
  const name = processNameFrom(value ?? '', 'web');
  return { tool: RUN, text: `a process's name is its key under processes: in subvisor.yaml (${name}: { cmd: ... }), or in a Procfile (${name}: CMD)` };
}

const FOREIGN_OPTIONS: readonly ForeignOption[] = [
  // foreman's -m is the formation (web=2,worker=1); concurrently's, how many run at once (2, 50%).
  { names: ['m'], instead: (value, command) => (value !== undefined && /^\d+%?$/.test(value) ? maxProcesses(command) : formation('foreman', value)) },
  { names: ['formation'], instead: (value) => formation('foreman', value) },
  { names: ['concurrency'], instead: (value) => formation('honcho', value) },
  // overmind's -c is the processes that can die (web,worker); foreman's, colour; concurrently's, the prefixes' colours.
  { names: ['c'], instead: (value, command) => (isNameList(value) ? canDie(value) : command === 'up' && isOneName(value) && !isColourList(value) ? colourOrCanDie(value) : colour(command, value)) },
  { names: ['color'], instead: (value, command) => colour(command, value) },
  { names: ['prefix-colors'], instead: (_value, command) => colour(command, 'auto') },
  // foreman's -p is the port (3000); concurrently's, the prefix ('{name}', index); npm-run-all's, the scripts to run at once (watch:*).
  {
    names: ['p'],
    instead: (value, command) => (value === undefined || isWholeNumber(value) ? foremanPort(value) : isPrefixKind(value) ? prefix(command) : parallel(command, value)),
  },
  { names: ['port'], instead: (value) => foremanPort(value) },
  { names: ['prefix', 'prefix-length', 'pad-prefix'], instead: (_value, command) => prefix(command) },
  // concurrently's -l is the prefix's length (10); npm-run-all's, --print-label (no value): both about the prefix. overmind's, the processes to run (web,worker).
  { names: ['l'], instead: (value, command) => (value === undefined || isWholeNumber(value) ? prefix(command) : processes(value)) },
  { names: ['print-name'], instead: (_value, command) => ({ ...prefix(command), tool: NPM_RUN_ALL }) },
  // foreman's -t is the stop timeout in seconds (10); concurrently's, the time's format (HH:mm:ss).
  { names: ['t'], instead: (value, command) => (value === undefined || graceOf(value, 's') !== undefined ? foremanTimeout(value) : timestampFormat(command)) },
  { names: ['timeout'], instead: (value) => foremanTimeout(value) },
  { names: ['timestamp-format'], instead: (_value, command) => timestampFormat(command) },
  { names: ['d', 'root'], instead: (value) => root('foreman', value) },
  { names: ['app-root'], instead: (value) => root('honcho', value) },
  // foreman shows times unless told not to; up shows none unless told to.
  { names: ['no-timestamp'], instead: () => timestamps('false') },
  { names: ['timestamp'], instead: (value) => timestamps(value) },
  { names: ['procfile'], instead: (value) => ({ tool: 'foreman', text: `the config is given with -f: subvisor up -f ${value ?? 'Procfile'}` }) },
  {
    names: ['e', 'env'],
    instead: (value) => ({ tool: 'foreman', text: `a Procfile reads the .env beside it, and no other; to read ${value ?? 'another file'}, name it in a subvisor.yaml's envFile` }),
  },
  {
    names: ['k', 'kill-others'],
    instead: (_value, command) => concurrently(command, "up stops every process at the first failure; to have one process's exit, 0 too, stop the others, make it main: true in subvisor.yaml"),
  },
  { names: ['kill-others-on-fail'], instead: (_value, command) => concurrently(command, 'up stops every process at the first failure already: subvisor up') },
  // concurrently's -s is the success condition (first, command-web); npm-run-all's, the scripts to run one after another.
  // overmind's -s is its socket (./.overmind.sock).
  { names: ['s'], instead: (value, command) => (isSocketPath(value) ? overmindSocket(value) : isSuccessCondition(value) ? success(command, value) : sequential(command, value)) },
  { names: ['success'], instead: (value, command) => success(command, value) },
  { names: ['parallel'], instead: (value, command) => parallel(command, value) },
  { names: ['sequential', 'serial'], instead: (value, command) => sequential(command, value) },
  {
    names: ['race'],
    instead: (_value, command) => ({ tool: NPM_RUN_ALL, text: `${command === 'run' ? 'run supervises one command; ' : ''}to have one process's exit stop the others, make it main: true in subvisor.yaml` }),
  },
  { names: ['max-parallel'], instead: (_value, command) => ({ ...maxProcesses(command), tool: NPM_RUN_ALL }) },
  { names: ['print-label'], instead: (_value, command) => ({ ...prefix(command), tool: NPM_RUN_ALL }) },
  { names: ['n', 'names'], instead: (value, command) => names(command, value) },
  { names: ['name-separator'], instead: (_value, command) => names(command, undefined) },
  { names: ['g', 'group'], instead: (_value, command) => grouped(command) },
  { names: ['aggregate-output'], instead: (_value, command) => ({ ...grouped(command), tool: NPM_RUN_ALL }) },
  { names: ['hide'], instead: (value, command) => hide(command, value) },
  {
    names: ['timings'],
    instead: (_value, command) => concurrently(command, "up says how long each process ran as it ends, and shows every one's duration in its summary at the end: subvisor up", 'run says how long the command ran as it ends: subvisor run -- CMD'),
  },
  // concurrently's -P passes the arguments on (no value); overmind's, the port step (100).
  { names: ['P'], instead: (value, command) => (value !== undefined && isWholeNumber(value) ? portStep() : passthrough(command)) },
  { names: ['passthrough-arguments'], instead: (_value, command) => passthrough(command) },
  { names: ['teardown'], instead: (value, command) => teardown(command, value) },
  { names: ['continue-on-error'], instead: (_value, command) => continueOnError(command) },
  {
    names: ['silent'],
    instead: (_value, command) => ({ tool: NPM_RUN_ALL, text: command === 'up' ? "npm's own lines are left out by npm, in the process's cmd: cmd: npm run --silent NAME" : "npm's own lines are left out by npm: subvisor run -- npm run --silent NAME" }),
  },
  // overmind's -r is the processes to restart when they die (web,worker); concurrently's, raw output (no value).
  { names: ['r'], instead: (value, command) => (isNameList(value) ? autoRestart(value) : command === 'up' && isOneName(value) ? autoRestartOrRaw(value) : raw(command)) },
  { names: ['raw'], instead: (_value, command) => raw(command) },
  { names: ['no-color'], instead: (_value, command) => concurrently(command, 'colour is off where NO_COLOR is set: NO_COLOR=1 subvisor up', 'colour is off where NO_COLOR is set: NO_COLOR=1 subvisor run -- CMD') },
  { names: ['restart-tries'], instead: (value, command) => restartTries(command, value) },
  { names: ['restart-after'], instead: (value, command) => restartAfter(command, value) },
  { names: ['max-processes'], instead: (_value, command) => maxProcesses(command) },
  { names: ['kill-signal', 'ks'], instead: (value, command) => killSignal(command, value) },
  { names: ['kill-timeout'], instead: (value, command) => killTimeout(command, value) },
  { names: ['processes'], instead: (value) => processes(value) },
  { names: ['x', 'ignored-processes'], instead: () => ({ tool: OVERMIND, text: 'up runs the processes named after it (and what they depend on), or every one: subvisor up NAME...' }) },
  { names: ['can-die', 'any-can-die'], instead: (value) => canDie(value) },
  { names: ['auto-restart'], instead: (value) => autoRestart(value) },
  { names: ['N'], instead: () => ({ tool: OVERMIND, text: 'subvisor up --no-port' }) },
  { names: ['port-step', 'formation-port-step'], instead: () => portStep() },
  // run's own: run knows them, so they reach this table only from up.
  { names: ['ready'], instead: (value) => runReady(value) },
  { names: ['ready-timeout'], instead: (value) => runReadyTimeout(value) },
  { names: ['stop-signal'], instead: (value) => runStopSignal(value) },
  { names: ['label'], instead: (value) => runLabel(value) },
  {
    names: ['D', 'daemonize'],
    instead: () => ({ tool: OVERMIND, text: 'up runs in the foreground, and ps, logs, stop and restart reach it from another terminal; to run the processes as a service: subvisor export systemd' }),
  },
  {
    names: ['i', 'handle-input', 'default-input-target'],
    instead: (_value, command) => concurrently(command, "up's processes read nothing (/dev/null); subvisor run passes its own input on to its command when that is a pipe or a file", 'subvisor run passes its own input on to its command when that is a pipe or a file (from a terminal, it reads nothing)'),
  },
];

/**
 * What to write instead of another tool's option `rawName` (`-m`, `--port`, `--kill-others`)
 * typed to `command`, given `value`, the word typed with it or after it:
 * `foreman's -m: the formation is words after up: subvisor up web=2 worker=1`. Undefined for an
 * option none of them has, and for foreman's and honcho's under `run` (their `start` is `up`).
 */
export function foreignOptionInstead(command: ForeignCommand, rawName: string, value: string | undefined): string | undefined {
  const instead = insteadOf(rawName.replace(/^-+/, ''), value, command);
  // foreman's, honcho's and overmind's start is up: run has no counterpart of their options.
  if (instead === undefined || (command === 'run' && PROCFILE_RUNNERS.has(instead.tool))) return undefined;
  return `${instead.tool}'s ${rawName}: ${instead.text}`;
}

/**
 * What to write instead of the setting `name: value` of foreman's `.foreman` (its options'
 * long names: `port: 3000`): `the first PORT is the environment's: PORT=3000 subvisor up`.
 * Undefined for a name foreman's start has no option for.
 */
export function foremanSettingInstead(name: string, value: string | undefined): string | undefined {
  const instead = insteadOf(name, value, 'up');
  return instead?.tool === 'foreman' || instead?.tool === 'honcho' ? instead.text : undefined;
}

/**
 * What to write instead of overmind's variable for the option `name` (its long name, `N` for
 * `--no-port`) set to `value` in `.overmind.env`: `OVERMIND_PORT=3000` is
 * `the first PORT is the environment's: PORT=3000 subvisor up` (foreman's and overmind's mean the same).
 */
export function overmindSettingInstead(name: string, value: string): string | undefined {
  return insteadOf(name, value, 'up')?.text;
}

function insteadOf(name: string, value: string | undefined, command: ForeignCommand): Answer | undefined {
  return FOREIGN_OPTIONS.find((candidate) => candidate.names.includes(name))?.instead(value, command);
}

/** A process name for the npm script `script` (`watch:js` is `watch-js`): a name has no `:`. */
function processNameOf(script: string): string {
  return processNameFrom(script, 'web');
}

/** The processes of a subvisor.yaml that run the npm scripts `pattern` names: one per script `watch:*` matches. */
function scriptProcesses(pattern: string): string {
  const script = pattern.replaceAll('*', 'NAME');
  const one = `${processNameOf(script)}: { cmd: npm run ${script} }`;
  return pattern.includes('*') ? `processes: { ${one}, ... }` : `processes: { ${one} }`;
}

const NPM_RUN_ALL = 'npm-run-all';

/** npm-run-all's `--parallel` (`-p`, run-p): its scripts are processes. */
function parallel(command: ForeignCommand, value: string | undefined): Answer {
  return { tool: NPM_RUN_ALL, text: `${command === 'run' ? 'run supervises one command; ' : ''}up runs the processes of a subvisor.yaml at once, one per script: ${scriptProcesses(value ?? 'NAME')}` };
}

/**
 * npm-run-all's `--sequential` (`-s`, run-s): one script once the one before has succeeded. Its
 * scripts are separate words (`run-s a b`); typed joined by commas, each is a script still, never
 * one script named `a,b`.
 */
function sequential(command: ForeignCommand, value: string | undefined): Answer {
  const typed = value === undefined || value.includes('*') ? [] : value.split(',').map((script) => script.trim()).filter((script) => script !== '');
  const scripts = typed.length > 1 ? typed : [typed[0] ?? 'build', 'NAME'];
  const processes = scripts.map((script, index) => {
    const before = scripts[index - 1];
    const waits = before === undefined ? 'task: true' : `${index < scripts.length - 1 ? 'task: true, ' : ''}dependsOn: { ${processNameOf(before)}: succeeded }`;
    return `${script === 'NAME' ? 'NAME' : processNameOf(script)}: { cmd: npm run ${script}, ${waits} }`;
  });
  return {
    tool: NPM_RUN_ALL,
    text: `${command === 'run' ? 'run supervises one command; ' : ''}up starts a process once what it dependsOn has succeeded, in subvisor.yaml: processes: { ${processes.join(', ')} }`,
  };
}

/** concurrently's `--success` takes these (or `command-NAME`, `!command-NAME`); npm-run-all's `-s`, script names. */
function isSuccessCondition(value: string | undefined): boolean {
  return value === undefined || /^(?:first|last|all|!?command-.+)$/.test(value);
}

/** concurrently's `--prefix` takes these (or a template with `{name}`); npm-run-all's `-p`, script names. */
function isPrefixKind(value: string): boolean {
  return /^(?:index|pid|time|command|name|none)$/.test(value) || value.includes('{');
}

/**
 * What to write instead of `word`, typed where `up` takes process names, when it is no name but
 * a command as concurrently takes them (`"npm run watch"`, `npm:watch-*`), or npm scripts as
 * npm-run-all takes them (`watch:*`, `lint:js`): no process name has a blank, a `:` or a `*`.
 * A word whose every part is one of `processNames` (or `NAME=N` of one) is those names quoted
 * together (`up "$SERVICES"`), not a command: it is told to give them as separate words. A script
 * or an ecosystem file as pm2's `start` takes them (`app.js`, `ecosystem.config.js`) is told
 * `run` or `up -f`, unless `processNames` has it.
 * Undefined for a word that may be a name. `processNames` defaults to none (no config read).
 */
export function foreignWordInstead(word: string, processNames: ReadonlySet<string> = new Set()): string | undefined {
  const script = /^npm:(.+)$/.exec(word)?.[1];
  const perCommand = `'${word}' is a command, as concurrently takes them; up runs the processes of a subvisor.yaml (or a Procfile), one per command`;
  if (script !== undefined) return `${perCommand}: ${scriptProcesses(script)}${script.includes('*') ? '' : `; one command alone: subvisor run -- npm run ${script}`}`;
  const command = word.trim();
  const parts = command.split(/\s+/);
  if (parts.length > 1 && parts.every((part) => processNames.has(part.replace(/=\d+$/, '')))) return `'${word}' is ${parts.length} process names in one word; names are separate words: subvisor up ${parts.join(' ')}`;
  if (/\s/.test(command)) return `${perCommand}: processes: { ${processNameOf(parts.at(-1) ?? '')}: { cmd: ${command} } }; one command alone: subvisor run -- ${command}`;
  if (/[:*]/.test(word)) return `'${word}' names npm scripts, as npm-run-all takes them; up runs the processes of a subvisor.yaml, one per script: ${scriptProcesses(word)}`;
  // A process may be named like a script (`server.js`): only a word the config does not name is pm2's.
  return processNames.has(word) ? undefined : pm2UpWordInstead(word);
}

/**
 * What to write instead of `run`'s `command` when it is several commands, as concurrently takes
 * them (`run "npm run api" "npm run web"`): run would start a program named `npm run api`, and
 * fail as one it cannot find. Undefined unless there are two words or more, each with a blank,
 * the first naming no program (`"./my tool" "an argument"`, or `"my tool" ...` with it on PATH, is one command).
 */
export function concurrentlyCommandsInstead(command: readonly string[], isProgram: (word: string) => boolean): string | undefined {
  const words = command.map((word) => word.trim());
  if (words.length < 2 || !words.every((word) => /\s/.test(word)) || isProgram(command[0] as string)) return undefined; // length >= 2
  const processes = words.map((word) => `${processNameOf(word.split(/\s+/).at(-1) ?? '')}: { cmd: ${word} }`);
  return `concurrently's commands: run supervises one command; several are the processes of a subvisor.yaml, run by subvisor up: processes: { ${processes.join(', ')} }`;
}

/** The process `word` names: itself, or the name of a count of one (`web=2`). */
function nameIn(word: string): string {
  return word.replace(/=\d+$/, '');
}

/** Whether `word` is one of `processNames`, or a count of one (`web=2`). */
function isProcessName(word: string, processNames: ReadonlySet<string>): boolean {
  return processNames.has(nameIn(word));
}

/**
 * Whether `command`, up's words from the first that is no process name, reads as a command rather
 * than misspelt names. Its first word is a program: it does; so it does when a word after it is
 * one no process can be named (`--port`, `app:app`: `up -- web redis-server --port 6380` where
 * redis-server is not installed is no misspelt `redis`). Else a lone word is a misspelt name
 * (`up -- wbe`), and so is a first word that is a slip of a name (`wrker`; not `webpack` for
 * `web`: see {@link meantName}) or one followed only by names (`up -- wbr worker`). Any other first word with more after it is the
 * program of a command, installed here or not (`up -- web npm run dev` where npm is not: split,
 * `run -- npm run dev` then says it is missing), as names cannot tell.
 */
function readsAsCommand(command: readonly string[], isProgram: (word: string) => boolean, processNames: ReadonlySet<string>): boolean {
  const [first, ...rest] = command;
  if (first === undefined) return false;
  if (isProgram(first) || rest.some((word) => !PROCESS_NAME.test(nameIn(word)))) return true;
  if (rest.length === 0 || meantName(first, processNames) !== undefined) return false;
  return !rest.every((word) => isProcessName(word, processNames));
}

/**
 * Why `command` was read as a command when its program is none here, so the words could as well be
 * misspelt names (`up -- web xyzzy api`): the rule, and the names there are. Empty when the
 * program is installed (then it is a command).
 */
function whyCommand([first = '']: readonly string[], isProgram: (word: string) => boolean, processNames: ReadonlySet<string>): string {
  if (isProgram(first)) return '';
  const names = processNames.size === 0 ? '' : `, so if names were meant, they are ${[...processNames].join(', ')}`;
  return ` (read as a command: ${first} names no process and the words after it are not all names; ${first} is no program here either${names})`;
}

/**
 * What to write instead of `words`, typed after `up --` as `run -- CMD ARGS` takes a command
 * (`up -- npm run dev`): up takes process names, and would look for processes named `npm`, `run`
 * and `dev`. The command is the words from the first that is none of `processNames` (`web=2`
 * counts as `web`), when they read as one (see {@link readsAsCommand}). Undefined when every word
 * is a name (`up -- web worker`: `--` only ends up's options), and when the others read as
 * misspelt names (`up -- wbe`, `up -- web wrker api`: told the names there are). `processNames`
 * defaults to none (no config read).
 */
export function commandAfterDashesInstead(words: readonly string[], isProgram: (word: string) => boolean, processNames: ReadonlySet<string> = new Set()): string | undefined {
  const start = words.findIndex((word) => !isProcessName(word, processNames));
  const command = start === -1 ? [] : words.slice(start);
  const [first] = command;
  if (first === undefined || !readsAsCommand(command, isProgram, processNames)) return undefined;
  const shown = quoteCommand(command);
  const name = processNameFrom(basename(first), 'web');
  return `up takes process names, and after -- it was given a command, as run takes one (${shown}): to supervise it alone, subvisor run -- ${shown}; to run it with others, make it a process of a subvisor.yaml (or a Procfile): processes: { ${name}: { cmd: ${shown} } }${whyCommand(command, isProgram, processNames)}`;
}
