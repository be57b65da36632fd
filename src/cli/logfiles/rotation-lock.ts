import { basename, dirname, join } from 'node:path';
import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';
import { processExists } from '../../process/stop/group.js';

/** How long a rotation waits for another run's, at most, and between looks. Synchronous: the lines wait with it. */
const LOCK_WAIT_MS = 1000;
const LOCK_POLL_MS = 5;
/**
 * A lock made longer ago than this is left over, whatever its pid says: a rotation is a few
 * renames. A run killed in the middle of one names a pid that a live process may have taken
 * since (a restart, a reboot), and that lock was held for ever: every batch of lines waited
 * {@link LOCK_WAIT_MS} for it (the CLI with them: `ps` took 2 s, Ctrl-C 2 s), and the file grew
 * past `maxSize` without end. As long as the wait, so that a wait is all it ever costs.
 */
const LOCK_LEFT_OVER_MS = LOCK_WAIT_MS;

/**
 * Holds `file`'s rotation to one run at a time, for `body`'s length; false, `body` not run, when
 * another live run holds it. Two runs whose `logs` share a directory and a process name append to
 * one `NAME.log`, and rotate it when it reaches `maxSize`, both at once: each moved the rotated
 * files on by one, so the newest rotated file was moved twice and the one `keep` still counted
 * was overwritten, lines lost while the directory held fewer than `keep`. The lock is a file
 * beside it, `.NAME.log.rotating`, made whole by link and holding the holder's pid: one left by a
 * run killed in the middle of a rotation (SIGKILL) names a pid gone, or is old, and is taken over.
 *
 * A run that finds the lock held waits for it (a rotation is a few renames), so that `body` sees
 * what the other did (the file moved aside already); `busy` when it is held still after
 * {@link LOCK_WAIT_MS}: the caller writes on, as without a rotation, and tries again later. Where
 * no lock can be made (a directory that refuses the name: the rotation itself is refused there,
 * and said so) `body` runs without one, as before. Otherwise `body`'s answer.
 */
export function withRotationLock(file: string, body: () => boolean): boolean | 'busy' {
  const lock = join(dirname(file), `.${basename(file)}.rotating`);
  let taken = takeLock(lock);
  // Another run's rotation takes a few renames: it is waited for, then its work is seen by body.
  for (let waitedMs = 0; taken === 'busy' && waitedMs < LOCK_WAIT_MS; waitedMs += LOCK_POLL_MS) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, LOCK_POLL_MS);
    taken = takeLock(lock);
  }
  if (taken === 'busy') return 'busy';
  try {
    return body();
  } finally {
    if (taken === 'held') removeIfThere(lock);
  }
}

/**
 * Makes `lock` whole or not at all (the pid written to a file of this run's own, then linked to
 * the lock's name, which fails when it is there), taking over one whose holder is gone. `none`
 * when no lock can be made there (see {@link withRotationLock}).
 */
function takeLock(lock: string): 'held' | 'busy' | 'none' {
  const mine = `${lock}.${process.pid}`;
  try {
    node.fs.writeFileSync(mine, `${process.pid}\n`, { mode: 0o600 });
  } catch {
    return 'none';
  }
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        node.fs.linkSync(mine, lock);
        return 'held';
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') return 'none';
        if (holderIsAlive(lock)) return 'busy';
        removeIfThere(lock);
      }
    }
    return 'busy';
  } finally {
    removeIfThere(mine);
  }
}

/** Whether `lock` is held: made within {@link LOCK_LEFT_OVER_MS}, by another process still alive. */
function holderIsAlive(lock: string): boolean {
  let text: string;
  let madeMs: number;
  try {
    madeMs = node.fs.statSync(lock).mtimeMs;
    text = node.fs.readFileSync(lock, 'utf8');
  } catch {
    // Gone since the link failed: its holder is done; taken at the next attempt.
    return false;
  }
  if (Date.now() - madeMs > LOCK_LEFT_OVER_MS) return false;
  const pid = Number.parseInt(text, 10);
  return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && processExists(pid);
}

/** Removes `path` if it can; what stays is taken over once the pid in it is gone. */
function removeIfThere(path: string): void {
  try {
    node.fs.unlinkSync(path);
  } catch {
    // Gone already, or the directory refuses.
  }
}
