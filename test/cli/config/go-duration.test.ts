// Go durations, as the exports write them: what Compose and systemd read, and what subvisor's own
// parseDuration reads back to the same milliseconds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_DURATION_MS, parseDuration } from '../../../src/cli/config/index.js';
import { goDuration } from '../../../src/cli/config/duration.js';

test('goDuration writes the largest unit first, one spelling per duration', () => {
  assert.equal(goDuration(0), '0s');
  assert.equal(goDuration(200), '200ms');
  assert.equal(goDuration(10_000), '10s');
  assert.equal(goDuration(90_000), '1m30s');
  assert.equal(goDuration(1_500), '1s500ms');
  assert.equal(goDuration(3_600_000), '1h');
  assert.equal(goDuration(3_723_004), '1h2m3s4ms');
});

test('parseDuration reads every goDuration back to the same milliseconds, in Go syntax', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
      const text = goDuration(ms);
      assert.match(text, /^(?:\d+(?:h|m|s|ms))+$/);
      assert.equal(parseDuration(text), ms);
    }),
  );
});
