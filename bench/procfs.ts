// Peak memory of another process, for the scenarios that time whole commands (S8, S9). The
// runner's way (getrusage of the measuring process itself) is not open to us there: the process
// is a CLI we only spawn, and Node has no wait4() to hand back a child's rusage. Linux keeps the
// figure while the process lives: VmHWM in /proc/PID/status, the high-water mark of its resident
// set. It only grows, so polling it loses no peak reached before the last reading; what it can miss
// is growth in the last interval before the process exits (its memory is gone from /proc at exit,
// before the parent reaps it). The interval is short for that reason; each reading is one small
// read of a file the kernel writes on demand, far below the noise of what is measured.
import { readdirSync, readFileSync } from 'node:fs';

/** How often the peak is read: short, because growth in the last interval before exit is missed. */
export const RSS_POLL_MS = 20;

/**
 * Follows the peak RSS of one process: `rootPid` itself, or the first of its descendants whose
 * argv `isTool` accepts (the CLI under `sh -c 'CLI | wc -l'`). A descendant is looked for at
 * every reading until found, since a shell's child is a copy of the shell until it execs.
 */
export class PeakRssWatch {
  #pid: number | undefined;
  #peakBytes: number | undefined;
  #ended = false;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly rootPid: number,
    private readonly isTool: (argv: readonly string[]) => boolean,
  ) {
    this.#read();
    this.#timer = setInterval(() => this.#read(), RSS_POLL_MS);
  }

  /** The last reading, in bytes, once the process has exited; `undefined` if none was taken. */
  stop(): number | undefined {
    clearInterval(this.#timer);
    return this.#peakBytes;
  }

  /** The process watched, once found. */
  get pid(): number | undefined {
    return this.#pid;
  }

  #read(): void {
    if (this.#ended) return;
    this.#pid ??= [this.rootPid, ...descendants(this.rootPid)].find((pid) => this.isTool(argvOf(pid)));
    if (this.#pid === undefined) return;
    const peak = vmHwmBytes(this.#pid);
    // Gone, or a zombie (its memory already released): the previous reading is the last one.
    if (peak === undefined) this.#ended = true;
    else this.#peakBytes = peak;
  }
}

/** The argv of a live process, or `[]` when it is gone. */
export function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').slice(0, -1);
  } catch {
    return [];
  }
}

/** Every live descendant of `pid`, parents before their children (Linux's `children` files). */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
    for (const child of childrenOf(parent)) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function childrenOf(pid: number): number[] {
  try {
    // One `children` file per thread: a child forked by any thread of a Node process is listed
    // under that thread (libuv's spawn runs on the main one, but do not rely on it).
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ').filter(Boolean).map(Number));
  } catch {
    return []; // gone meanwhile
  }
}

function vmHwmBytes(pid: number): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}
