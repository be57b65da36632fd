import { node } from '../../builtins.js';

/**
 * The first bytes of the file at `path`: as many as it has, up to `length`; undefined when it
 * cannot be read. What a failed exec is diagnosed from: a script's `#!` line, a binary's header.
 */
export function readHead(path: string, length: number): Buffer | undefined {
  try {
    const fd = node.fs.openSync(path, 'r');
    try {
      const head = Buffer.alloc(length);
      return head.subarray(0, node.fs.readSync(fd, head, 0, length, 0));
    } finally {
      node.fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
