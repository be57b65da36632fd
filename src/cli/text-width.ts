/**
 * How many terminal columns a text takes, for padding table cells: a CJK character or an emoji
 * takes two, a combining accent none. Node has no public answer (readline's getStringWidth is
 * internal), and JavaScript's regular expressions know no East_Asian_Width property, so the wide
 * blocks are listed here: Unicode's Wide and Fullwidth ranges, as terminals draw them.
 */
export function displayWidth(text: string): number {
  // Table cells are nearly always ASCII: counted without segmenting.
  if (PRINTABLE_ASCII.test(text)) return text.length;
  // Made on first use: making one takes some 7 ms (ICU's data), a cost every `up` would pay.
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let width = 0;
  for (const { segment } of graphemes.segment(text)) width += graphemeWidth(segment);
  return width;
}

/** `text` padded with spaces to `width` columns (as `padEnd` does for characters). */
export function padToWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
let graphemes: Intl.Segmenter | undefined;
/** Drawn in no column of its own: accents and other marks, joiners, variation selectors, format characters. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]+$/u;
/** An emoji drawn as a picture (two columns), or a character asking to be (U+FE0F). */
const EMOJI = /\p{Emoji_Presentation}|\uFE0F/u;

function graphemeWidth(grapheme: string): number {
  if (ZERO_WIDTH.test(grapheme)) return 0;
  if (EMOJI.test(grapheme)) return 2;
  return isWide(grapheme.codePointAt(0) as number) ? 2 : 1;
}

/** East Asian Wide (W) and Fullwidth (F) blocks, UAX #11. */
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initials
  [0x2e80, 0x303e], // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK compatibility
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x1b000, 0x1b2ff], // Kana supplement and extensions, Nüshu
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x3fffd], // CJK extensions B onwards
];

function isWide(codePoint: number): boolean {
  return WIDE_RANGES.some(([from, to]) => codePoint >= from && codePoint <= to);
}
