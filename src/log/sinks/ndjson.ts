import type { Writable } from 'node:stream';
import { node } from '../../builtins.js';
import type { LogRecord, LogSink } from '../record.js';
import { guardBrokenPipe, writeText } from './write.js';

/** Options of {@link createNdjsonSink}. */
export interface NdjsonSinkOptions {
  /** Where lines go. Default: `process.stderr` (stdout stays free for the program's own output). */
  stream?: Writable | undefined;
}

/**
 * Creates a sink that writes each record as one JSON object per line (NDJSON), for machines:
 *
 * ```json
 * {"time":"2024-01-02T12:00:01.234Z","level":21,"levelName":"io","logger":"subvisor","message":"[web:out] hi","pid":4242}
 * ```
 *
 * - `time` is an ISO 8601 string in UTC; `level`, `levelName`, `logger`, `message` are the
 *   record's; the fields follow, merged into the object.
 * - A field named like one of those five keys cannot overwrite it: it is written as
 *   `"fields.<key>"` instead, so a record's core is always trustworthy.
 * - Values JSON cannot hold are still written: a bigint as its decimal string, an `Error` as
 *   `{ name, message, stack, … }` (with its `cause`); if a field cannot be serialised at all
 *   (a cycle), that field is written as its `util.inspect` text rather than losing the record; the
 *   others are written as ever.
 * - The message is never altered; JSON escapes C0 controls, and this sink also escapes DEL and
 *   C1 controls (U+007F–U+009F, e.g. the 8-bit CSI) as `\u00XX`, which JSON allows, so a line
 *   shown on a terminal cannot drive it, and parses back to exactly the same text.
 * - A broken pipe never throws, as for the console sink.
 *
 * @param opts - See {@link NdjsonSinkOptions}. Default: `{}` (stderr).
 * @example
 * ```ts
 * configureLogging({ sink: createNdjsonSink({ stream: process.stdout }) })
 * ```
 */
export function createNdjsonSink(opts: NdjsonSinkOptions = {}): LogSink {
  const stream = opts.stream ?? process.stderr;
  guardBrokenPipe(stream);
  return (record) => {
    writeText(stream, `${formatNdjsonLine(record)}\n`);
  };
}

const CORE_KEYS = new Set(['time', 'level', 'levelName', 'logger', 'message']);

/** One record as the NDJSON sink writes it, without the trailing newline. @internal */
export function formatNdjsonLine(record: LogRecord): string {
  let json: string;
  try {
    json = JSON.stringify(toObject(record, (value) => value), jsonReplacer);
  } catch {
    // A cycle (or a throwing toJSON) in some field: keep the record, with that field as text.
    json = JSON.stringify(toObject(record, (value) => (serialisable(value) ? value : node.util.inspect(value, { breakLength: Infinity, depth: 4 }))), jsonReplacer);
  }
  return escapeJsonControls(json);
}

/**
 * `json` with DEL and the C1 controls (U+007F-U+009F) written as `\u` escapes: JSON.stringify
 * leaves them raw, and U+009B starts a terminal command as ESC [ does, so a record shown on a
 * terminal could drive it. Also used by the command line's `--json`. @internal
 */
export function escapeJsonControls(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function toObject(record: LogRecord, convert: (value: unknown) => unknown): Record<string, unknown> {
  // No prototype, so a field named `__proto__` is an ordinary key, not a prototype change.
  const object: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  object.time = new Date(record.time).toISOString();
  object.level = record.level;
  object.levelName = record.levelName;
  object.logger = record.logger;
  object.message = record.message;
  for (const [key, value] of Object.entries(record.fields ?? {})) {
    object[CORE_KEYS.has(key) ? `fields.${key}` : key] = convert(value);
  }
  return object;
}

function serialisable(value: unknown): boolean {
  try {
    JSON.stringify(value, jsonReplacer);
    return true;
  } catch {
    return false;
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    // An Error's name, message, stack and cause are not own enumerable properties: JSON would drop them.
    const object: Record<string, unknown> = { name: value.name, message: value.message, stack: value.stack };
    for (const [key, field] of Object.entries(value)) object[key] = field;
    if (value.cause !== undefined) object.cause = value.cause;
    return object;
  }
  return value;
}
