import { fromWholeCharacter } from '../../process/output/tail.js';

/**
 * What one try of an exec probe has printed so far, stdout and stderr in the order their lines
 * arrived (as Docker keeps a healthcheck's output), bounded to its last `limitBytes`. It lives
 * outside the try, so a try cut at a timeout still has something to say.
 */
export class ProbeTranscript {
  readonly #lines: string[] = [];
  #bytes = 0;

  /** @param limitBytes - How much of the end is kept. Default 2048. */
  constructor(private readonly limitBytes = 2048) {}

  readonly add = (line: string): void => {
    this.#lines.push(line);
    this.#bytes += Buffer.byteLength(line) + 1;
    // Whole lines go once the rest already fills the limit; the last one is cut in text().
    while (this.#lines.length > 1 && this.#bytes - Buffer.byteLength(this.#lines[0] ?? '') - 1 >= this.limitBytes) {
      this.#bytes -= Buffer.byteLength(this.#lines.shift() ?? '') + 1;
    }
  };

  /** The last `limitBytes` of the lines, trailing blank space trimmed; '' when nothing was printed. */
  text(): string {
    const all = Buffer.from(this.#lines.join('\n'));
    return fromWholeCharacter(all.subarray(-this.limitBytes)).toString('utf8').trimEnd();
  }
}
