import type { ProcessUser } from './spec.js';

/**
 * The users of a passwd file (`name:password:uid:gid:gecos:home:shell`, see passwd(5)), in file
 * order. Node has no getpwnam, and asking `id` or `getent` would spawn while the config is read;
 * the file is the source both consult for local users. Comments, blank lines, NIS `+`/`-`
 * entries and lines without a numeric uid and gid are skipped. An empty home or shell is undefined
 * (what the process gets instead is decided where its environment is, `childEnvironment`).
 *
 * @example
 * ```ts
 * parsePasswd('postgres:x:70:70:PostgreSQL:/var/lib/postgresql:/bin/sh\n');
 * // [{ name: 'postgres', uid: 70, gid: 70, home: '/var/lib/postgresql', shell: '/bin/sh' }]
 * ```
 */
export function parsePasswd(text: string): ProcessUser[] {
  const users: ProcessUser[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const [name = '', , uid = '', gid = '', , home = '', shell = ''] = line.replace(/\r$/, '').split(':');
    if (name === '' || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) continue;
    users.push({ name, uid: Number(uid), gid: Number(gid), home: home === '' ? undefined : home, shell: shell === '' ? undefined : shell });
  }
  return users;
}

/**
 * The user `wanted` names among `users`: a number (or a string of digits, as chown and docker read
 * it) is a uid, anything else a name. The first entry wins, as getpwnam's does.
 */
export function findUser(users: readonly ProcessUser[], wanted: string | number): ProcessUser | undefined {
  if (typeof wanted === 'number' || /^\d+$/.test(wanted)) return users.find((user) => user.uid === Number(wanted));
  return users.find((user) => user.name === wanted);
}

/**
 * The supplementary groups of user `name` in a group file's text (`name:password:gid:members`, see
 * group(5)): the gids of the groups whose member list names it, in file order, without
 * `primaryGid` (which is the user's own already), each once. What initgroups(3) gives a user
 * from the local files, and so systemd's `User=`, `su` and docker.
 *
 * @example
 * ```ts
 * memberGroups('ssl-cert:x:103:postgres\npostgres:x:104:\n', 'postgres', 104); // [103]
 * ```
 */
export function memberGroups(text: string, name: string, primaryGid: number): number[] {
  const groups: number[] = [];
  for (const line of text.split('\n')) {
    const [, , gid = '', members = ''] = line.replace(/\r$/, '').split(':');
    if (!/^\d+$/.test(gid)) continue;
    const id = Number(gid);
    if (id !== primaryGid && !groups.includes(id) && members.split(',').some((member) => member.trim() === name)) groups.push(id);
  }
  return groups;
}
