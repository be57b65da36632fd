import { shortened } from '../process/command.js';
import { describeFailure, failureIdentity, probeFields, probeOutputOf, statusInWords, stderrOf } from './stack/failures.js';
import { describeTry } from './stack/probes.js';
import type { RunOutcome } from './stack/stack.js';
import { formatDuration, type ProcessResult } from './stack/state.js';
import type { Output } from './output.js';
import { ConfigError, problemFields } from './config/errors.js';
import { ControlError } from './control/errors.js';
import type { EarlyEnd, Refusal } from './exit-status.js';
import { CurrentDirectoryLost } from './current-directory.js';
import { SpawnError } from '../process/errors.js';
import { formatTable } from './table.js';
import { withoutLastLineEnd } from '../process/output/lines.js';
import { asReportLine } from './report-line.js';

/** How many lines of a failed process's stderr tail the report repeats. */
const REPORT_TAIL_LINES = 20;

/**
 * Says once, at the end, why the run failed: the process, how, its last words on stderr, what its
 * probe said last (a readiness timeout, a liveness failure), and which processes were never
 * started because of it (`web  not started: migrate failed (status 3)`).
 */
export function reportFailure(output: Output, outcome: RunOutcome, opts: { withStderrTail: boolean }): void {
  const { failure } = outcome;
  if (failure === undefined) return;
  const how = describeFailure(failure.error);
  const status = statusInWords(failure.error) === outcome.exitCode ? '' : ` (exit status ${outcome.exitCode})`;
  const lines = [`subvisor: ${failure.name} failed: ${how}${status}`];
  const tail = stderrOf(failure.error)?.toString('utf8') ?? '';
  if (opts.withStderrTail) lines.push(...indentedBlock(`stderr of ${failure.name}`, tail));
  const probe = probeOutputOf(failure.error);
  if (probe !== undefined) lines.push(...indentedBlock(`last output of its ${probe.probe} probe`, describeTry(probe)));
  const notStarted = outcome.results.filter((result) => result.notStartedBecause !== undefined);
  // Exactly as SPEC §9 writes it, two spaces and no padding to the longest name: a reader (or a
  // script) matches `NAME  not started:` for any NAME; the summary table after it is the aligned view.
  for (const result of notStarted) lines.push(`${result.name}  not started: ${result.notStartedBecause ?? ''}`);
  output.report(lines.join('\n'), {
    stream: 'report',
    event: 'failure',
    name: failure.name,
    line: how,
    ...failureIdentity(failure.error),
    exitCode: outcome.exitCode,
    stderrTail: tail,
    ...(probe === undefined ? {} : probeFields(probe.output, probe.exit)),
    notStarted: notStarted.map((result) => ({ name: result.name, reason: result.notStartedBecause })),
  });
}

/**
 * A refusal before anything started (a bad config, a second `up`), as `--json` gives it: a
 * failure record as the run's own failures are (`reason` says which kind: `config` or `control`),
 * with each of a config's problems located (those its message lists, with `moreProblems` counting
 * the rest). A command that cannot start before the run exists is
 * one too: `run -- ''` with `reason` and `code` as a start failure's in the run (`spawn`,
 * `ENOENT`), a removed current directory with `"reason":"cwd"` and its errno.
 */
export function reportRefusal(output: Output, error: EarlyEnd, exitCode: number): void {
  const located = error instanceof ConfigError ? configProblemFields(error) : {};
  output.report(error.message, {
    stream: 'report',
    event: 'failure',
    line: error.message,
    ...(error instanceof SpawnError ? failureIdentity(error) : { reason: refusalReason(error), code: error.code }),
    exitCode,
    ...located,
  });
}

/** The problems the message lists, and how many more there are when it does not list them all. */
function configProblemFields(error: ConfigError): { problems: object[]; moreProblems?: number } {
  const more = error.problems.length - error.shownProblems.length;
  return { problems: error.shownProblems.map(problemFields), ...(more > 0 ? { moreProblems: more } : {}) };
}

function refusalReason(error: Refusal | CurrentDirectoryLost): string {
  if (error instanceof ConfigError) return 'config';
  if (error instanceof ControlError) return 'control';
  return error instanceof CurrentDirectoryLost ? 'cwd' : 'usage';
}

/**
 * `|_.TITLE (last N lines):` and the last {@link REPORT_TAIL_LINES} lines of `text`, indented, each
 * as {@link asReportLine} shows it (a progress line's last state, a long line's end); nothing for
 * empty text.
 */
function indentedBlock(title: string, text: string): string[] {
  // Lines as the relay splits them: one trailing `\r` of each dropped (a CRLF line is one line).
  const all = withoutLastLineEnd(text).split(/\r?\n/);
  if (text.trim() === '') return [];
  const shown = all.slice(-REPORT_TAIL_LINES);
  return [`|_.${title} (last ${shown.length} line${shown.length === 1 ? '' : 's'}):`, ...shown.map((line) => `    ${asReportLine(line)}`)];
}

/**
 * The most of a result the closing table shows. One can be long (a failure that names a long
 * command): in full it would widen every row, and push the duration and restarts out of sight.
 * The failure's own line above the table, and `--json`, say all of it.
 */
const SUMMARY_RESULT_CHARS = 80;

/**
 * A row's result as the table says it. `stopped` alone reads as a stop the process obeyed, so one
 * that took SIGKILL says so; any other result already says its own end (the failure it was stopped
 * for). `--json` keeps the result as it is, beside `killedAfterGraceMs`.
 */
function resultInWords(result: ProcessResult): string {
  const killed = result.killedAfterGraceMs;
  return result.result === 'stopped' && killed !== undefined ? `stopped (SIGKILL after its ${formatDuration(killed)} grace)` : result.result;
}

/** The closing table: one row per process with its pid, result, duration and restarts. */
export function reportSummary(output: Output, outcome: RunOutcome): void {
  const header = ['name', 'pid', 'result', 'duration', 'restarts'];
  const rows = outcome.results.map((result) => [
    result.name,
    result.pid === undefined ? '-' : String(result.pid),
    shortened(resultInWords(result), SUMMARY_RESULT_CHARS),
    result.durationMs === undefined ? '-' : formatDuration(result.durationMs),
    String(result.restarts),
  ]);
  const text = formatTable([header, ...rows]).trimEnd();
  output.report(text, {
    stream: 'report',
    event: 'summary',
    line: `exit status ${outcome.exitCode}`,
    exitCode: outcome.exitCode,
    // pid and durationMs in every row, null where a process never spawned (JSON would drop an undefined).
    processes: outcome.results.map((result) => ({ ...result, pid: result.pid ?? null, durationMs: result.durationMs === undefined ? null : Math.round(result.durationMs) })),
  });
}
