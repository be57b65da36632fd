import { DEFAULT_KILL_GRACE_MS } from '../../process/options.js';
import { UsageError, parseUpArgs } from '../args.js';
import { loadConfig, parseDuration, selectProcesses, startOrder } from '../config/index.js';
import type { Ending } from '../exit-status.js';
import { Interrupted, endingOf, handleInterrupts, stopWhenOutputCloses } from '../interrupts.js';
import { createOutput } from '../output.js';
import { reportFailure, reportSummary } from '../report.js';
import { Stack } from '../stack/stack.js';
import { controlHandler } from '../control/handler.js';
import { LogRing } from '../control/log-ring.js';
import { serveControl } from '../control/server.js';
import { defaultSocketPath } from '../control/socket-path.js';
import { findConfigFile } from './config-file.js';

/** `subvisor up [-f FILE] [NAME...]`: every process of the config (or the named ones), supervised together. */
export async function upCommand(args: readonly string[]): Promise<Ending> {
  const parsed = parseUpArgs(args);
  const file = findConfigFile(parsed.file);
  let grace = DEFAULT_KILL_GRACE_MS;
  if (parsed.grace !== undefined) {
    try {
      grace = parseDuration(parsed.grace);
    } catch (error) {
      throw new UsageError(`--grace: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // Everything about the config is checked here, before a single process starts.
  const config = loadConfig(file);
  const plans = startOrder(selectProcesses(config, parsed.names));
  const stop = new AbortController();
  const output = createOutput({ names: plans.map((plan) => plan.name), json: parsed.json, timestamps: parsed.timestamps });
  // `subvisor logs` reads the processes' lines from here: they go to the ring on their way out.
  const ring = new LogRing();
  const stack = new Stack(plans, { output: { line: (name, stream, text) => (ring.push(name, stream, text), output.line(name, stream, text)), status: (event) => output.status(event) }, signal: stop.signal, defaultGraceMs: grace });
  // Before anything starts: a second `up` of the same config is refused here, having started nothing.
  const control = await serveControl({ path: parsed.socket ?? defaultSocketPath(file), ownDirectory: parsed.socket === undefined, handle: controlHandler(stack, ring) });

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
  try {
    const outcome = await stack.run().finally(() => control.close());
    reportFailure(output, outcome, { withStderrTail: true });
    reportSummary(output, outcome);
    await output.close();
    return endingOf(outcome);
  } finally {
    release();
    releaseOutput();
  }
}
