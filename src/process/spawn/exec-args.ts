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

/**
 * `env`'s variables as child_process reads them: every enumerable one, inherited ones included
 * (its for...in, on purpose), so that `Object.create(process.env)` with a few set is the whole
 * environment, not those few.
 */
export function envVariables(env: object): [string, unknown][] {
  const variables: [string, unknown][] = [];
  for (const name in env) variables.push([name, (env as Record<string, unknown>)[name]]);
  return variables;
}

/** The child's environment as Node would pass it: the given one or ours, undefined values left out, others as strings. */
export function childEnv(options: ResolvedRunOptions): [string, string][] {
  const entries: [string, string][] = [];
  for (const [name, given] of envVariables(options.env ?? process.env)) {
    // Typed as strings, but JavaScript callers pass numbers and booleans too (see validateEnv), which Node stringifies.
    const value = given as string | number | boolean | bigint | undefined;
    if (value !== undefined) entries.push([name, String(value)]);
  }
  return entries;
}
