/** A pattern that matches `text` and only it. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What a ready pattern that is no RegExp is told (`error`, what `new RegExp` threw), after the
 * place that names it (`--ready: `, `processes.web.ready: is `): only V8's reason, since its
 * message repeats the whole pattern, a variable's value (a secret) too once one is in it.
 */
export function invalidPattern(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // V8 writes `Invalid regular expression: /PATTERN/: REASON`; the reason holds no `: `.
  const reason = message.startsWith('Invalid regular expression: ') ? message.slice(message.lastIndexOf(': ') + 2) : message;
  return `not a valid regular expression (${reason}); fix the pattern (a JavaScript RegExp, without flags)`;
}
