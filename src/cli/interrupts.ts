import type { Writable } from 'node:stream';
import type { Output } from './output.js';
import { handleQueueBytes } from './batched-writer.js';
import type { RunOutcome } from './stack/stack.js';
import { EXIT, exitAtOnce, signalStatus, type DeadlySignal, type Ending } from './exit-status.js';
import { writeText } from '../log/sinks/write.js';
import { Terminals } from './terminal.js';
import { errnoCode } from '../errno.js';
import { ctrlCPassedOnBy } from './passed-on-ctrl-c.js';
import { exitingAtOnce } from './last-words.js';

/**
 * The cancellation reason when the run is stopped as a signal would stop it: the user (or a
 * supervisor above us) sent one, or what it stands for happened (see below). The run's status is
 * 128 + N for that signal.
 */
export class Interrupted extends Error {
  override readonly name: string = 'Interrupted';
  /** What stopped the run, as its summary says it: the signal (`SIGINT`), or what stands for it (`stdout was closed`). */
  readonly what: string;
  constructor(
    readonly signal: NodeJS.Signals,
    standsFor?: string,
  ) {
    super(standsFor ?? `interrupted by ${signal}`);
    this.what = standsFor ?? signal;
  }
}

/** Whoever read `stdout` or `stderr` went away (EPIPE): the run ends as SIGPIPE ends a filter. */
export class ReaderGone extends Interrupted {
  override readonly name = 'ReaderGone';
  constructor(stream: string) {
    super('SIGPIPE', `${stream} was closed`);
  }
}

/** The terminal went away (EIO, or a hung-up terminal seen without a SIGHUP): the run ends as SIGHUP ends it. */
export class TerminalClosed extends Interrupted {
  override readonly name = 'TerminalClosed';
  constructor(stream: string) {
    super('SIGHUP', `the terminal of ${stream} was closed`);
  }
}

/**
 * `stdout` or `stderr` cannot take what is written to it (a full disk: ENOSPC; a file-size limit:
 * EFBIG): the run's output would be lost from here on, so the run stops, and exits 1, as `cat`
 * and `sed` do on a write error.
 */
export class OutputFailed extends Error {
  override readonly name = 'OutputFailed';
  constructor(
    readonly stream: string,
    readonly code: string | undefined,
    cause: Error,
  ) {
    super(`cannot write to ${stream}: ${cause.message}`, { cause });
  }
}

const HANDLED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const satisfies readonly DeadlySignal[];

/**
 * How soon after the first signal a second one is still the same request told twice. GNU
 * `timeout` sends its SIGTERM to the command and then to its whole process group, and wrappers
 * pass on the Ctrl-C the terminal already sent: a few milliseconds apart, or coalesced by the
 * kernel, depending on timing. No person presses Ctrl-C twice that fast on purpose.
 */
const ECHO_MS = 100;

/**
 * How long after a first Ctrl-C the copy a program above passes on (see ./passed-on-ctrl-c.ts) is
 * still waited for: it is one copy, so a person's second press still kills at once, whether it
 * comes before that copy (then the copy is the second) or after. Generous, since the copy comes
 * later the busier the machine; only a Ctrl-C that came from that program alone, not from the
 * terminal (`kill -INT` to concurrently), has no copy to come, and then a second one within this
 * time is taken for it.
 */
const PASSED_ON_MS = 5000;

/**
 * How long, after a first SIGTERM, stdout or stderr may take nothing of what is left once every
 * process has stopped before it is dropped. A SIGTERM comes from automation (`timeout`, `docker
 * stop`, `kill`) that sends no second one: a reader that stopped, or a terminal paused with
 * Ctrl-S, would hold the CLI for good. One that takes a
 * pipe's page (4 KiB) in that time, some 800 bytes a second, gets all of it.
 */
export const STALLED_READER_MS = 5000;

