// The gate's verdict (did the command's exec succeed?) is awaited without blocking the event loop
// (src/process/spawn/gate.ts, `gateVerdict`), so a quick command can write everything and exit before
// its start resolves and its readers attach. Node drains, and drops, the unread output of a child
// that has exited: the pipes are held back from that drain until their readers attach
// (src/process/output/pipe-reads.ts, `readPipesInPlace`, called right after every spawn). The first
// test runs the whole path under load (many synchronous spawns keep the event loop away from the
// verdicts while earlier commands print and exit); the second makes the exit come first for sure.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { openNursery, runProcess } from '../../../src/index.js';
import { consumeReads, readPipesInPlace } from '../../../src/process/output/pipe-reads.js';
import { gateVerdict } from '../../../src/process/spawn/gate.js';

describe('spawn gate: output written before the verdict is read', () => {
  test('120 concurrent commands that print and exit at once: every byte of stdout and stderr arrives', { timeout: 90_000 }, async () => {
    const results: { stdout: string; stderr: string }[] = [];
    await openNursery(async (nursery) => {
      for (let index = 0; index < 120; index++) {
        nursery.startSoon(async () => {
          const { stdout, stderr } = await runProcess(['sh', '-c', `echo out ${index}; echo err ${index} >&2`], { captureStdout: true, captureStderr: true });
          results[index] = { stdout: stdout?.toString() ?? '', stderr: stderr?.toString() ?? '' };
        });
      }
    });
    const lost = results.flatMap((seen, index) => {
      const expected = { stdout: `out ${index}\n`, stderr: `err ${index}\n` };
      return seen.stdout === expected.stdout && seen.stderr === expected.stderr ? [] : [`#${index}: ${JSON.stringify(seen)}`];
    });
    assert.deepEqual(lost, [], `output lost by ${lost.length} of 120 commands`);
  });
});

describe('spawn gate: the pipes are held until their readers attach', () => {
  test('a command that exits before its gate reports keeps its output for readers attached after the verdict', { timeout: 20_000 }, async () => {
    // A hand-made gate whose verdict socket (fd 4) outlives the command: a background sleep holds it (and nothing
    // else) for 300 ms after the command printed and exited, so the exit, and Node's drain of
    // unread pipes after it, come first, deterministically.
    const child = spawn('sh', ['-c', 'echo out; echo err >&2; sleep 0.3 </dev/null >/dev/null 2>&1 & exit 0'], { stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'pipe'] });
    readPipesInPlace(child); // as spawnProcess does
    await once(child, 'spawn');
    const exited = once(child, 'exit');
    const verdict = await gateVerdict(child);
    assert.equal(verdict, undefined);
    assert.equal(child.exitCode, 0, 'the command exited before the verdict');
    const [stdout, stderr] = await Promise.all([text(child.stdout), text(child.stderr)]);
    await exited;
    assert.deepEqual({ stdout, stderr }, { stdout: 'out\n', stderr: 'err\n' });
  });
});

/** Everything `stream` gives from now on, read as subvisor's readers read it. */
async function text(stream: Readable | null): Promise<string> {
  if (stream === null) return '';
  let all = '';
  const ended = once(stream, 'end');
  consumeReads(stream, (bytes) => (all += bytes.toString('latin1')));
  await ended;
  return all;
}
