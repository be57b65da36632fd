import type { Writable } from 'node:stream';
import { writeText } from '../log/sinks/write.js';
import { node } from '../builtins.js';

/**
 * Text for stderr (the end report, the summary) written, when stdout and stderr end in one place,
 * only once everything stdout was given before it has been written, so that a reader of both in
 * one terminal or pipe (`up 2>&1 | less`) sees the lines first, then why the run ended, and never
 * the report inside a line. A write to stdout that the system takes whole is done at once; one it
 * takes in part (a reader or a terminal slower than the output, a paused terminal) waits in the
 * stream's queue, and stderr, written straight away, came before the rest of it:
 * `web | 847subvisor: web failed: ...`. Where they part (`up | less` on a terminal, `up > up.log`),
 * stderr is written at once: its reader is not the one who has yet to take stdout's lines.
 */
export class StderrAfterStdout {
  readonly #held: string[] = [];
  #waiting = false;

  /**
   * @param stderr - Where the text goes.
   * @param stdoutHolds - Hands stdout what is collected for it and says whether any of it is still unwritten.
   * @param stdoutWritten - Resolves once what stdout was given so far is written (or will never be).
   */
  constructor(
    private readonly stderr: Writable,
    private readonly stdoutHolds: () => boolean,
    private readonly stdoutWritten: () => Promise<void>,
  ) {}

  /** Writes `text` on stderr now if stdout holds nothing, else once it has written what it holds. */
  write(text: string): void {
    this.#held.push(text);
    if (this.#waiting) return;
    if (!this.stdoutHolds()) {
      this.writeHeld();
      return;
    }
    this.#waiting = true;
    void this.stdoutWritten().then(() => {
      this.#waiting = false;
      this.writeHeld();
    });
  }

  /**
   * Writes what waits for stdout now: at the end, once stdout is done, or when its output is being
   * dropped (it will never be written), so that no report is lost with it.
   */
  writeHeld(): void {
    for (const text of this.#held.splice(0)) writeText(this.stderr, text);
  }
}

/**
 * Whether the fds `a` and `b` write to one file, pipe or terminal (`2>&1`, or a terminal for both);
 * false when either cannot be asked.
 */
export function sameDestination(a: number, b: number): boolean {
  try {
    const [first, second] = [node.fs.fstatSync(a), node.fs.fstatSync(b)];
    return first.dev === second.dev && first.ino === second.ino && first.rdev === second.rdev;
  } catch {
    return false;
  }
}
