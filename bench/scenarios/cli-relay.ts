import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DATA_DIR, lineText, linesFile, MiB, type LinesFile } from '../data.js';
import { messageOf, timeRatioTarget, mib, type Check, type CheckList, type Implementation, type Scenario } from '../harness.js';
import { concurrentlyFormat, sedFormat, subvisorFormat, verifyRelayedOutput, type ChildOutput, type OutputFormat } from '../relayed-output.js';
import { runCommand, toolExitStatus, type CommandRun, type Destination, type Tool } from '../whole-command.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI (`npm run build`; main.ts makes sure dist/ is the build of src/). */
export const CLI = `${ROOT}dist/cli/main.js`;
/** concurrently's own bin, run by node directly: no npx in the measured time. */
export const CONCURRENTLY = `${ROOT}node_modules/concurrently/dist/bin/concurrently.js`;

/** Throws unless the built CLI is there: S8 and S9 measure `dist/`, not the TypeScript. */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`bench: ${CLI} is missing: run npm run build`);
}

/** A relaying command in S8 or S9: how to run it, and how to read what it wrote. */
export interface Relayer extends Tool {
  readonly name: string;
  readonly format: OutputFormat;
  readonly peer?: boolean;
}

/** `node SCRIPT ARGS...`, recognised by its script among a shell's children. */
export function nodeTool(script: string, args: readonly string[]): Pick<Tool, 'argv' | 'isTool'> {
  return { argv: [process.execPath, script, ...args], isTool: (argv) => argv[1] === script };
}

/** Writes a subvisor.yaml of `processes` (name → argv) under bench/.data and returns its path. */
export function subvisorYaml(file: string, processes: ReadonlyMap<string, readonly string[]>): string {
  mkdirSync(`${DATA_DIR}cli`, { recursive: true });
  const path = `${DATA_DIR}cli/${file}`;
  // JSON strings are YAML strings: any path or argument is written exactly.
  const entries = [...processes].map(([name, argv]) => `  ${name}:\n    cmd: [${argv.map((arg) => JSON.stringify(arg)).join(', ')}]\n`);
  writeFileSync(path, `processes:\n${entries.join('')}`);
  return path;
}

/** Puts `text` in single quotes for sh. */
const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/**
 * A reader slower than any relay should be: it reads nothing for its first 500 ms, then at most
 * 64 KiB (what a pipe holds) every 4 ms, so at most 16 MiB/s, writing what it read to the file
 * named by its argument. A relay that goes on reading its child while its own stdout cannot drain
 * must hold the difference: the first pause shows it even while the relay is slower than 16 MiB/s
 * (today's CLI is), the pace once it is faster.
 */
const SLOW_READER = `// bench: a slow reader (see bench/scenarios/cli-relay.ts)
const fs = require('node:fs');
const out = fs.openSync(process.argv[2], 'w');
const buffer = Buffer.allocUnsafe(64 * 1024);
const pause = new Int32Array(new SharedArrayBuffer(4));
Atomics.wait(pause, 0, 0, 500);
for (;;) {
  let read;
  try {
    read = fs.readSync(0, buffer);
  } catch (error) {
    if (error.code !== 'EAGAIN') throw error;
    Atomics.wait(pause, 0, 0, 1);
    continue;
  }
  if (read === 0) break;
  for (let written = 0; written < read; ) written += fs.writeSync(out, buffer, written, read - written);
  Atomics.wait(pause, 0, 0, 4);
}
fs.closeSync(out);
`;
const SLOW_READER_MIB_PER_S = 16;

/**
 * S8: the command line's relay. `subvisor run -- cat FILE` and `subvisor up` (one process,
 * `cmd: [cat, FILE]`) against concurrently 9 (`concurrently "cat FILE"`, its default prefixed
 * output) and, as the floor, `sed 's/^/a | /' FILE`: whole commands, timed from spawn to exit,
 * with stdout to a file and through a pipe to `wc -l`. Then checks, not timed: Ctrl-C right after
 * the flood, and a slow reader.
 */
