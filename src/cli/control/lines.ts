import type { Socket } from 'node:net';

/**
 * Reads `socket` as lines of UTF-8 and hands each to `onLine` (without its `\n`). A line that grows
 * past `maxBytes` before its newline comes is not buffered further: `onTooLong` is called once,
 * and nothing more is read from the socket. So a peer that never sends a newline costs at most
 * `maxBytes` (plus one chunk) of memory. With `onEnd`, the peer's end of what it sends is told
 * there, after a last line it sent without a newline (`printf '{...}' | nc -NU`) is handed over.
 */
export function readLines(socket: Socket, maxBytes: number, onLine: (line: string) => void, onTooLong: () => void, onEnd?: () => void): void {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let refused = false;
  socket.on('data', (chunk: Buffer) => {
    if (refused) return;
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      if (heldBytes + newline - start > maxBytes) break;
      held.push(chunk.subarray(start, newline));
      const line = Buffer.concat(held).toString('utf8');
      held = [];
      heldBytes = 0;
      start = newline + 1;
      onLine(line);
      if (socket.destroyed) return;
    }
    const rest = chunk.subarray(start);
    if (heldBytes + rest.length > maxBytes) {
      refused = true;
      held = [];
      socket.pause();
      onTooLong();
      return;
    }
    if (rest.length > 0) {
      held.push(rest);
      heldBytes += rest.length;
    }
  });
  if (onEnd === undefined) return;
  socket.on('end', () => {
    if (!refused && heldBytes > 0) onLine(Buffer.concat(held).toString('utf8'));
    held = [];
    heldBytes = 0;
    onEnd();
  });
}
