import type { Writable } from 'node:stream';
import { hasControlCharacters, neutraliseControlSequences, shownAsText, stripSgr } from '../log/sanitize.js';
import { escapeJsonControls } from '../log/sinks/ndjson.js';
import { RESET, paint, shouldColor } from '../log/sinks/color.js';
import { guardBrokenPipe, writeText } from '../log/sinks/write.js';
import { LineBacklogs } from './backlog.js';
import { BatchedWriter } from './batched-writer.js';
import { StdoutFile } from './stdout-file.js';
import { queueTerminalWrites } from './terminal-writes.js';
import { StderrAfterStdout, sameDestination } from './stderr-after-stdout.js';
import { blockLines, blockText, type LineBlock } from '../process/output/ascii-block.js';
import { copyPrefixed, copyPrefixedAscii, prefixedAsciiLength, prefixedLength } from './prefix-lines.js';

/** Which of a process's streams a line came from, or `status` for subvisor's own state lines. */
export type Stream = 'stdout' | 'stderr' | 'status';

/**
 * A state change worth a line: waiting, starting, ready (and still not ready, after a long wait),
 * exited, failed, restarting, not started, stopping, killed (SIGKILL after the grace), stopped,
 * and a task's failure tolerated.
 */
export interface StatusEvent {
  readonly name: string;
  readonly event: 'waiting' | 'starting' | 'ready' | 'still-not-ready' | 'exited' | 'failed' | 'restarting' | 'not-started' | 'stopping' | 'stopped' | 'killed' | 'tolerated' | 'restart-waits';
  readonly text: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * Where everything the CLI says goes: the children's lines, state changes, and the end report.
 * Lines and state changes go to stdout in batches (see {@link BatchedWriter}), in the order given.
 */
export interface Output {
  /** Whether the output is coloured (a terminal, and nothing in the environment against it). */
  readonly coloured: boolean;
  /** Returns a promise while stdout is full: the child that wrote the line waits for it. */
  line(name: string, stream: 'stdout' | 'stderr', text: string): Promise<void> | undefined;
  /**
   * {@link Output.line} for several complete lines at once, joined by `\n` (none after the last),
   * or as the ASCII bytes they were read as. A property, not a method, so that an implementation
   * taking strings only does not compile (methods' parameters are checked both ways).
   */
  readonly lines: (name: string, stream: 'stdout' | 'stderr', block: LineBlock) => Promise<void> | undefined;
  status(event: StatusEvent): void;
  /** Free text for people (the failure report, the summary table); in JSON mode, an object. */
  report(text: string, record: Readonly<Record<string, unknown>>): void;
  /** Writes out everything collected and waits until stdout has taken it. */
  close(): Promise<void>;
  /** Hands everything collected to stdout now, without waiting. */
  flush(): void;
  /** Hands everything collected to stdout now; returns how many bytes of it stdout has not taken yet. */
  unwrittenBytes(): number;
  /** An opaque mark that changes whenever stdout's reader takes output (see BatchedWriter.takenMark). */
  takenMark(): string;
  /**
   * The process is about to end at once (a second Ctrl-C): says on stderr how much of the output
   * stdout had not taken yet, and hands stdout nothing more, since that much is lost. Where they
   * end in one place, the words wait for stdout's write under way, so as not to land inside its
   * last line; where they part, it goes on while the words wait, and they say the bytes dropped
   * are "at most" that many. Settles once they are given to stderr, which a paused terminal may keep from ever
   * happening: the caller bounds its wait (see ./last-words.ts). Only the first call counts; a later
   * one returns the first one's promise.
   */
  abandon(why: string): Promise<void>;
}

/**
 * A second destination for the children's lines (the log files): it gets each line as the output
 * does, and `flush` is called before each batch goes to stdout, so a line that reached stdout has
 * been handed to it too (a crash after that loses neither).
 */
export interface OutputTee {
  line(name: string, stream: 'stdout' | 'stderr', text: string): void;
  /** Several complete lines at once (see {@link Output.lines}, a property for the same reason). */
  readonly lines: (name: string, stream: 'stdout' | 'stderr', block: LineBlock) => void;
  flush(): void;
}

export interface OutputOptions {
  readonly names: readonly string[];
  /**
   * The order colours are handed out in; names not in it come after it, in `names`' order.
   * Default: `names`.
   */
  readonly colourOrder?: readonly string[] | undefined;
  /** Also gets every line of a child (not the state lines); see {@link OutputTee}. */
  readonly tee?: OutputTee | undefined;
  readonly json: boolean;
  /** Starts each line of a child and each state line with the local time (`--timestamps`). JSON records always have `time`. */
  readonly timestamps?: boolean;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Whether the report on stderr waits for what stdout still holds (see {@link StderrAfterStdout}).
   * Default: when they are the process's own and end in one file, pipe or terminal.
   */
  readonly reportAfterStdout?: boolean;
}

/**
 * Eight colours that read on dark and light terminals, handed out in the order processes are
 * declared: a process keeps its colour from run to run, and the first eight never share one.
 */
const PALETTE = ['36', '33', '32', '35', '34', '96', '93', '92'];

export function createOutput(opts: OutputOptions): Output {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  guardBrokenPipe(stdout);
  guardBrokenPipe(stderr);
  if (opts.stdout === undefined) queueTerminalWrites(stdout, 1);
  // The run's words on stderr (its summary, a second signal's, a log file's warning) wait in the
  // stream too: written straight to a paused terminal, they held the run, and its exit, until Ctrl-Q.
  if (opts.stderr === undefined) queueTerminalWrites(stderr, 2);
  const color = !opts.json && shouldColor(stdout, opts.env);
  // Without colour, nothing of ours contains a control character: a batch is checked for the
  // children's in one scan, and only a batch that has one is cleaned line by line.
  const { tee } = opts;
  // The process's own stdout (a file, pipe or terminal) is done with a chunk at its callback, and so is `up`'s file.
  const stdoutFile = opts.stdout instanceof StdoutFile ? opts.stdout : undefined;
  const releasesAtCallback = opts.stdout === undefined || stdoutFile !== undefined;
  const beforeWrite = stdoutFile === undefined && tee === undefined ? undefined : (): void => (stdoutFile?.finishTornLine(), tee?.flush());
  const out = new BatchedWriter(stdout, opts.json || color ? undefined : cleanPlainBatch, beforeWrite, releasesAtCallback);
  const backlogs = new LineBacklogs(() => out.full);
  const unwrittenBytes = (): number => {
    out.flush();
    return out.heldBytes + backlogs.waitingChars;
  };
  const stdoutWritten = async (): Promise<void> => {
    await backlogs.settled();
    await out.close();
  };
  const reportAfterStdout = opts.reportAfterStdout ?? (opts.stdout === undefined && opts.stderr === undefined && sameDestination(1, 2));
  const reports = new StderrAfterStdout(stderr, () => (reportAfterStdout ? unwrittenBytes() > 0 : (out.flush(), false)), stdoutWritten);
  const sink = opts.json ? jsonOutput(out) : humanOutput(opts.names, opts.colourOrder ?? opts.names, out, reports, color, opts.timestamps === true ? clockTime : noTime);
  // Plain lines read as ASCII bytes are copied behind their prefix as they are, a few times their
  // size at most; everything else is formatted as text, and waits as text (see LineBacklogs).
  const copiedAsRead = (block: LineBlock): boolean => !opts.json && !color && typeof block !== 'string';
  const line: Output['line'] = (name, stream, text) => backlogs.lines(name, text, (slice) => sink.line(name, stream, slice));
  const lines: Output['lines'] = (name, stream, block) =>
    copiedAsRead(block) && !backlogs.waiting(name) ? sink.lines(name, stream, block) : backlogs.lines(name, blockText(block), (slice) => sink.lines(name, stream, slice));
  let abandoned: Promise<void> | undefined;
  const abandonOutput = async (why: string): Promise<void> => {
    out.flush();
    const writeUnderWay = out.stop();
    // Waited for, the write under way is written whole: what is dropped is what waits behind it,
    // counted after it (with what came in meanwhile, now held by the corked stream).
    if (reportAfterStdout) await writeUnderWay;
    out.flush();
    const dropped = out.unsentBytes + backlogs.waitingBytes();
    // Where they part, the words wait for stderr alone, and stdout's reader may meanwhile take
    // what is left of the write under way: the count is then the most that can be lost.
    const atMost = out.underWayBytes > 0 ? 'at most ' : '';
    reports.writeHeld();
    if (dropped > 0) writeText(stderr, `subvisor: ${why}: ${atMost}${dropped} bytes of output not yet written are dropped\n`);
  };
  return {
    coloured: color,
    report: sink.report,
    status: (event) => backlogs.status(event.name, () => sink.status(event)),
    line: tee ? (name, stream, text) => (tee.line(name, stream, text), line(name, stream, text)) : line,
    lines: tee ? (name, stream, block) => (tee.lines(name, stream, block), lines(name, stream, block)) : lines,
    close: async () => {
      await stdoutWritten();
      reports.writeHeld();
    },
    flush: () => out.flush(),
    unwrittenBytes,
    takenMark: () => out.takenMark,
    // Once: an end at once may be asked for again on the way out (a signal's, then an internal
    // error's stop cut short), and would say the same bytes dropped twice.
    abandon: (why) => (abandoned ??= abandonOutput(why)),
  };
}

type LineSink = Pick<Output, 'line' | 'lines' | 'status' | 'report'>;

function humanOutput(names: readonly string[], colourOrder: readonly string[], out: BatchedWriter, reports: StderrAfterStdout, color: boolean, time: () => string): LineSink {
  const prefixOf = prefixTable(names, colourOrder, color);
  return {
    line(name, _stream, text) {
      // Without colour, the batch is cleaned as a whole (cleanPlainBatch).
      if (!color) return out.write(`${time()}${prefixOf(name).line}${text}\n`);
      // A child's own colours are kept (and closed) on a colour terminal; any other control
      // sequence is shown as text so it cannot move the cursor or retitle the window.
      const safe = neutraliseControlSequences(text);
      return out.write(`${time()}${prefixOf(name).line}${safe.includes('\x1b') ? `${safe}${RESET}` : safe}\n`);
    },
    lines(name, stream, block) {
      if (color) return eachLine(blockText(block), (text) => this.line(name, stream, text));
      return writePlainBlock(out, `${time()}${prefixOf(name).line}`, block);
    },
    status(event) {
      // A state line may repeat what a child or a file name said (a probe's output, a changed
      // path): shown as text, as their own lines are. Plain, its batch is cleaned (cleanPlainBatch).
      // A newline in it too (a file may be named `a<LF>b`), in the form the others take: it would
      // end the state line early and print the rest as a line of no process.
      const oneLine = event.text.includes('\n') ? event.text.replaceAll('\n', '\\x0a') : event.text;
      const text = color ? paint(event.event === 'failed' || event.event === 'killed' || event.event === 'not-started' ? '31' : '2', shownAsText(oneLine)) : oneLine;
      const line = `${time()}${prefixOf(event.name).status}${text}\n`;
      // Plain, it joins the children's lines in the same batch instead of ending theirs.
      void (!color && isPlainAscii(line) ? out.writeAscii([line]) : out.write(line));
    },
    report(text) {
      // It repeats what children wrote (a stderr tail, a probe's output): shown as text, as their lines are.
      const safe = shownAsText(text);
      reports.write(safe.endsWith('\n') ? safe : `${safe}\n`);
    },
  };
}

/** What starts a process's lines (`line`) and its state lines (`status`): its name, padded, in its colour. */
interface Prefixes {
  readonly line: string;
  readonly status: string;
}

/**
 * The prefixes of each process, made at its first line and kept: names padded to the longest of
 * `names`, coloured (when `color`) in the order of `colourOrder`, then of `names`; a name in
 * neither takes the next colour in the order names were first seen.
 */
function prefixTable(names: readonly string[], colourOrder: readonly string[], color: boolean): (name: string) => Prefixes {
  const order = [...colourOrder, ...names.filter((name) => !colourOrder.includes(name))];
  const width = Math.max(0, ...names.map((name) => name.length));
  const prefixes = new Map<string, Prefixes>();
  return (name) => {
    let prefix = prefixes.get(name);
    if (prefix === undefined) {
      const padded = name.padEnd(width);
      const index = order.indexOf(name);
      const style = PALETTE[(index === -1 ? prefixes.size : index) % PALETTE.length] ?? '36';
      prefix = color
        ? { line: `${paint(style, `${padded} |`)} `, status: `${paint(style, `${padded} *`)} ` }
        : { line: `${padded} | `, status: `${padded} * ` };
      prefixes.set(name, prefix);
    }
    return prefix;
  };
}

/**
 * A block of plain (no colour) lines, each behind `prefix`. The block is checked here, while it is
 * one flat string (or by its scan, while it is the bytes as read), rather than with its batch; a
 * plain one is copied as bytes, line by line behind its prefix, with no string built.
 */
function writePlainBlock(out: BatchedWriter, prefix: string, block: LineBlock): Promise<void> | undefined {
  const plainPrefix = isPlainAscii(prefix);
  if (typeof block !== 'string') {
    const { newlines, printable } = block.scan();
    if (printable && plainPrefix && isPlainAscii(block.start)) {
      return out.writeAsciiWith(prefixedAsciiLength(prefix, block, newlines.length), (target, at) => copyPrefixedAscii(target, at, prefix, block, newlines));
    }
  }
  const text = blockText(block);
  if (plainPrefix && isPlainAscii(text)) {
    const lines = blockLines(text);
    return out.writeAsciiWith(prefixedLength(prefix, text, lines), (target, at) => copyPrefixed(target, at, prefix, text, lines));
  }
  // One replaceAll per block instead of one write per line: a flood comes in blocks of a whole
  // read (up to 64 KiB).
  return out.write(`${prefix}${text.replaceAll('\n', literally(`\n${prefix}`))}\n`);
}

/**
 * `text` as a replacement string that means itself: a name in it (`run --label`, a program's file
 * name) may hold a `$`, and `$&` would put the newline it replaces back inside a line or a record.
 * Once per block, where a replacer function would be a call per line.
 */
function literally(text: string): string {
  return text.replaceAll('$', '$$$$');
}

/** Gives each line of `block` to `write`; returns the last write's promise (they drain in order). */
function eachLine(block: string, write: (line: string) => Promise<void> | undefined): Promise<void> | undefined {
  let pending: Promise<void> | undefined;
  for (const line of block.split('\n')) pending = write(line) ?? pending;
  return pending;
}

function noTime(): string {
  return '';
}

/**
 * `format` of the time, made once per millisecond rather than once per line: a child that floods
 * its output writes thousands of lines in one.
 */
function oncePerMillisecond(format: (date: Date) => string): () => string {
  let formattedMs = -1;
  let formatted = '';
  return () => {
    const now = Date.now();
    if (now !== formattedMs) {
      formattedMs = now;
      formatted = format(new Date(now));
    }
    return formatted;
  };
}

/** The time as `toISOString()` gives it: `--json`'s `time`. */
const isoTime = oncePerMillisecond((date) => date.toISOString());

/** `HH:MM:SS.mmm ` in local time, as a person at the terminal reads a clock (`--timestamps`). */
const clockTime = oncePerMillisecond((date) => {
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')} `;
});

function jsonOutput(out: BatchedWriter): LineSink {
  const write = (record: Record<string, unknown>): Promise<void> | undefined => out.write(`${escapeJsonControls(JSON.stringify({ time: isoTime(), ...record }))}\n`);
  return {
    line(name, stream, text) {
      return write({ name, stream, line: text });
    },
    lines(name, stream, block) {
      // The record of `line` above, its fields in the same order, built once per block up to the
      // line: a record per line through JSON.stringify of an object (and a Date) took 7 in 10 of a
      // flood's time. The lines of one read share its time.
      const head = `{"time":"${isoTime()}","name":${JSON.stringify(name)},"stream":"${stream}","line":`;
      const text = blockText(block);
      // Printable ASCII without a quote or a backslash is its own JSON string between quotes.
      if (JSON_VERBATIM.test(text)) return out.write(`${head}"${text.replaceAll('\n', literally(`"}\n${head}"`))}"}\n`);
      return out.write(`${head}${escapeJsonControls(text.split('\n').map((line) => JSON.stringify(line)).join(`}\n${head}`))}}\n`);
    },
    status(event) {
      void write({ name: event.name, stream: 'status', line: event.text, event: event.event, ...event.fields });
    },
    report(_text, record) {
      // Every record has a name (SPEC §5); the run's own (its summary, a second signal) is subvisor's.
      void write({ name: RUN_NAME, ...record });
    },
  };
}

