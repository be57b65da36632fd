// The in-memory ring `subvisor logs` reads: bounded whatever a process writes, merged in arrival order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LogRing, RING_MAX_CHARS, RING_MAX_LINES, RING_MAX_TOTAL_CHARS } from '../../../src/cli/control/log-ring.js';
import { AsciiBlock } from '../../../src/process/output/ascii-block.js';

describe('LogRing', () => {
  test('keeps the last RING_MAX_LINES lines of a process, never more than a tenth over, however many come', () => {
    const ring = new LogRing();
    for (let i = 1; i <= RING_MAX_LINES * 20; i++) {
      ring.push('a', 'stdout', `a${i}`);
      const held = ring.tail(['a'], Infinity).length;
      assert.ok(held <= RING_MAX_LINES * 1.1 + 1, `${held} lines held after ${i}`);
    }
    const last = ring.tail(['a'], RING_MAX_LINES);
    assert.equal(last.length, RING_MAX_LINES);
    assert.equal(last.at(-1)?.line, `a${RING_MAX_LINES * 20}`);
    assert.equal(last[0]?.line, `a${RING_MAX_LINES * 19 + 1}`);
  });

  test('keeps at most RING_MAX_CHARS of text per process, but always the newest line', () => {
    const ring = new LogRing();
    const big = 'x'.repeat(RING_MAX_CHARS / 4 + 1);
    for (let i = 0; i < 10; i++) ring.push('a', 'stdout', big);
    const held = ring.tail(['a'], Infinity);
    assert.equal(held.length, 3);
    const huge = 'y'.repeat(RING_MAX_CHARS + 1);
    ring.push('a', 'stdout', huge);
    assert.deepEqual(ring.tail(['a'], Infinity).map((line) => line.line.length), [huge.length]);
  });

  test('a run of many processes keeps at most RING_MAX_TOTAL_CHARS of text across them (an equal share each), and always the newest line of each', () => {
    const processes = 1024;
    const share = RING_MAX_TOTAL_CHARS / processes; // 64 KiB: each process is sent twice that
    const line = 'x'.repeat(1023);
    const ring = new LogRing(processes);
    const before = process.memoryUsage().arrayBuffers;
    for (let name = 0; name < processes; name++) {
      for (let i = 0; i < (2 * share) / 1024; i++) ring.push(`p${name}`, 'stdout', line);
      ring.push(`p${name}`, 'stdout', `last of p${name}`);
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    const kept = ring.tail([], Infinity);
    const keptBytes = kept.reduce((sum, { line: text }) => sum + text.length, 0);
    assert.ok(keptBytes <= RING_MAX_TOTAL_CHARS, `${keptBytes} bytes of text kept`);
    // Its share, not nothing: the last line and the 64 of 1023 bytes before it fit in 64 KiB.
    assert.equal(ring.tail(['p7'], Infinity).length, 65);
    // The buffers hold at most twice what they keep.
    assert.ok(grown <= 2 * RING_MAX_TOTAL_CHARS + 8 * 1024 * 1024, `the rings took ${grown} bytes`);
    assert.equal(ring.tail(['p7'], 1)[0]?.line, 'last of p7');
    // A process alone in its run keeps its whole 4 MiB.
    const alone = new LogRing(1);
    alone.pushBlock('a', 'stdout', Array.from({ length: 900 }, () => line).join('\n'));
    assert.equal(alone.tail(['a'], Infinity).length, 900);
  });

  test('a buffer grown for one long line is let go of once the line is: a run of many processes stays within twice its share each', () => {
    const processes = 1024;
    const share = RING_MAX_TOTAL_CHARS / processes; // 64 KiB
    const ring = new LogRing(processes);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const line = 'x'.repeat(1023);
    const chatty = 16;
    for (let name = 0; name < chatty; name++) {
      ring.push(`p${name}`, 'stdout', 'y'.repeat(1024 * 1024)); // a stack dump on one line, once
      for (let i = 0; i < (4 * share) / 1024; i++) ring.push(`p${name}`, 'stdout', line);
    }
    gc();
    const held = process.memoryUsage().arrayBuffers - before;
    assert.equal(ring.tail(['p3'], 1)[0]?.line, line);
    assert.ok(held <= chatty * 2 * share + 4 * 1024 * 1024, `${chatty} processes, each past its long line, hold ${held} bytes of buffers`);
  });

  test('tail merges the last N of each process in arrival order; followers hear new lines until they stop', () => {
    const ring = new LogRing();
    ring.push('a', 'stdout', 'a1');
    ring.push('b', 'stderr', 'b1');
    ring.push('a', 'stdout', 'a2');
    ring.push('b', 'stdout', 'b2');
    assert.deepEqual(ring.tail([], 1).map((line) => line.line), ['a2', 'b2']);
    assert.deepEqual(ring.tail(['b'], 5), [{ name: 'b', stream: 'stderr', line: 'b1' }, { name: 'b', stream: 'stdout', line: 'b2' }]);
    assert.deepEqual(ring.tail(['nobody'], 5), []);
    assert.deepEqual(ring.tail([], 0), []);
    const heard: string[] = [];
    const stop = ring.follow((block) => heard.push(...block.lines));
    ring.push('a', 'stdout', 'a3');
    stop();
    ring.push('a', 'stdout', 'a4');
    assert.deepEqual(heard, ['a3']);
  });

  test('a block keeps what its lines pushed one by one would keep (only its last RING_MAX_LINES when nobody follows), and a follower hears every line of it', () => {
    for (const count of [1, 3, RING_MAX_LINES - 1, RING_MAX_LINES, RING_MAX_LINES + 1, RING_MAX_LINES * 5 + 7]) {
      const lines = Array.from({ length: count }, (_, i) => (i % 7 === 0 ? '' : `l${i}`));
      const byLine = new LogRing();
      byLine.push('a', 'stdout', 'before');
      for (const line of lines) byLine.push('a', 'stdout', line);
      const byBlock = new LogRing();
      byBlock.push('a', 'stdout', 'before');
      byBlock.pushBlock('a', 'stdout', lines.join('\n'));
      assert.deepEqual(byBlock.tail(['a'], RING_MAX_LINES), byLine.tail(['a'], RING_MAX_LINES), `${count} lines`);
    }
    const ring = new LogRing();
    const heard: string[] = [];
    ring.follow((block) => heard.push(...block.lines));
    const lines = Array.from({ length: RING_MAX_LINES * 2 }, (_, i) => `f${i}`);
    ring.pushBlock('a', 'stderr', lines.join('\n'));
    assert.deepEqual(heard, lines);
  });

  test('an ASCII block as read (bytes, not a string) keeps what its lines pushed one by one would keep, its first line\'s start included', () => {
    for (const count of [1, 2, RING_MAX_LINES - 1, RING_MAX_LINES, RING_MAX_LINES + 1, RING_MAX_LINES * 3 + 5]) {
      const lines = Array.from({ length: count }, (_, i) => (i % 9 === 0 ? '' : `b${i}`));
      const byLine = new LogRing();
      byLine.push('a', 'stdout', 'before');
      for (const [index, line] of lines.entries()) byLine.push('a', 'stdout', index === 0 ? `st${line}` : line);
      const byBlock = new LogRing();
      byBlock.push('a', 'stdout', 'before');
      byBlock.pushBlock('a', 'stdout', new AsciiBlock('st', Buffer.from(`${lines.join('\n')}\n`, 'latin1')));
      assert.deepEqual(byBlock.tail(['a'], RING_MAX_LINES), byLine.tail(['a'], RING_MAX_LINES), `${count} lines`);
    }
  });

  test('a block of many more lines than it keeps costs the ring only what it keeps', () => {
    // 200 000 lines in one block (1.3 MiB): the ring keeps 1 000 of them, and sizes its buffer by those.
    const bytes = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `${i % 100_000}\n`).join(''), 'latin1');
    new AsciiBlock('', bytes).scan(); // the scan's table grown beforehand: it is shared, not the ring's
    const ring = new LogRing();
    const before = process.memoryUsage().arrayBuffers;
    for (let name = 0; name < 10; name++) ring.pushBlock(`p${name}`, 'stdout', new AsciiBlock('', bytes));
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 4 * 1024 * 1024, `10 processes' rings took ${grown} bytes for their last 1 000 lines each`);
    assert.equal(ring.tail(['p9'], Infinity).at(-1)?.line, '99999');
  });

  test('many blocks of every size, across the buffer compacting and growing: the tail is always the last lines, whole and in order', () => {
    const ring = new LogRing();
    const all: string[] = [];
    let next = 0;
    for (let round = 0; round < 400; round++) {
      const count = 1 + ((round * 7919) % 700);
      const lines = Array.from({ length: count }, () => `${next++}:${'é'.repeat(next % 50)}`);
      all.push(...lines);
      if (count === 1) ring.push('a', 'stdout', lines[0] ?? '');
      else ring.pushBlock('a', 'stdout', lines.join('\n'));
      if (round % 37 === 0 || round === 399) assert.deepEqual(ring.tail(['a'], RING_MAX_LINES).map((line) => line.line), all.slice(-RING_MAX_LINES), `after round ${round}`);
    }
  });
});
