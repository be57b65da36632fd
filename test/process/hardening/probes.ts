// Probes shared by the hardening tests: what a run leaves behind, and a parent process to kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { isBuildFresh } from '../../../scripts/build-freshness.js';
import { isRunning, waitUntil } from '../../support/processes.js';

export { isRunning, waitUntil };

/** What a finished scope must give back: fds, process listeners, timers, child zombies. */
export interface Resources {
  readonly fds: string[];
  readonly listeners: Record<string, number>;
  readonly timers: number;
  readonly zombieChildren: number[];
}

export function resources(): Resources {
  const listeners: Record<string, number> = {};
  for (const name of process.eventNames()) {
    if (typeof name === 'string') listeners[name] = process.listenerCount(name);
  }
  return {
    fds: openFds(),
    listeners,
    timers: process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length,
    zombieChildren: childrenOf(process.pid).filter(({ state }) => state === 'Z').map(({ pid }) => pid),
  };
}

// tsx, the test's loader, works in its cache directory on its own schedule: it writes each file it
// compiles through an fd of its own, and the first write starts a walk of the whole directory to
// expire old entries (one fd for the walk, which on a cache of thousands of files outlasts the
// first test when the file's modules were not cached yet, as in a fresh CI run).
const tsxCache = join(tmpdir(), `tsx-${process.geteuid?.() ?? userInfo().username}`);

/** Our open fds with what they point at (sorted), so a leak says what leaked; tsx's own are left out. */
export function openFds(): string[] {
  const fds: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target === tsxCache || target.startsWith(`${tsxCache}/`)) continue;
      fds.push(`${fd} -> ${target}`);
    } catch {
      // the fd readdir itself used, closed by now
    }
  }
  return fds.sort();
}

interface ProcEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  readonly state: string;
  readonly comm: string;
}

function procEntries(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      entries.push({ pid: Number(name), state: fields[0] ?? '?', ppid: Number(fields[1]), pgrp: Number(fields[2]), comm });
    } catch {
      // exited while we looked
    }
  }
  return entries;
}

export function childrenOf(pid: number): ProcEntry[] {
  return procEntries().filter((entry) => entry.ppid === pid);
}

/** The running (non-zombie) members of process group `pgid`, by command name. */
export function groupMembers(pgid: number): string[] {
  return procEntries()
    .filter((entry) => entry.pgrp === pgid && entry.state !== 'Z' && entry.state !== 'X')
    .map(({ comm }) => comm);
}

/** A process's state letter from /proc (`R`, `S`, `T` when stopped, `Z`), or undefined once it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** The running watchdogs (src/process/stop/watchdog.ts) that `parent` started: its children named so in their argv. */
export function watchdogsOf(parent: number): number[] {
  return childrenOf(parent)
    .filter(({ pid, state }) => {
      if (state === 'Z') return false;
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('\0subvisor-watchdog\0');
      } catch {
        return false; // exited while we looked
      }
    })
    .map(({ pid }) => pid);
}

/**
 * Every running (non-zombie) process whose environment holds `SUBVISOR_TEST_TAG=tag`: children and
 * whatever they started, however deep, even if they escaped their group. Tag the children with
 * `env: { ...process.env, SUBVISOR_TEST_TAG: tag }`.
 */
export function runningTagged(tag: string): number[] {
  const needle = `SUBVISOR_TEST_TAG=${tag}\0`;
  const found: number[] = [];
  for (const { pid, state } of procEntries()) {
    if (state === 'Z' || state === 'X' || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle)) found.push(pid);
    } catch {
      // exited, or not ours to read
    }
  }
  return found;
}

/** The children in the orphan tests obey SIGTERM: once their parent is dead, what still runs after this is an orphan (generous: on a loaded machine the watchdog, a shell, may wait seconds for a core; only a failing run waits it out). */
const ORPHANS_STOPPED_WITHIN_MS = 8000;

/**
 * How many tagged processes still run once a dead parent's watchdog has had time to stop them;
 * 0 as soon as none does.
 */
export async function orphansOf(tag: string): Promise<number> {
  const left = (): number => runningTagged(tag).length + forkedNotYetExecd(tag).length;
  await waitUntil(() => left() === 0, 'no tagged process', ORPHANS_STOPPED_WITHIN_MS).catch(() => undefined);
  return left();
}

