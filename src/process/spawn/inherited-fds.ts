import type { StdioOptions } from 'node:child_process';
import { node } from '../../builtins.js';

/** One entry of a spawn's `stdio` array. */
export type StdioEntry = Extract<StdioOptions, readonly unknown[]>[number];

/** O_CLOEXEC as /proc/PID/fdinfo's `flags:` shows it (octal; the same on every Linux architecture Node runs on). */
const O_CLOEXEC = 0o2000000;

/**
 * The file descriptors above stderr that a child of this process would inherit: those not marked
 * close-on-exec. Node and libuv open every fd of theirs close-on-exec, so these came from whoever
 * started this process (a shell's `exec 9</root/token`, a `flock 9` held around it, a CI runner's
 * pipe) or from native code. Read from /proc/self/fdinfo; empty where there is none (macOS).
 */
export function inheritableFds(): number[] {
  let names: string[];
  try {
    names = node.fs.readdirSync('/proc/self/fdinfo');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (!(fd > 2)) continue;
    let info: string;
    try {
      info = node.fs.readFileSync(`/proc/self/fdinfo/${name}`, 'utf8');
    } catch {
      continue; // closed meanwhile (the listing's own fd among them)
    }
    const flags = /^flags:\s*([0-7]+)$/m.exec(info)?.[1];
    if (flags !== undefined && (Number.parseInt(flags, 8) & O_CLOEXEC) === 0) found.push(fd);
  }
  return found.sort((a, b) => a - b);
}

/** Whether a child started with `uid`/`gid` runs as another user or group than this process. */
export function crossesUsers(uid: number | undefined, gid: number | undefined): boolean {
  return (uid !== undefined && uid !== process.geteuid?.()) || (gid !== undefined && gid !== process.getegid?.());
}

/**
 * `stdio`, with `/dev/null` (the fd `nullFd`) put over each of `leaked` it does not set already:
 * a child run as another user must not get this process's files through an fd (one open on a file
 * only root may read would let it read that file), as systemd's `User=` services and sudo's
 * commands get none. Node cannot close an fd in the child, but it puts an fd given in `stdio` at
 * that index (dup2), which replaces what was there; the indexes between are `'ignore'`, which
 * leaves an fd above stderr as it is (a close-on-exec one of ours is gone at the exec anyway).
 */
export function withLeakedFdsBlanked(stdio: readonly StdioEntry[], leaked: readonly number[], nullFd: number): StdioEntry[] {
  const blanked = [...stdio];
  for (const fd of leaked) {
    if (fd < blanked.length) continue;
    while (blanked.length < fd) blanked.push('ignore');
    blanked.push(nullFd);
  }
  return blanked;
}
