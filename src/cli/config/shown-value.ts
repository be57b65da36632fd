/**
 * A refused amount as a message shows it: text in quotes (`'5x'`), a number as YAML wrote it, bare
 * (`-1`, `1e400`). `written` is a number's own digits when YAML could not hold them (`1e400`, read
 * as Infinity): a number still, so bare too, as `-1` beside it is, not quoted as if it were text.
 */
export function shownValue(input: string | number, written: string | undefined): string {
  if (written !== undefined) return written;
  return typeof input === 'string' ? `'${input}'` : String(input);
}