/**
 * The first SIGINT (Ctrl-C), SIGTERM or SIGHUP cancels gracefully: `onInterrupt` aborts the run,
 * every process group gets SIGTERM and then SIGKILL after its grace. A second SIGINT or SIGTERM
 * does not wait: every group still alive gets SIGKILL and the CLI ends at once with the first
 * signal's status (see {@link exitAtOnce}: by dying of it when the terminal has gone, since
 * `process.exit()` aborts on Node 20 then), so nothing outlives the command either way.
 *
 * A SIGHUP never hurries the stop: it is not someone insisting but the terminal going away, and
 * that is often told twice, by the shell passing its SIGHUP on to its jobs and by the kernel when
 * that shell then exits (seen under tmux: the job gets one or two, depending on timing). Nor
 * does a signal within {@link ECHO_MS} of the first: that is the first one told twice. Nor, under
 * a program that passes each Ctrl-C on (concurrently: see ./passed-on-ctrl-c.ts), does its one
 * copy of the first, within {@link PASSED_ON_MS}. Once the
 * run is over (`runOver()`), any signal but those ends the CLI at once, with the first signal's
 * status (its own, when it is the first).
 *
 * A first signal that comes when every process has already exited (`left.processesEnded()`),
 * while the run still waits for the reader to take their last lines, ends the run as any first
 * signal does; but if, once the run is over, stdout (or stderr) has still not taken everything, the CLI ends at
 * once then, dropping the rest: that signal too is someone who will not wait (`timeout` and
 * `docker stop` send one), and no second one may ever come. After a first SIGTERM that came while
 * processes ran, what is left once they have stopped is dropped only when neither takes anything of
 * it for {@link STALLED_READER_MS}: a Ctrl-C may be someone paging through `| less`, who is given
 * everything as they page on, and can press it again.
 */
export function handleInterrupts(onInterrupt: (signal: DeadlySignal) => void, onForce: (force: Forced) => Promise<void>, left: WhatIsLeft): InterruptHandling {
  let first: DeadlySignal | undefined;
  let firstAt = 0;
  let copiesToCome = 0;
  let over = false;
  let onlyOutputLeft = false;
  const terminals = new Terminals([0, 1, 2]);
  const force = (signal: DeadlySignal, forced: Forced): void => {
    const said = onForce(forced);
    // Released only once the exit listens for its own signals: with no listener at all for a
    // moment, Node puts a signal back to its default action, and a Ctrl-C pressed again just then
    // (the library's listeners go in exitAtOnce) killed the CLI by SIGINT, its words unsaid.
    exitAtOnce(signal, terminals, said);
    release();
  };
  const isCopyOfFirst = (signal: DeadlySignal): boolean => {
    const sinceFirstMs = performance.now() - firstAt;
    const passedOn = signal === 'SIGINT' && copiesToCome > 0;
    if (sinceFirstMs >= ECHO_MS && !(passedOn && sinceFirstMs < PASSED_ON_MS)) return false;
    // One within ECHO_MS may be the copy passed on too: counted, so that the next is a second press.
    if (passedOn) copiesToCome -= 1;
    return true;
  };
  const handler = (signal: NodeJS.Signals): void => {
    if (!isDeadly(signal)) return; // never: only those are listened to
    // An end at once already under way (an internal error's, whose listener comes first) has said its words.
    if (exitingAtOnce()) return;
    if (first === undefined && !over) {
      first = signal;
      firstAt = performance.now();
      // Asked now, not at start: the question is who got this Ctrl-C, and the answer is read from /proc.
      copiesToCome = signal === 'SIGINT' && ctrlCPassedOnBy() !== undefined ? 1 : 0;
      onlyOutputLeft = left.processesEnded();
      onInterrupt(signal);
      return;
    }
    if (first !== undefined && (signal === 'SIGHUP' || isCopyOfFirst(signal))) return;
    force(first ?? signal, first === undefined ? { signal, why: `${signal} after the run was over`, processesLeft: false } : { signal, why: `second ${signal}`, processesLeft: !over });
  };
  let stallWatch: NodeJS.Timeout | undefined;
  const release = (): void => {
    clearInterval(stallWatch);
    for (const signal of HANDLED) process.off(signal, handler);
  };
  for (const signal of HANDLED) process.on(signal, handler);
  const runOver = (): void => {
    over = true;
    if (first === undefined || left.unwrittenBytes() === 0) return;
    if (onlyOutputLeft) force(first, { signal: first, why: `${first} after every process had ended`, processesLeft: false });
    else if (first === 'SIGTERM') stallWatch = dropWhenStalled(left, () => force('SIGTERM', { signal: 'SIGTERM', why: `SIGTERM, then stdout took nothing for ${STALLED_READER_MS / 1000} s`, processesLeft: false }));
  };
  // Nothing is left to stop gracefully, only the last output to write: a signal now, the first
  // included, is someone who will not wait for a reader that does not read (`timeout`, `docker stop`).
  return { release, runOver };
}

/** Calls `drop` once `left` has shown no progress for {@link STALLED_READER_MS}; the interval it polls on, to clear. */
function dropWhenStalled(left: WhatIsLeft, drop: () => void): NodeJS.Timeout {
  let taken = left.takenMark();
  let progressAt = performance.now();
  const poll = setInterval(() => {
    // Nothing held now is no stall either: a child's pipe may still hold lines to come.
    if (left.unwrittenBytes() === 0 || left.takenMark() !== taken) [taken, progressAt] = [left.takenMark(), performance.now()];
    else if (performance.now() - progressAt >= STALLED_READER_MS) drop();
  }, STALLED_READER_MS / 8);
  // The output's own wait keeps the CLI alive while there is anything to write; this must not.
  poll.unref();
  return poll;
}

