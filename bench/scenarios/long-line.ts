import { CONTENDER_NAMES } from '../contenders/index.js';
import { RELAY_PREFIX } from '../contenders/subvisor.js';
import { longLineFile, MiB } from '../data.js';
import { expectEqual, rssRatioTarget, timeRatioTarget, type Scenario } from '../harness.js';
import { isolatedRun } from './isolated-run.js';

/** subvisor's default maxLineBytes: a longer line is relayed in pieces of this many bytes. */
const MAX_LINE_BYTES = MiB;

/**
 * S3: one line that never ends. `cat` of a file of one 64 MiB line without a newline: the others
 * hold it whole and deliver one 64 MiB string at EOF; subvisor relays it in 1 MiB pieces (its
 * documented maxLineBytes), so its memory stays bounded. Time and peak RSS, one process per run.
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
      isolatedRun(name, { kind: 'lines', contender: name, cmd: ['cat', path] }, 180_000, (check) => {
        const pieces = name === 'subvisor' ? Math.ceil(bytes / MAX_LINE_BYTES) : 1;
        expectEqual(check.lines, pieces, `${name}: lines (pieces) delivered`);
        expectEqual(check.chars, bytes, `${name}: characters delivered`);
        expectEqual(check.first, `${name === 'subvisor' ? RELAY_PREFIX : ''}${'x'.repeat(200)}`.slice(0, 200), `${name}: first line`);
      }),
    ),
    targets: [timeRatioTarget('subvisor', 'raw', 1.1), rssRatioTarget('subvisor', 'raw', 0.5)],
    notes: [
      'subvisor delivers the line as 1 MiB pieces (maxLineBytes); the others hold it whole and deliver one string.',
      ...(quick ? [`quick mode: ${bytes / MiB} MiB (the full run: 64 MiB)`] : []),
    ],
  };
}
