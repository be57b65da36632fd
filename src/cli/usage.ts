import { DEFAULT_KILL_GRACE_MS } from '../process/options.js';
import { didYouMean } from '../process/suggest.js';
import { UsageError } from './args.js';
import { foreignCommandInstead } from './foreign-commands.js';
import { DEFAULT_PROBE_DEADLINE_MS } from './commands/probe-deadline.js';
import { DEFAULT_READY_INTERVAL_MS } from './config/spec.js';
import { goDuration } from './config/duration.js';

/** The help of each command, in the order `subvisor --help` lists them. */
const SECTIONS = {
  run: `  subvisor run [options] -- CMD [ARGS...]
      Supervise one command: relay its stdout and stderr line by line, stop it gracefully on
      Ctrl-C, and exit with its status (128+N when killed by signal N). It reads subvisor's
      stdin when that is a pipe or a file; on a terminal, /dev/null.
        --label L          prefix of its lines (default: the program's name)
        --ready REGEX      log "ready after N ms" at the first line that matches
        --ready-timeout D  fail if not ready within D (exit 124)
        --timeout D        stop it after D and exit 124
        --grace D          stop-signal-to-SIGKILL grace when stopping (default ${goDuration(DEFAULT_KILL_GRACE_MS)})
        --stop-signal SIG  what it gets when the run stops (default SIGTERM; SIGINT for a
                           program that cleans up on Ctrl-C)
        --json             NDJSON on stdout: {time, name, stream, line, ...}
        --timestamps       start each line with the time (HH:MM:SS.mmm)`,

  up: `  subvisor up [-f FILE] [--socket PATH] [--json] [--timestamps] [--grace D] [--no-port] [NAME | NAME=N ...]
      Supervise the processes of subvisor.yaml (or a Procfile): start each when its
      conditions are met, restart as its policy says, fail fast, and stop everything in
      reverse dependency order at the end or on Ctrl-C. NAMEs select processes (and what
      they depend on); NAME=N also runs N copies of it, NAME.1 ... NAME.N (foreman's
      formation: \`up web=2 worker=1\`).
        -f, --file FILE    config file (default: subvisor.yaml, subvisor.yml, then Procfile; - for stdin)
        --grace D          stop-signal-to-SIGKILL grace of processes without their own (default ${goDuration(DEFAULT_KILL_GRACE_MS)})
        --json             NDJSON on stdout
        --timestamps       start each line with the time (HH:MM:SS.mmm)
        --no-port          do not give a Procfile's processes PORT (5000, +100 per entry, +1 per copy)
        --socket PATH      control socket (default: .subvisor/control.sock beside the config)`,

  ps: `  subvisor ps [--json] [-f FILE | --socket PATH] [NAME...]
      The processes of the run started with \`up\` here (or those named): name, state, pid, uptime, restarts.`,

  act: `  subvisor restart|stop|start NAME... [-f FILE | --socket PATH]
      restart: stop NAME's dependents, then NAME, then start them again in order, and return once
      all are ready. stop: stop NAME (it stays stopped; stopping main ends the run). start: start
      a stopped or ended process again. Never counted against a restart policy.`,

  logs: `  subvisor logs [-f] [-n N] [--file FILE | --socket PATH] [NAME...]
      The last N (-n, --lines; default 100) output lines of each process (all when none is
      named), in the order they came; -f, --follow: then new ones until Ctrl-C.`,

  export: `  subvisor export systemd [-f FILE] [-o DIR] [--prefix NAME] [--ready-log=drop] [--no-port]
      One NAME-PROCESS.service (and its NAME-PROCESS.env) per process as \`up\` runs it
      (replicas: NAME-web.1.service ...) and a NAME.target that groups them, written to DIR
      (created when missing) or, without -o, printed to stdout for /etc/systemd/system.
      NAME defaults to the config directory's name.

  subvisor export compose [-f FILE] [-o FILE] [--image IMAGE] [--ready-log=drop] [--no-port]
      A Compose file with one service per process as \`up\` runs it (replicas: web-1, web-2)
      (default image node:22-bookworm-slim, the project at /app), to FILE or stdout.
        -o, --output OUT   DIR for systemd, FILE for compose (created when missing; - for stdout)
        --ready-log=drop   leave out log-line readiness (ready: "regex"), which cannot be
                           checked from outside, instead of refusing it
        --no-port          do not give a Procfile's processes PORT (as for \`up\`)`,

  probe: `  subvisor probe (--http URL [--status N] | --tcp HOST:PORT | --exec CMD) [--interval D] [--timeout D]
      Try one probe until it passes (exit 0) or --timeout passes (exit 1; default ${goDuration(DEFAULT_PROBE_DEADLINE_MS)}),
      pausing --interval between tries (default ${goDuration(DEFAULT_READY_INTERVAL_MS)}; as long as --timeout or longer: one try).`,
} as const;

