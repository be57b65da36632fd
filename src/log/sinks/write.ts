import type { Writable } from 'node:stream';
import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';

/** Streams already given the broken-pipe guard: one listener per stream, however many sinks. */
const guarded = new WeakSet<Writable>();

/**
 * Makes a broken pipe on `stream` harmless: once whoever reads our stderr has gone, writing a log
 * line fails, with EPIPE for a pipe (`subvisor run … | head`) and EIO for a terminal that was
 * closed (its tmux session or ssh connection ended), emitted as an 'error' event that would crash
 * the parent if nobody listened, right while it should be stopping its children. A log line nobody
 * can read is not worth that, so both are ignored; every other stream error still crashes as
 * Node's default would (when ours is the only listener), since it means something we did not plan
 * for.
 *
 * This leaves one 'error' listener on `stream` for the rest of its life (installed when the sink is
 * created, once per stream): leak checks that count listeners should snapshot after creating sinks.
 *
 * @internal
 */
export function guardBrokenPipe(stream: Writable): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  stream.on('error', (error: unknown) => {
    if (isBrokenPipe(error)) return;
    if (stream.listenerCount('error') === 1) throw error;
  });
}

/**
 * Writes `text` to `stream` unless it can no longer take it. Records are dropped silently once
 * the stream is destroyed or ended (after an EPIPE it is both), rather than throwing at the caller.
 * Returns whether the text was handed to the stream (then `written`, if given, is called once the
 * stream is done with it, with or without an error). A stream that throws instead of emitting (a
 * file's, written synchronously: ENOSPC on a full disk) is destroyed with that error, so that it
 * reaches the stream's 'error' listeners as a pipe's would.
 *
 * @internal
 */
export function writeText(stream: Writable, text: string | Uint8Array, written?: () => void): boolean {
  if (stream.destroyed || stream.writableEnded) return false;
  try {
    const fd = syncFileFd(stream);
    if (fd === undefined) stream.write(text, written);
    else writeFileSync(stream, fd, typeof text === 'string' ? Buffer.from(text) : text, written);
    return true;
  } catch (error) {
    // Some streams (a socket whose fd is gone) throw instead of emitting; same reasoning as above.
    if (!isBrokenPipe(error)) stream.destroy(error instanceof Error ? error : new Error(String(error)));
    return false;
  }
}

function isBrokenPipe(error: unknown): boolean {
  const code = errnoCode(error);
  // EIO is also what a failing disk under a log file says; that line is lost either way.
  return code === 'EPIPE' || code === 'EIO' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

/**
 * The fd of a stream as Node makes `process.stdout` for a file (a SyncWriteStream): it writes with
 * one `fs.writeSync` and takes a short write for a whole one. At a file-size limit (EFBIG) or on a
 * full disk (ENOSPC) the write that crosses it is short, the file ends mid-line, and the error
 * comes only with the next write, whenever that is. Such a stream is written here instead.
 *
 * @internal
 */
export function syncFileFd(stream: Writable): number | undefined {
  const { fd } = stream as { fd?: unknown };
  return typeof fd === 'number' && stream.constructor.name === 'SyncWriteStream' ? fd : undefined;
}

/**
 * Writes every byte to a file's stream; one that cannot (EFBIG, ENOSPC) fails the stream as its own
 * write would: destroyed with the error, and `written` told once its listeners have heard it.
 */
function writeFileSync(stream: Writable, fd: number, bytes: Uint8Array, written: (() => void) | undefined): void {
  try {
    for (let offset = 0; offset < bytes.length; ) offset += node.fs.writeSync(fd, bytes, offset);
  } catch (error) {
    if (written) stream.once('close', written);
    stream.destroy(error instanceof Error ? error : new Error(String(error)));
    return;
  }
  if (written) process.nextTick(written);
}
