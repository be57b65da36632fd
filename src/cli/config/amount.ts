// What durations and sizes share in how they are written: one answer to one mistake, whichever
// kind of amount it is made in, and whether a config key or a flag wrote it.

/**
 * A bare number, as a duration (milliseconds) and a size (bytes) read one alike: digits, a
 * fraction, and an exponent (`1e3`), as YAML reads `grace: 1e3` and `maxSize: 1e3`, so the same
 * text is the same number as a flag, as quoted text, and as YAML's number. No sign: each says its own.
 */
export const BARE_NUMBER = /^(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * A bare number as advice writes it before a unit: as written, or, with an exponent, in plain
 * digits to the thousandth (`1e3` is `1000`, `2.5e0` `2.5`), since `1e3s` and `1e3KB` are no
 * amount and the number rounded to whole units (3 for 2.5e0) is not what was typed.
 */
export function plainNumber(text: string): string {
  const written = text.trim();
  return /e/i.test(written) ? String(Number(Number(written).toFixed(3))) : written;
}

/** What parses an amount (parseDuration, parseSize): throws a RangeError with its `reason` when refused. */
type Parse = (input: string | number) => number;

/**
 * The reason `parse` refuses `input`, undefined if it takes it: advice is given only where what it
 * says to write would be taken, and else what is wrong with that is said instead.
 */
function refusal(parse: Parse, input: string | number): string | undefined {
  try {
    parse(input);
    return undefined;
  } catch (error) {
    if (error instanceof RangeError && typeof (error as { reason?: unknown }).reason === 'string') return (error as RangeError & { reason: string }).reason;
    throw error;
  }
}

/**
 * What an amount written with a `+` is told (`+5`, `+10MB`): that the sign is what is wrong, and
 * the amount without it, which is taken. Said alike of a config's `+5` (which YAML reads as the
 * number 5) and a flag's, so neither is 5 where the other is refused. Where the amount without it
 * is refused too (a size's `+0`, `+1e400`), that is said instead: writing it would only be refused.
 */
export function signProblem(kind: 'duration' | 'size', unsigned: string, parse: Parse): string {
  return refusal(parse, unsigned) ?? `a ${kind} takes no sign: write ${unsigned}`;
}

/**
 * What a number with an exponent and a unit is told (`1e3s`, `1e3KB`): a bare number may have an
 * exponent, as YAML reads `1e3`, but one with a unit is written in plain digits, the amount to
 * write (`1000s`). Where the amount (`units` of the smallest unit each) is refused whatever its
 * spelling (`1e7s` too long, `1e-4KB` under a byte), that is said instead, so the plain digits
 * advised are always taken. Undefined for a number too large to write at all (`1e400s`), which is
 * then told what any amount of its shape is.
 */
export function exponentProblem(number: string, unit: string, units: number, parse: Parse): string | undefined {
  if (!Number.isFinite(Number(number))) return undefined;
  return refusal(parse, Number(number) * units) ?? `a number with an exponent takes no unit after it: write ${plainNumber(number)}${unit}`;
}
