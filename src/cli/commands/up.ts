import { resolve } from 'node:path';
import { bareDurationWarnings, graceOption, jsonAsked, parseUpArgs, refuseForeignWords, type UpArgs } from '../args.js';
import { refusalsAsRecords } from '../json-refusals.js';
import { procfileDefaultsWarnings } from '../foreman-defaults.js';
import { DEFAULT_BASE_PORT, everyProcessName, planProcesses, readConfig, stopGraceMs, writtenBasePort, type Config } from '../config/index.js';
import { controlHandler } from '../control/handler.js';
import { LogRing } from '../control/log-ring.js';
import { ControlError } from '../control/errors.js';
import { nestedRefusal } from '../control/nested.js';
import { serveControl } from '../control/server.js';
import { defaultSocketPath } from '../control/socket-path.js';
import type { Ending } from '../exit-status.js';
import { endingAfterFlush, endingOf, OutputFailed } from '../interrupts.js';
import { StdoutFile } from '../stdout-file.js';
import { syncFileFd, writeText } from '../../log/sinks/write.js';
import { listenForEnds } from '../run-ends.js';
import type { RunOutcome } from '../stack/stack.js';
import { LogFiles } from '../logfiles/log-files.js';
import { createOutput, type Output } from '../output.js';
import { childrenColour } from '../children-colour.js';
import { warnWhenPid1 } from '../pid1.js';
import { reportFailure, reportSummary } from '../report.js';
import { Stack, type StackOptions } from '../stack/stack.js';
import { withUncaught } from '../uncaught.js';
import { watchStack } from '../watch/watch.js';
import { announceTerminalConfig, findConfigFile } from './config-file.js';
import { sayConfigWarnings } from '../config-warnings.js';

/** `.foreman`'s and `.overmind.env`'s settings the command line does not give, nor `up` has already: foreman or overmind would have used them. */
function procfileDefaultsWarningsFor(parsed: UpArgs, config: Config): string[] {
  const given = { file: parsed.file !== undefined, formation: parsed.names.length + parsed.formation.size > 0, port: !parsed.port || Boolean(process.env.PORT), grace: parsed.grace !== undefined };
  // The base PORT up gives (a .env's, else 5000), decided where the ports are: the same port is no news.
  const first = config.processes[0];
  const port = first === undefined ? undefined : (writtenBasePort(first, process.env) ?? String(DEFAULT_BASE_PORT));
  return procfileDefaultsWarnings(given, { port });
}

/**
 * `subvisor up [-f FILE] [NAME | NAME=N ...]`: every process of the config (or the named ones,
 * NAME=N with N copies), supervised together; with `logs:` in the config, each one's lines also
 * go to its log file. The run listens on its control socket (`ps`, `stop`, `start`, `restart`,
 * `logs`) and restarts what its watched paths say.
 */
export async function upCommand(args: readonly string[]): Promise<Ending> {
  // Parsed inside: a command line that cannot be parsed (`up --json --grce 5s`) is a refusal too.
  return refusalsAsRecords(jsonAsked('up', args), () => up(parseUpArgs(args)));
}

/** The config `up` runs, checked whole before a single process starts, and what it plans from it. */
async function plannedRun(parsed: UpArgs) {
  await warnWhenPid1(parsed.json);
  const file = wordsRefusedFirst(parsed, () => findConfigFile(parsed.file));
  announceTerminalConfig(file);
  const grace = graceOption(parsed.grace);
  // Everything about the config is checked here, before a single process starts.
  // A config with a mistake is told as it is: without its names, "web worker" (two of them quoted
  // together) would be guessed a command.
  const { config, format } = readConfig(file);
  refuseForeignWords(parsed, new Set(config.processes.map((spec) => spec.name)));
  // A Procfile's processes get PS and PORT as foreman gives them; a subvisor.yaml says its own env.
  const procfile = format.kind === 'procfile';
  const bareGrace = bareDurationWarnings({ '--grace': parsed.grace }).map(({ text }) => text);
  await sayConfigWarnings(config, parsed.json, [...(procfile ? procfileDefaultsWarningsFor(parsed, config) : []), ...bareGrace]);
  const plans = planProcesses(config, { names: parsed.names, formation: parsed.formation, procfile, assignPorts: procfile && parsed.port });
  return { file, grace, config, plans };
}

