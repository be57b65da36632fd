import type { Server } from 'node:net';
import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';

/** What an abstract socket's name holds, its leading NUL included (sun_path). */
const MAX_ABSTRACT_NAME_BYTES = 107;

/**
 * The claim on a control socket's path, held for the whole run: a Linux abstract socket named
 * after the path. Why. A socket file left by a run that was killed must be found stale and
 * replaced, and two `up`s started at once with such a file both found it stale: the slower one
 * removed the socket the faster one had just made, and both ran (3 times in 15 here). Nothing in
 * the filesystem removes a file only if it is still the one that was looked at. An abstract socket
 * has no file: binding its name is atomic, and the kernel frees it when its holder dies, however
 * it dies, so it is never stale. Only the holder then touches the socket file.
 *
 * Resolves with the claim, or with `'taken'` when another live run holds it; undefined where
 * abstract sockets do not exist (macOS: the file alone decides, as before), or for a socket name
 * too long to hold.
 */
export async function claimPath(absolute: string): Promise<Server | 'taken' | undefined> {
  if (process.platform !== 'linux') return undefined;
  // Named by the directory's identity, so every path to it (symlinks, `..`) claims the same name.
  const { dev, ino } = node.fs.statSync(node.path.dirname(absolute));
  const name = `\0subvisor-control:${dev}:${ino}:${node.path.basename(absolute)}`;
  if (Buffer.byteLength(name) > MAX_ABSTRACT_NAME_BYTES) return undefined;
  // Nothing is served on it: a connection (anyone may make one) is closed at once.
  const server = node.net.createServer((socket) => socket.destroy());
  server.listen(name);
  try {
    await node.events.once(server, 'listening'); // rejects with the server's 'error'
  } catch (error) {
    server.close();
    if (errnoCode(error) === 'EADDRINUSE') return 'taken';
    return undefined; // no abstract sockets here after all: the file decides
  }
  server.unref();
  return server;
}
