import type { Socket } from 'node:net';
import { linkSignals } from '../../core/scope.js';
import { moveOnAfter } from '../../core/timeouts.js';
import { LIFECYCLE_LOG, lifecycleLog, type LifecycleLog } from '../../process/lifecycle-log.js';
import { wholeCharactersUpTo } from '../../log/cut-text.js';
import { superviseRunProcess } from '../../process/supervise.js';
import { SpawnError } from '../../process/errors.js';
import { spawnErrorAsWritten, spawnErrorInOwnWords } from './spawn-words.js';
import { locationAsWritten, targetAsWritten } from './probe-target-words.js';
import { DETAILS_HIDDEN } from '../config/environment/shown-values.js';
import { shownCommand, type InterpolatedCommand } from './shown-command.js';
import type { SuperviseOptions } from '../../process/supervise-options.js';
import type { Probe } from '../config/spec.js';
import type { InterpolatedPart } from '../config/environment/interpolate.js';
import { node } from '../../builtins.js';
import { ProbeTranscript } from './probe-transcript.js';
import { watchSuspensions } from './suspensions.js';

/** A probe that is tried from outside the process: everything but a log line. */
export type OutsideProbe = Exclude<Probe, { readonly kind: 'log' }>;

/** Where an `exec` probe runs: as the process it checks (SPEC §9). */
export interface ProbeEnvironment {
  readonly cwd?: string | undefined;
  /** {@link cwd} as interpolation made it (see `ProcessSpec.cwdParts`), to name it as written when a try cannot start. */
  readonly cwdParts?: readonly InterpolatedPart[] | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  readonly groups?: readonly number[] | undefined;
}

/** How an exec probe's try ended when it ran to its exit: its status, or the signal that killed it. */
export interface ProbeExit {
  /** The exit status; `-N` when signal N killed it (as a CompletedProcess has it). */
  readonly returncode: number;
  readonly signal: NodeJS.Signals | null;
}

/** The outcome of one try. */
export interface ProbeResult {
  readonly passed: boolean;
  /**
   * What the try said: an exec probe's output (its last 2 KiB, the lines in the order they came;
   * '' when it printed nothing), an HTTP status, a connect error; for a try cut short, what it had
   * printed and why it was cut.
   */
  readonly output: string;
  /**
   * How an exec probe exited, when the try ran to its exit (not one cut short, nor one that could
   * not start): `pg_isready` says "no response" with status 2 and "rejecting connections" with 1,
   * and a probe killed by a signal may have printed nothing at all.
   */
  readonly exit?: ProbeExit;
  /**
   * The try was cut at a timeout that fired long after it was due: subvisor did not run meanwhile
   * (suspended by Ctrl-Z, SIGSTOPped, starved), and libuv runs an overdue timer before it polls for
   * the answer that may have come in time (an exec probe's exit, a reply). Such a cut says
   * something of subvisor, not of the process.
   */
  readonly cutLate?: true;
}

/**
 * How an exec probe's exit reads: `exit status 2`, `died of SIGKILL` (as a process's own exit
 * reads in a state line). The one place it is put in words.
 */
export function describeProbeExit(exit: ProbeExit): string {
  return exit.signal === null ? `exit status ${exit.returncode}` : `died of ${exit.signal}`;
}

/**
 * A try's account, for a report: what it printed, then how it exited on a line of its own, in
 * parentheses (where a try cut short says why it was cut); only how it exited when it printed
 * nothing.
 */
export function describeTry(result: Pick<ProbeResult, 'output' | 'exit'>): string {
  return result.exit === undefined ? result.output : thenHowItEnded(result.output, describeProbeExit(result.exit));
}

function thenHowItEnded(printed: string, how: string): string {
  return printed === '' ? how : `${printed}\n(${how})`;
}

/**
 * Tries `probe` once, cut at its `timeoutMs`. An `exec` probe is a supervised child of the current
 * scope: cancelled with it, stopped at the timeout (SIGTERM, SIGKILL after a short grace), never
 * orphaned. Its lines go to `heard` as they come (default: a transcript of this try alone), so a
 * caller that cancels the try can still tell what it had printed.
 */
