import type { Server } from 'node:net';
import { ControlError } from './errors.js';
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
 * too long to hold. Throws a {@link ControlError} for a claim file in `.subvisor/` that is broken
 * (see {@link claimToken}).
 */
export async function claimPath(absolute: string, privateDirectory: boolean): Promise<Server | 'taken' | undefined> {
  if (process.platform !== 'linux') return undefined;
  // Named by the directory's identity, so every path to it (symlinks, `..`) claims the same name.
  const directory = node.path.dirname(absolute);
  const token = privateDirectory ? claimToken(directory) : undefined;
  const name = `\0${claimNameStart(absolute)}${token === undefined ? '' : `${token}:`}${node.path.basename(absolute)}`;
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

/** The start of the abstract name (after its NUL) of a claim on `absolute`: the name is this, the token and `:` if any, then the socket's file name. */
function claimNameStart(absolute: string): string {
  const { dev, ino } = node.fs.statSync(node.path.dirname(absolute));
  return `subvisor-control:${dev}:${ino}:`;
}

/**
 * Whether `name`, an abstract socket's as /proc/net/unix shows it (`@subvisor-control:...`), is
 * the claim of a run on `absolute`, with a token or without. False when `absolute`'s directory
 * cannot be looked at.
 */
export function isClaimOn(name: string, absolute: string): boolean {
  let start: string;
  try {
    start = `@${claimNameStart(absolute)}`;
  } catch {
    return false;
  }
  // /proc shows the NULs after a name Node binds at full length as `@`s too: they are not part of it.
  const rest = name.startsWith(start) ? name.slice(start.length).replace(/@+$/, '') : undefined;
  const base = node.path.basename(absolute).replace(/@+$/, '');
  return rest === base || (rest !== undefined && TOKEN.test(rest.slice(0, 32)) && rest.slice(32) === `:${base}`);
}

/** The file in a private directory that holds its claim's token (0600, kept from run to run). */
const TOKEN_FILE = 'claim';
const TOKEN = /^[0-9a-f]{32}$/;

/**
 * The token of `directory`'s claim, made by the first run there: written whole to a file of its
 * own, then linked into place, so two `up`s starting at once read the same one (the slower link
 * fails, EEXIST) and never a half-written one. Undefined when there is none and none can be made
 * (a read-only directory): the claim is then named by the directory alone, as before.
 *
 * A file there that holds no token (cut by hand) or cannot be read is refused, a
 * {@link ControlError} saying to remove it. Why not pass it over: the name without a token is
 * anyone's to take first, so every run here would lose that protection without a word, for good
 * (the link never replaces a file). Nor replace it: two `up`s starting at once could each put
 * their own token in its place, and both would run (see {@link claimPath}).
 */
function claimToken(directory: string): string | undefined {
  const file = node.path.join(directory, TOKEN_FILE);
  const known = readToken(file);
  if (known !== undefined) return known;
  const draft = node.path.join(directory, `.${TOKEN_FILE}.${process.pid}`);
  if (!writeDraft(draft)) return undefined;
  try {
    node.fs.linkSync(draft, file);
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') return undefined;
  } finally {
    node.fs.rmSync(draft, { force: true });
  }
  return readToken(file);
}

/**
 * Writes a new token to `draft`, a file made for it (O_EXCL): a name already there is removed
 * first, never written through. Why. A draft left by a killed run of the same pid is one; a link
 * or a hard link put there by whoever else may write the directory (root's `up` on a config its
 * owner keeps there) is another, and writing through it put the token in the file it leads to
 * (truncated: `/etc/shadow`), which then became the claim. False when it cannot be made.
 */
function writeDraft(draft: string): boolean {
  try {
    node.fs.rmSync(draft, { force: true });
    node.fs.writeFileSync(draft, randomHex(16), { mode: 0o600, flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

/** The token `file` holds; undefined when there is no file. */
function readToken(file: string): string | undefined {
  let text: string;
  try {
    text = node.fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw brokenClaim(file, `cannot be read: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  if (!TOKEN.test(text)) throw brokenClaim(file, 'does not hold a claim token (32 hex digits, written by subvisor)');
  return text;
}

function brokenClaim(file: string, why: string, cause?: unknown): ControlError {
  return new ControlError(
    `${file} ${why}: it is the claim of this directory's runs, which keeps another user from taking their control socket first. With no run up here, remove it and start again (a new one is made)`,
    'ERR_SUBVISOR_CLAIM_FILE',
    { cause },
  );
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
