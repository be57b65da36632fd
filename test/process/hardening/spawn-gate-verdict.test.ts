// The gate's verdict (did the command's exec succeed?) is awaited without blocking the event loop
// (src/process/spawn/gate.ts, `gateVerdict`), so a quick command can write everything and exit before
// its start resolves and its readers attach. Node drains, and drops, the unread output of a child
// that has exited: the pipes are held back from that drain until their readers attach
// (src/process/output/pipe-reads.ts, `readPipesInPlace`, called right after every spawn). The first
// test runs the whole path under load (spawns back to back, as many as fit in a turn of the event
// loop, keep it away from the verdicts while earlier commands print and exit: see spawn/turns.ts);
// the second makes the exit come first for sure.
// The last block: a verdict the gate has given already is read at once, from the socket's
// descriptor, without waiting for a turn of the event loop (`up` spawns back to back, and waited a
// turn for each of them).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { openNursery, runProcess } from '../../../src/index.js';
import { consumeReads, readPipesInPlace } from '../../../src/process/output/pipe-reads.js';
import { gateVerdict } from '../../../src/process/spawn/gate.js';
import { waitUntil } from '../../support/processes.js';

describe('spawn gate: output written before the verdict is read', () => {
  test('120 concurrent commands that print and exit at once: every byte of stdout and stderr arrives', { timeout: 90_000 }, async () => {
    const results: { stdout: string; stderr: string }[] = [];
    await openNursery(async (nursery) => {
      for (let index = 0; index < 120; index++) {
        nursery.startSoon(async () => {
          const { stdout, stderr } = await runProcess(['sh', '-c', `echo out ${index}; echo err ${index} >&2`], { captureStdout: true, captureStderr: true });
          results[index] = { stdout: stdout.toString(), stderr: stderr.toString() };
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

describe('spawn gate: a verdict given already is read at once', () => {
  // A stand-in gate: fd 4 is the verdict socket, as in src/process/spawn/gate.ts; its stdin, a pipe,
  // lets a test release the gate's next step when it is ready, with no timer to race.
  const gate = (script: string, ...args: string[]): ChildProcess => spawn('sh', ['-c', script, 'sh', ...args], { stdio: ['pipe', 'ignore', 'ignore', 'ignore', 'pipe'] });
  const control = (child: ChildProcess): Socket => child.stdio[4] as Socket;
  let dir = '';
  before(() => (dir = mkdtempSync(join(tmpdir(), 'subvisor-verdict-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a failed exec reported and ended before the question: its status, known without a turn of the event loop', { timeout: 20_000 }, async () => {
    const child = gate('echo 127 >&4');
    const exited = once(child, 'exit');
    await once(child, 'spawn'); // a nextTick: the event loop has not polled the socket
    blockUntilExited(child.pid!);
    const verdict = gateVerdict(child);
    assert.equal(control(child).destroyed, true, 'answered from what the socket held, not by waiting for its events');
    assert.equal(await verdict, 127);
    await exited;
  });

  test('a command that runs (the verdict socket closed, nothing reported): known at once as well', { timeout: 20_000 }, async () => {
    const child = gate('exit 0');
    const exited = once(child, 'exit');
    await once(child, 'spawn');
    blockUntilExited(child.pid!);
    const verdict = gateVerdict(child);
    assert.equal(control(child).destroyed, true);
    assert.equal(await verdict, undefined);
    await exited;
  });

  test('a report read in part before it ended: the part is kept, and the end is awaited', { timeout: 20_000 }, async () => {
    const marker = join(dir, 'written');
    const child = gate('printf 12 >&4; : > "$1"; read -r _; echo 6 >&4', marker);
    const exited = once(child, 'exit');
    await once(child, 'spawn');
    blockUntil(() => existsSync(marker));
    const verdict = gateVerdict(child);
    assert.equal(control(child).destroyed, false, 'the report has not ended: its end is awaited');
    child.stdin?.end('\n');
    assert.equal(await verdict, 126);
    await exited;
  });

  test('a report the event loop has read already is not passed over', { timeout: 20_000 }, async () => {
    // The report ends (fd 4 closed) while the gate lives on: Node's drain at the exit would drop it.
    const child = gate('echo 127 >&4; exec 4>&-; read -r _');
    const exited = once(child, 'exit');
    await waitUntil(() => control(child).readableLength > 0, 'the event loop to read the report', 10_000);
    assert.equal(await gateVerdict(child), 127);
    child.stdin?.end('\n');
    await exited;
  });
});

/** Blocks this thread, with no turn of the event loop, until `done()` holds (at most 10 s). */
function blockUntil(done: () => boolean): void {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (const deadline = Date.now() + 10_000; !done(); Atomics.wait(nap, 0, 0, 5)) {
    if (Date.now() > deadline) throw new Error('blockUntil: gave up after 10 s');
  }
}

/** Blocks until process `pid` has exited (a zombie nobody has reaped yet: the event loop cannot reap it meanwhile). */
function blockUntilExited(pid: number): void {
  blockUntil(() => /^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1')));
}

/** Everything `stream` gives from now on, read as subvisor's readers read it. */
async function text(stream: Readable | null): Promise<string> {
  if (stream === null) return '';
  let all = '';
  const ended = once(stream, 'end');
  consumeReads(stream, (bytes) => (all += bytes.toString('latin1')));
  await ended;
  return all;
}