/** What the signal handlers ask of the run and its output (see {@link handleInterrupts}). */
export interface WhatIsLeft {
  /** Every process has exited: what the run still waits for is its output to be taken. */
  readonly processesEnded: () => boolean;
  /** Hands everything collected to stdout; returns how many bytes stdout and stderr have not taken yet. */
  readonly unwrittenBytes: () => number;
  /** Changes whenever the reader of stdout or stderr takes output (what is held may not shrink: the children's pipes refill it). */
  readonly takenMark: () => string;
}

/**
 * What is left of a run of `stack` writing to `output`: its children, and what stdout and `stderr`
 * have not taken. stderr's count too: the run's last words there (its summary) hold its exit as
 * stdout's last lines do, and where they part (`up > up.log` on a terminal paused with Ctrl-S)
 * stdout may have taken everything while stderr takes nothing.
 */
export function whatIsLeft(stack: { readonly childrenRunning: boolean }, output: Pick<Output, 'unwrittenBytes' | 'takenMark'>, stderr: Writable = process.stderr): WhatIsLeft {
  return {
    processesEnded: () => !stack.childrenRunning,
    unwrittenBytes: () => output.unwrittenBytes() + stderr.writableLength,
    takenMark: () => `${output.takenMark()} ${takenMarkOf(stderr)}`,
  };
}

/**
 * A mark that changes whenever `stream`'s reader takes output, as BatchedWriter.takenMark: each
 * finished write (a socket's `bytesWritten` counts what it was given, its queue included), and
 * what the system took of the write under way. A stream without them (a file's, written
 * synchronously) queues nothing.
 */
function takenMarkOf(stream: Writable): string {
  const given = (stream as { bytesWritten?: unknown }).bytesWritten;
  return `${typeof given === 'number' ? given - stream.writableLength : 0}:${handleQueueBytes(stream) ?? 0}`;
}

/** A signal that does not wait: what it is, and what to say (`second SIGINT`), before the CLI exits at once. */
export interface Forced {
  readonly signal: NodeJS.Signals;
  readonly why: string;
  /** Processes may still be running, and are SIGKILLed; false once the run was over. */
  readonly processesLeft: boolean;
}

/**
 * The signal handlers of a run: released at its very end; told when the run is over and only its
 * output is left to write (which may end the CLI there and then: see {@link handleInterrupts}).
 */
export interface InterruptHandling {
  readonly release: () => void;
  readonly runOver: () => void;
}

/** How often a terminal that takes no writes is asked whether it is still there. */
const HANGUP_POLL_MS = 1000;

/**
 * Output that can no longer be written ends the run, once (`onClosed` gets the reason), unless it
 * is a write that failed (a full disk) and `onFailed` is given: that is then told of it, and the
 * stream's later lines are dropped (`up`'s stderr: see ./stdout-file.ts):
 * - a reader that went away (`subvisor up | head`, EPIPE) as SIGPIPE ends a filter: the children
 *   are stopped gracefully and the status is 141 (128 + SIGPIPE). Without this, the lines would be
 *   dropped into a closed pipe for as long as the children live;
 * - a terminal that went away as SIGHUP would: the children are stopped gracefully and the CLI dies
 *   of SIGHUP (129). That is EIO on a write, or, while the children are quiet, the terminal seen
 *   hung up (./terminal.ts), polled every second: the shell that would have passed its SIGHUP on
 *   may not have (a disowned job, one in a session of its own), and a run that is never told would
 *   go on for good with nobody to see it.
 */
