// What a dependent waits on (src/cli/stack/milestones.ts): many milestones, met one at a time.
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import type { Dependency } from '../../../src/cli/config/spec.js';
import { Milestone, waitForAll } from '../../../src/cli/stack/milestones.js';

const COPIES = 200;

test(`a wait on ${COPIES} milestones met one per turn listens to each once, and hears each change`, { timeout: 10_000 }, async () => {
  const milestones = Array.from({ length: COPIES }, () => new Milestone());
  let listened = 0;
  for (const milestone of milestones) {
    const onChange = milestone.onChange.bind(milestone);
    milestone.onChange = (listener) => (listened++, onChange(listener));
  }
  const awaited = milestones.map((milestone, index) => ({ dependency: { name: `web.${index + 1}`, condition: 'ready' } satisfies Dependency, milestone }));
  const told: number[] = [];
  const waited = waitForAll(awaited, new AbortController().signal, (pending) => told.push(pending.length));
  for (const milestone of milestones) {
    milestone.meet();
    await nextTurn();
  }
  assert.equal(await waited, undefined);
  assert.deepEqual(told, Array.from({ length: COPIES }, (_, index) => COPIES - index), 'told of each change (control)');
  // Before: the milestones still pending were listened to again after each change, ~N²/2 in all (20100).
  assert.equal(listened, COPIES);
});
