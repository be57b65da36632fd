import type { Stats } from 'node:fs';
import { node } from '../../builtins.js';
import { statOf } from '../stat.js';

/**
 * Who a child runs as, for a permission check: `own` is this process's user (the kernel answers
 * for it, `access(2)`); `uid`/`gid` those the child switches to (uid alone keeps this process's
 * gid, as libuv does) with the supplementary `groups` given (none by default: libuv drops them;
 * see ./groups.ts).
 */
export type Identity = { readonly kind: 'own' } | OtherIdentity;

/** Another user's: its uid, its primary gid and its supplementary groups (none unless given). */
export interface OtherIdentity {
  readonly kind: 'other';
  readonly uid: number;
  readonly gid: number;
  readonly groups?: readonly number[];
}

/** The permission bit of each access (of the owner's, group's or others' three). */
export const ACCESS_BIT = { search: 1, run: 1, read: 4 } as const;

/** A directory on a program's path that its user may not pass through, and how it is set. */
export interface ClosedDirectory {
  readonly path: string;
  /** Its permission bits, as `ls -l` counts them (`700`). */
  readonly mode: string;
  readonly ownerUid: number;
}

/**
 * The first directory on the way to `path` (from `/` down, `path` itself excluded) that
 * `identity` may not search, or undefined when each one lets it through. An exec behind such a
 * directory fails with EACCES although the file's own bits allow it; "chmod +x" is then the wrong
 * advice. For another user the bits are read by owner, group and other (ACLs are not consulted).
 */
export function closedDirectoryOnTheWay(path: string, identity: Identity): ClosedDirectory | undefined {
  for (const directory of ancestors(path)) {
    const stat = statOf(directory);
    if (stat === undefined) return undefined; // missing: that is ENOENT's story, not this one
    if (!maySearch(directory, stat, identity)) return { path: directory, mode: (stat.mode & 0o777).toString(8), ownerUid: stat.uid };
  }
  return undefined;
}

/** `/a/b/c` → `/`, `/a`, `/a/b`. */
function ancestors(path: string): string[] {
  const found: string[] = [];
  for (let directory = node.path.dirname(path); ; directory = node.path.dirname(directory)) {
    found.unshift(directory);
    if (directory === node.path.dirname(directory)) return found;
  }
}

function maySearch(directory: string, stat: Stats, identity: Identity): boolean {
  if (identity.kind === 'own') {
    try {
      node.fs.accessSync(directory, node.fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  return otherMay(stat, identity, ACCESS_BIT.search);
}

/**
 * Whether `identity` may do what `bit` (see {@link ACCESS_BIT}) stands for with a file of `stat`,
 * by its mode bits: the owner's for the owner, else the group's for a member, else the others' (the
 * first class that matches decides, as the kernel's does). Root searches and reads anything, and
 * runs a file that any class may run. ACLs are not consulted.
 */
export function otherMay(stat: Stats, identity: OtherIdentity, bit: number): boolean {
  if (identity.uid === 0) return bit !== ACCESS_BIT.run || stat.isDirectory() || (stat.mode & 0o111) !== 0;
  const member = stat.gid === identity.gid || (identity.groups ?? []).includes(stat.gid);
  const shift = stat.uid === identity.uid ? 6 : member ? 3 : 0;
  return ((stat.mode >> shift) & bit) !== 0;
}
