import { existsSync } from 'node:fs';
import { DEFAULT_KILL_GRACE_MS } from '../../process/options.js';
import { UsageError, parseUpArgs } from '../args.js';
import { parseDuration, planProcesses, readConfig } from '../config/index.js';
import type { Ending } from '../exit-status.js';
import { Interrupted, endingOf, handleInterrupts, stopWhenOutputCloses } from '../interrupts.js';
import { LogFiles } from '../logfiles/log-files.js';
import { createOutput } from '../output.js';
import { reportFailure, reportSummary } from '../report.js';
import { warnWhenPid1 } from '../pid1.js';
import { Stack } from '../stack/stack.js';
import { watchStack } from '../watch/watch.js';

/** Looked for in this order when no -f is given. */
const DEFAULT_FILES = ['subvisor.yaml', 'subvisor.yml', 'Procfile'];

/**
 * `subvisor up [-f FILE] [NAME | NAME=N ...]`: every process of the config (or the named ones,
 * NAME=N with N copies), supervised together; with `logs:` in the config, each one's lines also
 * go to its log file.
 */
export async function upCommand(args: readonly string[]): Promise<Ending> {
  const parsed = parseUpArgs(args);
  warnWhenPid1();
  const file = parsed.file ?? DEFAULT_FILES.find((candidate) => existsSync(candidate));
  if (file === undefined) throw new UsageError(`no config file here (looked for ${DEFAULT_FILES.join(', ')}); pass one with -f FILE`);
  let grace = DEFAULT_KILL_GRACE_MS;
  if (parsed.grace !== undefined) {
    try {
      grace = parseDuration(parsed.grace);
    } catch (error) {
      throw new UsageError(`--grace: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // Everything about the config is checked here, before a single process starts.
  const { config, format } = readConfig(file);
  // A Procfile's processes get PORT as foreman gives it; a subvisor.yaml says its own env.
  const assignPorts = format.kind === 'procfile' && parsed.port;
  const plans = planProcesses(config, { names: parsed.names, formation: parsed.formation, assignPorts });
  const names = plans.map((plan) => plan.name);
  const logFiles = config.logs === undefined ? undefined : new LogFiles(config.logs, names);
  const output = createOutput({ names, json: parsed.json, timestamps: parsed.timestamps, tee: logFiles });

  const stop = new AbortController();
  const release = handleInterrupts(
    // The first Ctrl-C ends the run as any end does: in reverse dependency order, each process
    // saying `stopping (SIGINT)` when its turn comes.
    (signal) => stop.abort(new Interrupted(signal)),
    (signal) => {
      output.report(`subvisor: second ${signal}: killing every process at once`, { stream: 'report', event: 'killed', line: `second ${signal}` });
      output.abandon(`second ${signal}`);
    },
  );
  const releaseOutput = stopWhenOutputCloses((reason) => {
    if (!stop.signal.aborted) stop.abort(reason);
  });
  let watching: ReturnType<typeof watchStack> | undefined;
  try {
    const stack = new Stack(plans, { output, signal: stop.signal, defaultGraceMs: grace });
    // Watched before anything starts: a path that cannot be watched is refused first (SPEC §10).
    watching = watchStack(stack, plans, output);
    const outcome = await stack.run();
    reportFailure(output, outcome, { withStderrTail: true });
    reportSummary(output, outcome);
    await output.close();
    return endingOf(outcome);
  } finally {
    watching?.close();
    release();
    releaseOutput();
    logFiles?.close();
  }
}
