import { shownAsText } from '../../log/sanitize.js';
import { UsageError, bareDurationWarnings, parseProbeArgs, positiveDurationOption, type ProbeArgs } from '../args.js';
import { DEFAULT_PROBE_TIMEOUT_MS, DEFAULT_READY_INTERVAL_MS } from '../config/index.js';
import { httpUrlProblem, isHttpStatus, parseHostPort } from '../config/probe-targets.js';
import { EXIT, type Ending } from '../exit-status.js';
import { goDuration } from '../config/duration.js';
import { warnInWords } from '../warnings.js';
import { DEFAULT_PROBE_DEADLINE_MS } from './probe-deadline.js';
import { describeTry, tryProbe, untilPassesWithin, type OutsideProbe, type ProbeWait } from '../stack/probes.js';

/**
 * `subvisor probe (--http URL [--status N] | --tcp HOST:PORT | --exec CMD) [--interval D] [--timeout D]`:
 * tries one probe, with the code `subvisor up` uses for `ready`, until it passes (exit 0) or the
 * deadline passes (exit 1, with what the last try said); an `--interval` as long as the deadline
 * or longer leaves room for one try, which answers at once. What `subvisor export systemd` runs as an
 * `ExecStartPost=`, and a Compose healthcheck's test. An exec probe runs under `sh -c` in the
 * caller's cwd and environment (under systemd: the unit's).
 */
export async function probeCommand(args: readonly string[]): Promise<Ending> {
  const parsed = parseProbeArgs(args);
  const deadlineMs = parsed.timeout === undefined ? DEFAULT_PROBE_DEADLINE_MS : positiveDurationOption('--timeout', parsed.timeout, `it is the time the probe has to pass (default ${goDuration(DEFAULT_PROBE_DEADLINE_MS)})`);
  // As `interval` in the config: tries back to back would be a busy loop.
  const intervalMs = parsed.interval === undefined ? DEFAULT_READY_INTERVAL_MS : positiveDurationOption('--interval', parsed.interval, `it is the pause between tries (default ${goDuration(DEFAULT_READY_INTERVAL_MS)})`);
  // No second try could start before the deadline: the one try has all of it, and its answer is
  // the command's at once (a Compose healthcheck is one try per check, and a failed check must not
  // wait out the deadline).
  const oneTry = intervalMs >= deadlineMs;
  warnInWords(bareDurationWarnings({ '--timeout': parsed.timeout, '--interval': parsed.interval }));
  // One try never outlasts the deadline: a hung request is cut with it, not 5 s after.
  const timing = { intervalMs, timeoutMs: oneTry ? deadlineMs : Math.min(DEFAULT_PROBE_TIMEOUT_MS, deadlineMs), startPeriodMs: 0 };
  const probe = probeOf(parsed, timing);
  const wait = oneTry ? await onlyTry(probe) : await untilPassesWithin(probe, {}, deadlineMs);
  if (wait.passed) return { exitCode: EXIT.ok };
  // What an exec probe printed is shown as text, as up's report shows it: on a terminal its
  // escapes would clear the screen or retitle the window.
  const last = wait.last === undefined ? 'no try finished' : shownAsText(describeTry(wait.last));
  // An exec probe's output may be several lines: they go under the message, indented.
  const said = last.includes('\n') ? `\n${last.replace(/^/gm, '    ')}` : ` ${last}`;
  const within = oneTry ? 'in its one try (--interval is no shorter than --timeout)' : `within ${deadlineMs} ms`;
  process.stderr.write(`subvisor probe: did not pass ${within}; last try:${said}\n`);
  return { exitCode: EXIT.failure };
}

async function onlyTry(probe: OutsideProbe): Promise<ProbeWait> {
  const result = await tryProbe(probe, {});
  return result.passed ? { passed: true, result } : { passed: false, last: result };
}

function probeOf(parsed: ProbeArgs, timing: Pick<OutsideProbe, 'intervalMs' | 'timeoutMs' | 'startPeriodMs'>): OutsideProbe {
  if (parsed.http !== undefined) return { kind: 'http', url: httpUrl(parsed.http), status: httpStatus(parsed.status), ...timing };
  if (parsed.tcp !== undefined) return { kind: 'tcp', ...hostPort(parsed.tcp), ...timing };
  // parseProbeArgs leaves exactly one kind.
  return { kind: 'exec', cmd: parsed.exec ?? '', ...timing };
}

function httpUrl(url: string): string {
  const problem = httpUrlProblem(url);
  if (problem === undefined) return url;
  if (problem.kind === 'no-port') throw new UsageError("--http: the URL has a ':' with no port after it (an unset variable?); write the port, like http://127.0.0.1:8080/health");
  if (problem.kind === 'no-scheme') throw new UsageError('--http needs a whole URL, with http:// or https:// in front, like http://127.0.0.1:8080/health; for a plain port use --tcp HOST:PORT');
  if (problem.kind === 'invalid') throw new UsageError('--http: not a valid URL (a port over 65535, a blank in the host?); write a whole one, like http://127.0.0.1:8080/health');
  throw new UsageError(`--http needs an http:// or https:// URL, not ${problem.protocol}; for a plain port use --tcp HOST:PORT`);
}

function httpStatus(status: string | undefined): number | undefined {
  if (status === undefined) return undefined;
  const code = Number(status);
  if (/^\d{3}$/.test(status) && isHttpStatus(code)) return code;
  throw new UsageError(`--status needs an HTTP status from 100 to 599, not '${status}' (leave it out to accept any 2xx)`);
}

function hostPort(target: string): { host: string; port: number } {
  const parsed = parseHostPort(target);
  // One wording for both problems: the usage line shows the shape and the range together.
  if ('problem' in parsed) throw new UsageError('--tcp needs HOST:PORT with a port from 1 to 65535, like 127.0.0.1:5432 or [::1]:5432');
  return parsed;
}
