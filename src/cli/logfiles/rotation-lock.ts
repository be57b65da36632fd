import { basename, dirname, join } from 'node:path';
import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';
import { processExists } from '../../process/stop/group.js';
import { lstatOf } from '../../process/stat.js';

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
 * beside it, `.NAME.log.rotating`, holding the holder's pid: one left by a run killed in the
 * middle of a rotation (SIGKILL) names a pid gone, or is old, and is taken over.
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
  if (taken === 'none') return body();
  try {
    removeLeftAsides(lock);
    return body();
  } finally {
    letGo(lock, taken);
  }
}

/** A lock this run holds: the file it made, known by its inode, whatever name it has since. */
interface HeldLock {
  readonly fd: number;
  readonly ino: bigint;
}

/**
 * Makes `lock` (O_EXCL: one run only), taking over one whose holder is gone. `none` when no lock
 * can be made there (see {@link withRotationLock}). Made in place, not linked from a file of this
 * run's own: a run killed between making that file and removing it left it for good.
 */
function takeLock(lock: string): HeldLock | 'busy' | 'none' {
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = node.fs.openSync(lock, 'wx', 0o600);
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') return 'none';
      const found = judgeLock(lock);
      if (found === 'held') return 'busy';
      if (found === 'abandoned' && !removeAbandoned(lock)) return 'busy';
      continue;
    }
    try {
      node.fs.writeSync(fd, `${process.pid}\n`);
    } catch {
      // A full disk: the lock is empty, which reads as held (being made) until it is left over.
    }
    return { fd, ino: node.fs.fstatSync(fd, { bigint: true }).ino };
  }
  return 'busy';
}

/**
 * `held` when the lock at `path` is: made within {@link LOCK_LEFT_OVER_MS}, by another process
 * still alive, and not let go; empty, it is being made (its pid not yet written). `gone` when
 * nothing is there. Something there that is no file this run can read (a directory, a link, a
 * pipe, another user's 0600 file) is judged by its age alone: taken for `gone`, it was found
 * again at once, and every rotation waited {@link LOCK_WAIT_MS} for it, for ever, the file never
 * rotated; a pipe was opened to be read, which waits for a writer that never comes.
 */
function judgeLock(path: string): 'held' | 'abandoned' | 'gone' {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = node.fs.constants;
  let fd: number;
  try {
    fd = node.fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    return errnoCode(error) === 'ENOENT' ? 'gone' : judgedByAge(path);
  }
  try {
    // One open file, so that the age and the text are of the same lock.
    const madeMs = node.fs.fstatSync(fd).mtimeMs;
    const text = node.fs.readFileSync(fd, 'utf8');
    if (Date.now() - madeMs > LOCK_LEFT_OVER_MS || text.includes(LET_GO)) return 'abandoned';
    if (text === '') return 'held';
    const pid = Number.parseInt(text, 10);
    const alive = Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && processExists(pid);
    return alive ? 'held' : 'abandoned';
  } catch {
    return judgedByAge(path);
  } finally {
    node.fs.closeSync(fd);
  }
}

/** A lock at `path` that cannot be read (see {@link judgeLock}): held until it is left over. */
function judgedByAge(path: string): 'held' | 'abandoned' | 'gone' {
  const found = lstatOf(path);
  if (found === undefined) return 'gone';
  return Date.now() - found.mtimeMs > LOCK_LEFT_OVER_MS ? 'abandoned' : 'held';
}

/** Written into a lock as it is let go: a lock that says so is abandoned, whatever name it has. */
const LET_GO = 'let go';

/**
 * Removes the abandoned lock at `lock`'s name; false when what is there now is held (another run
 * took the abandoned one over first, and made its own). Judged again once moved aside to a name
 * of this run's own, where nobody else removes or replaces it: two runs judging one lock
 * abandoned at once each removed what was there, and the second removed the lock the first had
 * made meanwhile, so both held it. (Its inode is no proof: the new lock often gets the number the
 * removed one freed.) One held is put back by link, which fails only if a third run made a lock
 * in that instant.
 */
function removeAbandoned(lock: string): boolean {
  const aside = `${lock}.${process.pid}`;
  try {
    node.fs.renameSync(lock, aside);
  } catch {
    // Gone since it was looked at: taken at the next attempt.
    return true;
  }
  try {
    if (judgeLock(aside) !== 'held') return true;
    node.fs.linkSync(aside, lock);
    return false;
  } catch {
    return false;
  } finally {
    removeIfThere(aside);
  }
}

/**
 * Lets `held` go: removed from `lock`'s name if it is still there, moved aside first and known by
 * its inode (this run's file is open, so no other file has that number): a run that stalled past
 * {@link LOCK_LEFT_OVER_MS} had its lock taken over, and removing whatever held the name removed
 * the new holder's lock, which a third run then took too. Then marked let go in the file itself,
 * for when another run had it aside (see {@link removeAbandoned}) and puts it back.
 */
function letGo(lock: string, held: HeldLock): void {
  const aside = `${lock}.${process.pid}`;
  try {
    node.fs.renameSync(lock, aside);
    if (node.fs.lstatSync(aside, { bigint: true }).ino !== held.ino) node.fs.linkSync(aside, lock);
  } catch {
    // Gone already, or the directory refuses; what stays is left over after LOCK_LEFT_OVER_MS.
  } finally {
    removeIfThere(aside);
  }
  try {
    node.fs.writeSync(held.fd, `${LET_GO}\n`);
  } catch {
    // A full disk: a lock put back is left over after LOCK_LEFT_OVER_MS all the same.
  }
  node.fs.closeSync(held.fd);
}

/**
 * Removes `.NAME.log.rotating.PID` files beside `lock` whose pid is gone (or this run's: one of an
 * earlier run that had its pid). A run moves a lock aside there for an instant (see
 * {@link removeAbandoned}), and earlier versions made one to link from; a run killed then left it.
 */
function removeLeftAsides(lock: string): void {
  const prefix = `${basename(lock)}.`;
  let names: string[];
  try {
    names = node.fs.readdirSync(dirname(lock));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(prefix.length))) continue;
    const pid = Number(name.slice(prefix.length));
    if (pid === process.pid || !processExists(pid)) removeIfThere(join(dirname(lock), name));
  }
}

/** Removes `path` if it can. */
function removeIfThere(path: string): void {
  try {
    node.fs.unlinkSync(path);
  } catch {
    // Gone already, or the directory refuses.
  }
}
