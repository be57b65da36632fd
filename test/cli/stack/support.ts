// What the engine tests share: specs built in code, an output that records, and a stack that is
// always stopped and waited for, even when a test fails half-way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { NO_RESTART, type ProcessSpec } from '../../../src/cli/config/index.js';
import type { Output, StatusEvent } from '../../../src/cli/output.js';
import { blockText, type LineBlock } from '../../../src/process/output/ascii-block.js';
import { Stack, StopRequest, type RunOutcome } from '../../../src/cli/stack/stack.js';

/** A process spec as the config would give it, with the defaults filled in. */
export function spec(name: string, cmd: string | string[], extra: Partial<ProcessSpec> = {}): ProcessSpec {
  return { name, cmd, dependsOn: [], restart: NO_RESTART, task: false, main: false, ...extra };
}

export interface Recorded {
  readonly at: number;
  readonly name: string;
  /** `stdout`, `stderr`, or the status event (`starting`, `ready`, `restarting`, ...). */
  readonly kind: string;
  readonly text: string;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
}

/** An output that keeps every line and state change, in order, with the time it came. */
export class RecordingOutput implements Pick<Output, 'line' | 'status'> {
  readonly records: Recorded[] = [];

  line(name: string, stream: 'stdout' | 'stderr', text: string): undefined {
    this.records.push({ at: performance.now(), name, kind: stream, text, fields: undefined });
    return undefined;
  }

  /** A block is recorded as the lines it holds, as a person reads them. */
  lines(name: string, stream: 'stdout' | 'stderr', block: LineBlock): undefined {
    for (const text of blockText(block).split('\n')) this.line(name, stream, text);
    return undefined;
  }

  status(event: StatusEvent): void {
    this.records.push({ at: performance.now(), name: event.name, kind: event.event, text: event.text, fields: event.fields });
  }

  of(name: string, kind?: string): Recorded[] {
    return this.records.filter((record) => record.name === name && (kind === undefined || record.kind === kind));
  }

  /** The index of the first record of `name` and `kind` (matching `text` when given); -1 when none. */
  indexOf(name: string, kind: string, text?: RegExp): number {
    return this.records.findIndex((record) => record.name === name && record.kind === kind && (text === undefined || text.test(record.text)));
  }

  /** Everything, one line per record, for assertion messages. */
  dump(): string {
    return this.records.map((record) => `${record.name} ${record.kind}: ${record.text}`).join('\n');
  }
}

export interface RunningStack {
  readonly stack: Stack;
  readonly output: RecordingOutput;
  readonly done: Promise<RunOutcome>;
  /** Ends the run from outside (as Ctrl-C would, with status `exitCode`) and waits for it. */
  stop(exitCode?: number): Promise<RunOutcome>;
}

/**
 * Starts a stack of `specs`. Call `stop()` in a `finally`: a test that fails half-way still stops
 * every process (in order) and waits until they are gone.
 */
export function startStack(specs: readonly ProcessSpec[], opts: { defaultGraceMs?: number; parentEnv?: NodeJS.ProcessEnv; stillNotReadyFirstMs?: number } = {}): RunningStack {
  const output = new RecordingOutput();
  const controller = new AbortController();
  const stack = new Stack(specs, { output, signal: controller.signal, defaultGraceMs: opts.defaultGraceMs ?? 2000, parentEnv: opts.parentEnv, stillNotReadyFirstMs: opts.stillNotReadyFirstMs });
  const done = stack.run();
  return {
    stack,
    output,
    done,
    stop: (exitCode = 0) => {
      if (!controller.signal.aborted) controller.abort(new StopRequest('the test is over', exitCode));
      return done;
    },
  };
}

/** Runs a stack to its end (bounded by the test's timeout; stopped if the test fails first). */
export async function runToEnd(specs: readonly ProcessSpec[], opts: Parameters<typeof startStack>[1] = {}): Promise<{ outcome: RunOutcome; output: RecordingOutput }> {
  const running = startStack(specs, opts);
  try {
    return { outcome: await running.done, output: running.output };
  } finally {
    await running.stop();
  }
}

/** A fresh scratch directory for the test file, removed at its end. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The one result of `name` in `outcome`. */
export function resultOf(outcome: RunOutcome, name: string): RunOutcome['results'][number] {
  const result = outcome.results.find((one) => one.name === name);
  if (result === undefined) throw new Error(`no result for ${name}`);
  return result;
}
