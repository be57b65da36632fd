import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { node } from '../../builtins.js';

/**
 * Reading a child's output pipes into one buffer each, reused read after read.
 *
 * Why. Node reads a pipe into a fresh 64 KiB buffer per read, which only a garbage collection
 * frees, and the allocator then hands the next reads pages the kernel must fault in again: a child
 * writing 64 MiB cost its parent ~11 000 page faults, and the parent's reading, not the child's
 * writing, set the pace (`cat` of 64 MiB into a parent that only counts the bytes: 215 ms and both
 * processes mostly idle, against 45 ms read in place; `cat | cat` takes 60 ms). Node has the way
 * to read into a buffer of one's own, `net.Socket`'s `onread` option, but only for a socket it
 * creates: the child's pipes are created by `spawn()`. So right after the spawn, each output pipe's
 * handle is moved to a socket made with `onread`, before the event loop has read a byte from it.
 * (`_handle` and the `handle` option are how `child_process` itself makes those sockets; where a
 * Node lacks them, the pipe is read as before.)
 *
 * The contract this sets: a read's bytes are valid only during the call that receives them. Whoever
 * keeps any of them (the stderr tail, a capture, a pass-through) copies them first.
 */

/** Receives the bytes of one read: a view of the reused buffer, valid only during the call. */
export type ReadConsumer = (bytes: Buffer) => void;

/** As much as Node reads at once from a pipe: the same reads as before, into the same-sized buffer. */
const READ_BUFFER_BYTES = 64 * 1024;

interface InPlaceReads {
  consumer: ReadConsumer | undefined;
}

const inPlace = new WeakMap<Readable, InPlaceReads>();

/**
 * Moves `child`'s stdout and stderr pipes (those that are pipes) to sockets read in place, left
 * unread until {@link consumeReads} is called on them: paused, and marked not readable, which
 * Node's drain of an exited child's unread pipes passes over (it would read them, and the reads
 * would go nowhere). The child waits meanwhile, as on any pipe nobody reads. Call it right after `spawn()`, in the same turn of
 * the event loop, before anything listens to those streams: `child.stdout`, `child.stderr` and
 * `child.stdio` then hold the new sockets, and the old ones close once the new ones have.
 */
export function readPipesInPlace(child: ChildProcess): void {
  // A spawn that failed at once (EMFILE) made no pipes, nor even the array.
  const stdio = child.stdio as unknown as (Readable | null)[] | undefined;
  if (child.pid === undefined || stdio === undefined) return;
  for (const index of [1, 2]) {
    const replacement = takeOver(stdio[index]);
    if (replacement === undefined) continue;
    stdio[index] = replacement;
    if (index === 1) child.stdout = replacement;
    else child.stderr = replacement;
  }
}

/** A socket read in place with `original`'s pipe, or undefined when it cannot be made (nothing is changed then). */
function takeOver(original: Readable | null | undefined): Readable | undefined {
  if (!(original instanceof node.net.Socket) || original.destroyed) return undefined;
  const owner = original as unknown as { _handle?: unknown };
  const handle = owner._handle;
  if (typeof handle !== 'object' || handle === null) return undefined;
  const reads: InPlaceReads = { consumer: undefined };
  const buffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  const onread = {
    buffer,
    callback: (length: number): void => {
      reads.consumer?.(buffer.subarray(0, length));
    },
  };
  owner._handle = null; // the original no longer closes it: the replacement does
  const replacement = new node.net.Socket({ handle, readable: true, onread } as ConstructorParameters<typeof node.net.Socket>[0]);
  replacement.pause();
  replacement.readable = false;
  inPlace.set(replacement, reads);
  // The child's 'close' counts the original's: it comes once the replacement is done.
  replacement.once('close', () => original.destroy());
  return replacement;
}

/**
 * Gives each read of `stream` to `consumer` from now on, and starts reading it: in place (a view
 * valid only during the call) when {@link readPipesInPlace} made it, else its 'data' events.
 * Returns the detach. The stream's 'end' and 'close' come as for any stream.
 */
export function consumeReads(stream: Readable, consumer: ReadConsumer): () => void {
  const reads = inPlace.get(stream);
  if (reads === undefined) {
    stream.on('data', consumer);
    return () => stream.off('data', consumer);
  }
  reads.consumer = consumer;
  stream.readable = true;
  stream.resume();
  return () => {
    reads.consumer = undefined;
  };
}
