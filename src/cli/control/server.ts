import type { Server, Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import { claimPath } from './claim-lock.js';
import { ControlError } from './errors.js';
import { readLines } from './lines.js';
import { BadRequest, MAX_REQUEST_BYTES, PROTOCOL_VERSION, QUERIES, encode, parseRequest, type Reply, type Request, type Version } from './protocol.js';
import { addressOf } from './socket-path.js';
import { node } from '../../builtins.js';
import { makeDirectories, whatIsInTheWay } from '../directories.js';
import { madeByTrusted, refusalOfOpenDirectory } from '../others-may-write.js';
import { formatDuration } from '../stack/state.js';
import { errnoCode } from '../../errno.js';

/**
 * Acts on one request: sends its reply on `channel` (a `logs` request sends lines first), and
 * resolves once it is done with it. May throw: the error becomes the error reply. `ended` aborts
 * when the client goes away or the run's end closes the socket (a `logs -f` follows until then):
 * on the run's end, what the handler sends at once still reaches the client.
 */
export type RequestHandler = (request: Request, channel: ReplyChannel, ended: AbortSignal) => Promise<void>;

/** Where a request's replies go: one connection, written without waiting. */
export interface ReplyChannel {
  /** Writes one message to the client; nothing once it has gone. */
  send(reply: Reply): void;
  /** Bytes written and not yet taken by the client: how far behind it is (a `logs -f` piped into a stalled pager). */
  readonly unsentBytes: number;
  /** Resolves once the client has taken everything written (or has gone). */
  drained(): Promise<void>;
  /** The client has gone: nothing sent reaches it. */
  readonly gone: boolean;
}

/**
 * At the run's end, a client still has what it was sent to take (a `logs -f` behind by up to
 * 16 MiB of lines): it is cut off once it takes nothing for this long. Not much shorter: `logs -f`
 * takes nothing while it writes out the last message it read (up to 1 MiB of lines, more once
 * prefixed), so a reader of its output slower than a few hundred KB/s pauses it for seconds...
 */
const CLOSE_STALL_MS = 5000;
/** ...or once this long has passed, so a slow reader holds the run's end up only so far. */
const CLOSE_MAX_MS = 10_000;
/** The most of a reply written at once: how finely a reader's progress is seen at the run's end. */
const WRITE_PIECE_BYTES = 64 * 1024;
/**
 * How long a connection may go without a request once it is made: then it is told so and closed.
 * A client that connects and never writes (a script stuck before its request, `nc -U` forgotten
 * in a terminal) otherwise held the connection, and one of the run's file descriptors, for the
 * run's whole life, and a run of days collects them until a restart's spawn fails with EMFILE.
 * Only the first request is waited for this way: a client that has spoken may keep its connection
 * between requests as long as it likes. A minute, as PostgreSQL gives a client to authenticate:
 * subvisor's own clients write at once, and a person typing a request into `nc -U` has time.
 */
export const FIRST_REQUEST_TIMEOUT_MS = 60_000;
/**
 * The most connections the run keeps at once; one more is told so and closed. Each holds one of
 * the run's file descriptors for as long as its client likes (a `logs -f`, a script that keeps its
 * connection between requests), and the run's children need them too: a script that leaks its
 * connections otherwise took every one, and the next spawn (a crash's restart) failed with EMFILE,
 * until the restart budget was spent and the whole run ended. 256 is far past what people and
 * scripts keep open (a few followers, a poller or two), and far below the limit Node raises
 * `ulimit -n` to at its start (the hard limit: 4096 and up on common systems).
 */
export const MAX_CONNECTIONS = 256;

export interface ControlServer {
  /** Where it listens, as given. */
  readonly path: string;
  /** Stops listening, ends every connection and removes the socket file. */
  close(): Promise<void>;
}

export interface ServeOptions {
  /** The socket's path (absolute or relative to the current directory). */
  readonly path: string;
  /**
   * Whether the directory holding the socket is subvisor's own (the default `.subvisor/`): it is
   * then made owner-only even if it existed already. A directory given with `--socket` is only
   * created (owner-only) when missing; an existing one (say `/tmp`) is left as it is.
   */
  readonly ownDirectory: boolean;
  /** The config file the run reads: its owner is trusted with the socket's directory (see ../others-may-write.ts). Default: none. */
  readonly configFile?: string | undefined;
  readonly handle: RequestHandler;
  /** How long a connection may wait to send its first request. Default {@link FIRST_REQUEST_TIMEOUT_MS}. */
  readonly firstRequestTimeoutMs?: number;
}

/**
 * Listens on the run's control socket (SPEC §10), owner-only: the directory 0700 and the socket
 * 0600. Node cannot read a peer's credentials, so these modes are the whole access check: a client
 * of another user is refused by the kernel at connect (EACCES).
 *
 * Refuses (a {@link ControlError}) when another live run already listens there, or holds the
 * path's claim (./claim-lock.ts); a socket file left by a run that was killed (connecting to it is
 * refused) is replaced, by the one run that holds the claim. Call it before anything starts, so a
 * second `up` starts nothing.
 */
export async function serveControl(opts: ServeOptions): Promise<ControlServer> {
  const absolute = resolve(opts.path);
  const address = addressOf(absolute);
  refuseOpenDirectory(dirname(absolute), opts);
  prepareDirectory(dirname(absolute), opts.ownDirectory);
  refuseReplacedDirectory(dirname(absolute), opts);
  const claimed = await claimPath(absolute, opts.ownDirectory);
  if (claimed === 'taken') throw alreadyUp(absolute);
  try {
    await claim(address, absolute);
  } catch (error) {
    claimed?.close();
    throw error;
  }
  // Each connection's `ended`, aborted by the run's end too (see RequestHandler).
  const connections = new Map<Socket, AbortController>();
  // Those lingering with their refusal (see endWithRefusal), past MAX_CONNECTIONS or served and refused: the run's end closes them.
  const refused = new Set<Socket>();
  // Half-open: a client that ends what it sends (`nc -N`) still gets the replies still to come.
  const server = node.net.createServer({ allowHalfOpen: true }, (socket) => {
    const firstRequestTimeoutMs = opts.firstRequestTimeoutMs ?? FIRST_REQUEST_TIMEOUT_MS;
    if (connections.size >= MAX_CONNECTIONS) return refuseConnection(socket, firstRequestTimeoutMs, refused);
    const ended = new AbortController();
    connections.set(socket, ended);
    socket.on('close', () => {
      connections.delete(socket);
      ended.abort();
    });
    serveConnection(socket, opts.handle, ended.signal, firstRequestTimeoutMs, refused);
  });
  listenOwnerOnly(server, address);
  try {
    await node.events.once(server, 'listening'); // rejects with the server's 'error'
  } catch (error) {
    claimed?.close();
    throw listenError(error, absolute);
  }
  // 0600 from its bind already (see listenOwnerOnly): said again, should a Node bind after `listen` returns.
  // By name, yet no one else's link can be there: no untrusted user may put or replace a name in
  // this directory (refuseOpenDirectory; in a sticky one, the socket is this user's to move).
  node.fs.chmodSync(absolute, 0o600);
  return {
    path: opts.path,
    close: async () => {
      await closeServer(server, connections, refused);
      claimed?.close(); // last: until the file is gone, no other run may claim it
    },
  };
}

/**
 * Listens with the socket file made 0600 by bind itself. A chmod after it leaves a moment where the
 * file has the umask's mode (0777 under a umask of 0, and a `--socket` directory such as /tmp keeps
 * no one out), and the kernel checks a socket's mode only at connect: a connection another user
 * made then would be served for the run's life. Node binds a pipe within `listen`, synchronously,
 * so the umask is ours only for that call.
 */
function listenOwnerOnly(server: Server, address: string): void {
  const umask = process.umask(0o177);
  try {
    server.listen(address);
  } finally {
    process.umask(umask);
  }
}

/**
 * Refuses a socket directory in which another user may put names, as a log directory is refused:
 * what the run does there by name as root too (chmod of `.subvisor/`, its claim file, a stale
 * socket's removal) would reach wherever a link they put there leads. A `--socket` directory
 * holds only names the run makes new, so a sticky one shared by all (/tmp) is fine, as for an
 * export's `-o`; `.subvisor/` holds the claim file, read and written by name.
 */
function refuseOpenDirectory(dir: string, opts: ServeOptions): void {
  const refusal = refusalOfOpenDirectory("the control socket's directory", dir, { configFile: opts.configFile, writesNewFiles: !opts.ownDirectory });
  if (refusal === undefined) return;
  throw new ControlError(`${refusal}; give this run a socket where only you (or root) may write, with --socket PATH, or make that directory so (chown, chmod go-w)`, 'ERR_SUBVISOR_SOCKET_DIRECTORY');
}

/**
 * Refuses the directory just made (or found) unless its name is there and this user's, root's or
 * the config's owner's: another user may have put a link of theirs in its place between the look
 * and the mkdir (a sticky /tmp/project; mkdir then takes where it leads as made meanwhile), or
 * taken it away to put one later. Once it is a trusted one's, in a sticky directory no one else may
 * move it, and where it leads was looked at.
 */
function refuseReplacedDirectory(dir: string, opts: ServeOptions): void {
  if (madeByTrusted(dir, { configFile: opts.configFile })) return;
  throw new ControlError(
    `the control socket's directory ${dir} is not this user's as it was made: another user put a name there, or took it away, meanwhile; give this run a socket where only you (or root) may write, with --socket PATH`,
    'ERR_SUBVISOR_SOCKET_DIRECTORY',
  );
}

function prepareDirectory(dir: string, own: boolean): void {
  try {
    const created = makeDirectories(dir, 0o700);
    // Not through a link (a config in /tmp, where anyone may put `.subvisor` first, also just before
    // the mkdir, which then takes where it leads as made meanwhile): chmod would make where it leads
    // owner-only; a linked directory keeps its mode, as a `--socket` one does.
    if ((created !== undefined || own) && node.fs.lstatSync(dir).isDirectory()) node.fs.chmodSync(dir, 0o700);
  } catch (error) {
    const owner = ownerOf(dir);
    const message =
      owner !== undefined && owner !== process.getuid?.()
        ? `the control socket's directory ${dir} belongs to another user (uid ${owner}), and so does any run up there: give this run its own socket with --socket PATH`
        : `cannot create the control socket's directory ${dir}: ${creationFailure(error)}`;
    throw new ControlError(message, 'ERR_SUBVISOR_SOCKET_DIRECTORY', { cause: error });
  }
}

/** Why the directory could not be made, in words (see {@link makeDirectories}, which says EROFS as mkdir does), and what to do. */
function creationFailure(error: unknown): string {
  const code = errnoCode(error);
  const inTheWay = code === 'EEXIST' || code === 'ENOTDIR' ? whatIsInTheWay(error) : undefined;
  // mkdir's own word for a file in the way, EEXIST, says the opposite of what is wrong.
  if (inTheWay !== undefined) return `${inTheWay.what} (${code}); ${inTheWay.fix}, or give the run a socket elsewhere with --socket PATH`;
  const message = error instanceof Error ? error.message : String(error);
  const reason = code === 'EROFS' ? `it is on a read-only file system (${message})` : message;
  return `${reason}. Give the run a socket where it may write, with --socket PATH, or fix the directory`;
}

function ownerOf(dir: string): number | undefined {
  try {
    return node.fs.statSync(dir).uid;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure nothing else listens at `absolute`: a live run there is refused, a stale socket (its
 * run was killed: connecting is refused) removed. A file there that is not a socket is not ours
 * to remove.
 */
async function claim(address: string, absolute: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = node.fs.lstatSync(absolute).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new ControlError(`${absolute} exists and is not a socket: remove it, or pass another path with --socket PATH`, 'ERR_SUBVISOR_SOCKET_IN_USE');
  const probe = node.net.createConnection(address);
  try {
    await node.events.once(probe, 'connect');
  } catch (error) {
    if (errnoCode(error) !== 'ECONNREFUSED') throw new ControlError(`cannot check the control socket ${absolute}: ${(error as Error).message}`, 'ERR_SUBVISOR_SOCKET_IN_USE', { cause: error });
    removeStale(absolute);
    return;
  } finally {
    probe.destroy();
  }
  throw alreadyUp(absolute);
}

/**
 * Removes a socket file whose run is gone. One another user left in a directory shared with
 * others (a `--socket` in /tmp, sticky) is not: said in words, not an EPERM and a stack trace.
 */
function removeStale(absolute: string): void {
  const owner = node.fs.lstatSync(absolute, { throwIfNoEntry: false })?.uid;
  if (owner === undefined) return; // removed meanwhile: as good
  // Root may remove anyone's file in a sticky directory; another user's socket is left to them,
  // as the kernel leaves it to them for every other user.
  if (owner !== process.geteuid?.()) throw staleInTheWay(absolute, owner, "it is not this user's to remove");
  try {
    node.fs.unlinkSync(absolute);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw staleInTheWay(absolute, ownerOf(absolute), (error as Error).message, error);
  }
}

function staleInTheWay(absolute: string, owner: number | undefined, why: string, cause?: unknown): ControlError {
  const whose = owner !== undefined && owner !== process.geteuid?.() ? `it belongs to another user (uid ${owner}); ` : '';
  return new ControlError(
    `a control socket left by a run that is gone is in the way at ${absolute}, and this run cannot remove it (${why}): ${whose}remove it as its owner, or give this run another socket with --socket PATH`,
    'ERR_SUBVISOR_SOCKET_IN_USE',
    { cause },
  );
}

function alreadyUp(absolute: string): ControlError {
  return new ControlError(
    `another run is already up on this control socket: it listens on ${absolute} (every config in one directory has the same one by default). Use \`subvisor ps\` to see it, stop it (Ctrl-C in its terminal) first, or give this run its own socket with --socket PATH`,
    'ERR_SUBVISOR_RUN_ALREADY_UP',
  );
}

function listenError(error: unknown, absolute: string): ControlError {
  const code = errnoCode(error);
  if (code === 'EADDRINUSE') return new ControlError(`cannot listen on the control socket ${absolute}: another run took it meanwhile`, 'ERR_SUBVISOR_SOCKET_IN_USE', { cause: error });
  return new ControlError(`cannot listen on the control socket ${absolute}: ${(error as Error).message}. Give the run a socket where it may write, with --socket PATH`, 'ERR_SUBVISOR_SOCKET_LISTEN', { cause: error });
}

/**
 * Reads a connection's requests, one per line, each answered on its own: a bad one never ends the
 * connection (an oversized one does, and so does waiting past `firstRequestTimeoutMs` for the first).
 */
function serveConnection(socket: Socket, handle: RequestHandler, ended: AbortSignal, firstRequestTimeoutMs: number, lingering: Set<Socket>): void {
  // The client went away (EPIPE, ECONNRESET): nothing to tell it, and nothing for the run to do.
  socket.on('error', () => socket.destroy());
  const channel = replyChannel(socket, () => queue.pump());
  let refused = false;
  const refuse = (error: BadRequest): void => {
    refused = true;
    clearTimeout(silent);
    endWithRefusal(socket, error, lingering);
  };
  const tooLong = (): void => refuse(new BadRequest(`request refused: longer than ${MAX_REQUEST_BYTES} bytes`, 'ERR_SUBVISOR_REQUEST_TOO_LARGE'));
  const silent = setTimeout(() => {
    refuse(new BadRequest(`no request came within ${formatDuration(firstRequestTimeoutMs)} of connecting: the run closed this connection. Send a request once connected (one JSON object per line)`, 'ERR_SUBVISOR_REQUEST_TIMEOUT'));
  }, firstRequestTimeoutMs);
  socket.once('close', () => clearTimeout(silent));
  // Once the client has sent all it will, or the run ends, and every request is answered, our side ends too.
  let answering = 0;
  let clientDone = false;
  const endWhenAnswered = (): void => {
    if (!(clientDone || ended.aborted) || answering > 0 || !queue.empty || socket.writableEnded || socket.destroyed) return;
    socket.end();
    if (ended.aborted) closeOnceHandedOver(socket);
  };
  const queue = new RequestQueue(socket, ended, () => refused, (line) => {
    answering++;
    void answer(line, handle, channel, ended).finally(() => {
      answering--;
      endWhenAnswered();
    });
  });
  // At the run's end, a request still to be answered gets its reply as the client takes the
  // replies before it, as during the run (until the stall cut-off): answered at once, the `logs`
  // of a client that read nothing were each a copy of the whole ring in memory (20 of a full one,
  // 1.3 GB more, with the run's end held up by the reading of them all).
  ended.addEventListener('abort', endWhenAnswered, { once: true });
  const request = (line: string): void => {
    if (refused) return; // came after the run gave up waiting for it: the connection is closing
    if (ended.aborted) return; // came after the run's end: there is no run left to ask
    clearTimeout(silent);
    queue.add(line);
  };
  readLines(socket, MAX_REQUEST_BYTES, request, tooLong, () => {
    clientDone = true;
    endWhenAnswered();
    closeWhenClientGone(socket);
  });
}

/**
 * Once a client has ended what it sends, finds out whether it has gone altogether (a `logs -f`
 * ended by Ctrl-C) or only ended its requests (`nc -N`), which look the same: an empty write fails
 * (EPIPE, and the connection's 'error' handler closes it) only when it has gone. Otherwise only
 * the next reply told, and the follow of a quiet process has none to send: each such follow held
 * its connection, one of the {@link MAX_CONNECTIONS}, for the run's life. Asked again every
 * {@link GONE_PROBE_MS} while our side is open, for a half-closed client that goes later.
 */
function closeWhenClientGone(socket: Socket): void {
  const probe = (): void => {
    if (socket.writableEnded || socket.destroyed) clearInterval(timer);
    else socket.write(Buffer.alloc(0));
  };
  const timer = setInterval(probe, GONE_PROBE_MS);
  socket.once('close', () => clearInterval(timer));
  probe();
}

/** How often a half-closed client is asked whether it has gone (see {@link closeWhenClientGone}). */
const GONE_PROBE_MS = 1000;

/** Tells a connection past {@link MAX_CONNECTIONS} why it is not served, and closes it (see {@link endWithRefusal}). */
function refuseConnection(socket: Socket, firstRequestTimeoutMs: number, lingering: Set<Socket>): void {
  socket.on('error', () => socket.destroy());
  // Who holds them is the one thing the user cannot see from here: `ss -xp` names the processes.
  const refusal = new BadRequest(
    `the run already has ${MAX_CONNECTIONS} control connections open, the most it keeps (each \`logs -f\` holds one, and so does a client that keeps its connection; \`ss -xp\` shows which processes hold them, and one that sends nothing is closed ${formatDuration(firstRequestTimeoutMs)} after connecting): close some, then try again`,
    'ERR_SUBVISOR_TOO_MANY_CONNECTIONS',
  );
  endWithRefusal(socket, refusal, lingering);
}

/**
 * Sends `refusal` as the connection's last reply, and closes it once its client has ended what it
 * sends, or has sent nothing for {@link REFUSED_LINGER_MS}, or at most {@link REFUSED_LINGER_MAX_MS}
 * on: what it sends meanwhile is read and dropped (readLines, if reading, keeps none of it). This is
 * nginx's lingering close (lingering_timeout between reads, lingering_time in all). Closed at once
 * (or once the client's first chunk came), a client still writing (a request over 64 KiB) had its
 * next write fail (EPIPE), and Node's client closes its socket there, the refusal unread in its
 * queue; so did one still writing 1 s on, had the linger been 1 s in all. Ending only our side,
 * with no bound, would keep the connection as long as the client goes on writing. It is in
 * `lingering` until closed, for the run's end to close it once the refusal is handed over: the
 * run does not wait for a client's writing (a refused request too long, its connection's side
 * already ended, waited for the stall cut-off, 5 s).
 */
function endWithRefusal(socket: Socket, refusal: BadRequest, lingering: Set<Socket>): void {
  // A Set keeps the order they came in: the first is the one refused longest ago.
  const [oldest] = lingering;
  if (oldest !== undefined && lingering.size >= MAX_LINGERING_REFUSALS) {
    lingering.delete(oldest);
    oldest.destroy();
  }
  lingering.add(socket);
  socket.once('close', () => lingering.delete(socket));
  socket.end(encode(errorReply(null, refusal)));
  const quiet = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
  const most = setTimeout(() => socket.destroy(), REFUSED_LINGER_MAX_MS);
  const heard = (): void => void quiet.refresh();
  socket.on('data', heard);
  socket.once('end', () => closeOnceHandedOver(socket)).once('close', () => {
    clearTimeout(quiet);
    clearTimeout(most);
    socket.off('data', heard);
  });
  socket.resume();
}

/**
 * The most refused connections kept lingering at once (see {@link endWithRefusal}); one more closes
 * the one refused longest ago. Each holds one of the run's fds for up to
 * {@link REFUSED_LINGER_MAX_MS} while its client writes, and the refused are past
 * {@link MAX_CONNECTIONS}, so nothing else bounds them: a script refused in a loop took one each.
 * Refusals are few for a run's owner (a request too long, a connection too many), and the oldest
 * has had its refusal longest: a client that writes on for seconds has read it or never will.
 */
export const MAX_LINGERING_REFUSALS = 16;

/** How long a refused connection is kept once its client sends nothing more, for it to take the refusal (see {@link endWithRefusal}): ours write at once. */
const REFUSED_LINGER_MS = 1000;

/** The longest a refused connection is kept while its client goes on writing (nginx's lingering_time, 30 s too): past it, a client that never stops cannot hold a descriptor. */
const REFUSED_LINGER_MAX_MS = 30_000;

/** The connection's {@link ReplyChannel}; `wrote` hears each piece of a reply the client took. */
function replyChannel(socket: Socket, wrote: () => void): ReplyChannel {
  return {
    send: (reply) => {
      if (socket.destroyed || socket.writableEnded) return;
      const bytes = Buffer.from(encode(reply));
      // In pieces: a write counts as taken only once all of it is, and at the run's end a reader
      // that takes a 1 MiB message slower than CLOSE_STALL_MS would look stalled (see cutOffWhenStalled).
      for (let at = 0; at < bytes.length; at += WRITE_PIECE_BYTES) socket.write(bytes.subarray(at, at + WRITE_PIECE_BYTES), wrote);
    },
    get unsentBytes() {
      return socket.writableLength;
    },
    get gone() {
      return socket.destroyed;
    },
    drained: () => (socket.writableLength === 0 || socket.destroyed ? Promise.resolve() : new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done).off('close', done);
        resolve();
      };
      socket.on('drain', done).on('close', done);
    })),
  };
}

