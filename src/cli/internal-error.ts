/**
 * What the CLI says of an error of its own (a defect: `happened` says when it came), on stderr:
 * the error with its stack, then what to do about it. Said the same way wherever the CLI meets
 * one: before anything runs (./main.ts), while a run goes on (./uncaught.ts), or in a callback of a
 * command that runs none (./uncaught-outside-run.ts).
 */
export function internalErrorWords(happened: string, error: unknown): string {
  return `subvisor: ${happened}: ${errorText(error)}\nsubvisor: this is a bug in subvisor; please report it, with the stack above\n`;
}

/** `error` as a report shows it: its stack (which starts with its name and message), when it has one. */
export function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? errorSummary(error)) : errorSummary(error);
}

/**
 * An error's name and message, or what `String()` makes of a value thrown that is no Error. A value
 * it cannot convert (an object without a prototype, a `toString` that throws) would throw inside the
 * listener for uncaught errors, and Node would end the process with 7 instead of the status decided:
 * it is said by its kind instead (`[object Object]`).
 */
export function errorSummary(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}
