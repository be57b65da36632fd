import { parseArgs } from 'node:util';

export const USAGE = `subvisor: structured supervision of child processes

usage:
  subvisor run [options] -- CMD [ARGS...]
      Supervise one command: relay its stdout and stderr line by line, stop it gracefully on
      Ctrl-C, and exit with its status (128+N when killed by signal N).
        --label L          prefix of its lines (default: the program's name)
        --ready REGEX      log "ready after N ms" at the first line that matches
        --ready-timeout D  fail if not ready within D (exit 124)
        --timeout D        stop it after D and exit 124
        --grace D          SIGTERM-to-SIGKILL grace when stopping (default 5s)
        --json             NDJSON on stdout: {time, name, stream, line, ...}
        --timestamps       start each line with the time (HH:MM:SS.mmm)

  subvisor up [-f FILE] [--socket PATH] [--json] [--timestamps] [--grace D] [NAME...]
      Supervise the processes of subvisor.yaml (or a Procfile): start each when its
      conditions are met, restart as its policy says, fail fast, and stop everything in
      reverse dependency order at the end or on Ctrl-C. NAMEs select processes (and what
      they depend on).
        -f, --file FILE    config file (default: subvisor.yaml, subvisor.yml, then Procfile)
        --grace D          stop-signal-to-SIGKILL grace of processes without their own (default 5s)
        --json             NDJSON on stdout
        --timestamps       start each line with the time (HH:MM:SS.mmm)
        --socket PATH      control socket (default: .subvisor/control.sock beside the config)

  subvisor ps [--json] [-f FILE | --socket PATH]
      The processes of the run started with \`up\` here: name, state, pid, uptime, restarts.
  subvisor restart|stop|start NAME... [-f FILE | --socket PATH]
      restart: stop NAME's dependents, then NAME, then start them again in order, and return once
      all are ready. stop: stop NAME (it stays stopped; stopping main ends the run). start: start
      a stopped or ended process again. Never counted against a restart policy.
  subvisor logs [-f] [-n N] [--file FILE | --socket PATH] [NAME...]
      The last N (default 100) output lines of each process (all when none is named), in the
      order they came; -f, --follow: then new ones until Ctrl-C.

  subvisor --help | --version

Durations: 500ms, 2s, 1.5m, 1h, or a number of milliseconds.
First Ctrl-C stops gracefully (exit 130); a second one kills at once.`;

/** A mistake on the command line: reported in one line with a pointer to --help, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface RunArgs {
  readonly command: string[];
  readonly label: string | undefined;
  readonly ready: string | undefined;
  readonly readyTimeout: string | undefined;
  readonly timeout: string | undefined;
  readonly grace: string | undefined;
  readonly json: boolean;
  readonly timestamps: boolean;
}

export interface UpArgs {
  readonly file: string | undefined;
  readonly socket: string | undefined;
  readonly names: string[];
  readonly grace: string | undefined;
  readonly json: boolean;
  readonly timestamps: boolean;
}

const RUN_VALUE_OPTIONS = new Set(['--label', '--ready', '--ready-timeout', '--timeout', '--grace']);

/**
 * `run`'s options end at `--` or at the first word that is not an option, so `subvisor run ls -l`
 * works as well as `subvisor run -- ls -l`: everything from the command on belongs to it.
 */
export function parseRunArgs(args: readonly string[]): RunArgs {
  let split = args.indexOf('--');
  if (split === -1) {
    split = args.length;
    for (let index = 0; index < args.length; index++) {
      const arg = args[index] as string; // index < length
      if (RUN_VALUE_OPTIONS.has(arg)) index++;
      else if (!arg.startsWith('-')) {
        split = index;
        break;
      }
    }
  }
  const command = args.slice(args[split] === '--' ? split + 1 : split);
  const { values } = parseOrExplain(args.slice(0, split), {
    label: { type: 'string' },
    ready: { type: 'string' },
    'ready-timeout': { type: 'string' },
    timeout: { type: 'string' },
    grace: { type: 'string' },
    json: { type: 'boolean' },
    timestamps: { type: 'boolean' },
  });
  if (command.length === 0) throw new UsageError('run needs a command: subvisor run [options] -- CMD [ARGS...]');
  return {
    command,
    label: values.label as string | undefined,
    ready: values.ready as string | undefined,
    readyTimeout: values['ready-timeout'] as string | undefined,
    timeout: values.timeout as string | undefined,
    grace: values.grace as string | undefined,
    json: values.json === true,
    timestamps: values.timestamps === true,
  };
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
    },
    true,
  );
  return { file: values.file as string | undefined, socket: values.socket as string | undefined, names: positionals, grace: values.grace as string | undefined, json: values.json === true, timestamps: values.timestamps === true };
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
  const { values, positionals } = parseOrExplain(args, { file: { type: 'string', short: 'f' }, socket: { type: 'string' }, ...(command === 'ps' ? { json: { type: 'boolean' } } : {}) }, command !== 'ps');
  if (command !== 'ps' && positionals.length === 0) throw new UsageError(`${command} needs the name of a process: subvisor ${command} NAME...`);
  return { file: values.file as string | undefined, socket: values.socket as string | undefined, names: positionals, json: values.json === true };
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
  if (given !== undefined && (!/^\d+$/.test(given) || !Number.isSafeInteger(lines))) throw new UsageError(`-n: expected a whole number of lines, got '${given}'`);
  return { file: values.file as string | undefined, socket: values.socket as string | undefined, names: positionals, follow: values.follow === true, lines };
}

type OptionsConfig = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parseOrExplain(args: readonly string[], options: OptionsConfig, allowPositionals = false): { values: Record<string, unknown>; positionals: string[] } {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error));
  }
}
