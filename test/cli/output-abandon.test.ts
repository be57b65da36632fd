// What the output drops when the process ends at once is said once: an end at once may be asked
// for twice on the way out (a signal's, then an internal error's stop cut short, or the reverse),
// and the second would count the same bytes again.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createOutput } from '../../src/cli/output.js';

test('abandon() twice says what it drops once, with the first reason', { timeout: 30_000 }, async () => {
  // A stdout that takes nothing: every line stays queued.
  const stdout = new Writable({ write: () => undefined });
  const said: string[] = [];
  const stderr = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      said.push(chunk.toString('utf8'));
      callback();
    },
  });
  const output = createOutput({ names: ['a'], json: false, stdout, stderr });
  for (let line = 0; line < 100; line++) void output.line('a', 'stdout', `line ${line}`);
  await output.abandon('second SIGINT');
  await output.abandon('SIGINT after an internal error');
  const dropped = said.join('').split('\n').filter((line) => line.includes('not yet written are dropped'));
  assert.equal(dropped.length, 1, said.join(''));
  assert.match(dropped[0] ?? '', /^subvisor: second SIGINT: \d+ bytes of output/);
});
