import { emitRecord, isLevelEnabled } from './config.js';
import { LEVEL_NAMES, LEVELS, resolveLevel, type LevelName } from './levels.js';
import type { LogFields } from './record.js';
import { invalidArgument } from '../caller-errors.js';

/** Logs `message`, with optional structured `fields`, at one level. */
export type LogMethod = (message: string, fields?: LogFields) => void;

/**
 * A named logger with one method per level (`logger.io('…')`, `logger.warning('…', { pid })`).
 *
 * Its methods are plain functions that need no `this`, so `logger.io` can be passed around as a
 * callback. Threshold and sink are global ({@link configureLogging}); the name only labels records.
 */
export interface Logger extends Readonly<Record<LevelName, LogMethod>> {
  /** The name given to {@link getLogger}; it labels every record. */
  readonly name: string;
  /** Whether a record at `level` would reach the sink now; lets costly messages be skipped. */
  isEnabledFor(level: LevelName | number): boolean;
  /**
   * Logs at a level given as a name or a number, e.g. an unnamed level 25.
   *
   * @param fields - Structured data, the record's `fields`. Default: none.
   */
  log(level: LevelName | number, message: string, fields?: LogFields): void;
}

const loggers = new Map<string, Logger>();

/**
 * Returns the logger called `name`, the same object every time for the same name.
 *
 * @param name - Labels the records of this logger. Default: `'subvisor'`, the package's logger.
 * @example
 * ```ts
 * const log = getLogger()
 * log.io('[web:out] listening on 8080')   // shown: io (21) is above the default threshold info (20)
 * log.runtime('polling', { pid: 4242 })     // hidden by default: runtime is 15
 * if (log.isEnabledFor('debug')) log.debug('state', { state: expensiveDump() })
 * ```
 */
export function getLogger(name = 'subvisor'): Logger {
  if (typeof name !== 'string') throw invalidArgument(`getLogger(name): name must be a string, got ${typeof name}`);
  let logger = loggers.get(name);
  if (logger === undefined) {
    logger = createLogger(name);
    loggers.set(name, logger);
  }
  return logger;
}

function createLogger(name: string): Logger {
  const methods = Object.fromEntries(
    LEVEL_NAMES.map((level): [LevelName, LogMethod] => [
      level,
      (message, fields) => {
        emitRecord(name, LEVELS[level], message, fields);
      },
    ]),
  ) as Record<LevelName, LogMethod>;
  return Object.freeze({
    ...methods,
    name,
    isEnabledFor: (level: LevelName | number) => isLevelEnabled(resolveLevel(level)),
    log: (level: LevelName | number, message: string, fields?: LogFields) => {
      emitRecord(name, resolveLevel(level), message, fields);
    },
  });
}