async function up(parsed: UpArgs): Promise<Ending> {
  const { file, grace, config, plans } = await plannedRun(parsed);
  const names = plans.map((plan) => plan.name);
  const logFiles = config.logs === undefined ? undefined : new LogFiles(config.logs, names);
  const colourOrder = everyProcessName(config);
  const stdoutFile = stdoutAsFile();
  const output = createOutput({ names, colourOrder, json: parsed.json, timestamps: parsed.timestamps, tee: logFiles, stdout: stdoutFile });
  // `subvisor logs` reads the processes' lines from here: they go to the ring on their way out.
  const ring = new LogRing(names.length);
  const stop = new AbortController();
  const stack = new Stack(plans, { output: throughRing(output, ring), signal: stop.signal, defaultGraceMs: grace, childrenColour: childrenColour(output.coloured, process.stdout) });
  const socketPath = resolve(parsed.socket ?? defaultSocketPath(file));
  let control: Awaited<ReturnType<typeof serveControl>> | undefined;
  let watching: ReturnType<typeof watchStack> | undefined;
  // Before the socket answers: a Ctrl-C sent once `subvisor ps` can see the run ends it as one
  // sent later does (130), not by the signal's default. Processes are stopped in reverse
  // dependency order, so the graces may add up.
  const listeners = listenForEnds(stack, stop, output, { killedWhat: 'every process', stopGraceMs: plans.reduce((sum, plan) => sum + stopGraceMs(plan, grace), 0), fullFileStops: false });
  try {
    // Before anything starts: a second `up` of the same config, a path that cannot be watched or
    // a log directory that cannot be made is refused here, having started (and created) nothing.
    control = await serveControl({ path: socketPath, ownDirectory: parsed.socket === undefined, configFile: file, handle: controlHandler(stack, ring, colourOrder) });
    watching = watchStack(stack, plans, output, [socketPath, ...(logFiles?.paths ?? [])]);
    logFiles?.open();
  } catch (error) {
    // The watches too: set before the log files are opened, they would keep the CLI alive after the refusal.
    watching?.close();
    try {
      await control?.close();
    } finally {
      logFiles?.close();
      listeners.release();
    }
    if (error instanceof ControlError && error.code === 'ERR_SUBVISOR_RUN_ALREADY_UP') throw (await nestedRefusal(socketPath, error)) ?? error;
    throw error;
  }
  let finished: RunOutcome | undefined;
  try {
    const outcome = await stack.run().finally(() => {
      watching.close();
      return control.close();
    });
    reportFailure(output, outcome, { withStderrTail: true });
    reportSummary(output, withLinesLost(outcome, stdoutFile));
    finished = outcome;
  } catch (error) {
    if (!listeners.uncaught.absorb(error)) throw error;
  } finally {
    // Also when the run failed of a defect of ours: what the processes wrote goes out before the error.
    listeners.runOver();
    try {
      await output.close();
      await closeStdoutFile(stdoutFile);
    } finally {
      listeners.release();
      logFiles?.close();
    }
  }
  return withUncaught(finished && endingAfterFlush(endingOf(finished), listeners.closedBy() ?? linesLostBy(stdoutFile)), listeners.uncaught);
}

/** `up`'s stdout as a {@link StdoutFile} when it is a file, saying on stderr what it drops; undefined for a pipe or a terminal. */
function stdoutAsFile(): StdoutFile | undefined {
  const fd = syncFileFd(process.stdout);
  return fd === undefined ? undefined : new StdoutFile(fd, (message) => writeText(process.stderr, `subvisor: ${message}\n`));
}

/**
 * Has `stdoutFile` say what it still misses, and waits for stderr to take that word: it may find
 * no room there either, told by an 'error' event after the write, to be heard while the run's
 * listeners are there.
 */
async function closeStdoutFile(stdoutFile: StdoutFile | undefined): Promise<void> {
  stdoutFile?.close();
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
}

/**
 * `outcome` with the status the run ends with once `stdoutFile` has dropped lines (see
 * linesLostBy), for the summary to say it: a `--json` reader takes its `exitCode` for the CLI's.
 */
function withLinesLost(outcome: RunOutcome, stdoutFile: StdoutFile | undefined): RunOutcome {
  const lost = linesLostBy(stdoutFile);
  return lost === undefined ? outcome : { ...outcome, exitCode: endingAfterFlush(endingOf(outcome), lost).exitCode };
}

/** The output failure to end the run with when `stdoutFile` dropped lines (see StdoutFile): a run that went well then ends with status 1. */
function linesLostBy(stdoutFile: StdoutFile | undefined): OutputFailed | undefined {
  const lost = stdoutFile?.linesLost ?? 0;
  return lost === 0 ? undefined : new OutputFailed('stdout', undefined, new Error(`${lost} lines could not be written to stdout`));
}

/**
 * `find()`, the config file; when there is none, a word of `parsed` that is another tool's (`up "npm
 * run dev"` where no config is yet, as for someone moving from concurrently), or a command after
 * `--` (`up -- npm run dev`, as `run` takes it), is refused first: that answer is the one they need.
 */
function wordsRefusedFirst<T>(parsed: UpArgs, find: () => T): T {
  try {
    return find();
  } catch (error) {
    refuseForeignWords(parsed, new Set());
    throw error;
  }
}

/** The stack's output, with every line of a process also kept in `ring`. */
function throughRing(output: Output, ring: LogRing): StackOptions['output'] {
  return {
    lines: (name, stream, block) => (ring.pushBlock(name, stream, block), output.lines(name, stream, block)),
    status: (event) => output.status(event),
  };
}
