import type { Writable } from 'node:stream';
import { node } from '../../builtins.js';
import { settlesWithin } from '../../core/timer.js';
import type { PipeHold } from './pipe-hold.js';

/** Where bytes read from a child's pipe are passed on: the parent's own stream, or an fd. */
export type PassThroughDestination = 'inherit' | number;

/** Passes a pipe's bytes on to a destination, with its backpressure; `end()` releases it. */
export interface PassThrough {
  readonly write: (chunk: Buffer) => void;
  /** Resolves once the destination has taken every byte (or failed), or `flushWaitMs` has passed. */
  readonly end: () => Promise<void>;
}

/**
 * Passes the bytes of `source` on to `destination`, for a stream subvisor must read (for readiness,
 * or for the stderr tail) but that the caller wants to go where it would have gone unread: the
 * parent's stdout/stderr (`'inherit'`, or fd 1 and 2, through `process.stdout`/`process.stderr`, so
 * the order with the parent's own writes holds) or another fd.
 *
 * A slow destination pauses the source (through `hold`: not once the child's group is gone), so the
 * child waits instead of the parent's memory growing.
 * A destination that fails (a closed pipe, an fd the caller closed) is given up, and the source is
 * then only drained: a broken log target must not block or kill the child, and the error of an
 * fd's stream is listened to for as long as it lives, so it never becomes an uncaught one. At the
 * end the call waits until the destination has taken every byte, so what the child wrote is there
 * when the call settles (and before the caller may close its fd); it waits `flushWaitMs` at most,
 * so a destination that takes nothing cannot hold the call.
 */
export function passThrough(hold: PipeHold, destination: PassThroughDestination, which: 'stdout' | 'stderr', flushWaitMs: number): PassThrough {
  const { stream, own } = open(destination, which);
  let broken = false;
  let lastWrite: Promise<void> = Promise.resolve();
  const resume = (): void => {
    hold.resume();
  };
  const onError = (): void => {
    broken = true;
    resume();
  };
  stream.on('error', onError);
  return {
    write: (chunk) => {
      if (broken || stream.destroyed) return;
      // A copy: the read's bytes are a view of the pipe's reused buffer (./pipe-reads.ts), and a
      // stream may hold what it was given until it is written.
      let written = noop;
      lastWrite = new Promise((resolve) => (written = resolve));
      // The callback comes once the bytes are written, or with the error that gives the destination up.
      if (!stream.write(Buffer.from(chunk), () => written())) {
        hold.pause();
        stream.once('drain', resume);
      }
    },
    end: async () => {
      stream.off('drain', resume);
      const flushed = own ? new Promise<void>((resolve) => stream.end(() => resolve())) : lastWrite;
      await settlesWithin(flushed, flushWaitMs);
      // The parent's own stdout and stderr keep only their own listeners; a stream of ours keeps
      // this one, as an error may still come from a write that outlived the wait.
      if (!own) stream.off('error', onError);
    },
  };
}

function open(destination: PassThroughDestination, which: 'stdout' | 'stderr'): { stream: Writable; own: boolean } {
  const fd = destination === 'inherit' ? (which === 'stdout' ? 1 : 2) : destination;
  if (fd === 1) return { stream: process.stdout, own: false };
  if (fd === 2) return { stream: process.stderr, own: false };
  // The fd stays the caller's: it is written to, never closed.
  return { stream: node.fs.createWriteStream('', { fd, autoClose: false }), own: true };
}

function noop(): void {
  // replaced by the write's resolver at once
}
