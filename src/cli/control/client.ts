import type { Socket } from 'node:net';
import { ControlError } from './errors.js';
import { readLines } from './lines.js';
import { PROTOCOL_VERSION, encode, type LogLine, type ProcessRow, type Reply, type Request } from './protocol.js';
import { addressOf } from './socket-path.js';
import { node } from '../../builtins.js';

/** A reply line can carry a process's output line (up to 1 MiB, escaped): this bounds what the client buffers. */
const MAX_REPLY_BYTES = 16 * 1024 * 1024;

type RequestBody = Request extends infer R ? (R extends unknown ? Omit<R, 'v' | 'id'> : never) : never;

/** What a request came back with. */
export interface Answer {
  readonly processes?: readonly ProcessRow[];
}

/**
 * Sends one request to the run listening at `path` and resolves with its reply; `onLine` hears the
 * output lines a `logs` request is sent first. An error reply, no run listening, or a run of
 * another user reject with a {@link ControlError} saying so. `signal` ends the wait (the
 * connection is closed): `logs -f` ends that way, on Ctrl-C.
 */
export async function request(path: string, body: RequestBody, opts: { onLine?: (line: LogLine) => void; signal?: AbortSignal } = {}): Promise<Answer | undefined> {
  const socket = await connect(path);
  const id = 1;
  try {
    return await new Promise<Answer | undefined>((resolve, reject) => {
      if (opts.signal?.aborted === true) return resolve(undefined);
      opts.signal?.addEventListener('abort', () => resolve(undefined), { once: true });
      readLines(socket, MAX_REPLY_BYTES, (text) => {
        let reply: Reply;
        try {
          reply = JSON.parse(text) as Reply;
        } catch (error) {
          reject(new ControlError(`the run sent a reply that is not JSON: is ${path} a subvisor run?`, 'ERR_SUBVISOR_BAD_REPLY', { cause: error }));
          return;
        }
        if ('kind' in reply) opts.onLine?.(reply);
        else if (reply.ok) resolve(reply);
        else reject(new ControlError(reply.error.message, reply.error.code));
      }, () => reject(new ControlError(`a reply of the run was longer than ${MAX_REPLY_BYTES} bytes`, 'ERR_SUBVISOR_REPLY_TOO_LARGE')));
      // The run ended (its end closes every connection): `logs -f` is then done, anything else lost its answer.
      socket.on('close', () => (body.command === 'logs' ? resolve(undefined) : reject(new ControlError(`the run ended before it answered (${path})`, 'ERR_SUBVISOR_RUN_ENDED'))));
      socket.on('error', (error) => reject(new ControlError(`lost the connection to the run: ${error.message}`, 'ERR_SUBVISOR_CONNECTION_LOST', { cause: error })));
      socket.write(encode({ v: PROTOCOL_VERSION, id, ...body }));
    });
  } finally {
    socket.destroy();
  }
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
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new ControlError(`no run is listening on ${path}: start one with \`subvisor up\``, 'ERR_SUBVISOR_NO_RUN', { cause: error });
    case 'EACCES':
    case 'EPERM':
      // The socket's directory and the socket are owner-only (see serveControl).
      return new ControlError('permission denied: the run belongs to another user', 'ERR_SUBVISOR_PERMISSION_DENIED', { cause: error });
    default:
      return new ControlError(`cannot reach the run on ${path}: ${(error as Error).message}`, 'ERR_SUBVISOR_CONNECT', { cause: error });
  }
}
