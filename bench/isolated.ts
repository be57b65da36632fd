// The parent's side of runner.ts: builds it once per bench run, then runs one job per process
// and hands back the runner's own figures.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ContenderName } from './contenders/index.js';
import { DATA_DIR } from './data.js';

/** One measured run: which reader, over which command. */
export type Job =
  /** `maxLineBytes`: subvisor's limit on a line held whole, when a scenario raises it (S3). */
  | { readonly kind: 'lines'; readonly contender: ContenderName; readonly cmd: readonly string[]; readonly maxLineBytes?: number }
  | { readonly kind: 'failure'; readonly contender: ContenderName; readonly cmd: readonly string[] }
  /** S2's relay to `onLine` events instead of a logger (subvisor only). */
  | { readonly kind: 'line-events'; readonly contender: 'subvisor'; readonly cmd: readonly string[] }
  /** The S2 reference limit: drain into strings without splitting (node:child_process only). */
  | { readonly kind: 'drain'; readonly contender: 'raw'; readonly cmd: readonly string[] };

/** What a job delivered, for an exact comparison with what the input holds. */
export interface JobCheck {
  readonly lines: number | null;
  readonly chars: number;
  readonly first: string | null;
  readonly exitCode?: number;
  readonly sha1?: string;
}

export interface JobResult {
  /** Timed inside the runner: the job alone, without process start-up or module loading. */
  readonly ms: number;
  /** CPU time (user + system) of the runner over the same span: a steadier diagnostic on a busy machine. */
  readonly cpuMs: number;
  /** Peak RSS of the runner process, from getrusage (bytes). */
  readonly maxRssBytes: number;
  readonly check: JobCheck;
}

const TSCONFIG = fileURLToPath(new URL('./tsconfig.runner.json', import.meta.url));
const RUNNER = `${DATA_DIR}build/bench/runner.js`;

/**
 * Compiles runner.ts and everything it imports (contenders, src/) with tsc into bench/.data/build.
 * A type error elsewhere in src/ (work in progress) does not stop tsc from emitting; it is reported
 * and the bench goes on as long as the runner was written.
 */
export function buildRunner(): string {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = performance.now();
  const result = spawnSync(process.execPath, [tsc, '-p', TSCONFIG], { encoding: 'utf8' });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (!existsSync(RUNNER)) throw new Error(`bench: tsc did not write ${RUNNER}:\n${result.stdout}${result.stderr}`);
  if (result.status !== 0) return `runner built with type errors (tsc status ${String(result.status)}, ${seconds} s):\n${result.stdout.trim()}`;
  return `runner built with tsc into bench/.data/build (${seconds} s)`;
}

/** Runs `job` in a fresh `node` process; rejects if it fails, prints no result, or exceeds `timeoutMs`. */
export async function runIsolated(job: Job, timeoutMs: number): Promise<JobResult> {
  const child = spawn(process.execPath, [RUNNER, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
  const deadline = { passed: false };
  const timer = setTimeout(() => {
    deadline.passed = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode: number | null, exitSignal: NodeJS.Signals | null) => resolve([exitCode, exitSignal]));
    });
    if (deadline.passed) throw new Error(`timed out after ${timeoutMs / 1000} s`);
    if (code !== 0) throw new Error(`runner ${code === null ? `died of ${String(signal)}` : `exited with status ${code}`}: ${lastLine(stderr)}`);
    return JSON.parse(stdout) as JobResult;
  } finally {
    clearTimeout(timer);
  }
}

/** The line of a runner's stderr that says what went wrong (a stack's first line, usually). */
function lastLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return lines.find((line) => /Error|error:/.test(line)) ?? lines.at(-1) ?? '(no output)';
}
