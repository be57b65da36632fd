import { currentSignal } from '../core/scope.js';
import { describeCommand } from './command.js';
import { CompletedProcess } from './completed.js';
import { CalledProcessError, OutputLimitError, withStderrNote } from './errors.js';
import { lifecycleLog } from './lifecycle-log.js';
import type { PipeReader } from './lifecycle.js';
import { DEFAULT_MAX_CAPTURE_BYTES, RUN_PROCESS_KEYS, describe, refuseUnknownKeys, resolveCommonOptions, validateBoolean, validatePositiveInteger, type NotATaskContext, type RunProcessOptions } from './options.js';
import { TAIL_BYTES } from './output/tail.js';
import { runChild } from './pipeline.js';
import { invalidArgument } from '../caller-errors.js';

/**
 * {@link runProcess} with stdout and stderr captured (`captureStdout: true, captureStderr: true`):
 * the result's `stdout` and `stderr` are `Buffer`s, never `null`. Otherwise as the last signature.
 */
export function runProcess(cmd: readonly string[] | string, opts: RunProcessOptions & NotATaskContext & CaptureRequest<'stdout' | 'stderr'>): Promise<CapturedProcess<'stdout' | 'stderr'>>;
/**
 * {@link runProcess} with stdout captured (`captureStdout: true`): the result's `stdout` is a
 * `Buffer`, never `null`. Otherwise as the last signature.
 */
export function runProcess(cmd: readonly string[] | string, opts: RunProcessOptions & NotATaskContext & CaptureRequest<'stdout'>): Promise<CapturedProcess<'stdout'>>;
/**
 * {@link runProcess} with stderr captured (`captureStderr: true`): the result's `stderr` is a
 * `Buffer`, never `null`. Otherwise as the last signature.
 */
export function runProcess(cmd: readonly string[] | string, opts: RunProcessOptions & NotATaskContext & CaptureRequest<'stderr'>): Promise<CapturedProcess<'stderr'>>;
/**
 * Runs a command to completion, trio's `run_process`: spawns it, feeds it `stdin`, collects what
 * it is asked to capture, waits for its exit and for its pipes to close, and (with `check`, the
 * default) rejects with a {@link CalledProcessError} when the status is not 0.
 *
 * Cancelling the enclosing scope (or `opts.signal`) stops the child's process group (`stopSignal`,
 * SIGTERM by default, then SIGKILL after `killGraceMs`) and rejects with the cancellation reason
 * once it is gone.
 * A command that cannot start rejects at once with a `SpawnError` naming it and the cause.
 *
 * @param cmd - An argv array (no shell), or a string with `shell: true`.
 * @param opts - See {@link RunProcessOptions}. Default `{}`: stdin from /dev/null, stdout and
 *   stderr inherited, `check: true`, `killGraceMs: 5000`, a new session.
 * @example
 * ```ts
 * const { stdout } = await runProcess(['git', 'rev-parse', 'HEAD'], { captureStdout: true })
 * console.log(stdout.toString().trim())  // a Buffer: a stream captured with `true` is typed as there
 * ```
 */
