import { CalledProcessError } from '../process/errors.js';
import { describeFailure, formatDuration, type RunOutcome } from './engine.js';
import type { Output } from './output.js';

/** How many lines of a failed process's stderr tail the report repeats. */
const REPORT_TAIL_LINES = 20;

/** Says once, at the end, why the run failed: the process, how, and its last words on stderr. */
export function reportFailure(output: Output, outcome: RunOutcome, opts: { withStderrTail: boolean }): void {
  const { failure } = outcome;
  if (failure === undefined) return;
  const how = describeFailure(failure.error);
  const lines = [`subvisor: ${failure.name} failed: ${how} (exit status ${outcome.exitCode})`];
  const tail = failure.error instanceof CalledProcessError ? (failure.error.stderr?.toString('utf8') ?? '') : '';
  const tailLines = tail.replace(/\n$/, '').split('\n').filter((line, index, all) => line !== '' || index < all.length - 1);
  if (opts.withStderrTail && tailLines.length > 0 && tail !== '') {
    lines.push(`|_.stderr of ${failure.name} (last ${Math.min(REPORT_TAIL_LINES, tailLines.length)} lines):`);
    for (const line of tailLines.slice(-REPORT_TAIL_LINES)) lines.push(`    ${line}`);
  }
  output.report(lines.join('\n'), { stream: 'report', event: 'failure', name: failure.name, line: how, exitCode: outcome.exitCode, stderrTail: tail });
}

/** The closing table: one row per process with its pid, result, duration and restarts. */
export function reportSummary(output: Output, outcome: RunOutcome): void {
  const header = ['name', 'pid', 'result', 'duration', 'restarts'];
  const rows = outcome.results.map((result) => [
    result.name,
    result.pid === undefined ? '-' : String(result.pid),
    result.result,
    result.durationMs === undefined ? '-' : formatDuration(result.durationMs),
    String(result.restarts),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const format = (cells: string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  const text = [format(header), ...rows.map(format)].join('\n');
  output.report(text, {
    stream: 'report',
    event: 'summary',
    line: `exit status ${outcome.exitCode}`,
    exitCode: outcome.exitCode,
    processes: outcome.results.map((result) => ({ ...result, durationMs: result.durationMs === undefined ? null : Math.round(result.durationMs) })),
  });
}
