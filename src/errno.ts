/*
 * The `code` of a thrown value, read the one way every layer reads it. What is thrown is `unknown`:
 * a cast to NodeJS.ErrnoException would throw itself on `null` and hand back whatever `code` holds.
 */

/**
 * The string `code` of a system error (`'ENOENT'`, `'EPERM'`, ...) or of a Node error
 * (`'ERR_STREAM_DESTROYED'`), if `error` has one.
 *
 * @param error - Anything caught: an Error, a non-Error value, `null`.
 * @returns The code, or `undefined` when `error` has none or it is not a string.
 */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}
