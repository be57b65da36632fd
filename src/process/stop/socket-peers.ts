import { node } from '../../builtins.js';

/**
 * The other ends of `ends`, sockets this process holds (`socket:[1234]`), as the kernel names them:
 * the child's ends of the pipes Node made it, which are socket pairs (see ./pipe-holders.ts). Only
 * the kernel's socket diagnostics pair the two ends of a socket pair (/proc names each end, never
 * its peer; nor can Node open a netlink socket), and `ss` (iproute2) is their command-line client,
 * so it is asked, once, for a child that was gone before its own ends could be read. Neighbouring
 * inode numbers were no answer: the two ends of a pair usually have them, but not when the kernel
 * moved the call to another CPU between the two, and a wrong guess would stop an unrelated process.
 * No `ss`, no socket diagnostics in the kernel, or no answer within {@link SS_TIMEOUT_MS}: none
 * (the drain then gives up on the pipe, as for any holder not found).
 */
export async function socketPeers(ends: readonly string[]): Promise<string[]> {
  if (inodesOf(ends).size === 0) return [];
  const listing = await new Promise<string>((resolve) => {
    node.childProcess.execFile('ss', SS_ARGS, ssOptions(), (error, stdout) => resolve(error === null ? stdout : ''));
  });
  return peersIn(listing, ends);
}

/**
 * {@link socketPeers} for each of `endSets`, at once, from one listing: for a parent about to die,
 * whose search (which awaits `ss`) would never be finished, and which must still SIGKILL what holds
 * the pipes of a child gone before its ends were read.
 */
export function socketPeersNow(endSets: readonly (readonly string[])[]): string[][] {
  if (endSets.every((ends) => inodesOf(ends).size === 0)) return endSets.map(() => []);
  const probe = node.childProcess.spawnSync('ss', SS_ARGS, { ...ssOptions(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const listing = probe.error === undefined && probe.status === 0 ? probe.stdout : '';
  return endSets.map((ends) => peersIn(listing, ends));
}

function inodesOf(ends: readonly string[]): Set<string> {
  return new Set(ends.map((end) => /^socket:\[(\d+)\]$/.exec(end)?.[1]).filter((inode) => inode !== undefined));
}

/** The peers `ss -xn`'s `listing` gives for `ends`. */
function peersIn(listing: string, ends: readonly string[]): string[] {
  const inodes = inodesOf(ends);
  const peers: string[] = [];
  for (const line of listing.split('\n')) {
    // "u_str ESTAB 0 0 * 20082878 * 20082877": an unnamed socket's address is `*`, its port the inode.
    const [, local, peer] = /^\S+\s+\S+\s+\d+\s+\d+\s+\*\s+(\d+)\s+\*\s+(\d+)\b/.exec(line) ?? [];
    if (local !== undefined && peer !== undefined && peer !== '0' && inodes.has(local)) peers.push(`socket:[${peer}]`);
  }
  return peers;
}

/** How long `ss` may take: it lists every Unix socket of the host, some thousands on a busy one. */
const SS_TIMEOUT_MS = 5000;

const SS_ARGS = ['-xn'];

/** How `ss` is run: looked for where distributions put it as well, sbin included. */
function ssOptions(): { env: NodeJS.ProcessEnv; timeout: number; maxBuffer: number } {
  const path = [process.env.PATH, '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter(Boolean).join(':');
  return { env: { PATH: path, LC_ALL: 'C' }, timeout: SS_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 };
}
