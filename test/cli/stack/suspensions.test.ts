import assert from 'node:assert/strict';
import { test } from 'node:test';
import { watchSuspensions } from '../../../src/cli/stack/suspensions.js';

test('a SIGCONT since a mark is a suspension; none is none; one listener for every watch, gone with the last', async () => {
  const before = process.listenerCount('SIGCONT');
  const watches = Array.from({ length: 12 }, () => watchSuspensions());
  assert.equal(process.listenerCount('SIGCONT'), before + 1);
  const [first] = watches;
  assert.ok(first !== undefined);
  const quiet = first.mark();
  assert.equal(await first.suspendedSince(quiet), false, 'control: no SIGCONT, no suspension');
  const mark = first.mark();
  // A SIGCONT to a running process only continues what is already running: the watch hears it.
  process.kill(process.pid, 'SIGCONT');
  let heard = false;
  for (let turn = 0; turn < 100 && !heard; turn += 1) heard = await first.suspendedSince(mark);
  assert.ok(heard);
  for (const watch of watches) watch.dispose();
  first.dispose();
  assert.equal(process.listenerCount('SIGCONT'), before);
});
