import { basename } from 'node:path';
import { node } from '../../builtins.js';
import { escapeControlCharacters } from '../../process/command.js';
import { SpawnError } from '../../process/errors.js';
import { UsageError, bareDurationWarnings, graceOption, jsonAsked, parseRunArgs, positiveDurationOption, type RunArgs } from '../args.js';
import { refusalsAsRecords } from '../json-refusals.js';
import { NO_RESTART, logProbe } from '../config/spec.js';
import { EXIT, type Ending } from '../exit-status.js';
import { endingAfterFlush, endingOf } from '../interrupts.js';
import { createOutput } from '../output.js';
import { childrenColour } from '../children-colour.js';
import { reportFailure, reportSummary } from '../report.js';
import { Stack, StopRequest, type RunOutcome } from '../stack/stack.js';
import { warnWhenPid1 } from '../pid1.js';
import { sayWarnings } from '../warnings.js';
import { withUncaught } from '../uncaught.js';
import { listenForEnds } from '../run-ends.js';
import { refuseChangedArguments } from '../raw-arguments.js';
import { readStopSignal } from '../config/stop-signal.js';
import { invalidPattern } from '../config/regexp.js';

/** `subvisor run [options] -- CMD ARGS...`: one supervised command; exits with its status. */
export async function runCommand(args: readonly string[]): Promise<Ending> {
  // Parsed inside: a command line that cannot be parsed (`run --json --grce 5s -- CMD`) is a refusal too.
  return refusalsAsRecords(jsonAsked('run', args), () => run(parseRunArgs(args)));
}

/** What `run` runs with, read from its command line: refused here, before anything starts, if it cannot be. */
async function settingsOf(parsed: RunArgs) {
  // Not found (127), as bash, timeout(1) and env(1) say of an empty program name: a script's
  // `subvisor run -- "$CMD"` with CMD unset gets the status `timeout 5 "$CMD"` gives it. Blanks
  // alone (`"$A $B"`, both unset) are no name either, as a subvisor.yaml's cmd of blanks is empty.
  if (parsed.command[0]?.trim() === '') throw new SpawnError(parsed.command, 'the program name is empty (is a shell variable unset?); give the program, a name on PATH or a path, first', { code: 'ENOENT' });
  refuseChangedArguments(parsed.command);
  await warnWhenPid1(parsed.json);
  // The program's name, escaped as `--label` must be (no control characters): a file named so as
  // to retitle the terminal would otherwise do it in every prefix, on a colour terminal.
  const name = parsed.label ?? (escapeControlCharacters(basename(parsed.command[0] ?? '')) || 'cmd');
  const ready = parsed.ready === undefined ? undefined : compileReady(parsed.ready);
  const grace = graceOption(parsed.grace);
  const stopSignal = stopSignalOption(parsed.stopSignal);
  const readyTimeoutMs = parsed.readyTimeout === undefined ? undefined : positiveDurationOption('--ready-timeout', parsed.readyTimeout, 'it is how long the command may take to print its ready line (leave it out for no limit)');
  // As `up` refuses `readyTimeout` without `ready`: a deadline for nothing is a mistake, not a no-op.
  if (readyTimeoutMs !== undefined && ready === undefined) throw new UsageError('--ready-timeout has no effect without --ready; add --ready REGEX (the line that means ready), or drop --ready-timeout');
  const timeoutMs = parsed.timeout === undefined ? undefined : positiveDurationOption('--timeout', parsed.timeout, 'it is how long the command may run (leave it out for no limit)');
  await sayWarnings(bareDurationWarnings({ '--timeout': parsed.timeout, '--ready-timeout': parsed.readyTimeout, '--grace': parsed.grace }), parsed.json);
  return { name, ready, grace, stopSignal, readyTimeoutMs, timeoutMs };
}

