/** How much of a child's stderr a supervised failure carries: enough for a traceback, bounded. */
export const TAIL_BYTES = 16 * 1024;

/**
 * Keeps the last `limitBytes` bytes of a stream in O(limit) memory whatever the child writes
 * (50 MiB of stderr before a failure must not cost 50 MiB).
 */
export class Tail {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limitBytes = TAIL_BYTES) {}

  readonly add = (chunk: Buffer): void => {
    if (chunk.length >= this.limitBytes) {
      // A pipe read (at most 64 KiB) is kept as it is: copying its last 16 KiB on every read was
      // the top cost of a child flooding stderr. Only a chunk much larger than the limit is cut
      // down, by a copy, since a subarray would pin all of it. Memory stays O(limit) either way.
      this.chunks.length = 0;
      const kept = chunk.length <= this.limitBytes * 4 ? chunk : Buffer.from(chunk.subarray(chunk.length - this.limitBytes));
      this.chunks.push(kept);
      this.size = kept.length;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limitBytes) {
      this.size -= (this.chunks.shift() as Buffer).length; // the loop condition saw a first chunk
    }
  };

  /**
   * The kept bytes, at most `limitBytes`, starting on a UTF-8 character boundary so the note does
   * not open with a replacement character.
   */
  bytes(): Buffer {
    let all = Buffer.concat(this.chunks, this.size);
    if (all.length > this.limitBytes) all = all.subarray(all.length - this.limitBytes);
    let start = 0;
    while (start < Math.min(4, all.length) && ((all[start] as number) & 0xc0) === 0x80) start++;
    return all.subarray(start);
  }
}