/**
 * Marks a fixture parent's environment with its tag (`{ ...env, [FORKED_TAG]: tag }`), so that a
 * child it forked but that has not exec'd yet, whose environment is still the parent's (untagged),
 * is counted by {@link orphansOf}. Not counted, it let the count read 0 a moment before the child
 * exec'd its gate (tagged) and was counted on the second look: an orphan the watchdog then stopped.
 */
export const FORKED_TAG = 'SUBVISOR_TEST_FORKED_TAG';

/** Processes forked by a parent marked with {@link FORKED_TAG} `tag` that still run Node's image (not exec'd yet). */
function forkedNotYetExecd(tag: string): number[] {
  const needle = `${FORKED_TAG}=${tag}\0`;
  const node = realpathSync(process.execPath);
  const found: number[] = [];
  for (const { pid, state } of procEntries()) {
    if (state === 'Z' || state === 'X' || pid === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${pid}/exe`) === node && readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle)) found.push(pid);
    } catch {
      // exited, or not ours to read
    }
  }
  return found;
}

/** One run of an orphan test: when the parent was SIGKILLed, and what it left running. */
export interface KillRun {
  readonly killedAtMs: number;
  readonly orphans: number;
}

export function orphanSummary(runs: readonly KillRun[]): string {
  const bad = runs.filter(({ orphans }) => orphans > 0);
  const total = bad.reduce((sum, { orphans }) => sum + orphans, 0);
  return `${total} orphans in ${bad.length} of ${runs.length} runs (killed at ${bad.map(({ killedAtMs }) => `${killedAtMs} ms`).join(', ')})`;
}

/** SIGKILLs every tagged process still running; a test's finally, so a failure leaks nothing. */
export function killTagged(tag: string): void {
  for (const pid of runningTagged(tag)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** A node script run from the repo root with tsx, its stdout collected. */
export interface Fixture {
  readonly child: ChildProcess;
  /** Everything it printed on stdout so far. */
  stdout(): string;
  /** Everything it printed on stderr so far. */
  stderr(): string;
  /** Resolves with its first stdout line. */
  readonly firstLine: Promise<string>;
  /** Resolves with how it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startFixture(script: string, args: string[] = [], opts: { env?: NodeJS.ProcessEnv; shellPrefix?: string; loader?: boolean; execVia?: readonly string[] } = {}): Fixture {
  // `execVia`: a command that execs the rest of its argv (`setpriv …`), so node keeps its pid.
  const argv = [...(opts.execVia ?? []), ...(opts.loader === false ? [process.execPath, script, ...args] : [process.execPath, '--import', 'tsx', script, ...args])];
  // A prefix such as `ulimit -n 64;` runs in a shell that then execs node (same pid).
  const child = opts.shellPrefix
    ? spawn('/bin/sh', ['-c', `${opts.shellPrefix} exec "$@"`, 'sh', ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env })
    : spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env });
  let out = '';
  let err = '';
  // Both are pipes (stdio above), so both streams exist.
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (err += chunk));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const end = out.indexOf('\n');
      if (end !== -1) resolve(out.slice(0, end));
    });
    child.once('exit', (code, signal) => reject(new Error(`the fixture ended (code ${code}, signal ${signal}) before printing a line; stderr:\n${err}`)));
  });
  firstLine.catch(() => undefined); // observed by whoever awaits it
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, firstLine, exited };
}

/**
 * A plain JavaScript fixture that imports the built package (dist/, what users import), run by node
 * itself: no loader to start, so it is up in a few tens of milliseconds. Throws when dist/ is older
 * than src/, so that a test never passes or fails on a stale build.
 */
export function startBuiltFixture(script: string, args: string[] = [], opts: { env?: NodeJS.ProcessEnv; execVia?: readonly string[] } = {}): Fixture {
  if (!isBuildFresh(process.cwd())) throw new Error('dist/index.js is missing or older than src/: run `npm run build` (npm test does)');
  return startFixture(script, args, { ...opts, loader: false });
}

/** Kills a fixture (if still running) and waits for its end. */
export async function stopFixture(fixture: Fixture): Promise<void> {
  if (fixture.child.exitCode === null && fixture.child.signalCode === null) fixture.child.kill('SIGKILL');
  await fixture.exited;
}

/** Lets a stopped process group run again, if it still exists (a watchdog exits once what it stopped is gone). */
export function continueGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGCONT');
  } catch {
    // ESRCH: gone already
  }
}
