/** What a hold needs of a pipe's stream. */
interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

/**
 * Bytes read after a release whatever the consumer's pace: more than a pipe holds (a socket pair
 * some 200-400 KiB, a pipe at most 1 MiB by default). What comes past them was written after the
 * group was gone, by a writer still alive outside it.
 */
export const RELEASED_BYTES = 1024 * 1024;

/**
 * Stops reading one of the child's pipes while its consumer is behind (backpressure: the writer
 * waits instead of the parent's memory growing). Once the child's group is gone, what is still in
 * the pipe was written before, and a pipe still held would never reach its end: the drain after
 * the exit would give up on it, and its last lines with it. So a release lets {@link RELEASED_BYTES}
 * more be read whatever the consumer's pace, which its lines reach in order all the same. A writer
 * that outlived the group (one that left it with setsid, or the child's own children when it has
 * no session of its own) writes past that, and is held again, as before the release.
 */
export class PipeHold {
  /** The consumer is behind. */
  #wanted = false;
  #allowance = 0;
  #released = false;

  constructor(private readonly stream: Pausable) {}

  /** The consumer is behind: stop reading, unless a release still allows it. */
  pause(): void {
    this.#wanted = true;
    if (this.#allowance <= 0) this.stream.pause();
  }

  /** The consumer has caught up. */
  resume(): void {
    this.#wanted = false;
    this.stream.resume();
  }

  /** The group is gone: read what its pipe still holds, whatever the consumer's pace. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#allowance = RELEASED_BYTES;
    this.stream.resume();
  }

  /** `bytes` were read from the pipe. */
  read(bytes: number): void {
    if (this.#allowance <= 0) return;
    this.#allowance -= bytes;
    if (this.#allowance <= 0 && this.#wanted) this.stream.pause();
  }
}