async function run(parsed: RunArgs): Promise<Ending> {
  const { name, ready, grace, stopSignal, readyTimeoutMs, timeoutMs } = await settingsOf(parsed);
  const output = createOutput({ names: [name], json: parsed.json, timestamps: parsed.timestamps });

  // A pipe or a file on stdin is the command's, as a shell or timeout(1) gives it (`subvisor run
  // -- psql -d app < schema.sql`): /dev/null in its place is an empty input the command cannot
  // tell from a real one, and it would succeed on nothing. A terminal is not given (SPEC §3): the child runs
  // in a session of its own, so it would read the terminal behind the job control of the shell
  // (under `&` too, taking the input meant for the shell), and a REPL would set it raw, so that
  // Ctrl-C no longer reached subvisor and the terminal stayed raw after a SIGKILL.
  const inheritStdin = !node.tty.isatty(0);
  const stop = new AbortController();
  // One process, main, through the same engine as `up`: its exit ends the run with its status.
  // `--ready` only says when it is ready (SPEC §5: `run` exits with the child's status), so an
  // exit with status 0 before the line is an exit, not a failure.
  const stack = new Stack([{ name, cmd: parsed.command, ready: ready && logProbe(ready), readyOptional: true, readyTimeoutMs, dependsOn: [], restart: NO_RESTART, task: false, main: true, grace, stopSignal, inheritStdin }], {
    output,
    signal: stop.signal,
    defaultGraceMs: grace,
    childrenColour: childrenColour(output.coloured, process.stdout),
  });
  const listeners = listenForEnds(stack, stop, output, { killedWhat: name, stopGraceMs: grace, fullFileStops: true });
  // A --timeout stops the run like a Ctrl-C would, and exits 124 as timeout(1) does. Like
  // timeout(1), it times the command: one that has exited is not timed out (its status is the run's)
  // though what it left still holds its output; the drain's own graces end that.
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          if (!stack.childrenExited) stop.abort(new StopRequest(`--timeout of ${timeoutMs} ms passed`, EXIT.timeout));
        }, timeoutMs);
  let finished: RunOutcome | undefined;
  try {
    let outcome: RunOutcome;
    try {
      outcome = await stack.run();
    } finally {
      clearTimeout(timer);
    }
    // The child's stderr was relayed as it came; here only the one line that says how it ended.
    reportFailure(output, outcome, { withStderrTail: false });
    // A table of one row says nothing a person has not just read; a machine reading `--json` is
    // given the run's end as `up` gives it, its exit status in the stream.
    if (parsed.json) reportSummary(output, outcome);
    finished = outcome;
  } catch (error) {
    if (!listeners.uncaught.absorb(error)) throw error;
  } finally {
    // Also when the run failed of a defect of ours: what the child wrote goes out before the error.
    // Signals and a closed output are still listened to meanwhile: a second Ctrl-C says what it
    // drops, and an output that fails now is one that dropped lines (see endingAfterFlush).
    listeners.runOver();
    try {
      await output.close();
    } finally {
      listeners.release();
    }
  }
  return withUncaught(finished && endingAfterFlush(endingOf(finished), listeners.closedBy()), listeners.uncaught);
}

/**
 * `--stop-signal`: what the command gets when the run stops (Ctrl-C, SIGTERM, `--timeout`), as
 * `up`'s `stopSignal`. SIGINT lets a program that cleans up only on an interrupt (Python's
 * `finally` after a KeyboardInterrupt) do so, as it would under `sh -c` or timeout(1).
 */
function stopSignalOption(written: string | undefined): NodeJS.Signals | undefined {
  if (written === undefined) return undefined;
  const read = readStopSignal(written);
  if ('problem' in read) throw new UsageError(`--stop-signal: ${read.problem}`);
  return read.signal;
}

function compileReady(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    // Worded as the config's `ready:` says it: V8's own message names neither the option nor what to do.
    throw new UsageError(`--ready: ${invalidPattern(error)}`);
  }
}
