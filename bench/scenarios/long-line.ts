import { CONTENDER_NAMES, isPeer } from '../contenders/index.js';
import { RELAY_PREFIX } from '../contenders/subvisor.js';
import { longLineFile, MiB } from '../data.js';
import { expectEqual, timeRatioTarget, type Scenario } from '../harness.js';
import { isolatedRun } from './isolated-run.js';

/**
 * S3: one line that never ends. `cat` of a file of one 64 MiB line without a newline, delivered
 * whole at EOF by every reader. subvisor's default `maxLineBytes` (1 MiB) would relay it in 64
 * pieces and hold 1 MiB at a time; the issue asks for the cost of holding it whole, so subvisor
 * runs with `maxLineBytes` raised to the line's length and must deliver one line, as the others
 * do. Time and peak RSS, one process per run.
 */
export function longLine(quick: boolean): Scenario {
  const bytes = (quick ? 16 : 64) * MiB;
  const path = longLineFile(bytes);
  return {
    id: 'S3',
    title: `long line: cat of one ${bytes / MiB} MiB line without a newline`,
    baseline: 'raw',
    rounds: quick ? 5 : 9,
    warmupRounds: 1,
    implementations: CONTENDER_NAMES.map((name) =>
      // The line is ASCII, so its length in bytes is the limit that holds it: not one byte more.
      isolatedRun(name, { kind: 'lines', contender: name, cmd: ['cat', path], maxLineBytes: bytes }, 180_000, (check) => {
        expectEqual(check.lines, 1, `${name}: lines delivered (more than one: the line was cut into pieces)`);
        expectEqual(check.chars, bytes, `${name}: characters delivered`);
        expectEqual(check.first, `${name === 'subvisor' ? RELAY_PREFIX : ''}${'x'.repeat(200)}`.slice(0, 200), `${name}: first line`);
      }, isPeer(name)),
    ),
    targets: [timeRatioTarget('subvisor', 'raw', 1.1)],
    notes: [
      `subvisor runs with maxLineBytes: ${bytes} (the line's length), so it holds the line whole like the others and delivers one string.`,
      ...(quick ? [`quick mode: ${bytes / MiB} MiB (the full run: 64 MiB)`] : []),
    ],
  };
}
