import type { ProcessSpec, ProcessUser } from '../config/spec.js';
import { memberGroups } from '../config/user.js';
import { partsAsWritten, readsVariable } from '../config/environment/interpolate.js';
import { DETAILS_HIDDEN, valuesShown } from '../config/environment/shown-values.js';
import { whereValuesLead } from '../config/environment/values-lead.js';
import { node } from '../../builtins.js';
import { canonicalPathOf, statOf } from '../../process/stat.js';
import { ACCESS_BIT, closedDirectoryOnTheWay, otherMay, type OtherIdentity } from '../../process/spawn/search-permission.js';

/** What a user must be allowed to do with a path: run a program, read a file. */
export type Access = 'run' | 'read';

/**
 * Why `user` could not `access` `path`, judged by the mode bits of the path and of every directory
 * on its way (and on the way of what a symlink leads to), as the kernel judges a process of that
 * user: `"/root is drwx------, uid 0's"`. Undefined when nothing stands in the way, for root, and
 * for a path that cannot be seen here (the target may have it; `up` says so when it runs). A cwd
 * is asked for with `'run'`: entering a directory takes the same bit as running a file.
 *
 * `subvisor up` enters a process's cwd before it switches to its `user`, and runs its probes
 * itself; systemd switches first (`User=`), and runs `ExecStartPost=` as that user too, so a
 * project under a private home starts under `up` and fails under systemd (200/CHDIR, 203/EXEC).
 * ACLs are not read: a directory one grants the user is said wrongly to be in the way.
 *
 * @param groupFile - Where the user's supplementary groups are read. Default `/etc/group`.
 */
export function barrierFor(user: ProcessUser, path: string, access: Access, groupFile = '/etc/group'): Barrier | undefined {
  if (user.uid === 0) return undefined;
  const identity: OtherIdentity = { kind: 'other', uid: user.uid, gid: user.gid, groups: groupsOf(user, groupFile) };
  const ways = [path, canonicalPathOf(path)].filter((way, index, all): way is string => way !== undefined && all.indexOf(way) === index);
  for (const way of ways) {
    const closed = closedDirectoryOnTheWay(way, identity);
    if (closed !== undefined) return { path: closed.path, mode: described(true, Number.parseInt(closed.mode, 8), closed.ownerUid) };
    const stats = statOf(way);
    if (stats === undefined) return undefined;
    if (!otherMay(stats, identity, ACCESS_BIT[access])) return { path: way, mode: described(stats.isDirectory(), stats.mode, stats.uid) };
  }
  return undefined;
}

/** `user`'s supplementary groups, as initgroups gives them under systemd (see {@link memberGroups}). */
function groupsOf(user: ProcessUser, groupFile: string): number[] {
  try {
    return memberGroups(node.fs.readFileSync(groupFile, 'utf8'), user.name, user.gid);
  } catch {
    return [];
  }
}

/** What stands in a user's way: a path, and its mode and owner in words (`drwx------, uid 0's`). */
export interface Barrier {
  readonly path: string;
  readonly mode: string;
}

/** `drwx------, uid 0's`: the mode as ls shows it, so the fix is plain. */
function described(directory: boolean, mode: number, ownerUid: number): string {
  const rwx = (bits: number): string => `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
  return `${directory ? 'd' : '-'}${rwx(mode >> 6)}${rwx(mode >> 3)}${rwx(mode)}, uid ${ownerUid}'s`;
}

/** `/root is drwx------, uid 0's`. */
export function barrierInWords(barrier: Barrier): string {
  return `${barrier.path} is ${barrier.mode}`;
}

/**
 * The cwd as the config writes it (`/srv/${TOKEN}`) and the barrier's words, for a cwd made by a
 * variable: its value (a .env secret) is kept out of the unit (see ./systemd.ts), and so out of what
 * is said of it; a barrier that would show it (a directory on the way named by it) is not detailed.
 */
function withoutValues(spec: ProcessSpec, cwd: string, barrier: Barrier): [string, string] {
  const parts = spec.cwdParts;
  if (parts === undefined || !readsVariable([parts])) return [cwd, barrierInWords(barrier)];
  // Only the barrier's path can hold a value: its mode and owner are the system's words (TOKEN=','
  // is not shown by `drwx------, uid 0's`).
  const { showsValue } = valuesShown(barrier.path, parts, { ledTo: whereValuesLead(cwd, parts) });
  return [partsAsWritten(parts), showsValue ? `a directory on the way is closed to it; ${DETAILS_HIDDEN}` : barrierInWords(barrier)];
}

/** What {@link unitUserBarriers} needs to know of the export besides the processes. */
export interface UnitPaths {
  /** The directory a process's unit enters (`WorkingDirectory=`). */
  readonly cwdOf: (spec: ProcessSpec) => string;
  /** Whether its unit has an `ExecStartPost=` probe, which runs node and the CLI as its `User=`. */
  readonly probed: (spec: ProcessSpec) => boolean;
  readonly nodePath: string;
  readonly cliPath: string;
}

/**
 * What a person should hear, process by process (a copy of `replicas` once), of a path its unit's
 * `User=` could not use though `up` runs it (see {@link barrierFor}): the cwd, and the node and CLI
 * of its ready probe. Each such unit would fail on the target, far from here.
 */
export function unitUserBarriers(processes: readonly ProcessSpec[], paths: UnitPaths): string[] {
  const said = new Set<string>();
  const lines: string[] = [];
  for (const spec of processes) {
    const { user } = spec;
    const owner = spec.replica?.of ?? spec.name;
    if (user === undefined || said.has(owner)) continue;
    said.add(owner);
    const cwd = paths.cwdOf(spec);
    const atCwd = barrierFor(user, cwd, 'run');
    if (atCwd !== undefined) {
      const [shownCwd, why] = withoutValues(spec, cwd, atCwd);
      lines.push(`process ${owner}: systemd enters its cwd ${shownCwd} as ${user.name} (User=), who may not: ${why}; up enters it before it switches user. Move the project, or give ${owner} a cwd ${user.name} can enter`);
    }
    if (!paths.probed(spec)) continue;
    for (const [path, access] of [[paths.nodePath, 'run'], [paths.cliPath, 'read']] as const) {
      const barrier = barrierFor(user, path, access);
      if (barrier === undefined) continue;
      lines.push(`process ${owner}: its ready probe (ExecStartPost=) runs ${path} as ${user.name} (User=), who may not ${access} it: ${barrierInWords(barrier)}; install node and subvisor where ${user.name} can reach them (npm install -g subvisor) and export from there`);
      break;
    }
  }
  return lines;
}
