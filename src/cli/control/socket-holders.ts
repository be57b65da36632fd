import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';
import { isClaimOn } from './claim-lock.js';

/**
 * Whether one of `ancestors` (processes above this one; this one excluded, as it is not the run)
 * holds the control socket at `absolute`: its listening socket, or the claim on its path (see
 * claimPath). Undefined when /proc cannot tell: it is not there, it lists no such socket (one of
 * another network namespace), or an ancestor of this user does not show its fds. Why look. A run this process runs inside is one of its ancestors, so a run
 * that no ancestor holds is not one to ask which of its processes this is; and asking a run that
 * cannot answer (suspended by SIGSTOP, Ctrl-Z) waits out the whole query timeout before the
 * plain refusal. Ancestors of another user are passed over: a run of theirs is not ours to ask.
 */
export function ancestorHoldsSocket(absolute: string, ancestors: ReadonlySet<number>): boolean | undefined {
  const inodes = socketInodesOf(absolute);
  // None listed: /proc/net/unix lists this network namespace's sockets only, and a run in another
  // (this up started under `unshare -n`, `ip netns exec`) is still reached through the file.
  if (inodes === undefined || inodes.size === 0) return undefined;
  let cannotTell = false;
  for (const pid of ancestors) {
    if (pid === process.pid) continue;
    const held = holdsOneOf(pid, inodes);
    if (held === true) return true;
    if (held === undefined) cannotTell = true;
  }
  return cannotTell ? undefined : false;
}

/** The inodes of the sockets /proc/net/unix lists bound at `absolute` (the same file, by any path) or claiming it; undefined without /proc. */
function socketInodesOf(absolute: string): Set<string> | undefined {
  let table: string;
  try {
    table = node.fs.readFileSync('/proc/net/unix', 'latin1');
  } catch {
    return undefined;
  }
  const file = statOf(absolute);
  const base = node.path.basename(absolute);
  const inodes = new Set<string>();
  // "Num RefCount Protocol Flags Type St Inode Path": the path, last, may hold blanks.
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const inode = fields[6];
    const path = fields.slice(7).join(' ');
    if (inode === undefined || path === '') continue;
    if (path.startsWith('@') ? isClaimOn(path, absolute) : path.endsWith(base) && file !== undefined && sameFile(statOf(path), file)) inodes.add(inode);
  }
  return inodes;
}

/** Whether `pid` holds a socket of `inodes` open; undefined when its fds cannot be read though it is this user's. */
function holdsOneOf(pid: number, inodes: ReadonlySet<string>): boolean | undefined {
  let fds: string[];
  try {
    fds = node.fs.readdirSync(`/proc/${pid}/fd`);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false; // gone meanwhile
    return statOf(`/proc/${pid}`)?.uid === process.getuid?.() ? undefined : false;
  }
  return fds.some((fd) => {
    try {
      return inodes.has(/^socket:\[(\d+)\]$/.exec(node.fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
    } catch {
      return false; // closed meanwhile
    }
  });
}

function statOf(path: string): { readonly dev: number; readonly ino: number; readonly uid: number } | undefined {
  try {
    return node.fs.statSync(path);
  } catch {
    return undefined;
  }
}

function sameFile(a: { readonly dev: number; readonly ino: number } | undefined, b: { readonly dev: number; readonly ino: number }): boolean {
  return a !== undefined && a.dev === b.dev && a.ino === b.ino;
}
