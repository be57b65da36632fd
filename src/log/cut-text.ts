/**
 * `text` as a message shows it: whole, or its first `maxChars` UTF-16 units and `…`, never ending
 * in the first half of a surrogate pair (an emoji astride the cut is left out whole). A lone half
 * is no character: written out as UTF-8 it becomes U+FFFD, and a strict JSON reader refuses it.
 * Counted in units, not code points, so that a key or token megabytes long is not walked whole.
 *
 * @example
 * cutText('k'.repeat(79) + '😀', 80); // the 79 k, then …: not the emoji's first half
 */
export function cutText(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${wholeCharactersUpTo(text, maxChars)}…`;
}

/**
 * The first `units` UTF-16 units of `text`, one fewer when the cut would fall between the halves of
 * a surrogate pair (an emoji): the one place that decides where text may be cut.
 */
export function wholeCharactersUpTo(text: string, units: number): string {
  const last = text.charCodeAt(units - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? units - 1 : units);
}
