// One whole command, timed from spawn to exit, the way a user meets a CLI (S8, S9): its stdout
// goes to a file, or through a pipe to a reader (`wc -l`, or a slow one), and its peak RSS is
// followed from /proc (procfs.ts).
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { once } from 'node:events';
import { descendants, PeakRssWatch } from './procfs.js';

/** A command and how to recognise its process among a shell's children (for its peak RSS). */
export interface Tool {
  readonly argv: readonly string[];
  /** True for the argv of the tool's own process: not the shell or the reader around it. */
  readonly isTool: (argv: readonly string[]) => boolean;
}

/**
 * Where the tool's stdout goes:
 * - `file`: a file opened here (truncated) and given as the tool's stdout, no shell in between;
 * - `pipe`: `sh -c '{ TOOL; echo $? >&2; } | READER'`, the reader's stdout captured. The braces
 *   keep the tool's own exit status (sh has no pipefail), printed as the last line of stderr.
 */
export type Destination = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'pipe'; readonly reader: string };

export interface CommandRun {
  /** Spawn to exit (and every pipe closed), as the bench process sees it. */
  readonly ms: number;
  /** Last VmHWM reading of the tool's process (procfs.ts); undefined if it was never seen alive. */
  readonly peakRssBytes: number | undefined;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The reader's stdout, for `pipe` (e.g. `wc -l`'s count); '' for `file`. */
  readonly stdout: string;
  /** The last 4 KiB of stderr, for a failure's message. */
  readonly stderrTail: string;
}

/** The environment of every measured command: no forced colour, so every tool writes plain text. */
export function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  return env;
}

export async function runCommand(tool: Tool, destination: Destination, timeoutMs: number): Promise<CommandRun> {
  const fd = destination.kind === 'file' ? openSync(destination.path, 'w') : undefined;
  try {
    const [file, ...args] = destination.kind === 'file' ? tool.argv : ['sh', '-c', `{ "$@"; echo "$?" >&2; } | ${destination.reader}`, 'sh', ...tool.argv];
    const started = process.hrtime.bigint();
    const child = spawn(file!, args, { stdio: ['ignore', fd ?? 'pipe', 'pipe'], env: plainEnv() }); // argv is never empty
    const watch = new PeakRssWatch(child.pid ?? -1, tool.isTool);
    let stdout = '';
    let stderrTail = '';
    child.stdout?.setEncoding('latin1').on('data', (text: string) => (stdout += text));
    child.stderr?.setEncoding('latin1').on('data', (text: string) => (stderrTail = (stderrTail + text).slice(-4096)));
    const timer = setTimeout(() => {
      // The tool and whatever it started (a shell's pipeline, the tool's children): none may linger.
      for (const pid of [...descendants(child.pid ?? -1).reverse(), child.pid ?? -1]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, timeoutMs);
    try {
      const [exitCode, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (ms >= timeoutMs) throw new Error(`${tool.argv.join(' ')}: timed out after ${timeoutMs / 1000} s`);
      return { ms, peakRssBytes: watch.stop(), exitCode, signal, stdout, stderrTail };
    } finally {
      clearTimeout(timer);
      watch.stop();
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The exit status a `pipe` run's tool had (the last line of stderr), or of the tool itself for `file`. */
export function toolExitStatus(run: CommandRun, destination: Destination): string {
  if (destination.kind === 'file') return run.signal === null ? String(run.exitCode) : run.signal;
  return run.stderrTail.trimEnd().split('\n').at(-1) ?? '(none)';
}
