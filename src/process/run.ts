import { currentSignal } from '../core/scope.js';
import { CalledProcessError, OutputLimitError, stderrNote } from './errors.js';
import { runToOwnExit, type PipeReader } from './lifecycle.js';
import { DEFAULT_MAX_CAPTURE_BYTES, describe, resolveCommonOptions, validateBoolean, validatePositiveInteger, type RunProcessOptions } from './options.js';
import { spawnProcess } from './spawn.js';
import { TAIL_BYTES } from './output/tail.js';

/** What {@link runProcess} resolves with: Python's `subprocess.CompletedProcess`. */
export interface CompletedProcess {
  readonly args: string[] | string;
  /** The exit status; `-N` when the child was killed by signal N. */
  readonly returncode: number;
  readonly signal: NodeJS.Signals | null;
  /** The captured stdout, or `null` when it was not captured. */
  readonly stdout: Buffer | null;
  /** The captured stderr, or `null` when it was not captured. */
  readonly stderr: Buffer | null;
}

/**
 * Runs a command to completion, trio's `run_process`: spawns it, feeds it `stdin`, collects what
 * it is asked to capture, waits for its exit and for its pipes to close, and (with `check`, the
 * default) rejects with a {@link CalledProcessError} when the status is not 0.
 *
 * Cancelling the enclosing scope (or `opts.signal`) stops the child's process group (SIGTERM,
 * then SIGKILL after `killGraceMs`) and rejects with the cancellation reason once it is gone.
 * A command that cannot start rejects at once with a `SpawnError` naming it and the cause.
 *
 * @param cmd - An argv array (no shell), or a string with `shell: true`.
 * @param opts - See {@link RunProcessOptions}. Default `{}`: stdin from /dev/null, stdout and
 *   stderr inherited, `check: true`, `killGraceMs: 5000`, a new session.
 * @example
 * ```ts
 * const { stdout } = await runProcess(['git', 'rev-parse', 'HEAD'], { captureStdout: true })
 * ```
 */
export async function runProcess(cmd: string[] | string, opts: RunProcessOptions = {}): Promise<CompletedProcess> {
  const where = 'runProcess';
  // Checked before any option is read, so `null` gets this message rather than a property-access TypeError.
  if (typeof opts !== 'object' || (opts as unknown) === null) throw new TypeError(`${where}: options must be an object, got ${describe(opts)}`);
  for (const name of ['stdout', 'stderr'] as const) {
    // 'pipe' is how a capture is spelled internally; from a caller it would be a pipe that is read
    // and whose bytes are then dropped (and could cross maxCaptureBytes without being a capture).
    if ((opts[name] as unknown) === 'pipe') {
      const capture = name === 'stdout' ? 'captureStdout' : 'captureStderr';
      throw new TypeError(`${where}: ${name}: 'pipe' is not an output option; pass ${capture}: true to collect it`);
    }
  }
  const captureStdout = validateBoolean(where, 'captureStdout', opts.captureStdout, false);
  const captureStderr = validateBoolean(where, 'captureStderr', opts.captureStderr, false);
  const options = resolveCommonOptions(where, cmd, opts, {
    stdout: captureStdout ? 'pipe' : (opts.stdout ?? 'inherit'),
    stderr: captureStderr ? 'pipe' : (opts.stderr ?? 'inherit'),
  });
  const maxCaptureBytes = validatePositiveInteger(where, 'maxCaptureBytes', opts.maxCaptureBytes, DEFAULT_MAX_CAPTURE_BYTES);
  const scopes = [currentSignal(), options.signal];
  // Cancelled before anything started: start nothing (a process spawned only to be killed is a
  // process that might briefly do something).
  const cancelled = scopes.find((scope) => scope?.aborted);
  if (cancelled) throw cancelled.reason;
  const limit = new AbortController();
  const spawned = await spawnProcess(options);
  const captures = new Map<'stdout' | 'stderr', Capture>();
  const readers: PipeReader[] = [];
  for (const [name, stream] of [['stdout', spawned.child.stdout], ['stderr', spawned.child.stderr]] as const) {
    if (!stream) continue;
    const capture = new Capture(maxCaptureBytes, () => limit.abort(new OutputLimitError(options.cmd, name, maxCaptureBytes)));
    captures.set(name, capture);
    readers.push({ stream, onData: capture.add, onEnd: noop });
  }
  // Stopped by us (the capture limit) or by the scope: runToOwnExit rejects with whichever came first.
  const ending = await runToOwnExit(spawned, readers, {
    stops: [limit.signal, ...scopes],
    killGraceMs: options.killGraceMs,
    drainGraceMs: options.drainGraceMs,
    newSession: options.newSession,
  });
  const stdout = captureStdout ? (captures.get('stdout')?.bytes() ?? null) : null;
  const stderr = captureStderr ? (captures.get('stderr')?.bytes() ?? null) : null;
  if (options.check && ending.returncode !== 0) {
    const error = new CalledProcessError({ cmd: options.cmd, returncode: ending.returncode, signal: ending.signal, stdout, stderr });
    if (stderr && stderr.length > 0) error.addNote(stderrNote(stderr.subarray(-TAIL_BYTES)));
    throw error;
  }
  return { args: spawned.proc.args, returncode: ending.returncode, signal: ending.signal, stdout, stderr };
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
    this.chunks.push(chunk);
    this.size += chunk.length;
  };

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

function noop(): void {
  // captures need no flush at EOF
}
