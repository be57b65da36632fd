import type { Writable } from 'node:stream';

/** What Node's terminal stream keeps of libuv's handle: the fd it writes through, and its write mode. */
interface TerminalHandle {
  readonly fd?: unknown;
  setBlocking?: (blocking: boolean) => number;
}

/**
 * Lets writes to `stream`, when it is a terminal, wait in the stream's queue instead of in the
 * write system call, so that a terminal that takes no output holds the output back, not the
 * program. Node makes its terminal streams block on every write (its tty.WriteStream sets its
 * handle blocking, so that nothing is lost at `process.exit()`), and a terminal whose output is
 * paused (Ctrl-S, XOFF; a stalled ssh connection or serial line) then stopped the whole event loop
 * until it was resumed: no control request answered (`subvisor ps` said the run was suspended or
 * stuck), no signal handled, no process restarted, read or timed. Queued, the output is
 * backpressure like a paused `| less`: the writer fills, the processes' pipes wait, and the rest
 * of the run goes on. The CLI never ends with `process.exit()` while the output is still
 * wanted (it waits for it as it does for a pipe), and says what it drops when it must end at once,
 * waiting a moment for stderr to take those words (see ./last-words.ts).
 *
 * Only a description of the terminal of the stream's own is made non-blocking: libuv opens the
 * terminal anew for the stream (the fd its handle writes through is then not `fd`), where the
 * description shared with the shell and the other jobs on the terminal, set non-blocking, would
 * make their writes fail with EAGAIN, and libuv, which could not reopen it (a terminal of another
 * user, after `su`), spins on it. There the writes stay blocking, as before.
 *
 * @param stream - The stream, `process.stdout` or `process.stderr`; anything but a terminal is left as it is.
 * @param fd - The fd the stream was made for (1 for stdout, 2 for stderr).
 */
export function queueTerminalWrites(stream: Writable, fd: number): void {
  if (!('isTTY' in stream) || stream.isTTY !== true) return;
  const handle = (stream as { _handle?: TerminalHandle })._handle;
  if (typeof handle?.fd !== 'number' || handle.fd === fd || typeof handle.setBlocking !== 'function') return;
  handle.setBlocking(false);
}
