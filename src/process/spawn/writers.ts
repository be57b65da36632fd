import { node } from '../../builtins.js';
import { statOf } from '../stat.js';

/** A process that holds a file open for writing: its pid and its name (`/proc/PID/comm`). */
export interface Writer {
  readonly pid: number;
  readonly name: string;
}

/** The bits of an open file's flags that say how it was opened: O_RDONLY is 0, so any other value can write. */
const ACCESS_MODE = 0o3;

/**
 * The processes this user can see that hold `path` open for writing, in pid order; empty when none
 * is seen, or there is no /proc (not Linux).
 *
 * Why look. Linux refuses to exec a file anything holds open for writing (ETXTBSY: a binary still
 * being copied, a build still linking it), and the spawn gate's shell reports that as the same
 * status 126 as a binary it cannot run at all. The writer, seen, tells the two apart. Looking
 * costs a stat per open file on the system, so it is done only once a start has failed. A process
 * of another user cannot be seen (its fd table is closed to us), nor a writable shared mapping
 * whose fd was closed: such a writer goes unseen.
 */
export function writersOf(path: string): Writer[] {
  const target = statOf(path);
  if (target === undefined) return [];
  const writers: Writer[] = [];
  for (const pid of processIds()) {
    const fds = entries(`/proc/${pid}/fd`);
    const writing = fds.some((fd) => {
      const open = statOf(`/proc/${pid}/fd/${fd}`);
      return open !== undefined && open.dev === target.dev && open.ino === target.ino && opensForWriting(pid, fd);
    });
    if (writing) writers.push({ pid, name: processName(pid) });
  }
  return writers;
}

function processIds(): number[] {
  return entries('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

/** The names in `directory`, or none when it cannot be read (gone, or another user's). */
function entries(directory: string): string[] {
  try {
    return node.fs.readdirSync(directory);
  } catch {
    return [];
  }
}

/** Whether fd `fd` of `pid` was opened to write, from the octal `flags:` line of its fdinfo. */
function opensForWriting(pid: number, fd: string): boolean {
  const flags = /^flags:\s+([0-7]+)$/m.exec(readText(`/proc/${pid}/fdinfo/${fd}`))?.[1];
  return flags !== undefined && (Number.parseInt(flags, 8) & ACCESS_MODE) !== 0;
}

function processName(pid: number): string {
  return readText(`/proc/${pid}/comm`).trim() || '?';
}

function readText(path: string): string {
  try {
    return node.fs.readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
