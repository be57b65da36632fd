import type { Writable } from 'node:stream';

/**
 * The environment the children start from: subvisor's own, plus `FORCE_COLOR` when subvisor
 * colours its output on a terminal and the environment says nothing of colour itself.
 *
 * A child writes to a pipe, so every program that asks whether its output is a terminal (chalk,
 * Node's own `util.inspect`, jest, mocha, `ls --color=auto` does not read it) prints no colour,
 * and the colours subvisor keeps in a child's lines are never there to keep; concurrently and
 * turbo tell their children the same, and that the colour was lost is the complaint they answered.
 * The level is the terminal's (`FORCE_COLOR` 1, 2 or 3 for 16, 256 or 16 million colours). A
 * `FORCE_COLOR` or `NO_COLOR` already set, empty or not, reaches the children as it is; so does
 * a process's own `env`, which comes after this (SPEC §9's precedence).
 *
 * @param coloured - Whether subvisor colours its output (see `shouldColor`): not under `--json`,
 *   `NO_COLOR`, `TERM=dumb`, or when stdout is not a terminal.
 * @param stdout - Where that output goes; its colour depth is the level.
 * @param env - Subvisor's environment. Default: `process.env`.
 */
export function childrenEnvironment(coloured: boolean, stdout: Writable, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  // Copied once: each read of `process.env` goes through Node's C++ bindings (see Stack).
  const inherited = { ...env };
  if (!coloured || 'FORCE_COLOR' in inherited || 'NO_COLOR' in inherited) return inherited;
  const depth = 'getColorDepth' in stdout && typeof stdout.getColorDepth === 'function' ? (stdout.getColorDepth as () => number)() : 4;
  return { ...inherited, FORCE_COLOR: depth >= 24 ? '3' : depth >= 8 ? '2' : '1' };
}
