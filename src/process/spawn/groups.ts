import { node } from '../../builtins.js';
import { SpawnError } from '../errors.js';
import type { ResolvedRunOptions } from '../options.js';
import { OWN_ID_MAPS, setgroupsDenied, unmappedIds } from './id-map.js';
import { ENV, installed } from './installed.js';
import { envVariables } from './exec-args.js';

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
 * child given `groups`. setpriv, root, never sees the child's loader variables (see
 * {@link switchedSpawn}).
 */
export interface IdSwitch {
  readonly file: string;
  /** setpriv's arguments, up to and including the `--` after which the program and its arguments go. */
  readonly args: readonly string[];
}

const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv'];

/** Where setpriv is installed (looked for once); undefined when it is not. */
export function installedSetpriv(): string | undefined {
  return SETPRIV_PATHS.find(installed);
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
 * here: no setpriv, not root, a capability it needs left out, or an id this user namespace does
 * not map (setpriv would fail in the child, after the spawn, as an exit of the command).
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
  const lacking = capabilitiesLacking(options);
  if (lacking.length > 0) {
    throw new SpawnError(options.cmd, `operation not permitted (EPERM): setting groups and ids needs ${lacking.join(' and ')}, which this process's capability bounding set leaves out (a container's --cap-drop, a service's CapabilityBoundingSet); give it back, or leave out groups`, { code: 'EPERM' });
  }
  if (setgroupsDenied()) {
    throw new SpawnError(options.cmd, 'operation not permitted (EPERM): this user namespace denies setting groups (/proc/self/setgroups says deny, as unshare -r sets it); leave out groups, or run outside this namespace', { code: 'EPERM' });
  }
  const unmapped = unmappedIds(options.uid, options.gid, OWN_ID_MAPS, groups);
  if (unmapped.length > 0) throw new SpawnError(options.cmd, `${unmapped.join(' and ')} not mapped in this user namespace (EINVAL; see /proc/self/uid_map and gid_map); run it as an id mapped here, or outside this namespace`, { code: 'EINVAL' });
  const args = [
    ...(options.uid === undefined ? [] : [`--reuid=${options.uid}`]),
    ...(options.gid === undefined ? [] : [`--regid=${options.gid}`]),
    groupsArgument(groups),
    '--',
  ];
  return { file, args };
}

/** setpriv's argument that sets the supplementary groups to `groups` (none: `--clear-groups`). */
export function groupsArgument(groups: readonly number[]): string {
  return groups.length === 0 ? '--clear-groups' : `--groups=${groups.join(',')}`;
}

/** The capabilities setpriv uses, by their bit in /proc's capability masks (linux/capability.h). */
const CAP_SETGID = 6n;
const CAP_SETUID = 7n;

/**
 * The capabilities setpriv would need for `options` and not have: CAP_SETGID for the groups and a
 * gid, CAP_SETUID for a uid. setpriv, exec'd by root, holds this process's bounding set
 * (capabilities(7), a root's exec); one left out (`docker run --cap-drop SETGID`, a unit's
 * `CapabilityBoundingSet=`) makes it fail in the child with status 127, which reads as the
 * command's own exit. None is named when /proc/self/status cannot be read (not Linux).
 */
function capabilitiesLacking(options: ResolvedRunOptions): string[] {
  let bounding: bigint;
  try {
    const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(node.fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (hex === undefined) return [];
    bounding = BigInt(`0x${hex}`);
  } catch {
    return [];
  }
  const needed: [string, bigint][] = [['CAP_SETGID', CAP_SETGID], ...(options.uid === undefined ? [] : [['CAP_SETUID', CAP_SETUID] as [string, bigint]])];
  return needed.filter(([, bit]) => ((bounding >> bit) & 1n) === 0n).map(([name]) => name);
}

/**
 * What makes a process's dynamic loader or libc load code or write files named by its environment:
 * glibc's list of variables it drops for a setuid program (`unsecvars.h`), all `LD_*` and
 * `MALLOC_*` among them. TMPDIR, also on that list, is left: setpriv makes no temporary file.
 */
const LOADER_VARIABLE = /^(?:LD_\w*|MALLOC_\w*|GCONV_PATH|GETCONF_DIR|GLIBC_TUNABLES|HOSTALIASES|LOCALDOMAIN|LOCPATH|NIS_PATH|NLSPATH|RESOLV_HOST_CONF|RES_OPTIONS|TZDIR)$/;


/**
 * How to spawn setpriv so that it execs `file` with `args` and `env` as the ids switched.
 *
 * setpriv runs as root with the environment it is given. Given the child's, `LD_PRELOAD` from it
 * would load into a root process, and `LD_DEBUG_OUTPUT` make one create files where it names: a
 * caller running a job as `nobody` with the job's own environment would hand the job root. Without
 * the switch, Node's spawn ran nothing before the exec as the user. So setpriv gets the environment
 * without the {@link LOADER_VARIABLE}s, and `env`, run as the user, puts them back before it execs
 * `file` (an exec more, only when there are any).
 *
 * setpriv also keeps root's capabilities until its own exec (PR_SET_KEEPCAPS, to set the groups
 * after the uid), so that exec is checked as root's: a program the user may not execute (mode
 * 0700, or in a directory closed to it) would run as the user. `file` is exec'd by setpriv itself
 * only when `rootMayExec` (the gate's /bin/sh, which then execs the command as the user alone);
 * any other goes through `env` too, exec'd as the user without the capabilities.
 */
export function switchedSpawn(ids: IdSwitch, file: string, args: readonly string[], env: NodeJS.ProcessEnv, cmd: readonly string[] | string, rootMayExec: boolean): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const safe: NodeJS.ProcessEnv = {};
  const held: string[] = [];
  for (const [name, value] of envVariables(env)) {
    if (value === undefined) continue;
    if (LOADER_VARIABLE.test(name)) held.push(`${name}=${value as string}`);
    else safe[name] = value as string;
  }
  if (held.length === 0 && rootMayExec) return { file: ids.file, args: [...ids.args, file, ...args], env };
  // env reads a first word with `=` as one more assignment, and one with a leading `-` as an option.
  if (file.includes('=') || file.startsWith('-') || !installed(ENV)) {
    if (held.length === 0) {
      throw new SpawnError(cmd, `cannot run ${file} with groups: setpriv, which sets them, runs as root and would exec it with root's permissions, and ${ENV} cannot exec it in its place; leave out groups, or name the program another way`, { code: 'EINVAL' });
    }
    throw new SpawnError(cmd, `cannot pass ${held.map((assignment) => assignment.slice(0, assignment.indexOf('='))).join(', ')} to a command given groups: setpriv, which sets them, runs as root, and ${ENV} cannot put them back for ${file}; leave them out of its environment, or leave out groups`, { code: 'EINVAL' });
  }
  return { file: ids.file, args: [...ids.args, ENV, ...held, file, ...args], env: safe };
}
