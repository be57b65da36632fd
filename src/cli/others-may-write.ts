import { dirname, resolve } from 'node:path';
import type { Stats } from 'node:fs';
import { node } from '../builtins.js';
import { canonicalPathOf, lstatOf, statOf } from '../process/stat.js';
import { STDIN_CONFIG } from './config/location.js';

/** Who, besides root and this process's user, may own the directories without being a danger (see {@link directoryOthersMayWrite}). */
export interface Trusted {
  /** The config file read: its owner is trusted, as what it says is run as this user anyway. */
  readonly configFile?: string | undefined;
  /**
   * The config file's owner as it was when the run read it (see {@link trustAsRead}); when given,
   * `configFile` is not looked at again.
   */
  readonly configOwner?: number | undefined;
  /**
   * The caller puts its files in `dir` as new ones, never through a name already there (the export,
   * see ./export/new-file.ts): `dir` itself is then looked at as a directory above it is, and may be
   * sticky and world-writable (`-o /tmp/compose.yaml`) or writable by its group; it is still refused
   * when another user owns it or may replace it.
   */
  readonly writesNewFiles?: boolean | undefined;
}

/** A directory another user may put names in, and why. */
export interface OpenDirectory {
  readonly path: string;
  /** Who else may write there, in words: `another user (uid 65534) owns it`, `every user may write it`. */
  readonly why: string;
}

/**
 * The first directory on the way to `dir` (from `/` down, `dir` included; along the path as given
 * and along where its links lead) in which a user other than this one may put or replace a name,
 * or undefined when there is none.
 *
 * What subvisor writes there (a log file, opened by name and rotated by rename, as root too) goes
 * wherever that name leads: a user who may put a link there as `web.log` has this run append to,
 * and rename, any file it can reach (`/etc/shadow`). logrotate refuses such directories for the
 * same reason ("parent directory has insecure permissions"), and systemd refuses the link itself
 * ("unsafe path transition"). Read from the mode bits:
 * - a directory owned by a user other than root, this process's and the config file's owner (who
 *   decides what the run starts anyway) is theirs to fill;
 * - `dir` itself, where the names are, may be written by its owner alone (and its group when that is
 *   root's or this process's own, a user's private group under a umask of 002); a sticky bit does not
 *   help there, as another user may still put a name before the run does;
 * - a directory above it may be written by others when it is sticky (`/tmp`: a name there is
 *   replaced by its owner alone), and by its group (`/var/log` is `root:syslog 0775` on Debian; the
 *   group is for system daemons, and refusing it would refuse every log directory under it);
 * - a link on the way owned by such another user is theirs to point elsewhere at any moment, after
 *   this look (a `.subvisor` or `logs` link another user put first in a sticky `/tmp/project`):
 *   where it leads now says nothing of where it will lead (systemd's "unsafe path transition").
 *
 * ACLs are not consulted.
 */
export function directoryOthersMayWrite(dir: string, trusted: Trusted = {}): OpenDirectory | undefined {
  const uids = trustedUsers(trusted);
  // Nothing to compare with where there are no users (Windows).
  if (uids === undefined) return undefined;
  const groups = new Set([0, process.getegid?.()]);
  const absolute = resolve(dir);
  const canonical = canonicalPathOf(absolute);
  const ways = canonical === undefined || canonical === absolute ? [absolute] : [absolute, canonical];
  for (const way of ways) {
    for (const directory of [...ancestors(way), way]) {
      // Before its target is looked at: a link to nothing yet is theirs to make lead somewhere later.
      const link = lstatOf(directory);
      if (link?.isSymbolicLink() === true && !uids.has(link.uid)) return { path: directory, why: `it is a link another user (uid ${link.uid}) owns, who may point it elsewhere at any time` };
      const stat = statOf(directory);
      if (stat === undefined) continue; // missing or closed: nothing anyone puts there is reached through it
      const why = otherWriter(stat, directory === way && trusted.writesNewFiles !== true, uids, groups);
      if (why !== undefined) return { path: directory, why };
    }
  }
  return undefined;
}

/** Root, this process's user and the config file's owner (see {@link directoryOthersMayWrite}); undefined where there are no users (Windows). */
function trustedUsers(trusted: Trusted): ReadonlySet<number> | undefined {
  const own = process.geteuid?.();
  if (own === undefined) return undefined;
  const configOwner = trusted.configOwner ?? configOwnerOf(trusted.configFile);
  return new Set([0, own, ...(configOwner === undefined ? [] : [configOwner])]);
}

/**
 * `trusted` with the config file's owner read now, once, for a check asked again during the run
 * (each log file's open): the trust is in who wrote the config the run read. A config moved aside
 * later (`git checkout` of a branch without it, an editor's backup) has no owner to read, and one
 * put in its place another owner, neither of which changes what the run was told to do.
 */
