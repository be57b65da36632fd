import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RESTART_MAX_BACKOFF_MS, DEFAULT_RESTART_RESET_AFTER_MS, NO_RESTART } from '../../../src/cli/config/index.js';
import { firstProcess, problemAt, web } from './support.js';

test('restart: a policy name gets every default; no restart key means no', () => {
  assert.deepEqual(firstProcess(web()).restart, { policy: 'no', max: 3, backoffMs: 500, maxBackoffMs: 30_000, resetAfterMs: 60_000 });
  assert.deepEqual(firstProcess(web()).restart, NO_RESTART);
  assert.deepEqual(firstProcess(web('    restart: always\n')).restart, { ...NO_RESTART, policy: 'always' });
  assert.deepEqual(firstProcess(web('    restart: on-failure\n')).restart, { ...NO_RESTART, policy: 'on-failure' });
  assert.deepEqual([DEFAULT_RESTART_MAX_BACKOFF_MS, DEFAULT_RESTART_RESET_AFTER_MS], [30_000, 60_000]);
});

test('restart: the mapping form reads policy, max, backoff, maxBackoff and resetAfter', () => {
  const text = web('    restart: { policy: always, max: 5, backoff: 200ms, maxBackoff: 10s, resetAfter: 30s }\n');
  assert.deepEqual(firstProcess(text).restart, { policy: 'always', max: 5, backoffMs: 200, maxBackoffMs: 10_000, resetAfterMs: 30_000 });
  assert.deepEqual(firstProcess(web('    restart: { policy: on-failure }\n')).restart, { ...NO_RESTART, policy: 'on-failure' });
});

test('restart: backoff longer than maxBackoff is refused, at whichever of the two is written', () => {
  assert.doesNotThrow(() => firstProcess(web('    restart: { policy: always, backoff: 10s, maxBackoff: 10s }\n'))); // control: equal is fine
  assert.match(
    problemAt(web('    restart: { policy: always, backoff: 20s, maxBackoff: 10s }\n'), '10s'),
    /restart\.maxBackoff: `backoff` \(20000 ms\) is longer than `maxBackoff` \(10000 ms\), where the doubling stops; shorten `backoff` or raise `maxBackoff`$/,
  );
  assert.match(problemAt(web('    restart: { policy: always, backoff: 1m }\n'), '1m'), /restart\.backoff: `backoff` \(60000 ms\) is longer than `maxBackoff` \(30000 ms, the default\)/);
  assert.match(problemAt(web('    restart: { policy: always, maxBackoff: 100ms }\n'), '100ms'), /restart\.maxBackoff: `backoff` \(500 ms, the default\) is longer than `maxBackoff` \(100 ms\)/);
});

test('restart: bad values are refused at their place', () => {
  assert.match(problemAt(web('    restart: { policy: always, resetAfter: 0 }\n'), '0 }'), /restart\.resetAfter: must be longer than 0/);
  assert.match(problemAt(web('    restart: { policy: always, maxBackoff: soon }\n'), 'soon'), /restart\.maxBackoff: invalid duration 'soon'/);
  assert.match(problemAt(web('    restart: [always]\n'), '[always]'), /restart: expected `no`, `on-failure` or `always` or a mapping like `\{ policy: on-failure, max: 3 \}`, found a list/);
  assert.match(problemAt(web('    restart: unless-stopped\n'), 'unless-stopped'), /unknown restart policy 'unless-stopped'; use `no`, `on-failure` or `always`; did you mean 'always'\?/);
  for (const key of ['maxBackoff: 1s', 'resetAfter: 1s', 'backoff: 1s', 'max: 2']) {
    const value = `${key.split(': ')[1]!} }`;
    assert.match(problemAt(web(`    restart: { policy: no, ${key} }\n`), value), /applies only to `on-failure` and `always`; remove it or change the policy/, key);
  }
  assert.match(problemAt(web('    restart: { policy: always, maxRestarts: 2 }\n'), 'maxRestarts'), /restart\.maxRestarts: unknown key; did you mean 'max'\?/);
});

test('restart: other tools\' policy words are answered with what means the same here, never the opposite', () => {
  const policy = (value: string): string => problemAt(web(`    restart: ${value}\n`), value);
  // process-compose's exit_on_failure restarts nothing and ends the run: subvisor's `no`, not `on-failure`.
  assert.match(policy('exit_on_failure'), /unknown restart policy 'exit_on_failure'; use `no`, `on-failure` or `always`; did you mean 'no'\?$/);
  assert.match(policy('false'), /unknown restart policy 'false'; use `no`, `on-failure` or `always`; did you mean 'no'\?$/);
  // docker's on-failure:N keeps its bound.
  assert.match(policy('on-failure:3'), /unknown restart policy 'on-failure:3'; use `no`, `on-failure` or `always`; did you mean `\{ policy: on-failure, max: 3 \}`\?$/);
  assert.match(policy('on_failure'), /did you mean 'on-failure'\?$/, 'control: a spelling of on-failure still leads to it');
});

test('a task with restart: always is retried on failure only, so its policy reads on-failure', () => {
  const task = firstProcess(web('    task: true\n    restart: { policy: always, max: 2 }\n'));
  assert.deepEqual(task.restart, { ...NO_RESTART, policy: 'on-failure', max: 2 });
  // Control: the same policy on a process that is not a task stays always.
  assert.equal(firstProcess(web('    restart: { policy: always, max: 2 }\n')).restart.policy, 'always');
});

test('a whole number in quotes is told the quotes are what is wrong (replicas, restart.max)', () => {
  // Before: `found a string; e.g. \`replicas: 2\` runs NAME.1 and NAME.2`, as for `replicas: two`.
  assert.match(problemAt(web('    replicas: "2"\n'), '"2"'), /processes\.web\.replicas: must be a positive whole number of copies, found '2' in quotes, a string; write it without them$/);
  assert.match(problemAt(web("    restart: { policy: always, max: '3' }\n"), "'3'"), /restart\.max: must be a positive whole number of restarts, found '3' in quotes, a string; write it without them$/);
  assert.match(problemAt(web('    replicas: "two"\n'), '"two"'), /found a string; e\.g\. `replicas: 2` runs NAME\.1 and NAME\.2$/, 'a word is told the example');
  assert.match(problemAt(web('    replicas: "0"\n'), '"0"'), /found a string; e\.g\./, 'a quoted 0 would be wrong without its quotes too');
});
