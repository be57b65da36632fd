import type { ResolvedRunOptions } from '../options.js';

// What exec is handed for a child: the spawn gate passes it on, and a spawn error measures it.

/** The shell of `shell: true`, as Node runs it. */
export const DEFAULT_SHELL = '/bin/sh';

/** The argv Node itself would exec for `options`: the command, or the shell running it. */
export function commandArgv(options: ResolvedRunOptions): string[] {
  const { cmd, shell } = options;
  if (shell !== false) return [typeof shell === 'string' ? shell : DEFAULT_SHELL, '-c', typeof cmd === 'string' ? cmd : cmd.join(' ')];
  return typeof cmd === 'string' ? [cmd] : [...cmd];
}

/** The child's environment as Node would pass it: the given one or ours, undefined values left out, others as strings. */
export function childEnv(options: ResolvedRunOptions): [string, string][] {
  const env = options.env ?? process.env;
  const entries: [string, string][] = [];
  for (const name of Object.keys(env)) {
    // Typed as strings, but JavaScript callers pass numbers and booleans too, which Node stringifies.
    const value = env[name] as string | number | boolean | undefined;
    if (value !== undefined) entries.push([name, String(value)]);
  }
  return entries;
}
