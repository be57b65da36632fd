import { node } from '../../builtins.js';

/**
 * Whether process group `pgid` still has a member that is not a zombie.
 *
 * `kill(-pgid, 0)` alone is not enough: an orphaned grandchild is reparented to pid 1, and where
 * pid 1 does not reap (some container and micro-VM inits), a member we already killed stays a
 * zombie forever and would look alive, turning every stop into a full grace period. On Linux the
 * members are confirmed through /proc; elsewhere the kill probe is the best there is.
 */
export function groupHasLiveMembers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    // ESRCH: nobody left. EPERM: members exist that we may not signal (they changed uid), so
    // there is nothing we could stop anyway.
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw error;
  }
  if (process.platform !== 'linux') return true;
  return liveMembersFromProc(pgid);
}

function liveMembersFromProc(pgid: number): boolean {
  let entries: string[];
  try {
    entries = node.fs.readdirSync('/proc');
  } catch {
    return true; // no /proc to look at: trust the kill probe
  }
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue; // only numeric entries are processes
    let stat: string;
    try {
      stat = node.fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch (error) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
      if (code === 'ENOENT' || code === 'ESRCH') continue; // exited while we looked
      // EMFILE and the like: this one could not be looked at, so it may be a live member. Saying
      // "alive" costs a grace period at worst; saying "gone" could leave a leftover running.
      return true;
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
    const state = fields[0];
    if (Number(fields[2]) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}
