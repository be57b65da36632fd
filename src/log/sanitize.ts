// Terminal control sequences in relayed child output are an attack surface and a nuisance: a child
// (or whatever it prints: a file, a URL, a server response) can move the cursor over earlier lines,
// clear the screen, retitle the window, plant an OSC 8 hyperlink, or write the clipboard (OSC 52).
// So every control character is replaced by visible text, except TAB, LF and plain colour.

const ESC = 0x1b;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const DEL = 0x7f;
const C1_LAST = 0x9f;

/**
 * Replaces terminal control characters in `text` by a visible escape form, so that relayed output
 * cannot drive the terminal, while keeping plain colour.
 *
 * - Kept as is: TAB, LF, and SGR colour sequences `ESC [ params m` whose params are only digits,
 *   `;` and `:` (e.g. `\x1b[1;31m`, `\x1b[38:2::255:0:0m`). Nothing else starting with ESC is kept:
 *   `ESC [ ? 25 l`, `ESC [ > 4 m` and the 8-bit CSI U+009B are neutralised too.
 * - Every other C0 control (U+0000–U+001F: ESC, BEL, backspace, a bare CR, …), DEL (U+007F) and
 *   every C1 control (U+0080–U+009F) becomes the text `\xNN`, its JavaScript escape in lowercase
 *   hex: `ESC [ 2 J` prints as `\x1b[2J`, BEL as `\x07`, the 8-bit CSI as `\x9b`. The characters
 *   after the control are ordinary text once it is gone, so a whole sequence (CSI, OSC up to its
 *   BEL or `ESC \`, DCS/APC/PM/SOS strings) shows up readable instead of vanishing: the reader sees
 *   that something was there and what it was.
 * - A CR directly before LF is dropped: a CRLF line ending cannot overwrite anything, and `\x0d`
 *   before every line of Windows-style output would be noise. A CR anywhere else (which would
 *   return the cursor and overwrite the line) becomes `\x0d`.
 *
 * The scan is one pass, linear in the length of `text`: each character is looked at at most twice
 * (once while checking whether an ESC starts an SGR sequence, once as text). A string with no
 * control characters is returned as is, without building a new string.
 *
 * Limitation: kept SGR can still set attributes such as conceal (`\x1b[8m`) within the text; the
 * console sink resets attributes after each such line so they cannot leak into later lines.
 *
 * @param text - Text to show on a terminal, typically one relayed line.
 * @returns `text` itself when it has no control characters, else a neutralised copy.
 * @example
 * ```ts
 * neutraliseControlSequences('\x1b[2J\x1b[31mred\x1b[0m\x07')
 * // => '\\x1b[2J\x1b[31mred\x1b[0m\\x07' (prints as: \x1b[2J red \x07, "red" in red)
 * ```
 */
export function neutraliseControlSequences(text: string): string {
  // The common case, a line with no control character at all, is found by the regex engine,
  // several times faster than a character loop in JavaScript; this runs once per relayed line.
  if (!hasControlCharacters(text)) return text;
  const first = nextControl(text, 0);
  if (first === -1) return text;
  let out = '';
  let copiedUpTo = 0;
  let i = first;
  while (i !== -1) {
    const code = text.charCodeAt(i);
    if (code === ESC) {
      const sgrEnd = endOfSgr(text, i);
      if (sgrEnd !== -1) {
        i = nextControl(text, sgrEnd);
        continue;
      }
    }
    out += text.slice(copiedUpTo, i);
    if (!(code === CR && text.charCodeAt(i + 1) === LF)) out += visible(code);
    copiedUpTo = i + 1;
    i = nextControl(text, i + 1);
  }
  return out + text.slice(copiedUpTo);
}

// SGR only: run on neutralised text, where every other sequence is visible text already.
// eslint-disable-next-line no-control-regex -- matching ESC is the point
const SGR = /\x1b\[[0-9;:]*m/g;

/**
 * `text` (already through {@link neutraliseControlSequences}) without the colour it kept: for an
 * output that shows no colour (colour off, a file, a pipe), where SGR would only be noise. @internal
 */
export function stripSgr(text: string): string {
  return text.includes('\x1b') ? text.replace(SGR, '') : text;
}

// What isNeutralised() accepts, as a character class: C0 but TAB and LF, DEL, C1.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANY_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

/**
 * Whether {@link neutraliseControlSequences} would find anything to do in `text` (TAB and LF do not
 * count): one regex scan, so a caller may test a whole batch of lines at once. @internal
 */
export function hasControlCharacters(text: string): boolean {
  return ANY_CONTROL.test(text);
}

function isNeutralised(code: number): boolean {
  return (code < 0x20 && code !== TAB && code !== LF) || (code >= DEL && code <= C1_LAST);
}

/** Index of the next character to neutralise at or after `from`, or -1. */
function nextControl(text: string, from: number): number {
  for (let i = from; i < text.length; i++) if (isNeutralised(text.charCodeAt(i))) return i;
  return -1;
}

/**
 * If an SGR sequence starts at `start` (which holds ESC), the index just after its `m`; else -1.
 * The scan stops at the first character that cannot be a parameter, so it never runs past the next
 * ESC: that is what keeps the whole pass linear.
 */
function endOfSgr(text: string, start: number): number {
  if (text.charCodeAt(start + 1) !== 0x5b /* [ */) return -1;
  let i = start + 2;
  while (i < text.length && isSgrParameter(text.charCodeAt(i))) i++;
  return text.charCodeAt(i) === 0x6d /* m */ ? i + 1 : -1;
}

function isSgrParameter(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || code === 0x3b /* ; */ || code === 0x3a /* : */;
}

function visible(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/** Text of ours that repeats what others wrote: every control sequence in it shown as text, colours too. */
export function shownAsText(text: string): string {
  return hasControlCharacters(text) ? stripSgr(neutraliseControlSequences(text)) : text;
}
