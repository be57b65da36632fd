// Behind a full output, each process's lines wait as text and go out a slice at a time, in the
// order given: a read given while an earlier one waits, and a state line, wait behind it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineBacklogs, SLICE_CHARS } from '../../src/cli/backlog.js';

/** An output that is full until `drain()`: every write while full returns the promise of that drain. */
function fakeOutput(): { written: string[]; write: (name: string) => (slice: string) => Promise<void> | undefined; drain: () => void; full: () => boolean; fill: () => void } {
  const written: string[] = [];
  let full = false;
  let drained: { promise: Promise<void>; resolve: () => void } | undefined;
  return {
    written,
    write: (name) => (slice) => {
      written.push(`${name}:${slice}`);
      if (!full) return undefined;
      if (drained === undefined) {
        let resolve = (): void => undefined;
        const promise = new Promise<void>((settle) => (resolve = settle));
        drained = { promise, resolve };
      }
      return drained.promise;
    },
    drain: () => {
      full = false;
      drained?.resolve();
      drained = undefined;
    },
    full: () => full,
    fill: () => {
      full = true;
    },
  };
}

/** `count` numbered lines from `first`, joined by `\n`. */
function numbered(first: number, count: number): string {
  return Array.from({ length: count }, (_, index) => String(first + index)).join('\n');
}

/** The lines of every slice written for `name`, in order. */
function linesOf(written: readonly string[], name: string): string[] {
  return written.filter((entry) => entry.startsWith(`${name}:`)).flatMap((entry) => entry.slice(name.length + 1).split('\n'));
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LineBacklogs', () => {
  test('while the output is not full, a read goes out in one write and nothing waits', () => {
    const output = fakeOutput();
    const backlogs = new LineBacklogs(output.full);
    const text = numbered(1, 5000);
    assert.equal(backlogs.lines('a', text, output.write('a')), undefined);
    assert.deepEqual(output.written, [`a:${text}`]);
    assert.equal(backlogs.waiting('a'), false);
    assert.equal(backlogs.waitingChars, 0);
  });

  test('behind a full output: slices cut between lines; what comes after waits behind them, in order', async () => {
    const output = fakeOutput();
    const backlogs = new LineBacklogs(output.full);
    output.fill();
    const first = numbered(1, 5000);
    const pending = backlogs.lines('a', first, output.write('a'));
    assert.ok(pending instanceof Promise, 'the process is told to wait');
    // One slice went out (it made the output say full); the rest waits as text.
    assert.equal(output.written.length, 1);
    const slice = (output.written[0] as string).slice(2);
    assert.ok(slice.length >= SLICE_CHARS && slice.length < SLICE_CHARS + 8, `a slice of ${slice.length} characters`);
    assert.equal(backlogs.waitingChars, first.length - slice.length - 1);
    // A second read of the same process, a state line, and a line of another process.
    const second = numbered(5001, 3);
    assert.equal(backlogs.lines('a', second, output.write('a')), pending);
    backlogs.status('a', () => output.written.push('a:exited'));
    assert.ok(backlogs.lines('b', 'b1', output.write('b')) instanceof Promise, 'b wrote while the output was full');
    assert.deepEqual(output.written.slice(1), ['b:b1'], 'another process does not wait behind a');
    let done = false;
    const settled = backlogs.settled().then(() => (done = true));
    // Drained once, then full again: a slice more each time.
    for (let drains = 0; backlogs.waiting('a') && drains < 100; drains++) {
      output.drain();
      await turn();
      output.fill();
    }
    output.drain();
    await pending;
    await settled;
    assert.ok(done);
    assert.equal(backlogs.waitingChars, 0);
    assert.deepEqual(linesOf(output.written, 'a'), [...numbered(1, 5003).split('\n'), 'exited']);
    assert.ok(output.written.filter((entry) => entry.startsWith('a:')).length > 3, 'the read went out in several slices');
  });

  test('waitingBytes: the UTF-8 bytes of the lines waiting, from where each was cut', async () => {
    const output = fakeOutput();
    const backlogs = new LineBacklogs(output.full);
    assert.equal(backlogs.waitingBytes(), 0);
    output.fill();
    const wide = Array.from({ length: 3000 }, (_, index) => `日本語 ${index} 🚀`).join('\n');
    const pending = backlogs.lines('a', wide, output.write('a'));
    backlogs.status('a', () => output.written.push('a:exited'));
    void backlogs.lines('b', 'één', output.write('b'));
    const sent = (output.written[0] as string).slice(2);
    // a's first slice went out (and its newline); the rest of a waits, b's line went out whole.
    assert.equal(backlogs.waitingBytes(), Buffer.byteLength(wide.slice(sent.length + 1)));
    output.drain();
    await pending;
    assert.equal(backlogs.waitingBytes(), 0);
  });

  test('a state line goes out at once when nothing of its process waits', () => {
    const output = fakeOutput();
    const backlogs = new LineBacklogs(output.full);
    backlogs.status('a', () => output.written.push('a:ready'));
    assert.deepEqual(output.written, ['a:ready']);
  });

  test('empty lines are lines: one alone, and the last of a read', async () => {
    const output = fakeOutput();
    const backlogs = new LineBacklogs(output.full);
    output.fill();
    const text = `${'x'.repeat(SLICE_CHARS)}\n`;
    void backlogs.lines('a', text, output.write('a'));
    void backlogs.lines('a', '', output.write('a'));
    output.drain();
    await backlogs.settled();
    assert.deepEqual(linesOf(output.written, 'a'), ['x'.repeat(SLICE_CHARS), '', '']);
  });
});
