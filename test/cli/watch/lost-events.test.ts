// LostEvents: every tree is looked at again after a flood of events (which may have overflowed
// inotify's queue), and only then.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LostEvents } from '../../../src/cli/watch/lost-events.js';

test('a flood (as many events as may overflow the queue, one after another) has every tree looked at again once it stops', async () => {
  const lost = new LostEvents(10);
  let looks = 0;
  const tree = { catchUp: () => looks++ };
  lost.watch(tree);
  try {
    for (let i = 0; i < 10; i++) lost.heard();
    assert.equal(looks, 0, 'not during the flood');
    await sleep(250);
    assert.equal(looks, 1, 'once it is over');
  } finally {
    lost.unwatch(tree);
  }
});

test('events spread out over time are no flood: no look, however many come in all (the queue is read meanwhile)', async () => {
  const lost = new LostEvents(10);
  let looks = 0;
  const tree = { catchUp: () => looks++ };
  lost.watch(tree);
  try {
    for (let burst = 0; burst < 4; burst++) {
      for (let i = 0; i < 5; i++) lost.heard();
      await sleep(250);
    }
    assert.equal(looks, 0, '20 events in bursts of 5, with quiet between them, overflow no queue of 10');
  } finally {
    lost.unwatch(tree);
  }
});
