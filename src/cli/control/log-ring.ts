import { blockLines, blockText, type AsciiBlock, type LineBlock } from '../../process/output/ascii-block.js';
import type { LogLine, LogLines } from './protocol.js';

/** The lines kept per process for `subvisor logs` (ten times the default `-n`); a tenth more at most. */
export const RING_MAX_LINES = 1000;
/** The most text kept per process, in UTF-8 bytes (a process may write lines up to 1 MiB): the oldest lines go first. The buffer that holds it grows to twice this at most, unless one block alone needs more. */
export const RING_MAX_CHARS = 4 * 1024 * 1024;
/**
 * The most text kept across the run's processes: each keeps an equal share of it, when that is
 * less than {@link RING_MAX_CHARS} (past 16 processes). Without it a run's memory grew with its
 * process count, up to 4 MiB of text each (in buffers of up to twice that): 100 copies of a server
 * that logs 2 KB lines held 280 MiB for `logs`, a tail nobody may ever ask for. A share,
 * fixed for the run, rather than one pool the chattiest process may fill: a process's quiet
 * neighbours keep their last lines too, and each one's limit is known when it starts.
 */
export const RING_MAX_TOTAL_CHARS = 64 * 1024 * 1024;

/**
 * Lines as they came: one line, or a block of them joined by `\n` (the relay's blocks), split only
 * when read. Their text is copied into the process's buffer (see {@link ProcessRing}).
 */
interface Block {
  /** Arrival order across every process of the run, so lines of several processes merge as they came. */
  readonly seq: number;
  readonly stream: 'stdout' | 'stderr';
  /** Where its UTF-8 bytes are in the buffer (moved when the buffer is compacted). */
  offset: number;
  readonly bytes: number;
  readonly lines: number;
}

/**
 * One process's lines. The text is copied into one buffer rather than held as strings: a string
 * the ring holds, even for a few blocks, outlives young-generation collections and is promoted,
 * and a flood promoted block by block cost `up` a third again of its CPU (0.75 s to 1.0 s for
 * 64 MiB). The buffer is written at its end; once full, what is still kept moves to its start
 * (growing it if need be): a copy of what the ring keeps, not of what flows through.
 */
interface ProcessRing {
  /** Oldest first; those before `start` are dropped, and let go of (the array is compacted now and then). */
  blocks: (Block | undefined)[];
  start: number;
  lines: number;
  /** UTF-8 bytes of the kept blocks. */
  chars: number;
  buffer: Buffer;
  /** Where the next block's bytes go. */
  end: number;
}

/** The smallest buffer a process gets, at its first line. */
const MIN_BUFFER_BYTES = 64 * 1024;

/**
 * The last lines of each process's output, kept in memory for `subvisor logs` (not subvisor's own
 * state lines): the last {@link RING_MAX_LINES} lines, within {@link RING_MAX_CHARS} bytes of text per
 * process and {@link RING_MAX_TOTAL_CHARS} across the run, so a process that floods its output,
 * or a run of a thousand, costs a bounded amount (the newest line of each is always kept). Lines
 * are kept as they came, a block of them as one run of bytes, and split only when someone reads them: a flood of hundreds of thousands of lines is not cut into lines for a ring that
 * keeps a thousand. Followers (`logs -f`) hear each new line as it arrives.
 */
export class LogRing {
  readonly #rings = new Map<string, ProcessRing>();
  readonly #followers = new Set<(lines: LogLines) => void>();
  #seq = 0;
  /** What each process keeps: its share of the run's, at most RING_MAX_CHARS. */
  readonly #maxChars: number;

  /** For a run of `processes` processes (their share of {@link RING_MAX_TOTAL_CHARS} is what each keeps). */
  constructor(processes = 1) {
    this.#maxChars = Math.min(RING_MAX_CHARS, Math.floor(RING_MAX_TOTAL_CHARS / Math.max(1, processes)));
  }

