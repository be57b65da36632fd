// What durations and sizes share in how they are written: one answer to one mistake, whichever
// kind of amount it is made in, and whether a config key or a flag wrote it.

/**
 * A bare number as advice writes it before a unit: as written, or, with an exponent, in plain
 * digits to the thousandth (`1e3` is `1000`, `2.5e0` `2.5`), since `1e3s` and `1e3KB` are no
 * amount and the number rounded to whole units (3 for 2.5e0) is not what was typed.
 */
export function plainNumber(text: string): string {
  const written = text.trim();
  return /e/i.test(written) ? String(Number(Number(written).toFixed(3))) : written;
}

/**
 * What an amount written with a `+` is told (`+5`, `+10MB`): that the sign is what is wrong, and
 * the amount without it, which is taken. Said alike of a config's `+5` (which YAML reads as the
 * number 5) and a flag's, so neither is 5 where the other is refused.
 */
export function signProblem(kind: 'duration' | 'size', unsigned: string): string {
  return `a ${kind} takes no sign: write ${unsigned}`;
}

/**
 * What a number with an exponent and a unit is told (`1e3s`, `1e3KB`): a bare number may have an
 * exponent, as YAML reads `1e3`, but one with a unit is written in plain digits, the amount to
 * write (`1000s`). Undefined for a number too large to write so (`1e400s`), which is then told
 * what any amount of its shape is.
 */
export function exponentProblem(number: string, unit: string): string | undefined {
  const plain = plainNumber(number);
  return Number.isFinite(Number(plain)) ? `a number with an exponent takes no unit after it: write ${plain}${unit}` : undefined;
}
