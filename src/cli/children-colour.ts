import type { Writable } from 'node:stream';

/**
 * The `FORCE_COLOR` level the children are told, when subvisor colours its output on a terminal;
 * undefined when it does not. It is added to a child's environment by {@link withChildrenColour}.
 *
 * A child writes to a pipe, so every program that asks whether its output is a terminal (chalk,
 * Node's own `util.inspect`, jest, mocha, `ls --color=auto` does not read it) prints no colour,
 * and the colours subvisor keeps in a child's lines are never there to keep; concurrently and
 * turbo tell their children the same, and that the colour was lost is the complaint they answered.
 * The level is the terminal's (`FORCE_COLOR` 1, 2 or 3 for 16, 256 or 16 million colours).
 *
 * @param coloured - Whether subvisor colours its output (see `shouldColor`): not under `--json`,
 *   `NO_COLOR`, `TERM=dumb`, or when stdout is not a terminal.
 * @param stdout - Where that output goes; its colour depth is the level.
 */
export function childrenColour(coloured: boolean, stdout: Writable): string | undefined {
  if (!coloured) return undefined;
  const depth = 'getColorDepth' in stdout && typeof stdout.getColorDepth === 'function' ? (stdout.getColorDepth as () => number)() : 4;
  return depth >= 24 ? '3' : depth >= 8 ? '2' : '1';
}

/**
 * A child's environment `env` (every layer of it: env files, subvisor's own, the process's `env`)
 * with `FORCE_COLOR` at `level`, unless any layer says something of colour: a `FORCE_COLOR` or a
 * `NO_COLOR`, empty or not, is left as it is and nothing is added (`FORCE_COLOR` beside a
 * `NO_COLOR` would override it for Node and chalk). The one place that decides it.
 */
export function withChildrenColour(env: NodeJS.ProcessEnv, level: string | undefined): NodeJS.ProcessEnv {
  if (level === undefined || 'FORCE_COLOR' in env || 'NO_COLOR' in env) return env;
  return { ...env, FORCE_COLOR: level };
}
