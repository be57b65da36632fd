#!/usr/bin/env node
import { HelpRequested, UsageError, jsonAsked } from './args.js';
import { currentDirectoryLost } from './current-directory.js';
import { refusalsAsRecords } from './json-refusals.js';
import { USAGE, helpFor, isCommand, unknownCommand, usageOf } from './usage.js';
import { ExportError } from './export/errors.js';
import { EXIT, dieOf, isEarlyEnd, statusOfEarlyEnd, type Ending } from './exit-status.js';
import { Terminals } from './terminal.js';
import { answering } from './interrupts.js';
import { internalErrorWords } from './internal-error.js';
import { exitingAtOnce } from './last-words.js';
import { exitOnUncaughtError } from './uncaught-outside-run.js';
import { node } from '../builtins.js';
import { shownAsText } from '../log/sanitize.js';

/** The `subvisor` command: dispatches, and turns every expected error into one line and a status. */
async function main(argv: readonly string[]): Promise<Ending> {
  const [command, ...rest] = argv;
  // `run` and `probe` go on without it: a child starts where it is, as a shell's would.
  const lost = command !== undefined && FINDS_FILES.has(command) ? currentDirectoryLost() : undefined;
  if (lost !== undefined) {
    // A `up --json` reader reads records, and only records, on stdout.
    if (command === 'up' && jsonAsked('up', rest)) return refusalsAsRecords(true, () => Promise.reject(lost));
    throw lost;
  }
  switch (command) {
    // Loaded on demand (the build splits them into chunks): `run` must not pay for the YAML parser.
    case 'run':
      return (await import('./commands/run.js')).runCommand(rest);
    case 'up':
      return (await import('./commands/up.js')).upCommand(rest);
    case 'export':
      return answering(async () => (await import('./commands/export.js')).exportCommand(rest));
    case 'probe':
      return answering(async () => (await import('./commands/probe.js')).probeCommand(rest));
    case 'ps':
      return answering(async () => (await import('./commands/ps.js')).psCommand(rest));
    case 'stop':
    case 'start':
    case 'restart':
      return answering(async () => (await import('./commands/act.js')).actCommand(command, rest));
    case 'logs':
      return (await import('./commands/logs.js')).logsCommand(rest);
    case undefined:
      // No command is a usage mistake (status 2), told where mistakes are: the usage is the answer
      // only when asked for, and a script's `subvisor $cmd` with $cmd unset must not find it in
      // the output it reads.
      return answering(() => {
        process.stderr.write(`${USAGE}\n`);
        return { exitCode: EXIT.usage };
      });
    case '-h':
    case '--help':
      return answering(() => {
        process.stdout.write(`${USAGE}\n`);
        return { exitCode: EXIT.ok };
      });
    case 'help': {
      // `subvisor help run` is `subvisor run --help`, as git's and npm's `help COMMAND` are.
      const [about] = rest;
      if (about !== undefined && !isCommand(about) && !HELP_WORDS.has(about)) throw unknownCommand(about);
      return answering(() => {
        process.stdout.write(`${usageOf(about)}\n`);
        return { exitCode: EXIT.ok };
      });
    }
    case '-v':
    case '--version':
      return answering(() => {
        process.stdout.write(`${version()}\n`);
        return { exitCode: EXIT.ok };
      });
    default:
      throw unknownCommand(command, rest);
  }
}

/** The words after `help` that ask for the whole usage again (`help help`, `help --help`). */
const HELP_WORDS = new Set(['help', '--help', '-h']);

/** The commands that find their config, socket or output files from the current directory (`run` and `probe` read none). */
const FINDS_FILES = new Set(['up', 'export', 'ps', 'stop', 'start', 'restart', 'logs']);

function version(): string {
  const pkg = JSON.parse(node.fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Ends the program as `ending` says. A terminal that hung up on the way (whoever was told) leaves
 * one way out: dying of SIGHUP, as its delivery would have made us. Exiting instead would abort on
 * Node 20 (see dieOf), with every stdio terminal this program started on to be restored.
 * An exit at once already under way (a second Ctrl-C's, or an error nothing caught) has decided
 * how the program ends, a hang-up included (see exitOnceSaid): a command that returns during its
 * wait changes nothing.
 */
function end(ending: Ending): void {
  if (exitingAtOnce()) return;
  const signal = ending.signal ?? (terminals.hungUp() === undefined ? undefined : 'SIGHUP');
  if (signal !== undefined) dieOf(signal);
  process.exitCode = ending.exitCode;
}

/**
 * Says `message` on stderr after `subvisor: `, its control characters shown as text: it may hold a
 * path or a name with an escape sequence in it, which must not drive the terminal.
 */
function say(message: string): void {
  process.stderr.write(shownLines(`subvisor: ${message}\n`));
}

/** `text` with the control characters of each line shown as text. */
function shownLines(text: string): string {
  return text.split('\n').map(shownAsText).join('\n');
}

function ignoreSignal(): void {
  // on purpose: see where it is installed
}

// Node takes note of the stdio terminals when it starts, to restore them at exit: so do we.
const terminals = new Terminals([0, 1, 2]);
// SIGUSR1 would open Node's inspector on 127.0.0.1:9229, where any local user could run code as
// this run's user; a log rotator's `kill -USR1` (a common way to say "reopen your logs") must not.
// The log files follow a rotation by themselves (see LogFile), so the signal has nothing to do.
process.on('SIGUSR1', ignoreSignal);
const args = process.argv.slice(2);
exitOnUncaughtError((error) => reported(error).exitCode, terminals);
try {
  end(await main(args));
} catch (error) {
  // Under `answering` too: a reader of stderr that has gone (`subvisor ps 2>&1 | head -0`) ends
  // the command as SIGPIPE would, not with an uncaught EPIPE. An error nothing caught has already
  // said how the CLI ends (see exitOnUncaughtError): a failure it led to is not a second report.
  if (!exitingAtOnce()) end(await answering(() => reported(error)));
}

/**
 * Says what `error` was and returns the status it ends with: an expected one's (bad usage, a bad
 * config, no run to ask...), or {@link EXIT.internal} for any other, a defect of ours (in reading
 * the config, in planning, in any command), said as one met while a run goes on is (see ./uncaught.ts).
 * Thrown on, it would end the CLI as Node ends an uncaught error: status 1, which a script cannot
 * tell from a failed run, and a raw source line and caret before the stack.
 */
function reported(error: unknown): Ending {
  if (error instanceof HelpRequested) {
    process.stdout.write(`${usageOf(args[0])}\n`);
    return { exitCode: EXIT.ok };
  }
  if (error instanceof UsageError) {
    say(`${error.message}\n(see ${helpFor(args[0])})`);
    return { exitCode: EXIT.usage };
  }
  if (error instanceof ExportError) {
    say(`cannot export: ${error.message}`);
    // A refusal is about the config or the arguments, as a bad config is (2); an output that could
    // not be written (a full disk, no permission, a file in the way) failed as `cat` or `mkdir -p`
    // fail on it, and as the same export to a full stdout does (1).
    return { exitCode: error.code === 'ERR_EXPORT_WRITE' ? EXIT.failure : EXIT.usage };
  }
  if (isEarlyEnd(error)) {
    say(error.message);
    return { exitCode: statusOfEarlyEnd(error) };
  }
  process.stderr.write(shownLines(internalErrorWords('internal error', error)));
  return { exitCode: EXIT.internal };
}
