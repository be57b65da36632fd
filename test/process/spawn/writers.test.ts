// The look for the writers of a busy program (ETXTBSY) stats every open file on the system: it must
// let the event loop turn while it looks, and give up after its time rather than hold a failed start.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writersOf } from '../../../src/process/spawn/writers.js';
import { namingBusyWriters } from '../../../src/process/spawn/diagnose.js';
import { SpawnError } from '../../../src/process/errors.js';
import { resolveCommonOptions } from '../../../src/process/options.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-writers-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Opens `count` more fds of this process (read-only, so none is a writer) while `body` runs. */
async function withOpenFds<T>(count: number, body: () => Promise<T>): Promise<T> {
  const fds: number[] = [];
  try {
    for (let i = 0; i < count; i++) fds.push(openSync('/dev/null', 'r'));
    return await body();
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

describe('writersOf', () => {
  test('the event loop turns while it looks through the open files, and the writer is still found', { timeout: 30_000 }, async () => {
    const file = join(scratch, 'busy');
    writeFileSync(file, '');
    const writer = openSync(file, 'a');
    try {
      // Thousands of fds to look at, here in this process: more than one turn's worth, wherever this runs.
      const { seen, turns } = await withOpenFds(4000, async () => {
        let turns = 0;
        let looking = true;
        const turn = (): void => {
          if (!looking) return;
          turns++;
          setImmediate(turn);
        };
        const look = writersOf([file], 60_000);
        setImmediate(turn);
        const seen = await look;
        looking = false;
        return { seen, turns };
      });
      assert.ok(turns > 0, 'an immediate queued as the look began ran before it ended');
      assert.equal(seen.cutShortBy, undefined);
      assert.ok(seen.writers.get(file)?.some(({ pid }) => pid === process.pid), `this process holds ${file} open for writing: ${JSON.stringify([...seen.writers])}`);
    } finally {
      closeSync(writer);
    }
  });

  test('it gives up once its time is over, and says it did not look everywhere', { timeout: 30_000 }, async () => {
    const file = join(scratch, 'busy-late');
    writeFileSync(file, '');
    const writer = openSync(file, 'a');
    try {
      const late = await writersOf([file], 0);
      assert.deepEqual({ cutShortBy: late.cutShortBy, writers: late.writers.get(file) }, { cutShortBy: 'time', writers: [] });
      // The control: given its time (a minute, whatever else this machine runs), the same look finds the writer.
      const inTime = await writersOf([file], 60_000);
      assert.equal(inTime.cutShortBy, undefined);
      assert.ok(inTime.writers.get(file)?.some(({ pid }) => pid === process.pid));
    } finally {
      closeSync(writer);
    }
  });

  test('a cancel ends the look at once: whoever waits for the error no longer wants its words', { timeout: 30_000 }, async () => {
    const file = join(scratch, 'busy-cancelled');
    writeFileSync(file, '');
    const writer = openSync(file, 'a');
    try {
      const cancelled = await writersOf([file], 60_000, AbortSignal.abort());
      assert.deepEqual({ cutShortBy: cancelled.cutShortBy, writers: cancelled.writers.get(file) }, { cutShortBy: 'cancel', writers: [] });
      // The control: not cancelled, the same look finds the writer.
      assert.ok((await writersOf([file], 60_000, new AbortController().signal)).writers.get(file)?.some(({ pid }) => pid === process.pid));
    } finally {
      closeSync(writer);
    }
  });
});

describe('namingBusyWriters', () => {
  test("the gate's 126 (ENOEXEC) of a script whose writer a look cut short by the cancel missed says it may be busy, not only that it cannot run, nor that time ran out", { timeout: 30_000 }, async () => {
    const script = join(scratch, 'being-written');
    writeFileSync(script, '#!/bin/sh\necho hi\n', { mode: 0o755 });
    const writer = openSync(script, 'a');
    try {
      const options = resolveCommonOptions('test', [script], {}, { stdout: 'ignore', stderr: 'ignore' });
      const gateSaid = (): SpawnError => new SpawnError([script], 'exec format error: not a program this machine can run', { code: 'ENOEXEC' });
      const cutShort = await namingBusyWriters(gateSaid(), options, AbortSignal.abort());
      assert.equal(cutShort.code, 'ENOEXEC');
      assert.match(cutShort.message, /exec format error: .*; or it is still open for writing \(text file busy\) by a process the look through \/proc did not reach \(the start was cancelled while it looked\)$/);
      assert.doesNotMatch(cutShort.message, /time given/);
      // The control: a look that finishes names the writer, this process.
      const named = await namingBusyWriters(gateSaid(), options, new AbortController().signal);
      assert.equal(named.code, 'ETXTBSY');
      assert.match(named.message, new RegExp(`open for writing by pid ${process.pid} \\(this process\\)`));
    } finally {
      closeSync(writer);
    }
  });
});
