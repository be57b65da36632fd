import { peakRssReport, timeRatioTarget, type Scenario } from '../harness.js';
import { concurrentlyFormat, subvisorFormat, type ChildOutput } from '../relayed-output.js';
import { CLI, CONCURRENTLY, nodeTool, requireBuiltCli, subvisorYaml, toFile, type Relayer } from './cli-relay.js';

const PROCESSES = 100;

/**
 * S9: many noisy children. `subvisor up` with 100 processes p000..p099, each `seq 1 20000`,
 * against concurrently running the same 100 commands (named the same, with its default prefixed
 * output): whole commands to a file, spawn to exit, and the file read back: for every name,
 * exactly the lines 1..20000, in order and whole, and nothing but status lines besides.
 * Peak RSS of each tool's own process (not its children) is polled from /proc (procfs.ts).
 */
export function noisyChildren(quick: boolean): Scenario {
  requireBuiltCli();
  const lines = quick ? 5000 : 20_000;
  const names = Array.from({ length: PROCESSES }, (_, index) => `p${String(index).padStart(3, '0')}`);
  const argv = ['seq', '1', String(lines)];
  const command = argv.join(' ');
  const relayers: Relayer[] = [
    { name: 'subvisor up', format: subvisorFormat(names), ...nodeTool(CLI, ['up', '-f', subvisorYaml(`s9-${lines}.yaml`, new Map(names.map((name) => [name, argv])))]) },
    {
      name: 'concurrently',
      peer: true,
      format: concurrentlyFormat(new Map(names.map((name) => [name, { name, command }]))),
      ...nodeTool(CONCURRENTLY, ['--names', names.join(','), ...names.map(() => command)]),
    },
  ];
  const child: ChildOutput = { lines, lineAt: (index) => String(index + 1) };
  const expected = new Map(names.map((name) => [name, child]));
  return {
    id: 'S9',
    title: `many noisy children: ${PROCESSES} processes, each \`${command}\` (${PROCESSES * lines} lines), to a file`,
    baseline: 'concurrently',
    rounds: quick ? 3 : 7,
    warmupRounds: 1,
    implementations: relayers.map((relayer) => toFile(relayer, expected, 300_000)),
    targets: [timeRatioTarget('subvisor up', 'concurrently', 1), peakRssReport('subvisor up', 'concurrently')],
    notes: [
      'whole commands, spawn to exit; the file read back: for each of the 100 names exactly its lines 1..N, in order and whole (`p000 | 1`, `[p000] 1`), status lines told apart.',
      'peak RSS: VmHWM of the tool\'s own process, read from /proc every 20 ms while it runs (the last reading before exit).',
      ...(quick ? [`quick mode: ${lines} lines per process (the full run: 20000)`] : []),
    ],
  };
}