export function stopWhenOutputCloses(onClosed: (reason: Interrupted | OutputFailed) => void, onFailed?: (failed: OutputFailed) => void): () => void {
  let closed = false;
  let failed = false;
  const close = (reason: Interrupted | OutputFailed): void => {
    if (closed) return;
    closed = true;
    onClosed(reason);
  };
  const streams = [
    { name: 'stdout', stream: process.stdout, fd: 1 },
    { name: 'stderr', stream: process.stderr, fd: 2 },
  ];
  const listeners = streams.map(({ name, stream }) => {
    const onError = (error: Error): void => {
      const code = errnoCode(error);
      if (code === 'EPIPE') close(new ReaderGone(name));
      else if (code === 'EIO') close(new TerminalClosed(name));
      else {
        const failure = new OutputFailed(name, code, error);
        if (onFailed !== undefined) {
          failed = true;
          onFailed(failure);
          return;
        }
        // Said where it can still be read: on the other stream (stdout's failure on stderr). Worded
        // for every command that writes output: `up` and `run` stop their processes, `logs` its follow.
        if (name === 'stdout' && !closed) writeText(process.stderr, `subvisor: ${failure.message}; stopping with status 1\n`);
        close(failure);
      }
    };
    stream.on('error', onError);
    return () => stream.off('error', onError);
  });
  const terminals = new Terminals(streams.map(({ fd }) => fd));
  const poll = terminals.any
    ? setInterval(() => {
        const fd = terminals.hungUp();
        if (fd !== undefined) close(new TerminalClosed(fd === 1 ? 'stdout' : 'stderr'));
      }, HANGUP_POLL_MS).unref()
    : undefined;
  return () => {
    clearInterval(poll);
    // Once the output has failed, the writes still queued fail the same way: they stay ours (said
    // once already), not an uncaught error of a stream nobody listens to any more.
    if (!closed && !failed) for (const off of listeners) off();
  };
}

/** How a command ends once its output closed for `reason`: as SIGPIPE or SIGHUP would end it, or with status 1 after a failed write. */
export function endingOfClosedOutput(reason: Interrupted | OutputFailed): Ending {
  if (reason instanceof TerminalClosed) return { exitCode: signalStatus('SIGHUP'), signal: 'SIGHUP' };
  if (reason instanceof Interrupted) return { exitCode: signalStatus(reason.signal) };
  return { exitCode: EXIT.failure };
}

/**
 * Runs a command that writes its answer and ends (`ps`, `export`, `--help`, ...) so that an output
 * that cannot take the answer ends it as it ends `cat`: 141 when the reader went away, status 1
 * and a line on stderr on a full disk; never an uncaught stream error with its stack.
 */
export async function answering(command: () => Ending | Promise<Ending>): Promise<Ending> {
  let closedBy: Interrupted | OutputFailed | undefined;
  const release = stopWhenOutputCloses((reason) => (closedBy ??= reason));
  try {
    const ending = await command();
    // A failed write is told by an 'error' event after it, and a pipe's write completes later.
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    return closedBy === undefined ? ending : endingOfClosedOutput(closedBy);
  } finally {
    release();
  }
}

/**
 * {@link stopWhenOutputCloses} for a run: the first reason stops it (through `stop`), and is kept
 * for {@link endingAfterFlush}, since the output may also close after the run, while its last
 * lines are written. Without `fullFileStops` (`up`), a write that failed stops nothing, and is
 * kept the same way, when nothing closed the output.
 */
export function stopRunWhenOutputCloses(stop: AbortController, options: { readonly fullFileStops: boolean }): { release: () => void; closedBy: () => Interrupted | OutputFailed | undefined } {
  let closedBy: Interrupted | OutputFailed | undefined;
  let failedBy: OutputFailed | undefined;
  const release = stopWhenOutputCloses(
    (reason) => {
      closedBy ??= reason;
      abortOnce(stop)(reason);
    },
    options.fullFileStops ? undefined : (failed) => (failedBy ??= failed),
  );
  return { release, closedBy: () => closedBy ?? failedBy };
}

/**
 * The ending of a run once its last lines were written out: an output that closed while they were
 * (the reader went away, the disk filled) dropped some of them, so a run that would have ended
 * well ends as it would have had that come sooner (141, or 1). A run that failed, or that
 * something (a signal, an output closed earlier) stopped, keeps its status: the first reason is
 * the one it reports.
 */
export function endingAfterFlush(ending: Ending, closedBy: Interrupted | OutputFailed | undefined): Ending {
  return closedBy === undefined || ending.exitCode !== EXIT.ok ? ending : endingOfClosedOutput(closedBy);
}

/** Aborts `stop` with the reason it is called with, unless it was aborted already (the first reason to stop the run is the one it reports). */
export function abortOnce(stop: AbortController): (reason: Error) => void {
  return (reason) => {
    if (!stop.signal.aborted) stop.abort(reason);
  };
}

/**
 * How the CLI ends after `outcome`: with the run's status (130 after Ctrl-C, 141 after a closed
 * pipe, as documented and as programs that run the CLI read it), except after the terminal went
 * away: then the CLI dies of SIGHUP, the one clean way out on Node 20 (see `dieOf`).
 */
export function endingOf(outcome: RunOutcome): Ending {
  const { stoppedBy, exitCode } = outcome;
  return stoppedBy instanceof TerminalClosed ? { exitCode, signal: 'SIGHUP' } : { exitCode };
}

function isDeadly(signal: NodeJS.Signals): signal is DeadlySignal {
  return (HANDLED as readonly string[]).includes(signal);
}
