import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CONTENDER_NAMES, isPeer } from '../contenders/index.js';
import { countLines } from '../contenders/contender.js';
import { linesFile, MiB } from '../data.js';
import { expectEqual, rssExcessTarget, timeRatioTarget, type Scenario } from '../harness.js';
import { isolatedRun } from './isolated-run.js';

/** What raw and subvisor keep of a failing child's stderr. */
const TAIL_BYTES = 16 * 1024;

/**
 * S6: a child that writes 50 MiB to stderr and exits 1, timed until the library's error object
 * exists, with peak RSS. raw (by hand) and subvisor keep the last 16 KiB; execa, tinyexec and
 * nano-spawn keep all of it, as they do by default. One process per run.
 */
export function failingChild(quick: boolean): Scenario {
  const file = linesFile((quick ? 16 : 50) * MiB);
  const cmd = ['sh', '-c', 'cat "$0" >&2; exit 1', file.path];
  const text = readFileSync(file.path, 'latin1');
  const expected = (kept: string): { lines: number; chars: number; sha1: string } => ({
    lines: countLines(kept),
    chars: kept.length,
    sha1: createHash('sha1').update(kept, 'latin1').digest('hex'),
  });
  const tail = expected(text.slice(-TAIL_BYTES));
  // execa and nano-spawn strip the final newline, as their docs say; tinyexec keeps it.
  const whole = { stripped: expected(text.slice(0, -1)), kept: expected(text) };
  return {
    id: 'S6',
    title: `failing child: ${(file.bytes / MiB).toFixed(0)} MiB on stderr, then exit 1, until the error object exists`,
    baseline: 'raw',
    rounds: quick ? 5 : 15,
    warmupRounds: 1,
    implementations: CONTENDER_NAMES.map((name) =>
      isolatedRun(name, { kind: 'failure', contender: name, cmd }, 120_000, (check) => {
        const want = name === 'raw' || name === 'subvisor' ? tail : name === 'tinyexec' ? whole.kept : whole.stripped;
        expectEqual(check.exitCode, 1, `${name}: exit status in the error`);
        expectEqual(check.lines, want.lines, `${name}: stderr lines in the error`);
        expectEqual(check.chars, want.chars, `${name}: stderr characters in the error`);
        expectEqual(check.sha1, want.sha1, `${name}: stderr content (sha1) in the error`);
      }, isPeer(name)),
    ),
    targets: [timeRatioTarget('subvisor', 'raw', 1.2), rssExcessTarget('subvisor', 'raw', 10 * MiB)],
    notes: [
      'raw and subvisor keep a 16 KiB tail of stderr; execa, tinyexec and nano-spawn keep all of it (their default).',
      ...(quick ? [`quick mode: ${(file.bytes / MiB).toFixed(0)} MiB (the full run: 50 MiB)`] : []),
    ],
  };
}
