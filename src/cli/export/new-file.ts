import { basename, dirname, join } from 'node:path';
import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';

/** Names tried for the new file before giving up, each taken by another (a user guessing them) in turn. */
const ATTEMPTS = 8;

/**
 * Puts `text` at `path` as a file made for it, with `mode` (without one, 0644 less the umask): written under a name of its own in the
 * same directory (made by this call, O_EXCL, so a link or file put there first is never opened),
 * then renamed over `path`. A link at `path` is replaced, not followed, and a file there (another
 * user's too, for root in a sticky `/tmp`) is replaced, not written into: the way to write in a
 * directory others may put names in (`-o /tmp/compose.yaml`). A user who may not replace what is at
 * `path` (another's file in a sticky directory) gets EPERM, and nothing is left behind.
 */
export function writeNewFile(path: string, text: string, mode: number | undefined): void {
  const { fd, temporary } = createBeside(path, mode ?? 0o644);
  try {
    try {
      // The create took the umask off: a given mode is set whole, as for a file written in place.
      if (mode !== undefined) node.fs.fchmodSync(fd, mode);
      node.fs.writeFileSync(fd, text);
    } finally {
      node.fs.closeSync(fd);
    }
    node.fs.renameSync(temporary, path);
  } catch (error) {
    node.fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/** A new file in `path`'s directory, named after it (`.NAME.subvisor-XXXXXX`), open for writing. */
function createBeside(path: string, mode: number): { readonly fd: number; readonly temporary: string } {
  for (let attempt = 1; ; attempt++) {
    const temporary = join(dirname(path), `.${basename(path)}.subvisor-${Math.random().toString(36).slice(2, 10)}`);
    try {
      return { fd: node.fs.openSync(temporary, 'wx', mode), temporary };
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST' || attempt === ATTEMPTS) throw error;
    }
  }
}
