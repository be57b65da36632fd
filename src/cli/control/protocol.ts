/**
 * The control socket's protocol (SPEC §10): one JSON object per line each way. A request names
 * the protocol version, an id the replies carry back, and a command; `logs` gets zero or more
 * `lines` messages before its reply (with `follow`, its reply comes at the run's end; a `skipped`
 * message stands where lines were left out because the client fell behind).
 *
 * ```
 * → {"v":1,"id":1,"command":"restart","names":["web"]}
 * ← {"v":1,"id":1,"ok":true}
 * ```
 */
import { cutText } from '../../log/cut-text.js';

export const PROTOCOL_VERSION = 2;

/**
 * The versions a run answers. Version 1 (before `logs` replies came in blocks) is still served, its
 * `logs` lines one `line` message each, so a client of an older install keeps working with a newer
 * run; a newer client meets an older run's refusal, which names the version that run speaks.
 */
export const SUPPORTED_VERSIONS: readonly Version[] = [1, 2];

export type Version = 1 | 2;

/**
 * A request line longer than this is refused and its connection closed, without reading the rest
 * (a request is a command and a few names: a megabyte of it is a mistake or an attack).
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export const COMMANDS = ['ps', 'stop', 'start', 'restart', 'logs'] as const;
export type Command = (typeof COMMANDS)[number];

/** The commands that only read the run: their reply is all they do. */
export const QUERIES: readonly Command[] = ['ps', 'logs'];

export type Request =
  /** `names`: only these processes (a replicated one's name stands for its copies); every one when absent. */
  | { readonly v: Version; readonly id: number; readonly command: 'ps'; readonly names?: readonly string[] }
  | { readonly v: Version; readonly id: number; readonly command: 'stop' | 'start' | 'restart'; readonly names: readonly string[] }
  | { readonly v: Version; readonly id: number; readonly command: 'logs'; readonly names: readonly string[]; readonly lines: number; readonly follow: boolean };

/** One process in a `ps` reply: what `ps --json` prints. `null` where there is nothing (no pid yet, not up). */
export interface ProcessRow {
  readonly name: string;
  readonly state: string;
  readonly pid: number | null;
  readonly uptimeMs: number | null;
  readonly restarts: number;
}

/** One output line of a process. */
export interface LogLine {
  readonly name: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

/**
 * Output lines of one process's stream, in order, as a `logs` reply carries them: a flood's read
 * is one message, not thousands, so a follower takes it at a fraction of the cost and bytes.
 */
export interface LogLines {
  readonly name: string;
  readonly stream: 'stdout' | 'stderr';
  readonly lines: readonly string[];
}

export type Reply =
  /** `ps`'s also carries `colourOrder`: the order the run hands out colours in, for `logs` to show each process as `up` does. */
  | { readonly v: Version; readonly id: number | null; readonly ok: true; readonly processes?: readonly ProcessRow[]; readonly colourOrder?: readonly string[] }
  | { readonly v: Version; readonly id: number | null; readonly ok: false; readonly error: { readonly code: string; readonly message: string } }
  | ({ readonly v: Version; readonly id: number; readonly kind: 'lines' } & LogLines)
  /** Version 1's `logs` lines, one message each. */
  | ({ readonly v: Version; readonly id: number; readonly kind: 'line' } & LogLine)
  /** A follower fell too far behind: this many lines came here and were not sent to it. */
  | { readonly v: Version; readonly id: number; readonly kind: 'skipped'; readonly lines: number };

/** A request the run cannot act on: it gets an error reply with this `code`, and the run goes on. */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
  constructor(
    message: string,
    readonly code: string = 'ERR_SUBVISOR_BAD_REQUEST',
    /** The request's id, when it could be read, so the reply can carry it. */
    readonly id: number | null = null,
    /** The request's version, when it is one the run speaks, so the reply is in it. */
    readonly v: Version | null = null,
  ) {
    super(message);
  }
}

/**
 * Reads one request line, or throws a {@link BadRequest} saying what is wrong with it. Only the
 * shapes above pass: the server never acts on a half-valid request.
 */
export function parseRequest(text: string): Request {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequest('malformed request: not a JSON object on one line');
  }
  if (!isRecord(value)) throw new BadRequest('malformed request: not a JSON object on one line');
  const id = Number.isSafeInteger(value.id) ? (value.id as number) : null;
  const spoken = (SUPPORTED_VERSIONS as readonly unknown[]).includes(value.v) ? (value.v as Version) : null;
  const bad = (message: string, code?: string): BadRequest => new BadRequest(message, code, id, spoken);
  if (spoken === null) {
    const spokenHere = `this run speaks version ${SUPPORTED_VERSIONS.join(' or ')}`;
    // A request without `v` is a script's omission, not another install's: say which key to add.
    if (value.v === undefined) throw bad(`malformed request: \`v\`, the protocol version, is missing; send "v":${PROTOCOL_VERSION} (${spokenHere})`, 'ERR_SUBVISOR_PROTOCOL_VERSION');
    throw bad(`unsupported protocol version ${shownValue(value.v)}: ${spokenHere} (is subvisor the same install for the run and this command?)`, 'ERR_SUBVISOR_PROTOCOL_VERSION');
  }
  const v = spoken;
  if (id === null) throw bad('malformed request: `id` must be an integer');
  const { command } = value;
  const known = `the run knows ${COMMANDS.join(', ')}`;
  // A missing or non-string `command` is a malformed request (the script's bug), told apart from
  // a well-formed name this run does not know (maybe a newer install's): a script tests the code.
  if (command === undefined) throw bad(`malformed request: \`command\` is missing: ${known}`);
  if (typeof command !== 'string') throw bad(`malformed request: \`command\` must be a string, not ${shownValue(command)}: ${known}`);
  if (!(COMMANDS as readonly string[]).includes(command)) throw bad(`unknown command ${shownValue(command)}: ${known}`, 'ERR_SUBVISOR_UNKNOWN_COMMAND');
  const names = value.names ?? [];
  if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) throw bad('malformed request: `names` must be an array of strings');
  if (command === 'ps') return names.length === 0 ? { v, id, command } : { v, id, command, names };
  if (command === 'logs') {
    const lines = value.lines ?? 100;
    if (typeof lines !== 'number' || !Number.isSafeInteger(lines) || lines < 0) throw bad('malformed request: `lines` must be a whole number, 0 or more');
    // Refused, not read as false: a script's `"follow": 1` or `"yes"` would get the tail and an
    // at-once reply, and take the run's silence after it for the end of the output.
    const follow = value.follow ?? false;
    if (typeof follow !== 'boolean') throw bad('malformed request: `follow` must be true or false');
    return { v, id, command, names: names, lines, follow };
  }
  if (names.length === 0) throw bad(`${command} needs at least one process name`);
  return { v, id, command: command as 'stop' | 'start' | 'restart', names: names };
}

/** The most characters of one thing in a request (a name, a command) that a reply repeats: a request may carry up to 1 MiB of it. */
const SHOWN_CHARS = 80;

/** `text` as a reply repeats it: cut after {@link SHOWN_CHARS} characters (`xxx…`), never inside an emoji. */
export function shownInReply(text: string): string {
  return cutText(text, SHOWN_CHARS);
}

/** A request's JSON value as a reply repeats it (`undefined` when it has none). */
function shownValue(value: unknown): string {
  // `undefined` has no JSON text: both callers say "missing" for it before asking.
  return value === undefined ? 'undefined' : shownInReply(JSON.stringify(value));
}

/** One message as it goes on the wire. */
export function encode(message: Request | Reply): string {
  return `${JSON.stringify(message)}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
