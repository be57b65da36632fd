/** The bytes {@link copyPrefixed} writes: each of the `lines` lines of `block` behind `prefix`, and a newline after each. */
export function prefixedLength(prefix: string, block: string, lines: number): number {
  return lines * prefix.length + block.length + 1;
}

/**
 * Writes the `lines` lines of `block` (joined by `\n`; it and `prefix` printable ASCII, so one byte
 * per character) into `target` from `at`, each as `prefix line\n`: {@link prefixedLength} bytes. No string is built (a string per 64 KiB block, young and dead at once,
 * was a third of the collector's work in a flood): the block's bytes are copied once to the end of
 * the room they take, then each line moves from there to its place behind its prefix. A line only
 * moves toward the start, and its place ends before the next line's bytes begin.
 */
export function copyPrefixed(target: Buffer, at: number, prefix: string, block: string, lines: number): void {
  const source = at + lines * prefix.length;
  target.write(block, source, 'latin1');
  let to = at;
  for (let start = 0; ; ) {
    for (let index = 0; index < prefix.length; index++) target[to++] = prefix.charCodeAt(index);
    const newline = block.indexOf('\n', start);
    const end = newline === -1 ? block.length : newline;
    target.copyWithin(to, source + start, source + end);
    to += end - start;
    target[to++] = 0x0a;
    if (newline === -1) return;
    start = newline + 1;
  }
}

/** How many lines `block` holds: its newlines, plus one (the last line has none). */
export function countLines(block: string): number {
  let lines = 1;
  for (let at = block.indexOf('\n'); at !== -1; at = block.indexOf('\n', at + 1)) lines++;
  return lines;
}
