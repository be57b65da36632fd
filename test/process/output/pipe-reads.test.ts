import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openNursery, runProcess, superviseRunProcess, type Process } from '../../../src/index.js';
import { consumeReads, READ_BUFFER_BYTES, readPipesInPlace } from '../../../src/process/output/pipe-reads.js';
import { checkNothingLeaksAroundEachTest } from '../../support/leaks.js';
import { waitUntil } from '../../support/processes.js';

const BOUNDED = { timeout: 20_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-pipe-reads-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
checkNothingLeaksAroundEachTest();

/** What `seq first last` prints (`seq 1 last` with one argument). */
function seqText(last: number, first = 1): string {
  return spawnSync('seq', [String(first), String(last)], { encoding: 'latin1', maxBuffer: 64 * 1024 * 1024 }).stdout;
}

/**
 * Whether `pid` sleeps in a write to its stdout, full because nobody reads it: Node's 'pipe' is a
 * socket pair, where the write waits for room in the socket's buffer. False once it is gone.
 */
function waitsOnPipe(pid: number): boolean {
  try {
    return /^(?:sock_alloc_send_pskb|(?:anon_)?pipe_write)$/.test(readFileSync(`/proc/${pid}/wchan`, 'latin1'));
  } catch {
    return false;
  }
}

/** Spawns `cmd` with its stdout piped and taken over for reading in place. */
function spawnInPlace(cmd: readonly string[]): ChildProcess & { stdout: Readable } {
  const child = spawn(cmd[0] as string, cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  readPipesInPlace(child);
  return child;
}

/** Reads `stream` in place to its end: the bytes (copied) and the distinct buffers they were views of. */
async function readAll(stream: Readable): Promise<{ text: string; buffers: Set<ArrayBufferLike> }> {
  const copies: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  const ended = once(stream, 'end');
  consumeReads(stream, (bytes) => {
    buffers.add(bytes.buffer);
    copies.push(Buffer.from(bytes));
  });
  await ended;
  return { text: Buffer.concat(copies).toString('latin1'), buffers };
}

describe('reading a child pipe in place', () => {
  test('every byte arrives, in order, each read a view of the same reused buffer', BOUNDED, async () => {
    const child = spawnInPlace(['seq', '1', '300000']); // ~2 MiB: dozens of reads
    const exited = once(child, 'exit');
    const { text, buffers } = await readAll(child.stdout);
    await exited;
    assert.equal(text, seqText(300000));
    // A fallback to Node's own reading gives each read a fresh buffer.
    assert.equal(buffers.size, 1);
  });

  test('two children read at once share the one buffer, and neither gets the other\'s bytes', BOUNDED, async () => {
    const first = spawnInPlace(['seq', '1', '300000']);
    const second = spawnInPlace(['seq', '500000', '800000']);
    const [one, two] = await Promise.all([readAll(first.stdout), readAll(second.stdout)]);
    await Promise.all([first.exitCode ?? once(first, 'exit'), second.exitCode ?? once(second, 'exit')]);
    assert.equal(one.text, seqText(300000));
    assert.equal(two.text, seqText(800000, 500000));
    assert.deepEqual([...one.buffers], [...two.buffers]);
  });

  test('a stream that is not read in place gives its data events to the consumer, as Node reads it', BOUNDED, async () => {
    const stream = Readable.from([Buffer.from('one\n'), Buffer.from('two\n')], { objectMode: false });
    readPipesInPlace({ pid: 1, stdout: stream, stderr: null } as unknown as ChildProcess); // not a socket: left as it is
    const { text } = await readAll(stream);
    assert.equal(text, 'one\ntwo\n');
  });

  test('the child still emits close, after the output ended', BOUNDED, async () => {
    const child = spawnInPlace(['printf', 'a\\nb\\n']);
    const events: string[] = [];
    child.stdout.once('end', () => events.push('end'));
    const closed = once(child, 'close').then(() => events.push('close'));
    consumeReads(child.stdout, () => undefined);
    await closed;
    assert.deepEqual(events, ['end', 'close']);
  });

  test('nothing is read before a consumer comes, not even by Node after the exit: it gets every byte', BOUNDED, async () => {
    const child = spawnInPlace(['sh', '-c', 'printf "first\\n"; printf "second\\n"']);
    await once(child, 'exit');
    // A tick after the exit, Node reads the pipes nobody reads (flushStdio): give it a few.
    await sleep(50);
    const { text } = await readAll(child.stdout);
    assert.equal(text, 'first\nsecond\n');
  });

  test('pause stops the reading: a child writing more than the pipe holds waits, then every byte arrives', BOUNDED, async () => {
    const child = spawnInPlace(['seq', '1', '1000000']); // ~6.9 MiB, far more than a pipe holds
    const copies: Buffer[] = [];
    const ended = once(child.stdout, 'end');
    let received = 0;
    let paused = false;
    consumeReads(child.stdout, (bytes) => {
      received += bytes.length;
      copies.push(Buffer.from(bytes));
      if (!paused && received > 1024 * 1024) {
        paused = true;
        child.stdout.pause();
      }
    });
    const seq = child.pid ?? 0;
    // Paused, the pipe fills and seq waits in its write; a reader that read on would let it finish.
    await waitUntil(() => paused && waitsOnPipe(seq), 'seq to wait on the full pipe', 10_000);
    const whilePaused = received;
    assert.equal(child.exitCode, null, 'seq finished although its reader paused');
    assert.ok(whilePaused < 2 * 1024 * 1024, `read ${whilePaused} bytes while paused`);
    // Turns of the event loop, each of which would read the full pipe were the pause not kept.
    for (let turn = 0; turn < 20; turn++) await new Promise(setImmediate);
    assert.equal(received, whilePaused, 'reads went on while paused');
    assert.ok(waitsOnPipe(seq), 'seq stopped waiting on the pipe while its reader paused');
    child.stdout.resume();
    await ended;
    assert.equal(Buffer.concat(copies).toString('latin1'), seqText(1000000));
  });
});

describe('backpressure on a pipe read in place', () => {
  test('holds after the exit too: a leftover flooding the pipe waits while onLine is pending', BOUNDED, async () => {
    // The child exits at once; what it left behind floods the pipe during the drain grace. Node
    // resumes an exited child's readable pipes, which used to restart reading past the pause.
    let pending = false;
    let first = true;
    let linesWhilePending = 0;
    await superviseRunProcess(['sh', '-c', 'yes | head -c 100000000 & sleep 0.2; exit 0'], {
      relayStdout: true,
      drainGraceMs: 1000,
      killGraceMs: 200,
      onLine: () => {
        if (pending) linesWhilePending++;
        if (!first) return undefined;
        first = false;
        pending = true;
        return sleep(800).then(() => {
          pending = false;
        });
      },
    });
    // The lines of the read in progress still arrive: one read of `y\n` is at most half as many lines as its bytes.
    assert.ok(linesWhilePending <= READ_BUFFER_BYTES / 2, `${linesWhilePending} lines were relayed while onLine's promise was pending`);
  });
});

describe('what keeps the bytes of a read copies them', () => {
  test('captureStdout of many reads is exact', BOUNDED, async () => {
    const { stdout } = await runProcess(['seq', '1', '300000'], { captureStdout: true });
    assert.equal(stdout.toString('latin1'), seqText(300000));
  });

  test('a stream read for readiness and passed on to an fd gets every byte', BOUNDED, async () => {
    // Many small writes, so that reads are small too: a file stream queues small writes while one
    // is in flight, holding what it was given.
    const lines = 'i=1; while [ $i -le 20000 ]; do echo $i; i=$((i + 1)); done';
    const file = join(scratch, 'passed-on.txt');
    const fd = openSync(file, 'w');
    try {
      await openNursery(async (tn) => {
        const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', `${lines}; seq 1 300000; echo ready; exec sleep 30`], { stdout: fd, readyWhen: /^ready$/, killGraceMs: 500 }, ctx));
        await proc.stop();
      });
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(file, 'latin1'), `${seqText(20000)}${seqText(300000)}ready\n`);
  });

  test('the stderr tail of a failure is the last bytes written', BOUNDED, async () => {
    const error = await superviseRunProcess(['sh', '-c', 'seq 1 300000 >&2; exit 3']).then(
      () => assert.fail('exit 3 did not fail'),
      (caught: unknown) => caught as { stderr: Buffer },
    );
    const all = seqText(300000);
    assert.equal(error.stderr.toString('latin1').slice(-16 * 1024), all.slice(-16 * 1024));
  });
});