export function runProcess(cmd: readonly string[] | string, opts?: RunProcessOptions & NotATaskContext): Promise<CompletedProcess>;
export async function runProcess(cmd: readonly string[] | string, opts: RunProcessOptions & NotATaskContext = {}): Promise<CompletedProcess> {
  const where = 'runProcess';
  // Checked before any option is read, so `null` gets this message rather than a property-access TypeError.
  if (typeof opts !== 'object' || (opts as unknown) === null) throw invalidArgument(`${where}: options must be an object, got ${describe(opts)}`);
  refuseUnknownKeys(where, opts, RUN_PROCESS_KEYS);
  const captureStdout = validateBoolean(where, 'captureStdout', opts.captureStdout, false);
  const captureStderr = validateBoolean(where, 'captureStderr', opts.captureStderr, false);
  refuseOutputConflicts(where, opts, { stdout: captureStdout, stderr: captureStderr });
  const options = resolveCommonOptions(where, cmd, opts, {
    stdout: captureStdout ? 'pipe' : (opts.stdout ?? 'inherit'),
    stderr: captureStderr ? 'pipe' : (opts.stderr ?? 'inherit'),
  });
  const maxCaptureBytes = validatePositiveInteger(where, 'maxCaptureBytes', opts.maxCaptureBytes, DEFAULT_MAX_CAPTURE_BYTES);
  const captures = new Map<'stdout' | 'stderr', Capture>();
  const outcome = await runChild({
    options,
    scopes: [currentSignal(), options.signal],
    log: lifecycleLog(describeCommand(options.cmd), undefined),
    attach: ({ child }, failWith, stopping) => {
      const readers: PipeReader[] = [];
      for (const [name, stream] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
        if (!stream) continue;
        // Crossed while the child is being stopped (cancelled: runProcess hands out no Process to
        // stop), the limit is no failure: the call rejects with the cancellation and returns no
        // capture, and what a child writes on its way out must not turn a cancellation into an
        // error (the pipeline lets a caller's own reason replace it). The capture stops growing all the same.
        const capture = new Capture(maxCaptureBytes, () => {
          if (!stopping()) failWith(new OutputLimitError(options.cmd, name, maxCaptureBytes));
        });
        captures.set(name, capture);
        readers.push({ stream, onData: capture.add, onEnd: noop });
      }
      return readers;
    },
  });
  const stdout = captures.get('stdout')?.bytes() ?? null;
  const stderr = captures.get('stderr')?.bytes() ?? null;
  const { proc, returncode, signal, durationMs, stopped } = outcome;
  if (options.check && returncode !== 0 && !stopped) {
    throw withStderrNote(new CalledProcessError({ cmd: options.cmd, returncode, signal, stdout, stderr, pid: proc.pid, durationMs }), stderr?.subarray(-TAIL_BYTES) ?? null);
  }
  if (outcome.cancelledAfterExit) throw outcome.cancelledAfterExit.reason;
  // A stream captured has a Capture, so its bytes are a Buffer (empty when the child wrote
  // nothing): what the capturing overloads promise.
  return new CompletedProcess({ args: proc.args, returncode, signal, stdout, stderr, pid: proc.pid, durationMs, stopped });
}

/**
 * Options that ask for the streams' capture with `true` itself. Overloads, not a type parameter
 * inferred from `captureStdout`: inference drops the `undefined` of a `true | undefined` flag, and
 * would type as captured a stream that may not be.
 */
type CaptureRequest<Streams extends 'stdout' | 'stderr'> = ('stdout' extends Streams ? { captureStdout: true } : unknown) & ('stderr' extends Streams ? { captureStderr: true } : unknown);

/** What {@link runProcess} resolves with when `Streams` were captured: a {@link CompletedProcess} whose fields for them are `Buffer`s, never `null`. */
export type CapturedProcess<Streams extends 'stdout' | 'stderr'> = CompletedProcess & { readonly [Stream in Streams]: Buffer };

/**
 * Refuses a capture together with a destination for the same stream, as trio does ("can't specify
 * both"): `captureStdout: true` with `stdout: 'ignore'` cannot do both, and picking one in silence
 * hides the mistake.
 */
function refuseOutputConflicts(where: string, opts: RunProcessOptions, captured: { stdout: boolean; stderr: boolean }): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const given: unknown = opts[name];
    // 'pipe' is how a capture is spelled internally; from a caller it would be a pipe that is read
    // and whose bytes are then dropped (and could cross maxCaptureBytes without being a capture).
    const capture = name === 'stdout' ? 'captureStdout' : 'captureStderr';
    if (given === 'pipe') throw invalidArgument(`${where}: ${name}: 'pipe' is not an output option; pass ${capture}: true to collect it`);
    if (captured[name] && given !== undefined) throw invalidArgument(`${where}: can't specify both ${capture}: true and ${name}: ${describe(given)}; a captured stream goes to CompletedProcess.${name}, so leave ${name} out`);
  }
}

/** Collects a stream's bytes up to a limit; crossing it calls `onOverflow` once and keeps nothing more. */
class Capture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private overflowed = false;

  constructor(
    private readonly limitBytes: number,
    private readonly onOverflow: () => void,
  ) {}

  readonly add = (chunk: Buffer): void => {
    if (this.overflowed) return;
    if (this.size + chunk.length > this.limitBytes) {
      this.overflowed = true;
      this.onOverflow();
      return;
    }
    // A copy: a pipe's reads are views of one reused buffer (./output/pipe-reads.ts).
    this.chunks.push(Buffer.from(chunk));
    this.size += chunk.length;
  };

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

function noop(): void {
  // captures need no flush at EOF
}