type Section = keyof typeof SECTIONS;

/** Which section documents each command word. */
const SECTION_OF: Readonly<Record<string, Section>> = { run: 'run', up: 'up', ps: 'ps', restart: 'act', stop: 'act', start: 'act', logs: 'logs', export: 'export', probe: 'probe' };

const HEADER = 'subvisor: structured supervision of child processes\n\nusage:';
const DURATIONS = 'Durations: 500ms, 2s, 1.5m, 1h, or a number of milliseconds.';
const CTRL_C = 'First Ctrl-C stops gracefully (exit 130); a second one kills at once.';
const FOOTER = `${DURATIONS}\n${CTRL_C}`;

/**
 * The footer lines that apply to each section: durations to a command that takes one, Ctrl-C's
 * two steps to one that supervises processes. `ps` takes neither; told both, its reader would look
 * for a duration to give it, or a grace to wait out.
 */
const FOOTER_OF: Readonly<Record<Section, readonly string[]>> = {
  run: [DURATIONS, CTRL_C],
  up: [DURATIONS, CTRL_C],
  ps: [],
  act: [],
  logs: [],
  export: [],
  probe: [DURATIONS],
};

/** `subvisor --help`: every command. */
export const USAGE = `${HEADER}
${Object.values(SECTIONS).join('\n\n')}

  subvisor --help | --version      (-h, -v; --help and -h also after any command, or help COMMAND)

${FOOTER}`;

/**
 * The help `subvisor COMMAND --help` prints: that command's section (both formats for `export`),
 * or the whole {@link USAGE} for a word that names no command.
 */
export function usageOf(command: string | undefined): string {
  const section = command === undefined || !isCommand(command) ? undefined : SECTION_OF[command];
  if (section === undefined) return USAGE;
  const footer = FOOTER_OF[section];
  return `${HEADER}\n${SECTIONS[section]}\n\n  subvisor --help: every command${footer.length === 0 ? '' : `\n\n${footer.join('\n')}`}`;
}

/**
 * The words that ask for the help or the version where a command goes: a command nobody knows may
 * be one of them misspelt, or written as other tools take it (`subvisor version`).
 */
const TOP_LEVEL_OPTIONS = ['--help', '--version'];

/**
 * A word in the command's place (or after `help`) that names no command, `rest` the words after
 * it: another tool's command (pm2's `list`) answered with subvisor's way, else the one most likely meant, if any.
 */
export function unknownCommand(word: string, rest: readonly string[] = []): UsageError {
  const foreign = foreignCommandInstead(word, rest);
  if (foreign !== undefined) return new UsageError(`unknown command '${word}'; ${foreign}`);
  return new UsageError(`unknown command '${word}'${didYouMean(word, [...Object.keys(SECTION_OF), 'help', ...TOP_LEVEL_OPTIONS], { status: 'ps', log: 'logs', tail: 'logs' })}`);
}

/** Where a usage mistake points: `subvisor run --help` for a command's, `subvisor --help` otherwise. */
export function helpFor(command: string | undefined): string {
  return command !== undefined && isCommand(command) ? `subvisor ${command} --help` : 'subvisor --help';
}

/** Whether `word` is one of the commands (`run`, `ps`, ...), each of which has its own help. */
export function isCommand(word: string): boolean {
  return Object.hasOwn(SECTION_OF, word);
}
