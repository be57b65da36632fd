import { BARE_NUMBER, exponentProblem, signProblem } from './amount.js';
import { shownValue } from './shown-value.js';

/**
 * Bytes per unit, keys in lower case. Powers of 1024 (SPEC §10), whether written `KB` or `KiB`:
 * a log size is a budget of disk, which people count in the units `ls -lh` and `du -h` show, and
 * those are powers of 1024.
 */
const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

// A bare number may have an exponent (`1e3`), as YAML reads `maxSize: 1e3` and as a duration
// takes one: `maxSize: "1e3"` is the same 1000 bytes. With a unit it is refused, as `1e3s` is.
const SIZE = /^(\d+(?:\.\d+)?|\.\d+)[ \t]*([a-z]*)$/i;
const EXPONENT_WITH_UNIT = /^((?:\d+(?:\.\d+)?|\.\d+)e[+-]?\d+)[ \t]*([a-z]+)$/i;

/** Whether `text` is a size as {@link parseSize} reads one (a known unit, or none), but for a sign. */
function isSizeText(text: string): boolean {
  const match = SIZE.exec(text);
  return BARE_NUMBER.test(text) || (match !== null && UNIT_BYTES[(match[2] || 'b').toLowerCase()] !== undefined);
}

/** What a size under one byte is told, a negative one too. */
const TOO_SMALL = 'must be at least 1 byte; e.g. 10MB';

/**
 * A size that {@link parseSize} cannot read; `input` is what it was given, `written` how its
 * source wrote that number when it says so (see parseSize), shown instead of `input`.
 */
export class InvalidSizeError extends RangeError {
  override name = 'InvalidSizeError';
  readonly code = 'ERR_SUBVISOR_INVALID_SIZE';
  readonly input: string | number;
  readonly written: string | undefined;
  /** What is wrong, as the message says it after the value. */
  readonly reason: string;

  constructor(input: string | number, reason: string, written?: string) {
    super(`invalid size ${shownValue(input, written)}: ${reason}`);
    this.input = input;
    this.written = written;
    this.reason = reason;
  }
}

/**
 * Reads a size into whole bytes: a number with a unit (`512KB`, `10MB`, `1.5GB`; `K`, `KiB` and
 * the like too, in any case, all powers of 1024), or a bare number, which means bytes (so does a
 * JS number), an exponent too (`1e3`, as a duration takes one; with a unit, `1e3KB` is told to
 * write 1000KB). Fractions are rounded down to whole bytes. Zero, a sign, or an unknown unit throws
 * {@link InvalidSizeError}: a log file that may hold nothing is a mistake, not a setting.
 *
 * @example
 * ```ts
 * parseSize('10MB'); // 10485760
 * parseSize('1KB'); // 1024
 * parseSize(4096); // 4096
 * parseSize('10 apples'); // throws InvalidSizeError
 * ```
 *
 * @param written - How the number `input` was written, where that is not how `String()` writes it:
 *   digits past what a double holds (a config's `1e400`) reach here as `Infinity`, a word nobody
 *   wrote, so a refusal shows these instead.
 */
export function parseSize(input: string | number, written?: string): number {
  let bytes: number;
  if (typeof input === 'number') bytes = input;
  else {
    const trimmed = input.trim();
    const match = SIZE.exec(trimmed);
    const unit = UNIT_BYTES[(match?.[2] || 'b').toLowerCase()];
    const exponent = EXPONENT_WITH_UNIT.exec(trimmed);
    const unsigned = trimmed.slice(1);
    if (BARE_NUMBER.test(trimmed)) bytes = Number(trimmed);
    else if (match !== null && unit !== undefined) bytes = Number(match[1]) * unit;
    // As a duration is told: a `+` is what is wrong with `+10MB`; `-10MB` is as small as the number -10.
    else if (trimmed.startsWith('+') && isSizeText(unsigned)) throw new InvalidSizeError(input, signProblem('size', unsigned, parseSize), written);
    else if (trimmed.startsWith('-') && isSizeText(unsigned)) throw new InvalidSizeError(input, TOO_SMALL, written);
    else {
      const units = exponent === null ? undefined : UNIT_BYTES[(exponent[2] ?? '').toLowerCase()];
      const advice = exponent === null || units === undefined ? undefined : exponentProblem(exponent[1] ?? '', exponent[2] ?? '', units, parseSize);
      throw new InvalidSizeError(input, advice ?? 'expected a number of bytes or a number with a unit (KB, MB or GB, powers of 1024), like 512KB or 10MB');
    }
  }
  const whole = Math.floor(bytes);
  if (Number.isNaN(bytes)) throw new InvalidSizeError(input, 'expected a number of bytes; e.g. 10MB', written);
  // Infinity too: digits past what a double holds (`999…9MB`) are a size too large, not too small.
  if (whole > Number.MAX_SAFE_INTEGER) throw new InvalidSizeError(input, 'too large; give at most a few GB', written);
  if (whole < 1) throw new InvalidSizeError(input, TOO_SMALL, written);
  return whole;
}