export async function tryProbe(probe: OutsideProbe, where: ProbeEnvironment, cancel?: AbortSignal, heard = new ProbeTranscript()): Promise<ProbeResult> {
  const began = performance.now();
  let firedAt = Infinity;
  const result = await moveOnAfter(probe.timeoutMs, async (deadline) => {
    deadline.addEventListener('abort', () => (firedAt = performance.now()), { once: true });
    const stop = linkSignals(deadline, cancel);
    try {
      return await tryOnce(probe, where, stop.signal ?? deadline, heard);
    } finally {
      stop.dispose();
    }
  });
  cancel?.throwIfAborted();
  if (result !== undefined) return result;
  const cut = cutTry(heard, `no answer within ${probe.timeoutMs} ms (the probe's timeout)`);
  return firedAt - began - probe.timeoutMs > LOADED_LOOP_LATENESS_MS ? { ...cut, cutLate: true } : cut;
}

/** A try that did not finish: what it had printed, then why it was cut; or only why. */
function cutTry(heard: ProbeTranscript, why: string): ProbeResult {
  return { passed: false, output: thenHowItEnded(heard.text(), why) };
}

function tryOnce(probe: OutsideProbe, where: ProbeEnvironment, signal: AbortSignal, heard: ProbeTranscript): Promise<ProbeResult> {
  switch (probe.kind) {
    case 'exec':
      return tryExec(probe, where, signal, heard);
    case 'http':
      return tryHttp(probe, signal).then((result) => ({ ...result, output: targetAsWritten(result.output, probe) }));
    case 'tcp':
      return tryTcp(probe.host, probe.port, signal).then((result) => ({ ...result, output: targetAsWritten(result.output, probe) }));
  }
}

/**
 * Runs an exec probe to its exit. Its lines are relayed, not captured, so they reach `heard` in the
 * order they came from both pipes, however much it prints, and stay there if the try is cut.
 */
async function tryExec(probe: InterpolatedCommand, where: ProbeEnvironment, signal: AbortSignal, heard: ProbeTranscript): Promise<ProbeResult> {
  const { cmd } = probe;
  try {
    const options: SuperviseOptions & { [LIFECYCLE_LOG]: LifecycleLog } = {
      shell: typeof cmd === 'string',
      cwd: where.cwd,
      env: where.env,
      uid: where.uid,
      gid: where.gid,
      groups: where.groups,
      signal,
      check: false,
      relayStdout: true,
      relayStderr: true,
      onLine: (event) => heard.add(event.line),
      killGraceMs: PROBE_KILL_GRACE_MS,
      drainGraceMs: PROBE_DRAIN_GRACE_MS,
      [LIFECYCLE_LOG]: probeLog(heard, shownCommand(probe)),
    };
    const { returncode, signal: killedBy } = await superviseRunProcess(cmd, options);
    return { passed: returncode === 0, output: heard.text(), exit: { returncode, signal: killedBy } };
  } catch (error) {
    if (signal.aborted) throw error; // cut at the timeout, or cancelled: the caller knows which
    // A probe that could not start says why as a process's start would (`cd` as its program: have a shell run it).
    return { passed: false, output: error instanceof SpawnError ? spawnErrorInOwnWords(spawnErrorAsWritten(error, probe, where.cwdParts)) : error instanceof Error ? error.message : String(error) };
  }
}

/** How long a probe cut at its timeout (or by the end of the wait) has after SIGTERM before SIGKILL. */
const PROBE_KILL_GRACE_MS = 500;
/**
 * How long a probe that exited is still read while something it left in the background holds its
 * output (`exec: "start-helper & exit 0"`): its exit status is the verdict, and waiting the
 * library's 2 s for that output would hold every readiness it decides by as long.
 */
const PROBE_DRAIN_GRACE_MS = 100;

/**
 * The library's lifecycle records for a probe's process, but its SIGKILL is said in the probe's
 * transcript (shown in the report of a readiness timeout) rather than as a library warning on the
 * run's stderr, which would name neither the process nor an option the config has.
 */
function probeLog(heard: ProbeTranscript, command: string): LifecycleLog {
  return {
    ...lifecycleLog('probe', undefined, command),
    escalating: () => heard.add(`(the probe was still running ${PROBE_KILL_GRACE_MS} ms after its stop signal: SIGKILL to its process group)`),
  };
}

