import type { Readable, Writable } from 'node:stream';
import { node } from '../../builtins.js';

/** Where bytes read from a child's pipe are passed on: the parent's own stream, or an fd. */
export type PassThroughDestination = 'inherit' | number;

/** Passes a pipe's bytes on to a destination, with its backpressure; `end()` releases it. */
export interface PassThrough {
  readonly write: (chunk: Buffer) => void;
  readonly end: () => void;
}

/**
 * Passes the bytes of `source` on to `destination`, for a stream subvisor must read (for readiness,
 * or for the stderr tail) but that the caller wants to go where it would have gone unread: the
 * parent's stdout/stderr (`'inherit'`, or fd 1 and 2, through `process.stdout`/`process.stderr`, so
 * the order with the parent's own writes holds) or another fd.
 *
 * A slow destination pauses the source, so the child waits instead of the parent's memory growing.
 * A destination that fails (a closed pipe) is given up, and the source is then only drained: a
 * broken log target must not block or kill the child.
 */
export function passThrough(source: Readable, destination: PassThroughDestination, which: 'stdout' | 'stderr'): PassThrough {
  const { stream, close } = open(destination, which);
  let broken = false;
  const resume = (): void => {
    source.resume();
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
      if (!stream.write(Buffer.from(chunk))) {
        source.pause();
        stream.once('drain', resume);
      }
    },
    end: () => {
      stream.off('drain', resume);
      stream.off('error', onError);
      close();
    },
  };
}

function open(destination: PassThroughDestination, which: 'stdout' | 'stderr'): { stream: Writable; close: () => void } {
  const fd = destination === 'inherit' ? (which === 'stdout' ? 1 : 2) : destination;
  if (fd === 1) return { stream: process.stdout, close: noop };
  if (fd === 2) return { stream: process.stderr, close: noop };
  // The fd stays the caller's: it is written to, never closed.
  const stream = node.fs.createWriteStream('', { fd, autoClose: false });
  return { stream, close: () => stream.end() };
}

function noop(): void {
  // the parent's own streams are never ours to close
}
