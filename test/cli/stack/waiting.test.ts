// What a dependent says it waits for: copies of a process with replicas are told as that process
// while many are awaited, so the line stays short and is not said again for each copy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dependency } from '../../../src/cli/config/spec.js';
import { MAX_NAMED_COPIES, awaiting, waitingLine } from '../../../src/cli/stack/waiting.js';

const copies = (count: number): Dependency[] => Array.from({ length: count }, (_, index) => ({ name: `web.${index + 1}`, condition: 'ready', copyOf: 'web' }));

test('many copies awaited are the process with its count of copies, the same text however many are left', () => {
  const web = copies(200);
  const db: Dependency = { name: 'db', condition: 'succeeded' };
  assert.equal(waitingLine(awaiting([db, ...web], [db, ...web])), 'waiting for db to succeed, web (200 copies) to be ready');
  assert.equal(waitingLine(awaiting(web.slice(150), [db, ...web])), 'waiting for web (200 copies) to be ready');
});

test('the last few copies awaited are named, as is every copy of a process with few', () => {
  const web = copies(200);
  assert.deepEqual(awaiting(web.slice(200 - MAX_NAMED_COPIES), web).map(({ name }) => name), ['web.198', 'web.199', 'web.200']);
  const three = copies(3);
  assert.equal(waitingLine(awaiting(three, three)), 'waiting for web.1 to be ready, web.2 to be ready, web.3 to be ready');
});

test('a process with no copies is named as it is, also one whose name looks like a copy', () => {
  const deps: Dependency[] = [{ name: 'a.1', condition: 'started' }, { name: 'b', condition: 'completed' }];
  assert.equal(waitingLine(awaiting(deps, deps)), 'waiting for a.1 to start, b to complete');
});
