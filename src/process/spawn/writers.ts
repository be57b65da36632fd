import { node } from '../../builtins.js';
import { statOf } from '../stat.js';

/** A process that holds a file open for writing: its pid and its name (`/proc/PID/comm`). */
export interface Writer {
  readonly pid: number;
  readonly name: string;
}

/** What a look for writers saw: for each file looked for, the processes seen writing it, in pid order. */
export interface WritersSeen {
  readonly writers: ReadonlyMap<string, readonly Writer[]>;
  /** What ended the look before it had seen every process: its time (`maxMs`) or a cancel; undefined when it saw them all. */
  readonly cutShortBy: 'time' | 'cancel' | undefined;
}

/**
 * How long a look for writers may take in all. It stats every open file on the system: some
 * 350 ms at 57,000 fds here, 400 ms on a desktop of 50,000. The look only improves the words of an
 * error already on its way (a start that failed, maybe in a restart loop), so it gives up rather
 * than hold that error, and spend a core, for longer.
 */
export const WRITERS_LOOK_MS = 1000;

/**
 * How many open files are looked at between two turns of the event loop: a few milliseconds of
 * stats, so output, probes and Ctrl-C go on while the look runs.
 */
const FDS_PER_TURN = 512;

/** The bits of an open file's flags that say how it was opened: O_RDONLY is 0, so any other value can write. */
const ACCESS_MODE = 0o3;

/**
 * The processes this user can see that hold each of `paths` open for writing (one look for all of
 * them); none when none is seen, or there is no /proc (not Linux).
 *
 * Why look. Linux refuses to exec a file anything holds open for writing (ETXTBSY: a binary still
 * being copied, a build still linking it), and the spawn gate's shell reports that as the same
 * status 126 as a binary it cannot run at all. The writer, seen, tells the two apart. Looking
 * costs a stat per open file on the system, so it is done only once a start has failed, a few
 * hundred files per turn of the event loop, for at most `maxMs` (default {@link WRITERS_LOOK_MS}),
 * and no longer once `cancelled` aborts (whoever waits for the error no longer wants its words);
 * the newest processes first, as a copy or a build still under way is most likely one of them. A process of another user cannot be seen (its fd table is closed to
 * us), nor a writable shared mapping whose fd was closed: such a writer goes unseen.
 */
export async function writersOf(paths: readonly string[], maxMs = WRITERS_LOOK_MS, cancelled?: AbortSignal): Promise<WritersSeen> {
  const targets = paths.flatMap((path) => {
    const stats = statOf(path);
    return stats === undefined ? [] : [{ path, dev: stats.dev, ino: stats.ino }];
  });
  const found = new Map<string, Writer[]>(paths.map((path) => [path, []]));
  if (targets.length === 0) return { writers: found, cutShortBy: undefined };
  const deadline = performance.now() + maxMs;
  let looked = 0;
  let cutShortBy: WritersSeen['cutShortBy'];
  look: for (const pid of processIds()) {
    const writing = new Set<string>();
    for (const fd of entries(`/proc/${pid}/fd`)) {
      // Counted per file, not per process: one process may hold tens of thousands of them.
      if (++looked % FDS_PER_TURN === 0) await nextTurn();
      // The cancel first: a stop that came while the time ran out is what the caller is told of.
      cutShortBy = cancelled?.aborted === true ? 'cancel' : performance.now() >= deadline ? 'time' : undefined;
      if (cutShortBy !== undefined) break look;
      const open = statOf(`/proc/${pid}/fd/${fd}`);
      if (open === undefined) continue;
      for (const { path } of targets.filter(({ dev, ino }) => open.dev === dev && open.ino === ino)) {
        if (opensForWriting(pid, fd)) writing.add(path);
      }
    }
    for (const path of writing) found.get(path)?.push({ pid, name: processName(pid) });
  }
  for (const writers of found.values()) writers.sort((a, b) => a.pid - b.pid);
  return { writers: found, cutShortBy };
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The pids in /proc, newest first (highest first: pids wrap, but rarely within a build's time). */
function processIds(): number[] {
  return entries('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => b - a);
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
