import { LEVELS, UnknownLevelError, describeLevels, levelLabel, resolveLevel, type LevelName } from './levels.js';
import type { LogFields, LogSink } from './record.js';
import { createConsoleSink } from './sinks/console.js';
import { invalidArgument } from '../caller-errors.js';

/** The environment variable that sets the initial threshold: a level name (any case) or number. */
export const LOG_LEVEL_ENV = 'SUBVISOR_LOG_LEVEL';

/** Options of {@link configureLogging}; a key left out keeps its current setting. */
export interface LoggingOptions {
  /**
   * The threshold: records below it are dropped before any sink sees them. A name or a number.
   * Initially `SUBVISOR_LOG_LEVEL` when set and valid, else `'info'`, so relayed child output
   * (`io`, 21) shows and `runtime` (15) does not.
   */
  level?: LevelName | number | undefined;
  /** Where records go. Initially a console sink on stderr ({@link createConsoleSink} defaults). */
  sink?: LogSink | undefined;
}

/** The logging configuration in force, as {@link configureLogging} returns it. */
export interface LoggingConfig {
  /** The threshold, as a number. */
  readonly level: number;
  /** The sink records go to. */
  readonly sink: LogSink;
}

// Module state, filled in lazily: importing subvisor must not read the environment or touch stderr.
let threshold: number | undefined;
let configuredSink: LogSink | undefined;
let consoleSink: LogSink | undefined;
const failedSinks = new WeakSet<LogSink>();

/** The initial sink: a console sink on stderr, created at the first record it has to write. */
const defaultSink: LogSink = (record) => {
  consoleSink ??= createConsoleSink();
  consoleSink(record);
};

/**
 * Sets the global logging threshold and sink, for every logger at once, and returns the
 * configuration it replaced, so a caller (a test, a CLI subcommand) can put it back.
 *
 * The initial threshold comes from the environment variable `SUBVISOR_LOG_LEVEL` (a level name
 * in any case, e.g. `debug`, or a number), read at the first use of logging, not at import; when
 * it is unset or empty the threshold is `info`. An invalid value is not fatal, since a typo in an
 * environment variable should not break the program: the threshold stays `info` and a process
 * warning (`SubvisorLogWarning`, code `SUBVISOR_LOG_LEVEL_INVALID`) lists the valid levels.
 *
 * A sink that throws does not break the code that was logging (a relay must keep draining a child
 * whatever its logger does): the record is dropped and the first failure of each sink is reported
 * once as a process warning (code `SUBVISOR_LOG_SINK_FAILED`).
 *
 * @param opts - See {@link LoggingOptions}. Default: `{}` (change nothing; returns the current configuration).
 * @returns The configuration before this call.
 * @throws {@link UnknownLevelError} for an unknown level, before anything is changed.
 * @example
 * ```ts
 * const records: LogRecord[] = []
 * const previous = configureLogging({ level: 'debug', sink: (record) => records.push(record) })
 * try { … } finally { configureLogging(previous) }
 * ```
 */
export function configureLogging(opts: LoggingOptions = {}): LoggingConfig {
  const previous = currentConfig();
  const level = opts.level === undefined ? previous.level : resolveLevel(opts.level);
  if (opts.sink !== undefined && typeof opts.sink !== 'function') {
    throw invalidArgument(`configureLogging({ sink }): sink must be a function (record) => void, got ${typeof opts.sink}; wrap an object's method, e.g. (record) => out.write(record)`);
  }
  threshold = level;
  configuredSink = opts.sink ?? previous.sink;
  return previous;
}

function currentConfig(): LoggingConfig {
  return { level: currentThreshold(), sink: configuredSink ?? defaultSink };
}

function currentThreshold(): number {
  if (threshold === undefined) {
    const initial = levelFromEnvironment(process.env);
    if (initial.invalid) {
      process.emitWarning(`${LOG_LEVEL_ENV} is not a log level, so the threshold is info; set it to one of ${describeLevels()}, or a non-negative integer`, {
        type: 'SubvisorLogWarning',
        code: 'SUBVISOR_LOG_LEVEL_INVALID',
      });
    }
    threshold = initial.level;
  }
  return threshold;
}

/**
 * The initial threshold from `env`: `SUBVISOR_LOG_LEVEL` resolved, or `info` when it is unset,
 * empty or invalid (`invalid` tells the last case apart, for the warning). Pure, for testing.
 *
 * @internal
 */
export function levelFromEnvironment(env: NodeJS.ProcessEnv): { level: number; invalid: boolean } {
  const value = env[LOG_LEVEL_ENV];
  if (value === undefined || value.trim() === '') return { level: LEVELS.info, invalid: false };
  try {
    return { level: resolveLevel(value), invalid: false };
  } catch (error) {
    if (!(error instanceof UnknownLevelError)) throw error;
    return { level: LEVELS.info, invalid: true };
  }
}

/** Whether a record at `level` would reach the sink now. @internal */
export function isLevelEnabled(level: number): boolean {
  return level >= currentThreshold();
}

/** Builds a record and hands it to the sink, if `level` reaches the threshold. @internal */
export function emitRecord(logger: string, level: number, message: string, fields: LogFields | undefined): void {
  if (level < currentThreshold()) return;
  const sink = configuredSink ?? defaultSink;
  const record = { time: Date.now(), level, levelName: levelLabel(level), logger, message, ...(fields === undefined ? {} : { fields }) };
  try {
    sink(record);
  } catch (error) {
    reportSinkFailure(sink, error);
  }
}

function reportSinkFailure(sink: LogSink, error: unknown): void {
  if (failedSinks.has(sink)) return;
  failedSinks.add(sink);
  process.emitWarning('a log sink threw, so the record it was given was dropped (later failures of the same sink are not reported); fix the sink, or pass another one to configureLogging', {
    type: 'SubvisorLogWarning',
    code: 'SUBVISOR_LOG_SINK_FAILED',
    detail: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
}
