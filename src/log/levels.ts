/**
 * The log levels and their numbers, Python-style: a record is shown when its number is at least
 * the threshold.
 *
 * The numbers leave gaps on purpose, as Python's do, so that a level can be slotted between two
 * others. `io` (relayed child output) is 21, just above `info`, so the default `info` threshold
 * shows what children say while `runtime` (15) and `devx` (17) chatter stays hidden.
 */
export const LEVELS = Object.freeze({
  transport: 5,
  debug: 10,
  runtime: 15,
  devx: 17,
  info: 20,
  io: 21,
  cancel: 22,
  warning: 30,
  error: 40,
  critical: 50,
} as const);

/** The name of one of the {@link LEVELS}. */
export type LevelName = keyof typeof LEVELS;

/** The name shown for a level: its {@link LevelName}, or `level<N>` for a number between them. */
export type LevelLabel = LevelName | `level${number}`;

/** The level names from lowest to highest. */
export const LEVEL_NAMES: readonly LevelName[] = Object.freeze(
  (Object.keys(LEVELS) as LevelName[]).sort((a, b) => LEVELS[a] - LEVELS[b]),
);

const NAME_OF_NUMBER = new Map<number, LevelName>(LEVEL_NAMES.map((name) => [LEVELS[name], name]));

/**
 * Turns a level given as a name or a number into its number.
 *
 * Names match case-insensitively (so `SUBVISOR_LOG_LEVEL=DEBUG` works, as Python users expect);
 * a string of digits and any non-negative integer are taken as the number itself, so a level
 * between the named ones (e.g. 25) can be used without naming it.
 *
 * @param level - A {@link LevelName} (any case), a string of digits, or a non-negative integer.
 * @returns The level number.
 * @throws {@link UnknownLevelError} (a `RangeError`) listing the valid names, for anything else.
 * @example
 * ```ts
 * resolveLevel('io')     // 21
 * resolveLevel('INFO')   // 20
 * resolveLevel(25)       // 25
 * resolveLevel('loud')   // throws UnknownLevelError: unknown log level "loud": use one of ...
 * ```
 */
export function resolveLevel(level: string | number): number {
  if (typeof level === 'number') {
    if (Number.isInteger(level) && level >= 0) return level;
  } else if (typeof level === 'string') {
    const key = level.trim().toLowerCase();
    if (Object.hasOwn(LEVELS, key)) return LEVELS[key as LevelName];
    if (/^\d{1,9}$/.test(key)) return Number(key);
  }
  throw new UnknownLevelError(level);
}

/**
 * The label of a level number: its name when it has one, else `level<N>` (e.g. `level25`), so a
 * record at an unnamed level still says what it is.
 *
 * @param level - A level number.
 * @example
 * ```ts
 * levelLabel(21)  // 'io'
 * levelLabel(25)  // 'level25'
 * ```
 */
export function levelLabel(level: number): LevelLabel {
  return NAME_OF_NUMBER.get(level) ?? `level${level}`;
}

/** `transport (5), debug (10), …`: how errors and warnings list the valid levels. @internal */
export function describeLevels(): string {
  return LEVEL_NAMES.map((name) => `${name} (${LEVELS[name]})`).join(', ');
}

/**
 * Thrown when a log level is neither a known level name nor a non-negative integer.
 *
 * A `RangeError`, as the value is of the right kind but outside the accepted set; the message
 * lists the valid names so the fix is one copy-paste away.
 */
export class UnknownLevelError extends RangeError {
  override readonly name = 'UnknownLevelError';
  /** Stable, for `switch (error.code)`. */
  readonly code = 'ERR_SUBVISOR_UNKNOWN_LEVEL';
  /** The value that was given. */
  readonly level: unknown;

  constructor(level: unknown) {
    const shown = typeof level === 'string' ? JSON.stringify(level) : String(level);
    super(`unknown log level ${shown}: use one of ${describeLevels()}, or a non-negative integer`);
    this.level = level;
  }
}
