import { node } from '../../builtins.js';

/**
 * Which of `uid` and `gid` this user namespace does not map (`uid 70`, `gid 70`): a process here
 * cannot take such an id, and the spawn's setuid or setgid fails with EINVAL. A rootless
 * container maps a range, `unshare -r` only root. Read from `/proc/self/uid_map` and `gid_map`
 * (`inside outside count` lines, see user_namespaces(7)); an id whose map cannot be read (not
 * Linux) is not named.
 *
 * @example
 * ```ts
 * // under unshare -r, whose maps hold only `0 0 1`:
 * unmappedIds(70, 70); // ['uid 70', 'gid 70']
 * ```
 */
export function unmappedIds(uid: number | undefined, gid: number | undefined, maps: IdMapFiles = OWN_ID_MAPS): string[] {
  const unmapped: string[] = [];
  if (uid !== undefined && mapped(maps.uid, uid) === false) unmapped.push(`uid ${uid}`);
  if (gid !== undefined && mapped(maps.gid, gid) === false) unmapped.push(`gid ${gid}`);
  return unmapped;
}

/** Where a user namespace's id maps are read, and whether it lets a process set groups. */
export interface IdMapFiles {
  readonly uid: string;
  readonly gid: string;
  /** `allow` or `deny` (user_namespaces(7)); absent: not looked at, taken as allowed. */
  readonly setgroups?: string | undefined;
}

/** This process's own user namespace's. */
export const OWN_ID_MAPS: IdMapFiles = { uid: '/proc/self/uid_map', gid: '/proc/self/gid_map', setgroups: '/proc/self/setgroups' };

/**
 * Whether the user namespace forbids setgroups(2): its `setgroups` file says `deny`, as an
 * unprivileged `unshare -r` must write before it may map its gid. One that cannot be read (not
 * Linux, a kernel before 3.19) forbids nothing.
 */
export function setgroupsDenied(maps: IdMapFiles = OWN_ID_MAPS): boolean {
  if (maps.setgroups === undefined) return false;
  try {
    return node.fs.readFileSync(maps.setgroups, 'utf8').trim() === 'deny';
  } catch {
    return false;
  }
}

/** Whether the map at `path` holds `id` (in the namespace's own numbering); undefined when it cannot be read. */
function mapped(path: string, id: number): boolean | undefined {
  let text: string;
  try {
    text = node.fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return text.split('\n').some((line) => {
    const [inside, , count] = line.trim().split(/\s+/).map(Number);
    return inside !== undefined && count !== undefined && id >= inside && id < inside + count;
  });
}
