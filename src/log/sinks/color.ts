import type { Writable } from 'node:stream';
import { LEVEL_NAMES, LEVELS, type LevelName } from '../levels.js';

/**
 * What the environment says of colour, following Node's own rules (`tty.getColorDepth`) so
 * subvisor agrees with the rest of the process: `true` when `FORCE_COLOR` is set and not `0` or
 * `false` (it beats `NO_COLOR`, as in Node and chalk, so a CI config can force colour whatever a
 * user's shell exports); `false` for `FORCE_COLOR=0`, a non-empty `NO_COLOR`
 * (https://no-color.org) or `TERM=dumb`; `undefined` when it says nothing.
 *
 * @param env - The environment to read. Default: `process.env`.
 * @internal
 */
export function colourFromEnvironment(env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return undefined;
}

/**
 * Whether to colour output written to `stream`: as {@link colourFromEnvironment} says, else
 * exactly when `stream` is a TTY.
 *
 * @param stream - Where the output goes.
 * @param env - The environment to read. Default: `process.env`.
 * @internal
 */
export function shouldColor(stream: Writable, env: NodeJS.ProcessEnv = process.env): boolean {
  return colourFromEnvironment(env) ?? ('isTTY' in stream && stream.isTTY === true);
}

// The SGR parameters of each level: quiet for the chatty levels, loud for trouble. `io` is cyan so
// relayed child output stands apart from subvisor's own `info` lines.
const LEVEL_STYLE: Readonly<Record<LevelName, string>> = {
  transport: '2',
  debug: '2',
  runtime: '34',
  devx: '35',
  info: '32',
  io: '36',
  cancel: '33',
  warning: '33;1',
  error: '31;1',
  critical: '97;41;1',
};

/** The SGR parameters for a level number: those of the highest named level at or below it. @internal */
export function levelStyle(level: number): string {
  let style = LEVEL_STYLE.transport;
  for (const name of LEVEL_NAMES) if (LEVELS[name] <= level) style = LEVEL_STYLE[name];
  return style;
}

/** `text` wrapped in SGR `params`, then reset. @internal */
export function paint(params: string, text: string): string {
  return `\x1b[${params}m${text}\x1b[0m`;
}

/** Resets every SGR attribute: appended after text whose own colour codes may be left open. */
export const RESET = '\x1b[0m';