/**
 * One GET of `url`. An `https:` one does not check the server's certificate, as Kubernetes' HTTPS
 * probes do not: the question is whether the process answers, and the process on the other end
 * is the one we started, often with a certificate of its own making (a dev server's, mkcert's)
 * that nothing here trusts. Unless the URL holds a user and password: those go only to a server
 * whose certificate is trusted.
 */
function tryHttp(probe: Extract<OutsideProbe, { kind: 'http' }>, signal: AbortSignal): Promise<ProbeResult> {
  const { url, status } = probe;
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const anyCertificate = secure && !holdsCredentials(url);
    const request = (secure ? node.https.request : node.http.request)(url, { method: 'GET', signal, ...(anyCertificate ? { rejectUnauthorized: false } : {}) }, (response) => {
      // The status line is the answer. The body is not needed, and may never end (a stream, server-
      // sent events): waiting for it would leave this try's connection open, one more every try.
      response.destroy();
      const code = response.statusCode ?? 0;
      const passed = status === undefined ? code >= 200 && code < 300 : code === status;
      // A Location on a 201 (Created) names what was made, not where to go instead.
      const { location } = code >= 300 && code < 400 ? response.headers : {};
      const where = location === undefined ? undefined : shownLocation(location, url);
      const to = where === undefined ? undefined : locationAsWritten(where, probe);
      const said = to === undefined ? '' : to.showsValue ? '' : ` to ${to.text}`;
      const hidden = to?.showsValue === true ? `; ${DETAILS_HIDDEN}` : '';
      resolve({ passed, output: passed || location === undefined ? `HTTP ${code}` : `HTTP ${code}${said} (a redirect is not followed)${hidden}` });
    });
    const failed = failedTry(signal, resolve, reject);
    let socket: Socket | undefined;
    request.once('socket', (opened) => (socket = opened));
    // A certificate refused only because of the credentials would otherwise look like a server's
    // fault. Only a certificate: a refused connection or an unknown host is not one's doing.
    request.on('error', (error) => failed(secure && !anyCertificate && refusedCertificate(socket) ? checkedForCredentials(error) : error));
    request.end();
  });
}

/**
 * Where a redirect that failed a try points, so that the fix (aim the probe there) is in the report:
 * its path alone when it stays on the probe's server, else the URL without its query and fragment
 * (a login page's `state`, a signed token) nor a user and password, cut at 200 characters.
 * `location` is read as a browser reads it, against the probe's URL: `//u:pw@host/`,
 * `https:\\u:pw@host/` and `https:/u:pw@host/` all hold a password that a pattern over the text
 * misses; what no URL parser reads is not shown, as which part of it is a password cannot be told.
 * Node gives a header's bytes as Latin-1: read as UTF-8, a path's `é` is shown as the bytes it was
 * (`%C3%A9`), and the URL's own escaping leaves no control character to reach a terminal.
 */
function shownLocation(location: string, probed: string): string | undefined {
  const written = Buffer.from(location, 'latin1').toString('utf8');
  if (!URL.canParse(written, probed)) return undefined;
  const target = new URL(written, probed);
  target.username = '';
  target.password = '';
  target.search = '';
  target.hash = '';
  const where = target.origin !== 'null' && target.origin === new URL(probed).origin ? target.pathname : target.href;
  return where.length > 200 ? `${wholeCharactersUpTo(where, 200)}...` : where;
}

/** Whether the TLS handshake on `socket` refused the server's certificate (its verification, or its name). */
function refusedCertificate(socket: Socket | undefined): boolean {
  // Set by the handshake alone (null until then): no list of OpenSSL's codes to keep.
  return socket !== undefined && 'authorizationError' in socket && socket.authorizationError != null;
}

function checkedForCredentials(error: Error): Error {
  return new Error(`${error.message} (the certificate is checked since the URL holds a user and password)`, { cause: error });
}

function holdsCredentials(url: string): boolean {
  const { username, password } = new URL(url);
  return username !== '' || password !== '';
}

function tryTcp(host: string, port: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const socket = node.net.connect({ host, port, signal });
    const fail = failedTry(signal, resolve, reject);
    socket.once('connect', () => {
      socket.destroy();
      resolve({ passed: true, output: `connected to ${host}:${port}` });
    });
    socket.once('error', (error) => {
      socket.destroy();
      fail(error);
    });
  });
}

