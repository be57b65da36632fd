import type { Stack } from '../stack/stack.js';
import type { LogRing } from './log-ring.js';
import { BadRequest, PROTOCOL_VERSION, type ProcessRow, type Reply, type Request } from './protocol.js';
import type { RequestHandler } from './server.js';

/**
 * What the run does for each request of its control socket: `ps` reads the stack, `stop`,
 * `start` and `restart` act on it (and reply once done: stopped, or ready), `logs` reads the ring
 * of output lines. Every name is checked before anything is done, so a request with one unknown
 * name does nothing at all.
 */
export function controlHandler(stack: Stack, ring: LogRing): RequestHandler {
  return async (request, send, closed) => {
    const ok = (fields: Partial<Extract<Reply, { ok: true }>> = {}): void => send({ v: PROTOCOL_VERSION, id: request.id, ok: true, ...fields });
    if (request.command === 'ps') return ok({ processes: stack.ps().map(toRow) });
    checkNames(stack, request);
    // A replicated process's name stands for its copies: `restart web` restarts web.1 ... web.N.
    request = { ...request, names: stack.processesNamed(request.names) };
    switch (request.command) {
      case 'stop':
        if (stack.ending || request.names.some((name) => stack.isMain(name))) {
          // SPEC §10: stopping `main` replies, then ends the run; the run's end closes this socket,
          // maybe before the stop is done. A run already ending is stopping everything anyway.
          ok();
          await stack.stop(request.names);
          return;
        }
        await stack.stop(request.names);
        return ok();
      case 'start':
        await stack.start(request.names);
        return ok();
      case 'restart':
        await stack.restart(request.names);
        return ok();
      case 'logs':
        return logs(ring, request, send, closed, ok);
    }
  };
}

function logs(ring: LogRing, request: Extract<Request, { command: 'logs' }>, send: (reply: Reply) => void, closed: AbortSignal, ok: () => void): Promise<void> {
  const { id, names } = request;
  const wanted = (name: string): boolean => names.length === 0 || names.includes(name);
  for (const line of ring.tail(names, request.lines)) send({ v: PROTOCOL_VERSION, id, kind: 'line', ...line });
  if (!request.follow) {
    ok();
    return Promise.resolve();
  }
  // Followed until the client goes away (Ctrl-C) or the run ends (which closes the connection).
  return new Promise((resolve) => {
    if (closed.aborted) return resolve();
    const stop = ring.follow((line) => {
      if (wanted(line.name)) send({ v: PROTOCOL_VERSION, id, kind: 'line', ...line });
    });
    closed.addEventListener('abort', () => (stop(), resolve()), { once: true });
  });
}

function checkNames(stack: Stack, request: Extract<Request, { names: readonly string[] }>): void {
  const unknown = request.names.filter((name) => stack.processesNamed([name]).length === 0);
  if (unknown.length === 0) return;
  const known = stack.ps().map((row) => row.name);
  throw new BadRequest(
    `no process named ${unknown.map((name) => `'${name}'`).join(', ')} in this run (it has ${known.join(', ')})`,
    'ERR_SUBVISOR_UNKNOWN_PROCESS',
    request.id,
  );
}

function toRow(snapshot: ReturnType<Stack['ps']>[number]): ProcessRow {
  return { name: snapshot.name, state: snapshot.state, pid: snapshot.pid ?? null, uptimeMs: snapshot.uptimeMs ?? null, restarts: snapshot.restarts };
}
