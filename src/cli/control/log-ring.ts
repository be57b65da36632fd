import type { LogLine } from './protocol.js';

/** The lines kept per process for `subvisor logs` (ten times the default `-n`); a tenth more at most. */
export const RING_MAX_LINES = 1000;
/** The most text kept per process (a process may write lines up to 1 MiB): the oldest lines go first. */
export const RING_MAX_CHARS = 4 * 1024 * 1024;

interface Entry extends LogLine {
  /** Arrival order across every process of the run, so lines of several processes merge as they came. */
  readonly seq: number;
}

/**
 * The last lines of each process's output, kept in memory for `subvisor logs` (not subvisor's own
 * state lines): the last {@link RING_MAX_LINES} lines, within {@link RING_MAX_CHARS} characters per
 * process, so a process that floods its output costs a bounded amount (the newest line is always
 * kept). Followers (`logs -f`) hear each new line as it arrives.
 */
export class LogRing {
  readonly #lines = new Map<string, { entries: Entry[]; chars: number }>();
  readonly #followers = new Set<(line: LogLine) => void>();
  #seq = 0;

  push(name: string, stream: 'stdout' | 'stderr', line: string): void {
    let ring = this.#lines.get(name);
    if (ring === undefined) this.#lines.set(name, (ring = { entries: [], chars: 0 }));
    ring.entries.push({ seq: this.#seq++, name, stream, line });
    ring.chars += line.length;
    // Dropping from the front of an array is O(n): done a tenth at a time, it stays cheap per line
    // (the ring holds between RING_MAX_LINES and a tenth more).
    if (ring.entries.length > RING_MAX_LINES * 1.1) this.#drop(ring, ring.entries.length - RING_MAX_LINES);
    while (ring.chars > RING_MAX_CHARS && ring.entries.length > 1) this.#drop(ring, 1);
    for (const follower of this.#followers) follower({ name, stream, line });
  }

  /**
   * {@link push} for several lines at once, joined by `\n` (the relay's blocks). With nobody
   * following, only the last {@link RING_MAX_LINES} of them are taken: the others would be dropped
   * at once, and a flood comes in blocks of hundreds of lines.
   */
  pushBlock(name: string, stream: 'stdout' | 'stderr', block: string): void {
    const kept = this.#followers.size > 0 ? block : lastLines(block, RING_MAX_LINES);
    for (const line of kept.split('\n')) this.push(name, stream, line);
  }

  /** The last `count` lines of each of `names` (every process when empty), merged in arrival order. */
  tail(names: readonly string[], count: number): LogLine[] {
    if (count === 0) return [];
    const chosen = names.length === 0 ? [...this.#lines.values()] : names.flatMap((name) => this.#lines.get(name) ?? []);
    const entries = chosen.flatMap((ring) => ring.entries.slice(-count)).sort((a, b) => a.seq - b.seq);
    return entries.map(({ name, stream, line }) => ({ name, stream, line }));
  }

  /** Calls `follower` with every line from now on; returns how to stop. */
  follow(follower: (line: LogLine) => void): () => void {
    this.#followers.add(follower);
    return () => this.#followers.delete(follower);
  }

  #drop(ring: { entries: Entry[]; chars: number }, count: number): void {
    for (const entry of ring.entries.splice(0, count)) ring.chars -= entry.line.length;
  }
}

/** The last `count` lines of `block` (lines joined by `\n`), found from its end. */
function lastLines(block: string, count: number): string {
  let start = block.length;
  for (let lines = 0; lines < count; lines++) {
    if (start === 0) return block;
    const newline = block.lastIndexOf('\n', start - 1);
    if (newline === -1) return block;
    start = newline;
  }
  return block.slice(start + 1);
}
