// The exact check of S8 and S9: a relaying tool's output, as written to a file, read back line by
// line. Each line must be either a child's line behind the tool's prefix for that child, or one of
// the tool's own status lines; the children's lines, prefixes stripped, must be exactly what each
// child wrote: every line present, once, in order, whole. A line merged with another (a newline
// lost) or split in two (a newline added) changes a line's text, and a line from one child inside
// another's breaks both, so comparing every line with the one expected at its place catches them
// all, and says where.
import { closeSync, openSync, readSync } from 'node:fs';

/** What one output line is, to a tool's format: a child's line, the tool's own status, or neither. */
export type ParsedLine = { readonly name: string; readonly text: string } | { readonly name: string; readonly status: string } | undefined;

/** How a tool labels what it relays. */
export interface OutputFormat {
  /** Parses one line of the output, without its newline. */
  parse(line: string): ParsedLine;
}

/**
 * subvisor's human output (`src/cli/output.ts`, no colour off a terminal): `NAME | line` for a
 * child's line and `NAME * text` for a state change (started, exited, stopping...), the name
 * padded to the longest. Both prefixes are built from the names, so the check never guesses.
 */
export function subvisorFormat(names: readonly string[]): OutputFormat {
  const width = Math.max(...names.map((name) => name.length));
  const byPadded = new Map(names.map((name) => [name.padEnd(width), name]));
  return {
    parse(line) {
      const name = byPadded.get(line.slice(0, width));
      const mark = line.slice(width, width + 3);
      if (name === undefined) return undefined;
      if (mark === ' | ') return { name, text: line.slice(width + 3) };
      if (mark === ' * ') return { name, status: line.slice(width + 3) };
      return undefined;
    },
  };
}

/**
 * concurrently's default output: `[LABEL] line`, where LABEL is the command's index or its
 * `--names` entry, and `[LABEL] COMMAND exited with code N` when a command ends. `children` maps
 * each label to the child's name in the check and the command as concurrently was given it.
 */
export function concurrentlyFormat(children: ReadonlyMap<string, { readonly name: string; readonly command: string }>): OutputFormat {
  return {
    parse(line) {
      const close = line.indexOf('] ');
      if (!line.startsWith('[') || close === -1) return undefined;
      const child = children.get(line.slice(1, close));
      if (child === undefined) return undefined;
      const text = line.slice(close + 2);
      return text.startsWith(`${child.command} exited with code `) ? { name: child.name, status: text } : { name: child.name, text };
    },
  };
}

/** `sed 's/^/PREFIX/'`: every line behind one fixed prefix, and nothing else. */
export function sedFormat(name: string, prefix: string): OutputFormat {
  return {
    parse: (line) => (line.startsWith(prefix) ? { name, text: line.slice(prefix.length) } : undefined),
  };
}

/** What one child wrote: how many lines, and the text of each (without its newline). */
export interface ChildOutput {
  readonly lines: number;
  lineAt(index: number): string;
}

export interface OutputTally {
  readonly childLines: number;
  readonly statusLines: number;
}

/** How much of a suspicious line a message quotes. */
const QUOTE_CHARS = 80;
const quote = (text: string): string => JSON.stringify(text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text);

/** Where `actual` first differs from `expected`, quoting both from a little before that point. */
function difference(actual: string, expected: string): string {
  let at = 0;
  while (at < actual.length && actual[at] === expected[at]) at++;
  const from = Math.max(0, at - 20);
  const excerpt = (text: string): string => `${from > 0 ? '…' : ''}${quote(text.slice(from)).slice(1, -1)}`;
  const where = at === actual.length ? `is cut after ${at} characters (expected ${expected.length})` : `differs at character ${at + 1} of ${actual.length} (expected ${expected.length})`;
  return `${where}: "${excerpt(actual)}", expected "${excerpt(expected)}"`;
}

/**
 * Reads the output file at `path` and throws, saying where, unless every child in `expected`
 * appears with exactly its lines, in order and whole, and every other line is a status line of a
 * known name. Returns how many lines of each kind it saw.
 */
export function verifyRelayedOutput(path: string, format: OutputFormat, expected: ReadonlyMap<string, ChildOutput>): OutputTally {
  const seen = new Map<string, number>();
  let statusLines = 0;
  let lineNumber = 0;
  let unrecognised: { count: number; first?: string } = { count: 0 };
  let misplaced: string | undefined;
  const onLine = (line: string): void => {
    lineNumber++;
    const parsed = format.parse(line);
    if (parsed === undefined || !expected.has(parsed.name)) {
      unrecognised = { count: unrecognised.count + 1, first: unrecognised.first ?? `output line ${lineNumber}: ${quote(line)}` };
      return;
    }
    if ('status' in parsed) {
      statusLines++;
      return;
    }
    const index = seen.get(parsed.name) ?? 0;
    seen.set(parsed.name, index + 1);
    if (misplaced !== undefined) return;
    const child = expected.get(parsed.name)!; // has() above
    if (index >= child.lines) misplaced = `${parsed.name}: a line more than the ${child.lines} it wrote, at output line ${lineNumber}: ${quote(parsed.text)}`;
    else if (parsed.text !== child.lineAt(index)) misplaced = `${parsed.name}: its line ${index + 1} (output line ${lineNumber}) ${difference(parsed.text, child.lineAt(index))}`;
  };
  const rest = readLines(path, onLine);

  const problems: string[] = [];
  if (rest !== '') problems.push(`the output ends in a line without its newline: ${quote(rest)}`);
  if (misplaced !== undefined) problems.push(misplaced);
  const short = [...expected].filter(([name, child]) => (seen.get(name) ?? 0) < child.lines);
  if (short.length > 0) {
    const [name, child] = short[0]!;
    problems.push(`${short.length} of ${expected.size} children short of lines, e.g. ${name}: ${seen.get(name) ?? 0} of ${child.lines}`);
  }
  if (unrecognised.count > 0) problems.push(`${unrecognised.count} line(s) neither a child's nor a status line, first at ${unrecognised.first ?? '?'}`);
  if (problems.length > 0) throw new Error(`output check failed: ${problems.join('; ')}`);
  let childLines = 0;
  for (const count of seen.values()) childLines += count;
  return { childLines, statusLines };
}

/** Calls `onLine` for every complete line of the file; returns what follows the last newline. */
function readLines(path: string, onLine: (line: string) => void): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
    let carry = '';
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      // latin1: one character per byte, so a byte the tool mangled shows as itself in a message.
      const text = carry + buffer.toString('latin1', 0, read);
      let start = 0;
      for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
        onLine(text.slice(start, newline));
        start = newline + 1;
      }
      carry = text.slice(start);
    }
    return carry;
  } finally {
    closeSync(fd);
  }
}
