/**
 * Linux's limit on one argument or one environment entry (MAX_ARG_STRLEN: 32 pages, with its
 * NUL), apart from the limit on them all together. Other systems have only the latter.
 */
export const MAX_ARG_BYTES = 32 * 4096;

/**
 * Whether exec refuses `text` as one argument or one `NAME=value` entry (E2BIG), here: only Linux
 * has a limit on one.
 */
export function overArgLimit(text: string): boolean {
  return process.platform === 'linux' && Buffer.byteLength(text) + 1 > MAX_ARG_BYTES;
}

/** `text`'s size as a message gives it: whole KiB, rounded up. */
export function kib(text: string): number {
  return Math.ceil(Buffer.byteLength(text) / 1024);
}