/**
 * The 'error' of an http or tcp try. A try cut at its timeout (or cancelled) is not a try that
 * failed, and its "The operation was aborted" says nothing: the abort's reason goes up instead, as
 * an exec probe's does, and {@link tryProbe} tells the timeout from a cancellation.
 */
function failedTry(signal: AbortSignal, resolve: (result: ProbeResult) => void, reject: (reason: unknown) => void): (error: Error) => void {
  return (error) => {
    if (signal.aborted) reject(signal.reason);
    else resolve({ passed: false, output: connectionFailure(error) });
  };
}

/**
 * What a failed http or tcp try says. A name with several addresses (localhost is ::1 and
 * 127.0.0.1 where /etc/hosts names both, as Debian's does) is tried at each, and when every one
 * fails Node's error is an AggregateError with no message of its own: the failures it holds are
 * the answer, each said once.
 */
function connectionFailure(error: Error): string {
  const each = error instanceof AggregateError ? (error.errors as unknown[]).filter((inner) => inner instanceof Error).map((inner) => inner.message) : [];
  const said = each.length > 0 ? [...new Set(each)].join('; ') : error.message;
  // OpenSSL's messages end in a newline, which would be one more (empty) line of the probe's output.
  return said.trim() === '' ? error.name : said.trim();
}

/**
 * How long a silent exec try must have run before the end of the wait takes its silence, not the
 * try before's answer, as what the probe said last. A try is a shell's spawn first, and on a loaded
 * machine that alone takes hundreds of milliseconds, more than the last try took: judged by the
 * interval and that try alone, a shell not yet started hid `connection refused (exit status 2)`
 * behind `still running when the wait ended` (SPEC §9: the report includes the probe's last
 * output). An http or tcp try has no process to start, and keeps the tighter rule.
 */
const EXEC_SLOW_START_MS = 2000;

/**
 * Tries `probe` until it passes: after its `startPeriodMs`, then every `intervalMs`. Resolves with
 * the passing result; rejects only when the scope is cancelled (a readiness deadline around it,
 * the process exiting, the run ending). `onResult` sees every try, for the report of a timeout,
 * and last the try the cancellation cut, if it had printed anything or was the first.
 */
export async function untilPasses(probe: OutsideProbe, where: ProbeEnvironment, signal: AbortSignal, onResult: (result: ProbeResult) => void): Promise<ProbeResult> {
  await pause(probe.startPeriodMs, signal);
  let lastTookMs = 0;
  for (let first = true; ; first = false) {
    const heard = new ProbeTranscript();
    const began = performance.now();
    const result = await tryProbe(probe, where, signal, heard).catch((error: unknown) => {
      // A try cut by the end of the wait (its deadline, say) may have printed why it hangs. A
      // silent one cut as it began says no more than the try before it did; but when it was the
      // only one, or it had hung longer than a pause and than the try before took, that it hung
      // is the answer: the refusal before it is not what a server that now accepts and never
      // answers does. Said as the try's own timeout says it: an http or tcp try is no process
      // that runs, but a question with no answer yet.
      const hungMs = performance.now() - began;
      const hungAfterMs = Math.max(probe.intervalMs, lastTookMs, probe.kind === 'exec' ? EXEC_SLOW_START_MS : 0);
      if (heard.text() !== '' || first || hungMs > hungAfterMs) onResult(cutTry(heard, probe.kind === 'exec' ? 'still running when the wait ended' : 'no answer when the wait ended'));
      throw error;
    });
    lastTookMs = performance.now() - began;
    onResult(result);
    if (result.passed) return result;
    await pause(probe.intervalMs, signal);
  }
}

/** How {@link untilPassesWithin} ended: the passing try, or the last one tried before the deadline. */
export type ProbeWait = { readonly passed: true; readonly result: ProbeResult } | { readonly passed: false; readonly last: ProbeResult | undefined };

/**
 * {@link untilPasses} bounded by `deadlineMs` (Infinity for none): the one wait for readiness that
 * `subvisor up` (a process's `readyTimeout`) and `subvisor probe` (its `--timeout`) share. A try
 * still running at the deadline is cut with it (an exec probe's process stopped). `signal`
 * cancels the whole wait (rejects, as {@link untilPasses} does). `onTry` sees each try's result as
 * it comes (default: none).
 */