export function cliRelay(quick: boolean): (Scenario | CheckList)[] {
  requireBuiltCli();
  const input = linesFile((quick ? 16 : 64) * MiB);
  const size = `${(input.bytes / MiB).toFixed(0)} MiB of 100-byte lines (${input.lines} lines)`;
  const timeoutMs = 300_000;
  const expected = new Map<string, ChildOutput>([['cat', { lines: input.lines, lineAt: lineText }]]);
  const relayers = relayersOf(input.path, 'flood');
  const quickNote = quick ? [`quick mode: ${(input.bytes / MiB).toFixed(0)} MiB (the full run: 64 MiB)`] : [];
  const rounds = { rounds: quick ? 3 : 7, warmupRounds: 1 };
  const targets = (where: string) =>
    ['subvisor run', 'subvisor up']
      .flatMap((name) => [timeRatioTarget(name, 'concurrently', 1), timeRatioTarget(name, 'sed', 3)])
      .map((target) => ({ ...target, what: `${target.what}, ${where}` }));
  return [
    {
      id: 'S8',
      title: `CLI relay to a file: ${size}`,
      baseline: 'sed',
      ...rounds,
      implementations: relayers.map((relayer) => toFile(relayer, expected, timeoutMs)),
      targets: targets('to a file'),
      notes: [
        'whole commands, spawn to exit; stdout to a file in bench/.data, then read back: every line of cat present, in order and whole, behind its prefix',
        `(subvisor \`cat | \`, concurrently \`[0] \`, sed \`a | \`); status lines (subvisor \`cat * …\`, concurrently \`[0] … exited with code 0\`) are told apart and not counted.`,
        'concurrently runs `cat FILE` under sh -c, as it runs every command; its default prefixed output is the like-for-like comparison.',
        ...quickNote,
      ],
    },
    {
      id: 'S8',
      title: `CLI relay to a pipe read by wc -l: ${size}`,
      baseline: 'sed',
      ...rounds,
      implementations: relayers.map((relayer) => toWcL(relayer, input, timeoutMs)),
      targets: targets('to a pipe'),
      notes: [
        "sh -c '{ CMD; echo $? >&2; } | wc -l' for every command alike (the braces keep CMD's exit status); wc -l must count cat's lines plus the command's status lines,",
        "counted once per command by a small run to a file (that run's lines checked as above). A peer that fails it is timed all the same and shown FAILED.",
        ...quickNote,
      ],
    },
    {
      id: 'S8',
      title: `CLI relay, checks (not timed): ${size}`,
      checks: [
        ...(['run', 'up'] as const).map((command) => ctrlCAfterFlood(command, input, timeoutMs)),
        ...(['run', 'up'] as const).map((command) => slowReader(command, input, expected, timeoutMs)),
      ],
    },
  ];
}

/** The four commands of S8 over the lines file at `path`; `tag` names the generated subvisor.yaml. */
function relayersOf(path: string, tag: string): Relayer[] {
  const concurrentlyCommand = `cat ${shellQuote(path)}`;
  return [
    { name: 'subvisor run', format: subvisorFormat(['cat']), ...nodeTool(CLI, ['run', '--', 'cat', path]) },
    { name: 'subvisor up', format: subvisorFormat(['cat']), ...nodeTool(CLI, ['up', '-f', subvisorYaml(`s8-${tag}.yaml`, new Map([['cat', ['cat', path]]]))]) },
    { name: 'concurrently', peer: true, format: concurrentlyFormat(new Map([['0', { name: 'cat', command: concurrentlyCommand }]])), ...nodeTool(CONCURRENTLY, [concurrentlyCommand]) },
    { name: 'sed', format: sedFormat('cat', 'a | '), argv: ['sed', 's/^/a | /', path], isTool: (argv) => argv[0] === 'sed' },
  ];
}

function outputPath(name: string): string {
  mkdirSync(`${DATA_DIR}cli`, { recursive: true });
  return `${DATA_DIR}cli/out-${name.replaceAll(' ', '-')}.txt`;
}

/** A whole command to a file, its output read back exactly; a wrong answer is a failed check. */
export function toFile(relayer: Relayer, expected: ReadonlyMap<string, ChildOutput>, timeoutMs: number): Implementation {
  const destination: Destination = { kind: 'file', path: outputPath(relayer.name) };
  return {
    name: relayer.name,
    peer: relayer.peer ?? false,
    run: async () => {
      const run = await runCommand(relayer, destination, timeoutMs);
      return measured(run, () => {
        expectExit(run, destination, '0');
        verifyRelayedOutput(destination.path, relayer.format, expected);
      });
    },
  };
}

/** The figures of a run, and what its check found wrong, if anything. */
function measured(run: CommandRun, check: () => void): { timeMs: number; peakRssBytes?: number; failedCheck?: string } {
  const figures = { timeMs: run.ms, ...(run.peakRssBytes === undefined ? {} : { peakRssBytes: run.peakRssBytes }) };
  try {
    check();
  } catch (error) {
    return { ...figures, failedCheck: messageOf(error) };
  }
  return figures;
}

function expectExit(run: CommandRun, destination: Destination, status: string): void {
  const actual = toolExitStatus(run, destination);
  if (actual !== status) throw new Error(`exit status ${actual}, expected ${status}; stderr: ${run.stderrTail.trim().split('\n').slice(-3).join(' / ')}`);
}

/**
 * How many status lines a relayer prints around one child's lines, which `wc -l` counts too:
 * taken from the same command over a file of 3 lines, run to a file and checked like any other.
 */
