import assert from 'node:assert/strict';
import { test } from 'node:test';
import { suggest } from '../../src/process/suggest.js';

test('a name shortened by dropping letters (wrk for worker, as ps and top abbreviate) suggests the one name it abbreviates', () => {
  assert.equal(suggest('wrk', ['web', 'worker', 'db']), 'worker');
  assert.equal(suggest('mgrt', ['migrate', 'web']), 'migrate');
  // The controls: letters in another order, or another first letter, abbreviate nothing.
  assert.equal(suggest('rkw', ['web', 'worker', 'db']), undefined);
});

test('an abbreviation of two names, or of two letters, suggests nothing: a guess between them would be a coin toss', () => {
  assert.equal(suggest('wrk', ['worker', 'workspace']), undefined);
  assert.equal(suggest('wk', ['worker', 'web']), undefined);
});

test('a word that keeps less than a third of a long name abbreviates nothing: redis is not reverse-proxy-dist, web is not worker-beat', () => {
  assert.equal(suggest('redis', ['web', 'reverse-proxy-dist']), undefined);
  assert.equal(suggest('web', ['worker-beat', 'db']), undefined);
  // The control: a third kept (wrk of worker-beat's ten letters is not; wrkbt is) still abbreviates.
  assert.equal(suggest('wrkbt', ['worker-beat', 'db']), 'worker-beat');
});

test('a slip of a letter or two in a long name suggests that name over a far shorter one it starts with: api-gatewy is api-gateway, not api', () => {
  assert.equal(suggest('api-gatewy', ['api', 'api-gateway']), 'api-gateway');
  assert.equal(suggest('api-gatway', ['api', 'api-gateway']), 'api-gateway');
  // The controls: with no such slip the prefix still leads (a word cut short or run on).
  assert.equal(suggest('api-gw', ['api', 'api-gateway']), 'api');
  assert.equal(suggest('environment', ['env', 'cmd']), 'env');
  assert.equal(suggest('apis', ['api', 'api-gateway']), 'api');
});

test('a word cut short of a name still suggests that name over a shorter one a slip away: work is worker, not fork', () => {
  assert.equal(suggest('work', ['worker', 'fork']), 'worker');
  assert.equal(suggest('front', ['frontend', 'font']), 'frontend');
  // The control: the same slip with no name the word starts is still found.
  assert.equal(suggest('work', ['fork', 'db']), 'fork');
});

test('a word run on past two names, one starting the other, suggests the longer it starts with: readyTimeoutSeconds is readyTimeout, not ready', () => {
  // Key tables list the short key first (ready, readyTimeout; max, maxBackoff).
  assert.equal(suggest('readyTimeoutSeconds', ['ready', 'readyTimeout']), 'readyTimeout');
  assert.equal(suggest('maxBackoffSeconds', ['policy', 'max', 'backoff', 'maxBackoff', 'resetAfter']), 'maxBackoff');
  assert.equal(suggest('readyTime', ['ready', 'readyTimeout']), 'readyTimeout');
  // The controls: run on past the short one only, the short one it is.
  assert.equal(suggest('readyProbe', ['ready', 'readyTimeout']), 'ready');
  assert.equal(suggest('maxRestarts', ['policy', 'max', 'backoff', 'maxBackoff', 'resetAfter']), 'max');
});

test('a word cut short of a longer name that also runs on past a shorter one suggests the longer, however many of its letters were typed: readyTim is readyTimeout, as readyTime is', () => {
  // Every letter typed is the longer name's; the shorter one leaves the rest unexplained.
  for (const word of ['readyT', 'readyTi', 'readyTim', 'readyTime', 'readyTimeo']) assert.equal(suggest(word, ['ready', 'readyTimeout']), 'readyTimeout', word);
  for (const word of ['maxB', 'maxBa', 'maxBac', 'maxBack']) assert.equal(suggest(word, ['policy', 'max', 'backoff', 'maxBackoff', 'resetAfter']), 'maxBackoff', word);
  // The controls: run on past the short name only, or cut short of two, the nearer in length.
  assert.equal(suggest('readyX', ['ready', 'readyTimeout']), 'ready');
  assert.equal(suggest('rea', ['ready', 'readyTimeout']), 'ready');
});
