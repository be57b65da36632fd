const UNITS = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
] as const;

/**
 * `ms` written as a Go duration (`10s`, `1m30s`, `200ms`, `0s`): what the Compose Specification
 * takes, what systemd's time spans read (`m` is minutes there too, `ms` milliseconds), and what
 * subvisor's own `parseDuration` reads back. Whole milliseconds; the largest unit first, so one
 * duration always has one spelling.
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
  for (const [unit, size] of UNITS) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}
