// Node's limit the README states: a death by a real-time signal reads as exit 0, and the shell
// wrapper it gives turns it into 128 + N, a failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CalledProcessError, runProcess } from '../../src/index.js';

const BOUNDED = { timeout: 20_000 };
const KILLED_BY_40 = 'bash -c "kill -40 \\$\\$"';

test('a child killed by signal 40 reaches Node as status 0 and no signal (the README\'s limit)', BOUNDED, async () => {
  const completed = await runProcess(['sh', '-c', `exec ${KILLED_BY_40}`]);
  assert.equal(completed.returncode, 0);
  assert.equal(completed.signal, null);
});

test('under a shell that reports it (`CMD; exit $?`), the same death is status 168, a CalledProcessError', BOUNDED, async () => {
  const error = await runProcess(['sh', '-c', `${KILLED_BY_40}; exit $?`]).catch((caught: unknown) => caught);
  assert.ok(error instanceof CalledProcessError, String(error));
  assert.equal(error.returncode, 168);
});
