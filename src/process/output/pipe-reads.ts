import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { node } from '../../builtins.js';

/**
 * Reading children's output pipes into one buffer, reused read after read.
 *
 * Why. Node reads a pipe into a fresh 64 KiB buffer per read, which only a garbage collection
 * frees, and the allocator then hands the next reads pages the kernel must fault in again: a child
 * writing 64 MiB cost its parent ~11 000 page faults, and the parent's reading, not the child's
 * writing, set the pace (`cat` of 64 MiB into a parent that only counts the bytes: 215 ms and both
 * processes mostly idle, against 45 ms read in place; `cat | cat` takes 60 ms). Node has the way
 * to read into a buffer of one's own, `net.Socket`'s `onread` option, but only for a socket it
 * creates: the child's pipes are created by `spawn()`. So right after the spawn, before the event
 * loop has read a byte, each output pipe's socket is given what that option gives: its keys
 * (found on the socket by name) and its handle's `useUserBuffer`. Where a Node's sockets are not
 * made that way, the pipe is read as before.
 *
 * The contract this sets: a read's bytes are valid only during the call that receives them. Whoever
 * keeps any of them (the stderr tail, a capture, a pass-through) copies them first.
 */

/** Receives the bytes of one read: a view of the reused buffer, valid only during the call. */
export type ReadConsumer = (bytes: Buffer) => void;

/**
 * As much as one read takes from a pipe: Node's own 64 KiB. A child's pipe is a UNIX socket that
 * holds more (~208 KiB), and reading 256 KiB at once made `up` relaying 64 MiB of `cat` to a file
 * 0.91x as long, but the library's line relay (S2) 3.5x (most likely as a read's text past 128
 * KiB is a string V8 allocates in its large-object space, one allocation of its own per read), a
 * relay to a pipe 1.1x, and a slow reader cost the command line 18 MiB more.
 */
export const READ_BUFFER_BYTES = 64 * 1024;

/**
 * The one buffer every pipe is read into. One is enough: the event loop reads one pipe at a time,
 * on this thread, and hands each read to its consumer before the next read, and a consumer keeps
 * nothing past its call. So a hundred children cost one buffer, warm in the cache, not a hundred.
 */
let sharedBuffer: Buffer | undefined;

interface InPlaceReads {
  consumer: ReadConsumer | undefined;
}

const inPlace = new WeakMap<Readable, InPlaceReads>();

/**
 * Holds `child`'s stdout and stderr unread until {@link consumeReads} is called on them, read in
 * place where this Node allows it: paused (the child waits meanwhile, as on any pipe nobody reads)
 * and marked not readable for good. Node's drain of an exited child's pipes passes over a stream
 * that is not readable; it resumes every other one, which would read before a consumer came (into
 * nowhere: a gated child may exit before its spawn has even resolved) and after, past a pause for
 * backpressure (a leftover of the child flooding the pipe while its output is full). Call it right
 * after `spawn()`, in the same turn of the event loop, before anything listens to those streams.
 */
export function readPipesInPlace(child: ChildProcess): void {
  // A spawn that failed at once (EMFILE) made no pipes.
  if (child.pid === undefined) return;
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    readInPlace(stream);
    stream.pause(); // read in place, this stops the handle reading; otherwise the stream only buffers up to its limit
    stream.readable = false;
  }
}

/** Node's own keys for a socket's `onread` buffer and callback (net.Socket sets both on every socket it makes). */
interface OnreadKeys {
  readonly buffer: symbol;
  readonly callback: symbol;
}
let onreadKeys: OnreadKeys | undefined;

/**
 * Sets `stream` up as `net.Socket`'s `onread` option would have: the keys the option sets, and its
 * handle told to read into the buffer. Nothing changes where this Node's sockets are not made that
 * way: the stream is then read through its 'data' events.
 */
function readInPlace(stream: Readable): void {
  if (!(stream instanceof node.net.Socket) || stream.destroyed) return;
  const handle = (stream as unknown as { _handle?: { useUserBuffer?: unknown } })._handle;
  if (typeof handle?.useUserBuffer !== 'function') return;
  const keys = (onreadKeys ??= findOnreadKeys(stream));
  if (keys === undefined) return;
  const reads: InPlaceReads = { consumer: undefined };
  const buffer = (sharedBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES));
  const fields = stream as unknown as Record<symbol, unknown>;
  fields[keys.buffer] = buffer;
  // Returns nothing: Node takes a `false` from this callback for "stop reading".
  fields[keys.callback] = (length: number): void => {
    reads.consumer?.(buffer.subarray(0, length));
  };
  (handle.useUserBuffer as (buffer: Buffer) => void).call(handle, buffer);
  inPlace.set(stream, reads);
}

/**
 * The keys, each the one own symbol of its name on a socket made without `onread`, and unset
 * (`null`) there. Anything else is a Node whose sockets work otherwise: better read as before than
 * switch a handle to a buffer its socket does not know of.
 */
function findOnreadKeys(socket: object): OnreadKeys | undefined {
  const own = Object.getOwnPropertySymbols(socket);
  const fields = socket as Record<symbol, unknown>;
  const unset = (name: string): symbol | undefined => {
    const named = own.filter((key) => key.description === name);
    return named.length === 1 && fields[named[0] as symbol] === null ? named[0] : undefined;
  };
  const buffer = unset('kBuffer');
  const callback = unset('kBufferCb');
  return buffer === undefined || callback === undefined ? undefined : { buffer, callback };
}

/**
 * Gives each read of `stream` to `consumer` from now on, and starts reading it: in place (a view
 * valid only during the call) when {@link readPipesInPlace} could, else its 'data' events (which
 * flow although it is marked not readable). Returns the detach. The stream's 'end' and 'close'
 * come as for any stream.
 */
export function consumeReads(stream: Readable, consumer: ReadConsumer): () => void {
  const reads = inPlace.get(stream);
  if (reads === undefined) {
    stream.on('data', consumer);
    stream.resume(); // paused explicitly, it does not flow by itself on a 'data' listener
    return () => stream.off('data', consumer);
  }
  reads.consumer = consumer;
  stream.resume();
  return () => {
    reads.consumer = undefined;
  };
}
