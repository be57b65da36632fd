import { errnoCode } from '../errno.js';

/**
 * The current directory cannot be told (it was removed while a shell sat in it): a command that
 * finds its config, socket or output files from it cannot go on. `code` is the errno (`ENOENT`).
 */
export class CurrentDirectoryLost extends Error {
  override readonly name = 'CurrentDirectoryLost';
  readonly code: string | undefined;

  constructor(code: string | undefined) {
    const why = code === 'ENOENT' ? 'the current directory no longer exists (it was removed)' : `cannot tell the current directory (${String(code)})`;
    super(`${why}: cd to a directory that exists, and run this again`);
    this.code = code;
  }
}

/** Why the current directory cannot be told, when it cannot (a shell may still be sitting in it). */
export function currentDirectoryLost(): CurrentDirectoryLost | undefined {
  try {
    process.cwd();
    return undefined;
  } catch (error) {
    return new CurrentDirectoryLost(errnoCode(error));
  }
}
