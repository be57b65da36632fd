import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LEVEL_NAMES, LEVELS, UnknownLevelError, levelLabel, resolveLevel } from '../../src/log/levels.js';

test('the levels have the Python-style numbers of the spec', () => {
  assert.deepEqual(
    { ...LEVELS },
    { transport: 5, debug: 10, runtime: 15, devx: 17, info: 20, io: 21, cancel: 22, warning: 30, error: 40, critical: 50 },
  );
});

test('io sorts just above info: nothing between them, cancel after io', () => {
  const order = [...LEVEL_NAMES];
  assert.deepEqual(order, ['transport', 'debug', 'runtime', 'devx', 'info', 'io', 'cancel', 'warning', 'error', 'critical']);
  assert.equal(order.indexOf('io'), order.indexOf('info') + 1);
  // Control: the adjacency check does tell neighbours from non-neighbours.
  assert.notEqual(order.indexOf('cancel'), order.indexOf('info') + 1);
});

test('resolveLevel takes names in any case, numbers, and strings of digits', () => {
  assert.equal(resolveLevel('io'), 21);
  assert.equal(resolveLevel('WARNING'), 30);
  assert.equal(resolveLevel(' Debug '), 10);
  assert.equal(resolveLevel(25), 25);
  assert.equal(resolveLevel('25'), 25);
  assert.equal(resolveLevel(0), 0);
});

test('resolveLevel refuses a string of more digits than a level has, rather than reading it as a huge or infinite threshold', () => {
  assert.equal(resolveLevel('999999999'), 999_999_999); // control: nine digits pass
  for (const digits of ['1000000000', '9'.repeat(400)]) assert.throws(() => resolveLevel(digits), UnknownLevelError, digits.slice(0, 12));
});

test('resolveLevel refuses an unknown name with a RangeError that lists the valid levels', () => {
  assert.doesNotThrow(() => resolveLevel('warning')); // control: a valid name passes
  assert.throws(
    () => resolveLevel('warn'),
    (error: unknown) => {
      assert.ok(error instanceof UnknownLevelError);
      assert.ok(error instanceof RangeError);
      assert.equal(error.level, 'warn');
      assert.match(error.message, /unknown log level "warn"/);
      for (const name of LEVEL_NAMES) assert.ok(error.message.includes(`${name} (${LEVELS[name]})`), name);
      return true;
    },
  );
});

test('resolveLevel refuses numbers that are not non-negative integers', () => {
  for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => resolveLevel(bad), UnknownLevelError, String(bad));
  }
  assert.throws(() => resolveLevel(''), UnknownLevelError);
});

test('levelLabel names the named levels and labels the others level<N>', () => {
  assert.equal(levelLabel(21), 'io');
  assert.equal(levelLabel(25), 'level25');
});
