import { LEVEL_NAMES, type LevelName } from './levels.js';
import { invalidArgument } from '../caller-errors.js';

/**
 * Anything that can log at a level by having a method named after it, like Python's
 * `getattr(log, level)(line)`: a {@link Logger}, a pino logger with a custom `io` level, `console`
 * (for `info`, `error`, …), or a test's `{ io: (line) => lines.push(line) }`.
 *
 * `Level` lists the level names the type expects; give your own (e.g. `LevelMethodLogger<'relay'>`)
 * when logging at a custom level, since an object with none of the listed methods is rejected by
 * TypeScript's weak-type check.
 */
export type LevelMethodLogger<Level extends string = LevelName> = {
  readonly [L in Level]?: (message: string) => void;
};

/**
 * Level-like method names looked for when listing what a logger offers: ours, the usual ones of
 * pino, winston and `console`, plus a pino logger's own `levels.values` (which holds its custom
 * levels). Listing every function of a pino logger would bury the answer under `child`, `flush`…
 */
const COMMON_LEVEL_METHODS = ['trace', 'warn', 'fatal', 'log'];

/**
 * Returns a function that logs one line through `logger[level]`, with `this` bound to `logger`
 * (pino needs it), or throws if the logger has no such method.
 *
 * Callers resolve the method only when something is to be logged at that level (superviseRunProcess
 * does it before spawning, and only when relaying), so a bad level fails early and only where it
 * matters.
 * Methods every object inherits (`toString`, `constructor`, …) do not count: a `relayLevel` of
 * `'toString'` would otherwise swallow every line without a word.
 *
 * @param logger - Any object with level methods; see {@link LevelMethodLogger}.
 * @param level - The method name, e.g. `'io'`.
 * @returns `(line) => logger[level](line)`, looked up once, now; it returns what the method returns
 *   (a promise, for an async logger, so the caller can see it fail).
 * @throws {@link MissingLevelMethodError} (a `TypeError`) naming `level` and the level methods the
 *   logger does have.
 * @example
 * ```ts
 * const log = pino({ customLevels: { io: 21 }, level: 'io' })
 * const relay = resolveLevelMethod(log, 'io')
 * relay('[web:out] listening')             // a pino record with level 21
 * resolveLevelMethod(console, 'io')         // throws: the logger has no "io" method (its level methods: debug, info, …)
 * ```
 */
export function resolveLevelMethod(logger: object, level: string): (line: string) => unknown {
  // Checked at run time too: the options this comes from may be plain JavaScript or parsed config.
  const given: unknown = logger;
  const name: unknown = level;
  const problem = loggerProblem(given);
  if (problem !== undefined) throw invalidArgument(`a logger ${problem}`);
  if (typeof name !== 'string') throw invalidArgument(`a log level must be a method name (a string, e.g. 'io'), got ${typeof name}`);
  const method = ownLevelMethod(logger, level);
  if (method === undefined) throw new MissingLevelMethodError(level, availableLevelMethods(logger));
  // call(), not Reflect.apply(): this runs once per relayed line, and apply's argument array is
  // an allocation per line (measured 1.14x -> 1.07x of raw on the 256 MiB relay benchmark).
  return (line: string): unknown => method.call(logger, line);
}

/** What is wrong with `given` as a logger (`must be an object … got null`), or undefined when it is one. */
export function loggerProblem(given: unknown): string | undefined {
  if ((typeof given === 'object' || typeof given === 'function') && given !== null) return undefined;
  return `must be an object with a method per level (a pino logger, console, { io(line) {} }), got ${given === null ? 'null' : typeof given}`;
}

/** Whether `logger` has a method for `level` that {@link resolveLevelMethod} would accept. */
export function hasLevelMethod(logger: object, level: string): boolean {
  return ownLevelMethod(logger, level) !== undefined;
}

function ownLevelMethod(logger: object, level: string): ((...args: unknown[]) => unknown) | undefined {
  const method: unknown = Reflect.get(logger, level);
  if (typeof method !== 'function') return undefined;
  if (method === Reflect.get(Object.prototype, level) || method === Reflect.get(Function.prototype, level)) return undefined;
  return method as (...args: unknown[]) => unknown;
}

function availableLevelMethods(logger: object): string[] {
  const names = new Set<string>([...LEVEL_NAMES, ...COMMON_LEVEL_METHODS, ...pinoLevelNames(logger)]);
  return [...names].filter((name) => ownLevelMethod(logger, name) !== undefined);
}

function pinoLevelNames(logger: object): string[] {
  const levels: unknown = Reflect.get(logger, 'levels');
  const values: unknown = typeof levels === 'object' && levels !== null ? Reflect.get(levels, 'values') : undefined;
  return typeof values === 'object' && values !== null ? Object.keys(values) : [];
}

/**
 * Thrown when a logger has no method for the level something should be logged at (e.g. a
 * `relayLevel` of `'io'` with a logger that only has `info`).
 *
 * A `TypeError`, as in Python's `getattr(log, level)` failing: the logger is the wrong shape for
 * that level. The message names the level and the level methods the logger does have.
 */
export class MissingLevelMethodError extends TypeError {
  override readonly name = 'MissingLevelMethodError';
  /** Stable, for `switch (error.code)`. */
  readonly code = 'ERR_SUBVISOR_MISSING_LEVEL_METHOD';
  /** The level whose method is missing. */
  readonly level: string;
  /** The level-like methods the logger does have, e.g. `['debug', 'info', 'io']`. */
  readonly availableLevels: readonly string[];

  constructor(level: string, availableLevels: readonly string[]) {
    // With none to choose from, "log at one of those levels" would send the reader nowhere: an
    // object with no level method at all is most likely not a logger (a stream, a sink function).
    const found =
      availableLevels.length === 0
        ? '(it has no level method at all, such as info or error: is it a logger?); '
        : `(its level methods: ${availableLevels.join(', ')}); log at one of those levels instead, or `;
    super(`the logger has no ${JSON.stringify(level)} method ${found}pass a logger with a method named ${JSON.stringify(level)}` + pinoHint(level));
    this.level = level;
    this.availableLevels = availableLevels;
  }
}

/** pino's number for `info`, its default level. */
const PINO_INFO = 30;

/** pino's own level names: a pino logger always has these, so a hint to add one would be wrong. */
const PINO_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/**
 * How to give a pino logger `level`: `io`, the default relay level, just above pino's `info`, as
 * it is just above ours (at our own number, 21, it would sit below pino's default level, and every
 * line would be dropped); any other at a number pino does not use yet (one already taken is
 * refused); nothing for a level pino has anyway.
 */
function pinoHint(level: string): string {
  if (PINO_LEVELS.has(level)) return '';
  return level === 'io' ? ` (for pino: customLevels: { "io": ${PINO_INFO + 1} }, just above its info)` : ` (for pino: customLevels: { ${JSON.stringify(level)}: N }, N a level number it does not use yet)`;
}
