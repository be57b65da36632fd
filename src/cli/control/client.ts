import type { Socket } from 'node:net';
import { ControlError } from './errors.js';
import { readLines } from './lines.js';
import { PROTOCOL_VERSION, encode, type LogLines, type ProcessRow, type Reply, type Request } from './protocol.js';
import { addressOf } from './socket-path.js';
import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';

/** A reply line can carry a process's output line (up to 1 MiB, escaped): this bounds what the client buffers. */
const MAX_REPLY_BYTES = 16 * 1024 * 1024;

/**
 * How long a query (`ps`, `logs` without -f) may go unanswered. A run answers one in milliseconds,
 * even under a flood; silence this long means it is suspended (Ctrl-Z, SIGSTOP) or stuck, and a
 * script polling `subvisor ps` must not hang on it. Actions wait as long as what they ask takes.
 */
export const QUERY_ANSWER_MS = 5000;

type RequestBody = Request extends infer R ? (R extends unknown ? Omit<R, 'v' | 'id'> : never) : never;

/** What a request came back with. */
export interface Answer {
  readonly processes?: readonly ProcessRow[];
  readonly colourOrder?: readonly string[];
}

/** What a request's caller hears besides its reply: a `logs` request's lines, and where lines were left out. */
export interface RequestOptions {
  /** The output lines of a `logs` request, a block at a time; a promise (a full output) stops reading the run until it settles. */
  readonly onLines?: (lines: LogLines) => Promise<void> | undefined;
  /** Lines a `logs -f` left out here, having fallen too far behind the run. */
  readonly onSkipped?: (lines: number) => void;
  /** Ends the wait, and closes the connection: `logs -f` ends that way, on Ctrl-C. */
  readonly signal?: AbortSignal;
}

/**
 * Sends one request to the run listening at `path` and resolves with its reply (undefined when
 * `signal` ended the wait). An error reply, no run listening, a run of another user, or a run that
 * ends before it answers (a `logs -f` is answered at the run's end) reject with a
 * {@link ControlError} saying so.
 */
export async function request(path: string, body: RequestBody, opts: RequestOptions = {}): Promise<Answer | undefined> {
  const socket = await connect(path);
  const id = 1;
  let over = false; // the request has settled: the close that follows is ours
  try {
    return await new Promise<Answer | undefined>((resolve, reject) => {
      if (opts.signal?.aborted === true) return resolve(undefined);
      opts.signal?.addEventListener('abort', () => resolve(undefined), { once: true });
      if (isQuery(body)) awaitFirstWord(socket, () => reject(new ControlError(`the run on ${path} has not answered in ${QUERY_ANSWER_MS / 1000} s: it is suspended (Ctrl-Z, SIGSTOP: resume it with \`kill -CONT\`) or stuck`, 'ERR_SUBVISOR_NO_ANSWER')));
      const heldBack = holdBack(socket);
      readLines(socket, MAX_REPLY_BYTES, (text) => {
        let reply: Reply;
        try {
          reply = JSON.parse(text) as Reply;
        } catch (error) {
          reject(new ControlError(`the run sent a reply that is not JSON: is ${path} a subvisor run?`, 'ERR_SUBVISOR_BAD_REPLY', { cause: error }));
          return;
        }
        if (!('kind' in reply)) {
          if (reply.ok) resolve(reply);
          else reject(new ControlError(reply.error.message, reply.error.code));
        } else if (reply.kind === 'lines') {
          if (reply.lines.length > 0) heldBack(opts.onLines?.(reply));
        } else if (reply.kind === 'skipped') opts.onSkipped?.(reply.lines);
      }, () => reject(new ControlError(`a reply of the run was longer than ${MAX_REPLY_BYTES} bytes`, 'ERR_SUBVISOR_REPLY_TOO_LARGE')));
      const lost = whenLost(socket, path, reject, () => over);
      socket.on('close', () => lost(new ControlError(endedEarly(body, path), 'ERR_SUBVISOR_RUN_ENDED')));
      socket.on('error', (error) => lost(new ControlError(`lost the connection to the run: ${error.message}`, 'ERR_SUBVISOR_CONNECTION_LOST', { cause: error })));
      socket.write(encode({ v: PROTOCOL_VERSION, id, ...body }));
    });
  } finally {
    over = true;
    socket.destroy();
  }
}

function isQuery(body: RequestBody): boolean {
  return body.command === 'ps' || (body.command === 'logs' && !body.follow);
}

