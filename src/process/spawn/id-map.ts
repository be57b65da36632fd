import { node } from '../../builtins.js';

/**
 * Which of `uid`, `gid` and the supplementary `groups` (default none) this user namespace does not
 * map (`uid 70`, `gid 70`): a process here cannot take such an id, and the spawn's setuid, setgid
 * or setgroups fails with EINVAL. A rootless container maps a range, `unshare -r` only root. Read
 * from `/proc/self/uid_map` and `gid_map` (`inside outside count` lines, see user_namespaces(7)),
 * each once whatever the number of groups; an id whose map cannot be read (not Linux) is not named.
 *
 * @example
 * ```ts
 * // under unshare -r, whose maps hold only `0 0 1`:
 * unmappedIds(70, 70); // ['uid 70', 'gid 70']
 * ```
 */
export function unmappedIds(uid: number | undefined, gid: number | undefined, maps: IdMapFiles = OWN_ID_MAPS, groups: readonly number[] = []): string[] {
  const unmapped: string[] = [];
  if (uid !== undefined && readIdMap(maps.uid)?.(uid) === false) unmapped.push(`uid ${uid}`);
  const gids = gid === undefined ? groups : [gid, ...groups];
  // Read once: up to 65536 groups (NGROUPS_MAX) each reading the file took seconds per spawn.
  const gidMapped = gids.length > 0 ? readIdMap(maps.gid) : undefined;
  if (gidMapped !== undefined) unmapped.push(...gids.filter((id) => !gidMapped(id)).map((id) => `gid ${id}`));
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

/** Whether the map at `path` holds an id (in the namespace's own numbering); undefined when it cannot be read. */
function readIdMap(path: string): ((id: number) => boolean) | undefined {
  let text: string;
  try {
    text = node.fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const ranges = text.split('\n').map((line) => line.trim().split(/\s+/).map(Number));
  return (id) => ranges.some(([inside, , count]) => inside !== undefined && count !== undefined && id >= inside && id < inside + count);
}