async function statusLinesOf(name: string, timeoutMs: number): Promise<number> {
  const tiny = linesFile(300);
  const relayer = relayersOf(tiny.path, 'status-lines').find((candidate) => candidate.name === name)!; // the same four names
  const destination: Destination = { kind: 'file', path: outputPath(`${name}-status-lines`) };
  const run = await runCommand(relayer, destination, timeoutMs);
  expectExit(run, destination, '0');
  return verifyRelayedOutput(destination.path, relayer.format, new Map([['cat', { lines: tiny.lines, lineAt: lineText }]])).statusLines;
}

function toWcL(relayer: Relayer, input: LinesFile, timeoutMs: number): Implementation {
  const destination: Destination = { kind: 'pipe', reader: 'wc -l' };
  let statusLines: Promise<number> | undefined;
  return {
    name: relayer.name,
    peer: relayer.peer ?? false,
    run: async () => {
      statusLines ??= statusLinesOf(relayer.name, timeoutMs);
      const known = await statusLines;
      const run = await runCommand(relayer, destination, timeoutMs);
      return measured(run, () => {
        expectExit(run, destination, '0');
        const counted = Number(run.stdout.trim());
        const want = input.lines + known;
        if (counted !== want) throw new Error(`wc -l counted ${counted} lines, expected ${want} (${input.lines} of cat + ${known} status): ${want - counted} missing`);
      });
    },
  };
}

/** `subvisor run|up` whose child is `sh -c 'cat FILE; kill -INT $PPID'`. */
function cliWithChild(command: 'run' | 'up', label: string, argv: readonly string[]): Relayer {
  const args = command === 'run' ? ['run', '--', ...argv] : ['up', '-f', subvisorYaml(`s8-${label}.yaml`, new Map([[argv[0]!, argv]]))];
  return { name: `subvisor ${command}`, format: subvisorFormat([argv[0]!]), ...nodeTool(CLI, args) };
}

/**
 * Ctrl-C right after the flood: the child is `sh -c 'cat FILE; kill -INT $PPID; exec sleep 60'`,
 * so SIGINT reaches the CLI (its parent) the moment cat has written its last line, while the CLI
 * may still be relaying it, and the child lives on: the run ends by the Ctrl-C, not by the child
 * ending, and the CLI has to stop it. No polling, no race to lose: had the child exited at once, the
 * CLI could see its exit before the signal and end normally (it does, now and then). Everything cat
 * wrote must be in the output file, in order and whole, and the CLI must exit 130, as documented.
 */
function ctrlCAfterFlood(command: 'run' | 'up', input: LinesFile, timeoutMs: number): Check {
  const relayer = cliWithChild(command, 'sigint', ['sh', '-c', 'cat "$0"; kill -INT $PPID; exec sleep 60', input.path]);
  return {
    name: `subvisor ${command}: Ctrl-C right after the flood`,
    run: async () => {
      const destination: Destination = { kind: 'file', path: outputPath(`${command}-sigint`) };
      const run = await runCommand(relayer, destination, timeoutMs);
      const tally = verifyRelayedOutput(destination.path, relayer.format, new Map([['sh', { lines: input.lines, lineAt: lineText }]]));
      expectExit(run, destination, '130');
      return `${tally.childLines} lines whole and in order, ${tally.statusLines} status lines, exit 130, ${(run.ms / 1000).toFixed(1)} s`;
    },
  };
}

/** The slow reader: every line arrives whole and in order; the CLI's peak RSS is stated. */
function slowReader(command: 'run' | 'up', input: LinesFile, expected: ReadonlyMap<string, ChildOutput>, timeoutMs: number): Check {
  const relayer = cliWithChild(command, 'slow', ['cat', input.path]);
  return {
    name: `subvisor ${command}: slow reader (0.5 s, then ≤ ${SLOW_READER_MIB_PER_S} MiB/s)`,
    run: async () => {
      mkdirSync(`${DATA_DIR}cli`, { recursive: true });
      const script = `${DATA_DIR}cli/slow-reader.cjs`;
      writeFileSync(script, SLOW_READER);
      const received = outputPath(`${command}-slow`);
      const destination: Destination = { kind: 'pipe', reader: `node ${shellQuote(script)} ${shellQuote(received)}` };
      const run = await runCommand(relayer, destination, timeoutMs);
      expectExit(run, destination, '0');
      const tally = verifyRelayedOutput(received, relayer.format, expected);
      const rss = run.peakRssBytes === undefined ? 'peak RSS not seen' : `CLI peak RSS ${mib(run.peakRssBytes)}`;
      return `${tally.childLines} lines whole and in order, ${tally.statusLines} status lines, ${(run.ms / 1000).toFixed(1)} s; ${rss} (input ${mib(input.bytes)})`;
    },
  };
}
