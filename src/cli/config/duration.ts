import { MAX_TIMER_MS } from '../../core/timer.js';
import { BARE_NUMBER, exponentProblem, signProblem } from './amount.js';
import { shownValue } from './shown-value.js';

/** Milliseconds per unit. Days and longer are left out on purpose: see {@link MAX_DURATION_MS}. */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/**
 * The longest duration accepted: the largest delay `setTimeout` honours (596h31m23.647s, about
 * 24.8 days). A longer one would not wait longer: Node fires such a timer at once, so a typo like
 * `1000h` would turn a generous timeout into none at all. Refused instead, rather than taken as
 * "no limit" (the library's `failAfter` honours any length, but a config duration becomes a
 * process's grace or readiness timer, which are single timers): a config says what it means.
 * Durations the runner derives from a config one (restart backoff doubling) are capped at it.
 */
export const MAX_DURATION_MS = MAX_TIMER_MS;

const WITH_UNITS = /^(?:(?:\d+(?:\.\d+)?|\.\d+)(?:ms|h|m|s))+$/;
/** A duration of nothing but zeros (`0`, `0.0s`, `0m0s`, `0e5`): what `-0` is the negative of. */
const ALL_ZERO = /^(?:[0.]+(?:e[+-]?\d+)?|(?:[0.]+(?:ms|h|m|s))+)$/i;
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|h|m|s)/g;
/** A number with an exponent and one unit (`1e3s`): refused with the plain digits to write instead. */
const EXPONENT_WITH_UNIT = /^((?:\d+(?:\.\d+)?|\.\d+)[eE][+-]?\d+)(ms|h|m|s)$/;

/**
 * Whether `text` is written as a duration (see {@link parseDuration}), whatever its length: a
 * duration too long for a timer is still one (a suggestion can then say the longest instead).
 */
export function isDurationText(text: string): boolean {
  const trimmed = text.trim();
  return BARE_NUMBER.test(trimmed) || WITH_UNITS.test(trimmed);
}

/** What a negative duration is told, whether a config's number (`-1`) or text (`--grace=-1`). */
const NEGATIVE = 'expected a non-negative duration, like 0, 500ms or 2m';

/** Whether `text` is a bare number (`5`, `1.5`), which {@link parseDuration} reads as milliseconds. */
export function isBareNumber(text: string): boolean {
  return BARE_NUMBER.test(text.trim());
}

/**
 * A duration that {@link parseDuration} cannot read; `input` is what it was given, `written` how
 * its source wrote that number when it says so (see parseDuration), shown instead of `input`.
 */
export class InvalidDurationError extends RangeError {
  override name = 'InvalidDurationError';
  readonly input: string | number;
  readonly written: string | undefined;
  /** What is wrong, as the message says it after the value. */
  readonly reason: string;

  constructor(input: string | number, reason: string, written?: string) {
    super(`invalid duration ${shownValue(input, written)}: ${reason}`);
    this.input = input;
    this.written = written;
    this.reason = reason;
  }
}

/**
 * Reads a duration into whole milliseconds: a number with a unit (`250ms`, `1.5s`, `2m`, `1h`),
 * several of them run together (`1m30s`), or a bare number, which means milliseconds (so does a
 * JS number). Surrounding whitespace is ignored, and so is the sign of a zero (`-0`); anything
 * else (another sign, a space before the unit,
 * an unknown unit) throws {@link InvalidDurationError} rather than guessing. Fractions are
 * rounded to the nearest millisecond. Used for the config's `readyTimeout`, `backoff` and `grace`
 * and for the CLI's `--timeout` and `--grace`.
 *
 * @example
 * ```ts
 * parseDuration('1.5s'); // 1500
 * parseDuration('1m30s'); // 90000
 * parseDuration('250'); // 250
 * parseDuration('soon'); // throws InvalidDurationError
 * ```
 *
 * @param written - How the number `text` was written, where that is not how `String()` writes it:
 *   digits past what a double holds (a config's `1e400`) reach here as `Infinity`, a word nobody
 *   wrote, so a refusal shows these instead.
 */
export function parseDuration(text: string | number, written?: string): number {
  let ms: number;
  if (typeof text === 'number') {
    // Infinity is let through: the length check below says what is wrong with it (too long).
    if (Number.isNaN(text)) throw new InvalidDurationError(text, 'expected a number of milliseconds', written);
    if (text < 0) throw new InvalidDurationError(text, NEGATIVE, written);
    ms = text;
  } else {
    const trimmed = text.trim();
    if (BARE_NUMBER.test(trimmed)) {
      ms = Number(trimmed);
    } else if (WITH_UNITS.test(trimmed)) {
      ms = 0;
      for (const [, amount, unit] of trimmed.matchAll(PART)) {
        // The WITH_UNITS test above guarantees both groups matched.
        ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
      }
    } else if (trimmed.startsWith('-') && (BARE_NUMBER.test(trimmed.slice(1)) || WITH_UNITS.test(trimmed.slice(1)))) {
      // `-0` (and `-0s`) is zero, as YAML's number -0 is: taken. Any other is a duration but for
      // its sign (`--grace=-1`): the sign is what is wrong, not the shape.
      if (ALL_ZERO.test(trimmed.slice(1))) return 0;
      throw new InvalidDurationError(text, NEGATIVE, written);
    } else if (trimmed.startsWith('+') && (BARE_NUMBER.test(trimmed.slice(1)) || WITH_UNITS.test(trimmed.slice(1)))) {
      // A duration but for its `+`: that is what is wrong, not the shape (which the reason below would blame).
      throw new InvalidDurationError(text, signProblem('duration', trimmed.slice(1), parseDuration), written);
    } else {
      const exponent = EXPONENT_WITH_UNIT.exec(trimmed);
      const advice = exponent === null ? undefined : exponentProblem(exponent[1] ?? '', exponent[2] ?? '', UNIT_MS[exponent[2] as keyof typeof UNIT_MS], parseDuration);
      if (advice !== undefined) throw new InvalidDurationError(text, advice);
      throw new InvalidDurationError(text, 'expected a number with a unit (ms, s, m or h) like 500ms, 1.5s, 2m or 1m30s; a bare number means milliseconds');
    }
  }
  // `+ 0` makes YAML's -0 (and -0.4) a plain 0, never shown as `-0` anywhere it is written back.
  const rounded = Math.round(ms) + 0;
  if (rounded > MAX_DURATION_MS) {
    throw new InvalidDurationError(text, `longer than the longest a timer can wait, ${MAX_DURATION_MS} ms (596h31m23.647s, about 24.8 days); use a shorter one`, written);
  }
  return rounded;
}

/** The units, the largest first, as {@link goDuration} writes them. */
const LARGEST_FIRST = Object.entries(UNIT_MS).sort(([, a], [, b]) => b - a);

/**
 * `ms` written as a Go duration (`10s`, `1m30s`, `200ms`, `0s`): what the Compose Specification
 * takes, what systemd's time spans read (`m` is minutes there too, `ms` milliseconds), and what
 * {@link parseDuration} reads back. Whole milliseconds; the largest unit first, so one duration
 * always has one spelling.
 *
 * @example
 * ```ts
 * goDuration(90_000); // '1m30s'
 * goDuration(1_500); // '1s500ms'
 * ```
 */
export function goDuration(ms: number): string {
  let rest = Math.round(ms);
  if (rest <= 0) return '0s';
  let text = '';
  for (const [unit, size] of LARGEST_FIRST) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}
