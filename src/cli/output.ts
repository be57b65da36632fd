import type { Writable } from 'node:stream';
import { neutraliseControlSequences } from '../log/sanitize.js';
import { RESET, paint, shouldColor } from '../log/sinks/color.js';
import { guardBrokenPipe, writeText } from '../log/sinks/write.js';

/** Which of a process's streams a line came from, or `status` for subvisor's own state lines. */
export type Stream = 'stdout' | 'stderr' | 'status';

/** A state change worth a line: starting, ready, exited, restarting, stopping. */
export interface StatusEvent {
  readonly name: string;
  readonly event: 'starting' | 'ready' | 'exited' | 'failed' | 'restarting' | 'stopping' | 'stopped' | 'killed';
  readonly text: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** Where everything the CLI says goes: the children's lines, state changes, and the end report. */
export interface Output {
  line(name: string, stream: 'stdout' | 'stderr', text: string): void;
  status(event: StatusEvent): void;
  /** Free text for people (the failure report, the summary table); in JSON mode, an object. */
  report(text: string, record: Readonly<Record<string, unknown>>): void;
}

export interface OutputOptions {
  readonly names: readonly string[];
  readonly json: boolean;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly env?: NodeJS.ProcessEnv;
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
  return opts.json ? jsonOutput(stdout) : humanOutput(opts.names, stdout, stderr, shouldColor(stdout, opts.env));
}

function humanOutput(names: readonly string[], stdout: Writable, stderr: Writable, color: boolean): Output {
  const width = Math.max(0, ...names.map((name) => name.length));
  const prefixes = new Map<string, { line: string; status: string }>();
  const prefixOf = (name: string): { line: string; status: string } => {
    let prefix = prefixes.get(name);
    if (prefix === undefined) {
      const padded = name.padEnd(width);
      const index = names.indexOf(name);
      const style = PALETTE[(index === -1 ? prefixes.size : index) % PALETTE.length] ?? '36';
      prefix = color
        ? { line: `${paint(style, `${padded} |`)} `, status: `${paint(style, `${padded} *`)} ` }
        : { line: `${padded} | `, status: `${padded} * ` };
      prefixes.set(name, prefix);
    }
    return prefix;
  };
  return {
    line(name, _stream, text) {
      // A child's own colours are kept (and closed) on a colour terminal, dropped elsewhere; any
      // other control sequence is shown as text so it cannot move the cursor or retitle the window.
      const safe = neutraliseControlSequences(text);
      const shown = color ? (safe.includes('\x1b') ? `${safe}${RESET}` : safe) : stripSgr(safe);
      writeText(stdout, `${prefixOf(name).line}${shown}\n`);
    },
    status(event) {
      const text = color ? paint(event.event === 'failed' || event.event === 'killed' ? '31' : '2', event.text) : event.text;
      writeText(stdout, `${prefixOf(event.name).status}${text}\n`);
    },
    report(text) {
      writeText(stderr, text.endsWith('\n') ? text : `${text}\n`);
    },
  };
}

function jsonOutput(stdout: Writable): Output {
  const write = (record: Record<string, unknown>): void => writeText(stdout, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  return {
    line(name, stream, text) {
      write({ name, stream, line: text });
    },
    status(event) {
      write({ name: event.name, stream: 'status', line: event.text, event: event.event, ...event.fields });
    },
    report(_text, record) {
      write(record);
    },
  };
}

// SGR only: everything else was already neutralised into visible text.
// eslint-disable-next-line no-control-regex -- matching ESC is the point
const SGR = /\x1b\[[0-9;:]*m/g;

function stripSgr(text: string): string {
  return text.includes('\x1b') ? text.replace(SGR, '') : text;
}