export async function untilPassesWithin(probe: OutsideProbe, where: ProbeEnvironment, deadlineMs: number, signal?: AbortSignal, onTry: (result: ProbeResult) => void = noop): Promise<ProbeWait> {
  let last: ProbeResult | undefined;
  const began = performance.now();
  // When the deadline fired, not when the wait ended: cutting a try that is slow to die (an exec
  // probe deaf to SIGTERM) takes its grace, which is no suspension.
  let firedAt = Infinity;
  const result = await moveOnAfter(
    deadlineMs,
    (deadline) => {
      deadline.addEventListener('abort', () => (firedAt = performance.now()), { once: true });
      return untilPasses(probe, where, deadline, (tried) => {
        last = tried;
        onTry(tried);
      });
    },
    { signal },
  );
  if (result !== undefined) return { passed: true, result };
  if (!missedItsTries(probe, firedAt - began - deadlineMs)) return { passed: false, last };
  // Subvisor was stopped (Ctrl-Z) or starved past the deadline, and the probe was not tried while
  // the process it checks ran on: what that time did is judged by one more try, not by the clock.
  const final = await tryProbe(probe, where, signal);
  return final.passed ? { passed: true, result: final } : { passed: false, last: final };
}

/**
 * Whether a deadline that fired `lateMs` after it was due came so late that the wait missed a try
 * it would have made: later than the probe's interval (and than a busy turn of the event loop).
 */
function missedItsTries(probe: OutsideProbe, lateMs: number): boolean {
  return lateMs > Math.max(probe.intervalMs, LOADED_LOOP_LATENESS_MS);
}

/**
 * How late a loaded machine's turn of the event loop may run with nothing wrong: a timer that fires
 * this late is jitter, not a suspension (Ctrl-Z, SIGSTOP); news (an exit, a reply) this late is
 * on its way, not missing. The one measure of "late" for the probes and the attempt that runs them.
 */
export const LOADED_LOOP_LATENESS_MS = 250;

/** How a liveness probe gave up on a process: its last failure, and since when it was not healthy. */
export interface DeathVerdict {
  readonly last: ProbeResult;
  /**
   * `performance.now()` when the first try of the `failures` in a row began, healthy until then;
   * `-Infinity` when no try ever passed: then it was never seen healthy (however long the start
   * period and the interval kept the first try from being made).
   */
  readonly failingSince: number;
}

/**
 * Watches a live process, up for `upMs` already: tries `probe` every `intervalMs` once
 * `startPeriodMs` after its start has passed, and resolves once `failures` tries in a row have
 * failed. Runs until then, or until cancelled.
 */
export async function untilDead(probe: OutsideProbe & { readonly failures: number }, where: ProbeEnvironment, upMs: number, signal: AbortSignal): Promise<DeathVerdict> {
  await pause(probe.startPeriodMs - upMs, signal);
  let failedInARow = 0;
  let failingSince = -Infinity;
  let everPassed = false;
  let excused = false;
  const suspensions = watchSuspensions();
  try {
    for (;;) {
      await pause(probe.intervalMs, signal);
      const triedAt = performance.now();
      const mark = suspensions.mark();
      const result = await tryProbe(probe, where, signal);
      // Not a failure of the process's (see cutLate): the next try, an interval on, judges it, as a
      // ready probe whose deadline passed while subvisor was suspended gets one more try. Every
      // try a suspension cut (its SIGCONT says so) is excused, however many in a row; a late cut
      // with none behind it only once, so that a loop starved past every timeout (whose lateness
      // alone looks like a suspension) cannot keep a probe that hangs for good from ever failing.
      const excuse = result.cutLate === true && (!excused || (await suspensions.suspendedSince(mark)));
      excused = result.cutLate === true;
      if (excuse) continue;
      everPassed ||= result.passed;
      failedInARow = result.passed ? 0 : failedInARow + 1;
      if (failedInARow === 1 && everPassed) failingSince = triedAt;
      if (failedInARow >= probe.failures) return { last: result, failingSince };
    }
  } finally {
    suspensions.dispose();
  }
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) {
    signal.throwIfAborted();
    return;
  }
  await node.timersPromises.setTimeout(ms, undefined, { signal });
}

function noop(): void {
  // no one listens to each try
}
