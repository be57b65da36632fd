import { CONTENDER_NAMES, isPeer } from '../contenders/index.js';
import { RELAY_PREFIX } from '../contenders/subvisor.js';
import { linesFile, MiB } from '../data.js';
import { expectEqual, timeRatioTarget, type Scenario } from '../harness.js';
import type { JobCheck } from '../isolated.js';
import { isolatedRun } from './isolated-run.js';

/**
 * S2: line relay throughput. `cat` of a file of 100-byte lines; every line must reach the reader
 * as a string. subvisor twice: superviseRunProcess with relayStdout to a counting logger (each line
 * a `[bench:out] line` string), and with `onLine` (each line an `OutputLine` event). Two
 * reference limits that split nothing, to show how much of the time is the pipe itself: the
 * same pipe drained into strings, and `cat | cat` drained the same way (one more process and pipe
 * in the path). One process per run, timed inside it.
 */
export function relayThroughput(quick: boolean): Scenario {
  const file = linesFile((quick ? 64 : 256) * MiB);
  const cmd = ['cat', file.path];
  const timeoutMs = 120_000;
  const drained = (name: string, drainCmd: string[]) =>
    isolatedRun(name, { kind: 'drain', contender: 'raw', cmd: drainCmd }, timeoutMs, (check) => {
      expectEqual(check.chars, file.bytes, `${name}: characters drained`);
    });
  const verifyLines = (name: string, prefix: string) => (check: JobCheck) => {
    expectEqual(check.lines, file.lines, `${name}: lines delivered`);
    expectEqual(check.chars, file.lineChars, `${name}: characters delivered`);
    expectEqual(check.first, `${prefix}${file.firstLine}`, `${name}: first line`);
  };
  return {
    id: 'S2',
    title: `relay: cat of ${(file.bytes / MiB).toFixed(0)} MiB of 100-byte lines (${file.lines} lines), each delivered as a string`,
    baseline: 'raw',
    rounds: quick ? 5 : 15,
    warmupRounds: 1,
    implementations: [
      ...CONTENDER_NAMES.map((name) =>
        isolatedRun(name, { kind: 'lines', contender: name, cmd }, timeoutMs, verifyLines(name, name === 'subvisor' ? RELAY_PREFIX : ''), isPeer(name)),
      ),
      isolatedRun('subvisor onLine', { kind: 'line-events', contender: 'subvisor', cmd }, timeoutMs, verifyLines('subvisor onLine', '')),
      drained('limit: drain only', cmd),
      drained('limit: cat | cat', ['sh', '-c', 'cat "$0" | cat', file.path]),
    ],
    targets: [timeRatioTarget('subvisor onLine', 'raw', 1), timeRatioTarget('subvisor', 'raw', 1.1), timeRatioTarget('raw', 'limit: drain only', 1.1, true)],
    notes: [
      'subvisor = relay to a counting logger (each line arrives as `[bench:out] line`); subvisor onLine = the same relay to onLine, each line an OutputLine event.',
      'limit: drain only = the same pipe read into strings (setEncoding) without splitting; limit: cat | cat = sh -c \'cat FILE | cat\' drained the same way.',
      ...(quick ? ['quick mode: 64 MiB (the full run: 256 MiB)'] : []),
    ],
  };
}
