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
 * An abstract name has no owner and no mode: any local user may bind one, and one who takes a
 * run's name first keeps that run from starting for as long as it holds it ("another run is
 * already up"). The directory's identity is anyone's to see, so in a directory of subvisor's own
 * (`privateDirectory`: `.subvisor/`, 0700) the name also holds a random token kept there
 * ({@link claimToken}), which no other user can read.
 *
 * Resolves with the claim, or with `'taken'` when another live run holds it; undefined where
 * abstract sockets do not exist (macOS: the file alone decides, as before), or for a socket name
 * too long to hold.
 */
export async function claimPath(absolute: string, privateDirectory: boolean): Promise<Server | 'taken' | undefined> {
  if (process.platform !== 'linux') return undefined;
  // Named by the directory's identity, so every path to it (symlinks, `..`) claims the same name.
  const directory = node.path.dirname(absolute);
  const { dev, ino } = node.fs.statSync(directory);
  const token = privateDirectory ? claimToken(directory) : undefined;
  const name = `\0subvisor-control:${dev}:${ino}:${token === undefined ? '' : `${token}:`}${node.path.basename(absolute)}`;
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

/** The file in a private directory that holds its claim's token (0600, kept from run to run). */
const TOKEN_FILE = 'claim';
const TOKEN = /^[0-9a-f]{32}$/;

/**
 * The token of `directory`'s claim, made by the first run there: written whole to a file of its
 * own, then linked into place, so two `up`s starting at once read the same one (the slower link
 * fails, EEXIST) and never a half-written one. Undefined when it can be neither read nor made (a
 * read-only directory): the claim is then named by the directory alone, as before.
 */
function claimToken(directory: string): string | undefined {
  const file = node.path.join(directory, TOKEN_FILE);
  const known = readToken(file);
  if (known !== undefined) return known;
  const draft = node.path.join(directory, `.${TOKEN_FILE}.${process.pid}`);
  try {
    node.fs.writeFileSync(draft, randomHex(16), { mode: 0o600 });
    node.fs.linkSync(draft, file);
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') return undefined;
  } finally {
    node.fs.rmSync(draft, { force: true });
  }
  return readToken(file);
}

function readToken(file: string): string | undefined {
  try {
    const text = node.fs.readFileSync(file, 'utf8').trim();
    return TOKEN.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

/** `bytes` random bytes in hex, from the kernel (Linux, where claims exist; node:crypto costs a start more). */
function randomHex(bytes: number): string {
  const fd = node.fs.openSync('/dev/urandom', 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    node.fs.readSync(fd, buffer, 0, bytes, null);
    return buffer.toString('hex');
  } finally {
    node.fs.closeSync(fd);
  }
}