export function trustAsRead(trusted: Trusted): Trusted {
  if (trusted.configFile === undefined) return trusted;
  return { ...trusted, configOwner: configOwnerOf(trusted.configFile) };
}

/**
 * The owner of the config file `file`; none for one read from standard input (`-f -`): whoever fed
 * it is unknown, and `-` is no file of it (one by that name in the current directory, put there by
 * anyone in a shared one, is not what the run read).
 */
function configOwnerOf(file: string | undefined): number | undefined {
  return file === undefined || file === STDIN_CONFIG ? undefined : statOf(file)?.uid;
}

/**
 * Whether the name `path` itself (a link not followed) is there and a trusted user's (see
 * {@link directoryOthersMayWrite}): in a directory above it that is sticky, no one else may then
 * remove it, replace it or point it elsewhere. For a directory just made there, where another user
 * may have put a name of theirs first, or taken it away.
 */
export function madeByTrusted(path: string, trusted: Trusted = {}): boolean {
  const entry = lstatOf(path);
  if (entry === undefined) return false;
  return trustedUsers(trusted)?.has(entry.uid) ?? true;
}

/** Who other than a trusted user may write a directory of `stat`, if anyone (see {@link directoryOthersMayWrite}). */
function otherWriter(stat: Stats, holdsTheNames: boolean, uids: ReadonlySet<number>, groups: ReadonlySet<number | undefined>): string | undefined {
  if (!uids.has(stat.uid)) return `another user (uid ${stat.uid}) owns it`;
  const sticky = (stat.mode & 0o1000) !== 0;
  if ((stat.mode & 0o002) !== 0 && (holdsTheNames || !sticky)) return 'every user may write it';
  if ((stat.mode & 0o020) !== 0 && holdsTheNames && !groups.has(stat.gid)) return `the group ${stat.gid} may write it`;
  return undefined;
}

/** `/a/b/c` → `/`, `/a`, `/a/b`. */
function ancestors(path: string): string[] {
  const found: string[] = [];
  for (let directory = dirname(path); ; directory = dirname(directory)) {
    found.unshift(directory);
    if (directory === dirname(directory)) return found;
  }
}

/**
 * The refusal of `dir` (`what` names it: `the log directory`), in words, when another user may
 * write there (see {@link directoryOthersMayWrite}); undefined when none may.
 */
export function refusalOfOpenDirectory(what: string, dir: string, trusted: Trusted): string | undefined {
  const open = directoryOthersMayWrite(dir, trusted);
  if (open === undefined) return undefined;
  const where = open.path === dir ? `${what} ${dir}` : `${what} ${dir} is under ${open.path}, and that directory`;
  return `${where} is open to other users: ${open.why}; a link put there could lead what subvisor writes (as root too) to any file it may write`;
}

/** The kernel follows at most 40 links in a row (Linux's MAXSYMLINKS) before saying ELOOP. */
const MAX_LINK_HOPS = 40;

/**
 * The directories `path` leads into when it is a link, hop by hop (`logs/web.log -> /data/web.log`:
 * `/data`), each as the kernel reads it (a relative target from its link's real directory); none
 * when it is not a link, or not there. A name in any of them decides, as much as `path`'s own
 * directory, which file a write through `path` reaches.
 */
export function directoriesLinksLeadInto(path: string): string[] {
  return followLinks(path).directories;
}

/**
 * Whether `path` leads, through its links, to a file a process has open (`/dev/stdout`,
 * `/dev/fd/N`, `/proc/PID/fd/N`): the kernel reaches that file by no name, so renaming the name it
 * has elsewhere (`up > out.txt`) leaves `path` on the same file.
 */
export function leadsToAnOpenFile(path: string): boolean {
  return followLinks(path).openFile;
}

/** {@link directoriesLinksLeadInto}, and whether the chain ends in a link in /proc (see {@link leadsToAnOpenFile}). */
function followLinks(path: string): { readonly directories: string[]; readonly openFile: boolean } {
  const directories: string[] = [];
  let at = resolve(path);
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    let target: string;
    try {
      target = node.fs.readlinkSync(at);
    } catch {
      return { directories, openFile: false }; // not a link (EINVAL), or not there: the chain ends
    }
    const directory = canonicalPathOf(dirname(at)) ?? dirname(at);
    // A link in /proc (`/dev/stdout` -> /proc/self/fd/1) reaches the file a process has open, by
    // no name in a directory: what its readlink says (`/tmp/out.txt`) is not looked up again.
    if (directory === '/proc' || directory.startsWith('/proc/')) return { directories, openFile: true };
    at = resolve(directory, target);
    directories.push(dirname(at));
  }
  return { directories, openFile: false };
}
