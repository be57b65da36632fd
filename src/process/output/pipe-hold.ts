/** What a hold needs of a pipe's stream. */
interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

/**
 * Stops reading one of the child's pipes while its consumer is behind (backpressure: the writer
 * waits instead of the parent's memory growing), until the child's group is gone. Then no writer
 * is left to slow down, what is still in the pipe (at most the kernel's buffer) is all there is,
 * and a pipe still held would never reach its end: the drain after the exit would give up on it,
 * and its last lines with it. So once released, the pipe is read to its end whatever the consumer's
 * pace, and its lines reach the consumer in order all the same.
 */
export class PipeHold {
  #released = false;

  constructor(private readonly stream: Pausable) {}

  /** The consumer is behind: stop reading, unless the group is gone. */
  pause(): void {
    if (!this.#released) this.stream.pause();
  }

  /** The consumer has caught up. */
  resume(): void {
    this.stream.resume();
  }

  /** The group is gone: from now on the pipe is read to its end. */
  release(): void {
    this.#released = true;
    this.stream.resume();
  }
}