/** Lines (LF between them) that JSON.stringify would only put between quotes. */
const JSON_VERBATIM = /^[\n\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** The `name` of the records about the run as a whole rather than one process, in `--json`. */
const RUN_NAME = 'subvisor';


/**
 * A batch of plain (no colour) lines, each `prefix text\n`, as it may be shown. The usual batch is
 * printable ASCII only, found in one scan, and then written as its Latin-1 bytes (the same bytes
 * as UTF-8 for ASCII, copied instead of encoded: the encoding was a tenth of a flood's time). A
 * batch with a control character has each line's control sequences made visible text and its
 * colours dropped.
 */
function cleanPlainBatch(joined: string): string | Buffer {
  if (isPlainAscii(joined)) return Buffer.from(joined, 'latin1');
  if (!hasControlCharacters(joined)) return joined;
  // A piece of the batch never holds a newline but its last: children's lines are split on them,
  // and neutralising keeps a newline as it is, so the batch can be cut back into its lines here.
  return joined
    .slice(0, -1)
    .split('\n')
    .map((line) => `${stripSgr(neutraliseControlSequences(line))}\n`)
    .join('');
}

// Nothing but TAB, LF and printable ASCII, from start to end. Anchored, the regex engine runs one
// loop over the text; unanchored (`[^…]` searched for), it starts a match at every character,
// which took half again as long.
const PLAIN_ASCII = /^[\t\n\x20-\x7e]*$/;

/** Printable ASCII, TAB and LF only: nothing to neutralise, and its Latin-1 bytes are its UTF-8. */
function isPlainAscii(text: string): boolean {
  return PLAIN_ASCII.test(text);
}
