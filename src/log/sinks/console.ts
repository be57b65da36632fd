import type { Writable } from 'node:stream';
import { node } from '../../builtins.js';
import type { LogFields, LogRecord, LogSink } from '../record.js';
import { neutraliseControlSequences, stripSgr } from '../sanitize.js';
import { colourFromEnvironment, levelStyle, paint, RESET, shouldColor } from './color.js';
import { guardBrokenPipe, writeText } from './write.js';

/** Options of {@link createConsoleSink}. */
export interface ConsoleSinkOptions {
  /** Where lines go. Default: `process.stderr` (stdout stays free for the program's own output). */
  stream?: Writable | undefined;
  /**
   * Whether to colour the time and level. Default: auto: `FORCE_COLOR` / `NO_COLOR` / `TERM=dumb`
   * from the environment, else whether `stream` is a TTY. `false` (or `NO_COLOR`, `TERM=dumb`) also
   * takes out the colours (SGR) that relayed lines carry, which are otherwise kept (SPEC §3.9).
   */
  color?: boolean | undefined;
  /**
   * Write messages and fields untouched, terminal control sequences included. Default: `false`:
   * they go through {@link neutraliseControlSequences}, because relayed child output must not be
   * able to drive the user's terminal. Opt in only when the output is trusted.
   */
  raw?: boolean | undefined;
}

/**
 * Creates a sink that writes one human-readable line per record:
 *
 * ```text
 * 12:00:01.234 io        [subvisor] [web:out] listening on 8080
 * 12:00:01.240 info      [subvisor] ready pid=4242 after="12 ms"
 * ```
 *
 * Local wall-clock time to the millisecond, the level padded to one column, the logger's name,
 * the message, then the fields as `key=value` (strings quoted when they have spaces or quotes,
 * other values shown with `util.inspect`). With colour on, the time is dim and the level coloured.
 * Unless `raw`, control sequences are neutralised in everything but the sink's own colour and the
 * plain colours (SGR) of the message, which are kept, to a file or a pipe too, and followed by a
 * reset so they cannot bleed into the next line. Colour turned off (`color: false`, `NO_COLOR`,
 * `TERM=dumb`) takes those colours out as well. A broken pipe never throws (see the stream guard): a closed stderr must not crash
 * the parent that is stopping its children.
 *
 * @param opts - See {@link ConsoleSinkOptions}. Default: `{}` (stderr, auto colour, neutralised).
 * @example
 * ```ts
 * configureLogging({ sink: createConsoleSink({ color: false }) })
 * ```
 */
export function createConsoleSink(opts: ConsoleSinkOptions = {}): LogSink {
  const stream = opts.stream ?? process.stderr;
  const format: ConsoleFormat = {
    color: opts.color ?? shouldColor(stream),
    keepSgr: opts.color ?? colourFromEnvironment() ?? true,
    raw: opts.raw ?? false,
  };
  guardBrokenPipe(stream);
  return (record) => {
    writeText(stream, `${formatConsoleLine(record, format)}\n`);
  };
}

/** How {@link formatConsoleLine} renders: both resolved, no defaults left. */
export interface ConsoleFormat {
  /** The sink's own colour: the time and the level. */
  readonly color: boolean;
  /** Whether the colours (SGR) a message carries are kept, where other control sequences are neutralised. */
  readonly keepSgr: boolean;
  readonly raw: boolean;
}

/** Wide enough for the longest level name (`transport`), so messages line up. */
const LEVEL_COLUMN = 9;

/** One record as the console sink shows it, without the trailing newline. @internal */
export function formatConsoleLine(record: LogRecord, format: ConsoleFormat): string {
  const time = clockTime(record.time);
  const level = record.levelName.padEnd(LEVEL_COLUMN);
  let body = `[${record.logger}] ${record.message}${formatFields(record.fields)}`;
  if (!format.raw) {
    body = neutraliseControlSequences(body);
    // Colour turned off means none at all, the child's included; kept, it is reset at the line's end.
    if (!format.keepSgr) body = stripSgr(body);
    else if (body.includes('\x1b')) body += RESET;
  }
  if (!format.color) return `${time} ${level} ${body}`;
  return `${paint('2', time)} ${paint(levelStyle(record.level), level)} ${body}`;
}

function clockTime(epochMs: number): string {
  const at = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

function formatFields(fields: LogFields | undefined): string {
  if (fields === undefined) return '';
  let text = '';
  for (const [key, value] of Object.entries(fields)) text += ` ${formatKey(key)}=${formatValue(value)}`;
  return text;
}

const BARE = /^[^\s"'=\\]+$/;
const IDENTIFIER = /^[\w.-]+$/;

function formatKey(key: string): string {
  return IDENTIFIER.test(key) ? key : JSON.stringify(key);
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return BARE.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'bigint') return `${value.toString()}n`;
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  return node.util.inspect(value, { breakLength: Infinity, depth: 4, colors: false });
}