/**
 * A connection's requests read and not yet begun. Each is begun only while the client is at most
 * {@link MAX_UNSENT_REPLY_BYTES} behind on the replies (checked again as it takes each piece), or
 * once it has gone (see `answer`: only actions are then done), at the run's end too. A client that
 * sends requests and reads no reply (600 `logs` in one write is 44 KB; their replies were 1.8 GB)
 * so costs the run that much and one reply, not memory without bound and seconds of its event
 * loop. Reading goes on meanwhile, so a client that writes all its requests before it reads is
 * not deadlocked, until {@link MAX_WAITING_REQUEST_BYTES} of them wait.
 */
class RequestQueue {
  readonly #waiting: string[] = [];
  #waitingBytes = 0;
  #readingPaused = false;

  constructor(
    private readonly socket: Socket,
    ended: AbortSignal,
    private readonly refused: () => boolean,
    private readonly begin: (line: string) => void,
  ) {
    ended.addEventListener('abort', () => this.pump(), { once: true });
  }

  get empty(): boolean {
    return this.#waiting.length === 0;
  }

  add(line: string): void {
    this.#waiting.push(line);
    this.#waitingBytes += line.length;
    this.pump();
  }

  /** Begins what may be begun now, and pauses or resumes reading for what waits. */
  pump(): void {
    const { socket } = this;
    while (this.#waiting.length > 0 && (socket.writableLength <= MAX_UNSENT_REPLY_BYTES || socket.destroyed)) {
      const line = this.#waiting.shift() as string;
      this.#waitingBytes -= line.length;
      this.begin(line);
    }
    const tooMany = this.#waitingBytes > MAX_WAITING_REQUEST_BYTES;
    if (tooMany !== this.#readingPaused && !this.refused() && !socket.destroyed) {
      this.#readingPaused = tooMany;
      if (tooMany) socket.pause();
      else socket.resume();
    }
  }
}

