// The command line's own mistakes: a UsageError, with its stable code and the flag it is about.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError, durationOption } from '../../src/cli/args.js';

test('a duration flag reads Go durations; one it cannot read is a UsageError naming the flag, code ERR_SUBVISOR_USAGE', () => {
  assert.equal(durationOption('--grace', '1.5m'), 90_000);
  assert.throws(
    () => durationOption('--grace', 'soon'),
    (error: unknown) => error instanceof UsageError && error.code === 'ERR_SUBVISOR_USAGE' && /^--grace: /.test(error.message),
  );
});
