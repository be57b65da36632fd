import type { LevelLabel } from './levels.js';

/** Structured data attached to a log record, e.g. `{ pid: 4242, exitCode: 1 }`. */
export type LogFields = Record<string, unknown>;

/** One thing that was logged, as every sink receives it. */
export interface LogRecord {
  /** When it was logged, in milliseconds since the epoch (`Date.now()`). */
  readonly time: number;
  /** The level number, e.g. 21 for `io`. */
  readonly level: number;
  /** The level's name, or `level<N>` for a number between the named levels. */
  readonly levelName: LevelLabel;
  /** The name of the logger it was logged through, e.g. `'subvisor'`. */
  readonly logger: string;
  /** The message, exactly as given: sinks decide how to make it safe for their medium. */
  readonly message: string;
  /** The fields given with the message, if any; the same object the caller passed, not a copy. */
  readonly fields?: LogFields | undefined;
}

/**
 * Where records go: a function called synchronously with each record at or above the threshold.
 *
 * A plain function rather than an object with `write()`, so that tests can pass
 * `(record) => records.push(record)` and several sinks can be combined with one arrow. A sink must
 * not keep `record.fields` past the call if the caller may mutate it. A sink that throws does not
 * break the code that logged: see `configureLogging`.
 */
export type LogSink = (record: LogRecord) => void;