/** How far behind on its replies a client may be before its next request waits (see {@link RequestQueue}). */
const MAX_UNSENT_REPLY_BYTES = 1024 * 1024;
/** How much of a client's requests may wait before the run stops reading them. */
const MAX_WAITING_REQUEST_BYTES = MAX_REQUEST_BYTES;

async function answer(line: string, handle: RequestHandler, channel: ReplyChannel, ended: AbortSignal): Promise<void> {
  let request: Request;
  try {
    request = parseRequest(line);
  } catch (error) {
    channel.send(errorReply(null, error));
    return;
  }
  // A query whose client has gone is asked of no one: its going begins every request it left
  // waiting at once (see RequestQueue), and each `logs` reads the whole ring (2000 of them, of a
  // full one, held the run's event loop for three minutes, output and probes and Ctrl-C with it).
  // An action is still done, as one under way when its client goes is.
  if (channel.gone && QUERIES.includes(request.command)) return;
  try {
    await handle(request, channel, ended);
  } catch (error) {
    channel.send(errorReply(request.id, error, request.v));
  }
}

/** The error reply for `error`: its message, and its `code` when it has a stable one. */
function errorReply(id: number | null, error: unknown, v: Version = PROTOCOL_VERSION): Reply {
  const code = errnoCode(error) ?? 'ERR_SUBVISOR_CONTROL';
  const message = error instanceof Error ? error.message : String(error);
  const bad = error instanceof BadRequest ? error : undefined;
  return { v: bad?.v ?? v, id: bad?.id ?? id, ok: false, error: { code, message } };
}

