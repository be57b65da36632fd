import { node } from '../../builtins.js';
import { SpawnError } from '../errors.js';
import type { ResolvedRunOptions } from '../options.js';
import { setgroupsDenied, unmappedIds } from './id-map.js';

/**
 * Supplementary groups for a child (the `groups` option).
 *
 * Why not Node's spawn alone. libuv switches a child's ids itself, in the child between fork and
 * exec: `setgroups(0, NULL)`, `setgid`, `setuid`. A child run as `postgres` so gets no
 * supplementary group at all, where systemd's `User=`, `su`, `runuser` and docker give it the
 * user's: a user in `ssl-cert` could not read the key it reads under systemd. Only a process that
 * is still root can set them, and after libuv's `setuid` none is; Node runs no code of ours in the
 * child before its exec. Switching our own ids around the spawn instead would switch them for every
 * thread of this process (libuv's pool reads files meanwhile).
 *
 * How. Node spawns util-linux's `setpriv` as root, with no ids of its own to switch, and setpriv
 * sets the groups, then the gid, then the uid (all three of each: real, effective, saved, as
 * libuv's setuid does) and execs what Node would have exec'd: the spawn gate's shell when there
 * is one, so the gate and its command run as the user, as before. It is one exec more, only for a
 * child given `groups`.
 */
export interface IdSwitch {
  readonly file: string;
  /** setpriv's arguments, up to and including the `--` after which the program and its arguments go. */
  readonly args: readonly string[];
}

const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv'];

let setprivPath: string | null | undefined;

/** Where setpriv is installed, looked for once; undefined when it is not. */
export function installedSetpriv(): string | undefined {
  if (setprivPath === undefined) setprivPath = SETPRIV_PATHS.find((path) => executable(path)) ?? null;
  return setprivPath ?? undefined;
}

function executable(path: string): boolean {
  try {
    node.fs.accessSync(path, node.fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `options` need setpriv: groups were asked for, and they are not simply none with an id
 * switched by Node (libuv's own `setgroups(0)` gives that).
 */
export function needsIdSwitch(options: ResolvedRunOptions): boolean {
  const { groups } = options;
  if (groups === undefined) return false;
  return groups.length > 0 || (options.uid === undefined && options.gid === undefined);
}

/**
 * The setpriv that switches to `options`' ids and groups, or undefined when Node's spawn does
 * what was asked. Throws a {@link SpawnError}, before anything is spawned, when it cannot be done
 * here: no setpriv, not root, or an id this user namespace does not map (setpriv would fail in
 * the child, after the spawn, as an exit of the command).
 */
export function idSwitch(options: ResolvedRunOptions): IdSwitch | undefined {
  if (!needsIdSwitch(options)) return undefined;
  const groups = options.groups ?? [];
  const file = installedSetpriv();
  if (file === undefined) {
    throw new SpawnError(options.cmd, `setting supplementary groups needs setpriv, which is not installed (looked for ${SETPRIV_PATHS.join(' and ')}); install util-linux, or leave out groups`, { code: 'ENOENT' });
  }
  if (process.getuid?.() !== 0) {
    throw new SpawnError(options.cmd, `operation not permitted (EPERM): only root can set supplementary groups (this process runs as uid ${process.getuid?.() ?? '?'}); leave out groups, or run as root`, { code: 'EPERM' });
  }
  if (setgroupsDenied()) {
    throw new SpawnError(options.cmd, 'operation not permitted (EPERM): this user namespace denies setting groups (/proc/self/setgroups says deny, as unshare -r sets it); leave out groups, or run outside this namespace', { code: 'EPERM' });
  }
  const unmapped = [...unmappedIds(options.uid, options.gid), ...groups.flatMap((group) => unmappedIds(undefined, group))];
  if (unmapped.length > 0) throw new SpawnError(options.cmd, `${unmapped.join(' and ')} not mapped in this user namespace (EINVAL; see /proc/self/uid_map and gid_map); run it as an id mapped here, or outside this namespace`, { code: 'EINVAL' });
  const args = [
    ...(options.uid === undefined ? [] : [`--reuid=${options.uid}`]),
    ...(options.gid === undefined ? [] : [`--regid=${options.gid}`]),
    groups.length === 0 ? '--clear-groups' : `--groups=${groups.join(',')}`,
    '--',
  ];
  return { file, args };
}