  push(name: string, stream: 'stdout' | 'stderr', line: string): void {
    this.#add(name, stream, textBytes(line), 1);
    for (const follower of this.#followers) follower({ name, stream, lines: [line] });
  }

  /** {@link push} for several lines at once, joined by `\n` (the relay's blocks). */
  pushBlock(name: string, stream: 'stdout' | 'stderr', block: LineBlock): void {
    if (typeof block === 'string') this.#add(name, stream, textBytes(block), blockLines(block));
    else this.#add(name, stream, ...keptAsciiLines(block));
    if (this.#followers.size === 0) return;
    const lines = blockText(block).split('\n');
    for (const follower of this.#followers) follower({ name, stream, lines });
  }

  /**
   * The last `count` lines (at most {@link RING_MAX_LINES}) of each of `names` (every process when
   * empty), merged in arrival order.
   */
  tail(names: readonly string[], count: number): LogLine[] {
    const wanted = Math.min(count, RING_MAX_LINES);
    if (!(wanted > 0)) return [];
    const chosen = names.length === 0 ? [...this.#rings] : names.flatMap((name): [string, ProcessRing][] => { const ring = this.#rings.get(name); return ring ? [[name, ring]] : []; });
    const picked: { seq: number; index: number; line: LogLine }[] = [];
    for (const [name, ring] of chosen) {
      let needed = wanted;
      for (let i = ring.blocks.length - 1; i >= ring.start && needed > 0; i--) {
        const block = ring.blocks[i] as Block; // i within the kept blocks
        const text = ring.buffer.toString('utf8', block.offset, block.offset + block.bytes);
        const lines = block.lines === 1 ? [text] : text.split('\n');
        const from = Math.max(0, lines.length - needed);
        for (let index = from; index < lines.length; index++) picked.push({ seq: block.seq, index, line: { name, stream: block.stream, line: lines[index] as string } });
        needed -= lines.length - from;
      }
    }
    return picked.sort((a, b) => a.seq - b.seq || a.index - b.index).map(({ line }) => line);
  }

  /** Calls `follower` with every line from now on, a block of them at a time as they came; returns how to stop. */
  follow(follower: (lines: LogLines) => void): () => void {
    this.#followers.add(follower);
    return () => this.#followers.delete(follower);
  }

  #add(name: string, stream: 'stdout' | 'stderr', text: RingText, lines: number): void {
    const { bytes } = text;
    let ring = this.#rings.get(name);
    if (ring === undefined) {
      const size = Math.max(bytes, Math.min(Math.max(MIN_BUFFER_BYTES, 4 * bytes), 2 * this.#maxChars));
      this.#rings.set(name, (ring = { blocks: [], start: 0, lines: 0, chars: 0, buffer: Buffer.allocUnsafe(size), end: 0 }));
    }
    const block: Block = { seq: this.#seq++, stream, offset: 0, bytes, lines };
    ring.blocks.push(block);
    ring.lines += lines;
    ring.chars += bytes;
    // The oldest go while the rest still holds the last RING_MAX_LINES lines, or while there is too
    // much text; the newest always stays.
    while (ring.blocks.length - ring.start > 1) {
      const oldest = ring.blocks[ring.start] as Block; // start < length - 1
      if (ring.lines - oldest.lines < RING_MAX_LINES && ring.chars <= this.#maxChars) break;
      ring.blocks[ring.start] = undefined;
      ring.start++;
      ring.lines -= oldest.lines;
      ring.chars -= oldest.bytes;
    }
    // Dropping from the front of an array is O(n): it is compacted once half of it is dropped.
    if (ring.start > 64 && ring.start * 2 > ring.blocks.length) {
      ring.blocks = ring.blocks.slice(ring.start);
      ring.start = 0;
    }
    if (ring.end + bytes > ring.buffer.length) compact(ring, block, this.#maxChars);
    block.offset = ring.end;
    text.copyInto(ring.buffer, ring.end);
    ring.end += bytes;
  }
}

/** Text on its way into a ring: its UTF-8 bytes, and how to put them at a place in a buffer. */
interface RingText {
  readonly bytes: number;
  copyInto(buffer: Buffer, at: number): void;
}

function textBytes(text: string): RingText {
  const bytes = Buffer.byteLength(text, 'utf8');
  // As many bytes as characters: ASCII, whose UTF-8 is its Latin-1, copied instead of encoded.
  return { bytes, copyInto: (buffer, at) => buffer.write(text, at, bytes, bytes === text.length ? 'latin1' : 'utf8') };
}

/**
 * What the ring keeps of an ASCII block: its text (without its last newline) as the bytes it was
 * read as, no string built, and its line count; only its last {@link RING_MAX_LINES} lines when it
 * holds more, since a block alone that long pushes every earlier line out. A flood's read holds
 * thousands of lines: copying all of them would have the ring copy the whole flood and size its
 * buffer for a whole read.
 */
function keptAsciiLines(block: AsciiBlock): [RingText, number] {
  const { start, bytes } = block;
  const { newlines } = block.scan();
  const lines = newlines.length;
  if (lines > RING_MAX_LINES) {
    const kept = bytes.subarray((newlines[lines - RING_MAX_LINES - 1] as number) + 1);
    return [{ bytes: kept.length - 1, copyInto: (buffer, at) => kept.copy(buffer, at, 0, kept.length - 1) }, RING_MAX_LINES];
  }
  const text: RingText = {
    bytes: start.length + bytes.length - 1,
    copyInto: (buffer, at) => {
      buffer.write(start, at, 'latin1');
      bytes.copy(buffer, at + start.length, 0, bytes.length - 1);
    },
  };
  return [text, lines];
}

/**
 * Moves the bytes of the blocks kept before `incoming` to the start of the buffer, in a larger
 * one when they and `incoming` would not fit in half of it (at most twice `maxChars`, what the
 * ring keeps, unless one block needs more; a smaller one once that block is gone).
 */
function compact(ring: ProcessRing, incoming: Block, maxChars: number): void {
  const first = ring.blocks[ring.start] as Block; // the newest at least is kept
  const from = first === incoming ? ring.end : first.offset;
  const live = ring.end - from;
  const needed = live + incoming.bytes;
  // A buffer grown past twice what the ring keeps, for one long block (a stack dump on one line),
  // is let go of once that block is: kept, a run of a thousand processes, each with a share of
  // 64 KiB, would hold 1 MiB for each that once wrote a 1 MiB line, a gigabyte in all.
  const cap = 2 * maxChars;
  const size = Math.max(needed, Math.min(4 * needed, cap), ring.buffer.length > cap ? 0 : ring.buffer.length);
  const target = size !== ring.buffer.length ? Buffer.allocUnsafe(size) : ring.buffer;
  ring.buffer.copy(target, 0, from, ring.end); // memmove: the regions may overlap
  for (let i = ring.start; i < ring.blocks.length; i++) {
    const block = ring.blocks[i] as Block;
    if (block !== incoming) block.offset -= from;
  }
  ring.buffer = target;
  ring.end = live;
}
