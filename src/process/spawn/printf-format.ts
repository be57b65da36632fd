/**
 * The `printf` format that makes `bytes`, without quotes: printable ASCII as itself, every other
 * byte as a three-digit octal escape, and so are the characters a shell or printf would read in
 * either kind of quotes (`'"\\%$\``), so that it can be pasted in single or double quotes alike, or
 * handed to a shell's printf as a word. Only ASCII is left in it: Node can give a program only text.
 */
export function printfFormat(bytes: Uint8Array): string {
  let format = '';
  for (const byte of bytes) {
    const plain = byte >= 0x20 && byte < 0x7f && !QUOTED_SPECIALS.has(String.fromCharCode(byte));
    format += plain ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return format;
}

/** What a shell reads in single or double quotes, or printf in a format. */
const QUOTED_SPECIALS = new Set(['\'', '"', '\\', '%', '$', '`']);
