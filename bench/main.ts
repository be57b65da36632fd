// `npm run bench [-- --quick] [-- --only S2,S6] [-- --strict] [-- --json FILE]`: subvisor against raw
// node:child_process, execa, tinyexec and nano-spawn (and its CLI against concurrently and sed),
// every scenario side by side, ratios to a baseline, and a summary of subvisor's targets. See
// bench/README.md for what each scenario means.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Contender } from './contenders/contender.js';
import { CONTENDER_NAMES, loadContender, type ContenderName } from './contenders/index.js';
import { formatChecks, formatResults, runChecks, runScenario, type CheckList, type CheckResult, type Result, type Scenario } from './harness.js';
import { buildRunner } from './isolated.js';
import { cliRelay } from './scenarios/cli-relay.js';
import { coldImport, ensureBuiltPackage } from './scenarios/cold-import.js';
import { concurrentSleeps } from './scenarios/concurrency.js';
import { failingChild } from './scenarios/failing-child.js';
import { longLine } from './scenarios/long-line.js';
import { noisyChildren } from './scenarios/noisy-children.js';
import { nurseryOverhead } from './scenarios/nursery-overhead.js';
import { relayThroughput } from './scenarios/relay.js';
import { spawnSequential } from './scenarios/spawn.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    strict: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const quick = values.quick;
const wanted = values.only?.split(',').map((id) => id.trim().toUpperCase());
const selected = (id: string): boolean => !wanted || wanted.includes(id);

// Every scenario measures subvisor as users load it, the built package (dist/), imported by its
// name: the contenders import it, and S8 and S9 run the built CLI.
const builtPackage = ensureBuiltPackage();
const contenders = new Map<ContenderName, Contender>();
for (const name of CONTENDER_NAMES) contenders.set(name, await loadContender(name));

// Each entry builds its scenario only when selected: building one may generate its data file.
// One id may be several timed tables and a list of checks (S8: to a file, to a pipe, checks).
const scenarios: [string, () => Scenario | (Scenario | CheckList)[]][] = [
  ['S1', () => spawnSequential(quick, contenders)],
  ['S2', () => relayThroughput(quick)],
  ['S3', () => longLine(quick)],
  ['S4', () => concurrentSleeps(quick, contenders)],
  ['S5', () => coldImport(quick)],
  ['S6', () => failingChild(quick)],
  ['S7', () => nurseryOverhead(quick)],
  ['S8', () => cliRelay(quick)],
  ['S9', () => noisyChildren(quick)],
];

const started = performance.now();
const runHeader = describeRun();
console.log(runHeader);
console.log(builtPackage);
if (['S2', 'S3', 'S6'].some(selected)) console.log(buildRunner());

interface Row {
  readonly id: string;
  readonly what: string;
  readonly value: string;
  readonly goal: string;
  readonly pass: boolean;
  readonly reference: boolean;
}
const summary: Row[] = [];
const recorded: { id: string; title: string; baseline?: string; results: Result[] | CheckResult[] }[] = [];
let wrongAnswers = 0;
/** Peers that gave a wrong answer: reported, but not the bench's failure (see Implementation.peer). */
const wrongPeers: string[] = [];
for (const [id, make] of scenarios) {
  if (!selected(id)) continue;
  const built = make();
  for (const part of Array.isArray(built) ? built : [built]) {
    if ('checks' in part) {
      const results = await runChecks(part, progress);
      progress('');
      console.log(`\n${formatChecks(part, results)}`);
      recorded.push({ id, title: part.title, results });
      wrongAnswers += results.filter((result) => !result.pass).length;
      continue;
    }
    const results = await runScenario(part, progress);
    progress('');
    console.log(`\n${formatResults(part, results)}`);
    recorded.push({ id, title: part.title, baseline: part.baseline, results });
    for (const result of results.filter((candidate) => candidate.error !== undefined)) {
      if (result.peer) wrongPeers.push(`${result.name} in ${id} ${part.title.split(':')[0] ?? ''}`);
      else wrongAnswers++;
    }
    for (const target of part.targets ?? []) summary.push({ id, what: target.what, goal: target.goal, reference: target.reference ?? false, ...target.judge(results) });
  }
}

console.log(`\nSummary: the targets (${((performance.now() - started) / 1000).toFixed(0)} s in all)`);
const header = ['scenario', 'measure', 'measured', 'target', ''];
const rows = summary.map((row) => [row.id, row.what, row.value, row.goal, row.reference ? '(reference)' : row.pass ? 'pass' : 'MISS']);
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
for (const cells of [header, ...rows]) console.log(cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());

if (values.json !== undefined) {
  // Every round's figures, for the record or a later comparison; NaN (a failed round) becomes null.
  writeFileSync(values.json, `${JSON.stringify({ header: runHeader, scenarios: recorded, summary }, null, 1)}\n`);
  console.log(`\nEvery round's figures written to ${values.json}`);
}

if (wrongPeers.length > 0) console.log(`\nPeers that failed a check (shown FAILED above; not subvisor's failure, so not the exit status): ${wrongPeers.join('; ')}.`);
if (wrongAnswers > 0) {
  console.log(`\n${wrongAnswers} implementation(s) or check(s) of subvisor or a baseline failed or crashed: see FAILED above.`);
  process.exitCode = 1;
} else if (values.strict && summary.some((row) => !row.reference && !row.pass)) {
  process.exitCode = 1;
}

function describeRun(): string {
  // Read from the files, not resolved: a package's exports map may not expose its package.json.
  const version = (path: string): string => (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string }).version;
  const peer = (name: string): string => `${name} ${version(`../node_modules/${name}/package.json`)}`;
  const cpus = os.cpus();
  return [
    `subvisor bench — ${new Date().toISOString().slice(0, 10)}${quick ? ', quick mode (smaller sizes and fewer rounds; see the notes under each table)' : ''}`,
    `machine: ${os.availableParallelism()} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()} ${os.arch()}`,
    `node ${process.version}; subvisor ${version('../package.json')} (${sourceState()}), ${['execa', 'tinyexec', 'nano-spawn', 'concurrently'].map(peer).join(', ')}`,
  ].join('\n');
}

/** Which source was measured: the commit, and whether src/ differs from it (read-only git queries). */
function sourceState(): string {
  const git = (...args: string[]): string | undefined => {
    const result = spawnSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : undefined;
  };
  const commit = git('rev-parse', '--short', 'HEAD');
  if (commit === undefined) return 'not a git checkout';
  const changed = git('status', '--porcelain', '--', 'src')?.split('\n').filter(Boolean).length ?? 0;
  return changed === 0 ? `git ${commit}` : `git ${commit} + ${changed} uncommitted change(s) in src/`;
}

/** Shows where a long run is, on a terminal only (a log file gets just the tables). */
function progress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(40)}\r`);
}
