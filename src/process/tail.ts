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
      // Copy: a subarray would pin the whole (possibly huge) chunk in memory.
      this.chunks.length = 0;
      this.chunks.push(Buffer.from(chunk.subarray(chunk.length - this.limitBytes)));
      this.size = this.limitBytes;
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
