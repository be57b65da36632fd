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
  const inodes = new Set(ends.map((end) => /^socket:\[(\d+)\]$/.exec(end)?.[1]).filter((inode) => inode !== undefined));
  if (inodes.size === 0) return [];
  const listing = await unixSockets();
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

/** `ss -xn`'s listing, or '' when it cannot be had. Looked for where distributions put it as well, sbin included. */
function unixSockets(): Promise<string> {
  const path = [process.env.PATH, '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter(Boolean).join(':');
  return new Promise((resolve) => {
    node.childProcess.execFile('ss', ['-xn'], { env: { PATH: path, LC_ALL: 'C' }, timeout: SS_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      resolve(error === null ? stdout : '');
    });
  });
}
