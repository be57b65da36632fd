// The output's close waits for the lines still waiting behind a full stdout (see backlog.ts):
// what a process gave before the end is all written by the time close resolves.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createOutput } from '../../src/cli/output.js';

test('close() resolves only once every waiting line is written; until then they count as unwritten', { timeout: 30_000 }, async () => {
  const chunks: string[] = [];
  // A slow stdout: each chunk is taken a moment later, so the output fills up.
  const stdout = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      setTimeout(callback, 1);
    },
  });
  const output = createOutput({ names: ['a'], json: true, stdout, stderr: new Writable({ write: (_chunk, _encoding, callback) => callback() }) });
  // Reads of one-character lines, as `yes` gives them: 2.6 MB of records each, more than stdout holds.
  const read = Array.from({ length: 32768 }, (_, index) => String(index % 10)).join('\n');
  let waited = false;
  for (let reads = 0; reads < 3; reads++) if (output.lines('a', 'stdout', read) !== undefined) waited = true;
  assert.ok(waited, 'the output never said it was full');
  // Beyond what stdout holds, the reads that wait as text: the third whole, the second but a slice.
  const unwritten = output.unwrittenBytes();
  assert.ok(unwritten - stdout.writableLength > read.length, `${unwritten} bytes unwritten, ${stdout.writableLength} of them in stdout`);
  await output.close();
  const records = chunks.join('').split('\n').filter((line) => line !== '');
  assert.equal(records.length, 3 * 32768);
  const last = JSON.parse(records.at(-1) as string) as { name: string; stream: string; line: string };
  assert.deepEqual([last.name, last.stream, last.line], ['a', 'stdout', '7']); // 32767 % 10
});