async function closeServer(server: Server, connections: Map<Socket, AbortController>, refused: ReadonlySet<Socket>): Promise<void> {
  // A request the end has just settled (a `restart` or `start` under way when Ctrl-C came: the
  // run's end refuses what it would start) replies a few promise turns after the run has ended,
  // which is when this is called: one turn of the event loop lets that reply be written first, so
  // its client hears `the run is ending`, not that the run ended before it answered.
  await new Promise<void>((resolve) => setImmediate(resolve));
  // This also removes the socket file: libuv unlinks the path it bound as it closes the server,
  // whatever is there by then, with no way to ask it not to. Nothing but ours is: the claim keeps
  // every other run off the path until the run has ended (see serveControl), and where there is no
  // claim (macOS, a name too long for one) another run binds there only once our file is gone.
  // Only a socket put there by hand, after removing ours, would go with it.
  const closing = new Promise<void>((done) => server.close(() => done()));
  // Replies already written go out (`stop` of main replied just before the run ended); a request
  // still served (a `logs -f`) says its last at once; each connection ends once its requests are
  // answered (see serveConnection).
  for (const ended of connections.values()) ended.abort();
  // A refused client still writing would hold the end up for as long as it lingers: its refusal is with it once handed over.
  for (const socket of refused) closeOnceHandedOver(socket);
  const cutOff = cutOffWhenStalled(connections.keys());
  await closing;
  clearInterval(cutOff);
}

/**
 * Closes `socket` once everything written to it is with the kernel. Its client then reads the
 * rest (and the end) from the socket's queue by itself, whether or not we still hold our end, so
 * waiting for it to close its own would only let a client that does not (a `logs -f` suspended
 * by Ctrl-Z, an `nc -U` left open) hold the run's end up until the stall cut-off, for nothing.
 */
function closeOnceHandedOver(socket: Socket): void {
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}

/** Destroys each of `sockets` once its client takes nothing for {@link CLOSE_STALL_MS}, and every one after {@link CLOSE_MAX_MS}. */
function cutOffWhenStalled(sockets: Iterable<Socket>): NodeJS.Timeout {
  const unsent = new Map([...sockets].map((socket) => [socket, socket.writableLength]));
  const giveUpAt = Date.now() + CLOSE_MAX_MS;
  return setInterval(() => {
    for (const [socket, before] of unsent) {
      const now = socket.writableLength;
      if (socket.destroyed) unsent.delete(socket);
      else if (now === 0 || now >= before || Date.now() >= giveUpAt) socket.destroy();
      else unsent.set(socket, now);
    }
  }, CLOSE_STALL_MS);
}

