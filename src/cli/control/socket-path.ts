import { join, relative, resolve } from 'node:path';
import { ControlError } from './errors.js';
import { configDirectory } from '../config/location.js';

/**
 * The longest path a Unix socket address holds on Linux: `sun_path` is 108 bytes, one of them the
 * terminating NUL. (macOS allows 103.) Node fails with a bare EINVAL past it, so we check first.
 */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** Where a run listens by default: `.subvisor/control.sock` beside its config file. */
export function defaultSocketPath(configFile: string): string {
  return join(configDirectory(configFile), '.subvisor', 'control.sock');
}

/**
 * The path to bind or connect to for the socket at `path`: the absolute path when it fits in a
 * socket address, else the path relative to the current directory when that fits (a deep project
 * directory is common; the socket's own name is short), else a {@link ControlError} saying what to
 * do. Server and client both go through here, each from its own current directory.
 */
export function addressOf(path: string): string {
  const absolute = resolve(path);
  if (Buffer.byteLength(absolute) <= MAX_SOCKET_PATH_BYTES) return absolute;
  const near = relative(process.cwd(), absolute);
  if (Buffer.byteLength(near) <= MAX_SOCKET_PATH_BYTES) return near.startsWith('.') ? near : `./${near}`;
  throw new ControlError(
    `the control socket path ${absolute} is ${Buffer.byteLength(absolute)} bytes, more than the ${MAX_SOCKET_PATH_BYTES} a Unix socket address holds: pass a shorter one with --socket PATH (or run from nearer to it)`,
    'ERR_SUBVISOR_SOCKET_PATH_TOO_LONG',
  );
}
