/**
 * What the CLI says of an error of its own (a defect: `happened` says when it came), on stderr:
 * the error with its stack, then what to do about it. Said the same way wherever the CLI meets
 * one: before anything runs (./main.ts) or while a run goes on (./uncaught.ts).
 */
export function internalErrorWords(happened: string, error: unknown): string {
  return `subvisor: ${happened}: ${errorText(error)}\nsubvisor: this is a bug in subvisor; please report it, with the stack above\n`;
}

/** `error` as a report shows it: its stack (which starts with its name and message), when it has one. */
export function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}