/** Calls `onSilence` unless the run says something within {@link QUERY_ANSWER_MS}. */
function awaitFirstWord(socket: Socket, onSilence: () => void): void {
  const timer = setTimeout(onSilence, QUERY_ANSWER_MS);
  const heard = (): void => clearTimeout(timer);
  socket.once('data', heard);
  socket.once('close', heard);
}

/**
 * How the loss of the connection is told: as `lost` says (the run ended, it was killed), unless
 * the run said nothing on it at all and still listens. A live run closes a connection unread only
 * when it cannot take it: out of file descriptors, where libuv accepts each new connection and
 * closes it at once (its way of not spinning on EMFILE). Saying the run ended, or "write EPIPE",
 * would send the user looking for a run that is there.
 */
function whenLost(socket: Socket, path: string, reject: (error: ControlError) => void, over: () => boolean): (lost: ControlError) => void {
  let heard = false;
  socket.once('data', () => (heard = true));
  let told = false;
  return (lost) => {
    if (told || over()) return;
    told = true;
    if (heard) return reject(lost);
    void stillListening(path).then((listening) => reject(listening ? droppedUnread(path, lost) : lost));
  };
}

function droppedUnread(path: string, cause: ControlError): ControlError {
  return new ControlError(
    `the run on ${path} closed this connection without a word, though it still listens: it has most likely run out of file descriptors (its \`ulimit -n\`, or too many clients connected: each \`logs -f\` holds one); try again, or raise its limit`,
    'ERR_SUBVISOR_CONNECTION_DROPPED',
    { cause },
  );
}

/** How long {@link stillListening} waits to hear that a connection it made was reset. */
const RESET_WAIT_MS = 250;

/**
 * Whether a run accepts connections at `path`. Connecting is not enough: a run that was just
 * killed may have closed the connection that asked (its fds close one by one) and not yet its
 * listening socket, so a connection made then succeeds, and is reset once the listener closes.
 * A live run out of fds closes it cleanly (libuv accepts and closes at once), and one with fds
 * keeps it open; only a reset says the run is gone.
 */
async function stillListening(path: string): Promise<boolean> {
  let socket: Socket;
  try {
    socket = await connect(path);
  } catch {
    return false;
  }
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), RESET_WAIT_MS);
      socket.once('error', () => resolve(false));
      socket.once('close', (hadError) => resolve(!hadError));
      socket.once('close', () => clearTimeout(timer));
      socket.resume();
    });
  } finally {
    socket.destroy();
  }
}

/** What a connection closed before the reply means: for a follow, lines may be missing at its end. */
function endedEarly(body: RequestBody, path: string): string {
  if (body.command === 'logs' && body.follow) {
    return `the connection to the run (${path}) closed before its last lines and its answer came: the run was killed, or it ended while this reader was too far behind to take what it held`;
  }
  return `the run ended before it answered (${path})`;
}

/** Stops reading `socket` while any promise it is given is pending (an output that is full), so the run holds what is not yet read, not this process. */
function holdBack(socket: Socket): (wait: Promise<void> | undefined) => void {
  let pending = 0;
  return (wait) => {
    if (wait === undefined) return;
    if (pending++ === 0) socket.pause();
    const settle = (): void => {
      if (--pending === 0) socket.resume();
    };
    wait.then(settle, settle);
  };
}

/** Connects to the run's socket, turning the usual failures into what the user should do. */
async function connect(path: string): Promise<Socket> {
  const socket = node.net.createConnection(addressOf(path));
  try {
    await node.events.once(socket, 'connect');
    return socket;
  } catch (error) {
    socket.destroy();
    throw connectError(error, path);
  }
}

function connectError(error: unknown, path: string): ControlError {
  const code = errnoCode(error);
  switch (code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      // A run can listen elsewhere: the likeliest miss is a run started with --socket, asked without it.
      return new ControlError(`no run is listening on ${path}: start one with \`subvisor up\`, or reach a run started with --socket PATH by the same --socket PATH`, 'ERR_SUBVISOR_NO_RUN', { cause: error });
    case 'EACCES':
    case 'EPERM':
      // The socket's directory and the socket are owner-only (see serveControl).
      return new ControlError('permission denied: the run belongs to another user', 'ERR_SUBVISOR_PERMISSION_DENIED', { cause: error });
    default:
      return new ControlError(`cannot reach the run on ${path}: ${(error as Error).message}`, 'ERR_SUBVISOR_CONNECT', { cause: error });
  }
}
