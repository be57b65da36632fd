import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configureLogging } from '../../src/log/config.js';
import { UnknownLevelError } from '../../src/log/levels.js';
import { getLogger } from '../../src/log/logger.js';
import { captureRecords } from './capture.js';

test('at threshold info, io and info reach the sink while runtime and debug do not', () => {
  const log = getLogger('threshold');
  const records = captureRecords('info', () => {
    log.debug('debug');
    log.runtime('runtime');
    log.info('info'); // control: at the threshold itself
    log.io('io');
  });
  assert.deepEqual(records.map((record) => record.message), ['info', 'io']);
});

test('lowering the threshold to debug lets runtime through', () => {
  const log = getLogger('threshold');
  const records = captureRecords('debug', () => {
    log.transport('transport'); // control: still below
    log.runtime('runtime');
  });
  assert.deepEqual(records.map((record) => record.levelName), ['runtime']);
});

test('a record carries time, level, level name, logger name, message and the fields given', () => {
  const fields = { pid: 4242 };
  const before = Date.now();
  const [record, bare] = captureRecords('info', () => {
    getLogger('web').io('listening', fields);
    getLogger('web').warning('no fields');
  });
  const after = Date.now();
  assert.ok(record && bare);
  assert.ok(record.time >= before && record.time <= after, `time ${record.time} in [${before}, ${after}]`);
  assert.deepEqual({ ...record, time: 0 }, { time: 0, level: 21, levelName: 'io', logger: 'web', message: 'listening', fields });
  assert.equal(record.fields, fields);
  assert.equal('fields' in bare, false);
});

test('getLogger returns one cached logger per name, "subvisor" by default', () => {
  assert.equal(getLogger(), getLogger('subvisor'));
  assert.equal(getLogger().name, 'subvisor');
  assert.equal(getLogger('a'), getLogger('a'));
  assert.notEqual(getLogger('a'), getLogger('b')); // control
});

test('level methods work detached from the logger, as callbacks', () => {
  const { io } = getLogger('detached');
  const records = captureRecords('info', () => {
    ['one', 'two'].forEach((line) => io(line));
  });
  assert.deepEqual(records.map((record) => `${record.logger}:${record.message}`), ['detached:one', 'detached:two']);
});

test('log() takes a level by name or by number, and labels unnamed numbers level<N>', () => {
  const log = getLogger();
  const records = captureRecords('info', () => {
    log.log('io', 'named');
    log.log(25, 'between');
    log.log(19, 'below'); // control: filtered like any other record
  });
  assert.deepEqual(records.map((record) => [record.level, record.levelName]), [[21, 'io'], [25, 'level25']]);
  assert.throws(() => log.log('loud' as 'io', 'x'), UnknownLevelError);
});

test('isEnabledFor follows the threshold', () => {
  const log = getLogger();
  captureRecords('io', () => {
    assert.equal(log.isEnabledFor('io'), true);
    assert.equal(log.isEnabledFor('info'), false);
    assert.equal(log.isEnabledFor(22), true);
  });
});

test('configureLogging returns what it replaced, and a bad level changes nothing', () => {
  const sink = (): void => {};
  const original = configureLogging({ level: 'error', sink });
  try {
    assert.throws(() => configureLogging({ level: 'loud' as 'io' }), UnknownLevelError);
    const current = configureLogging();
    assert.deepEqual(current, { level: 40, sink });
  } finally {
    configureLogging(original);
  }
  assert.deepEqual(configureLogging(), original);
});

test('a sink that throws does not reach the caller; its first failure becomes one process warning', async () => {
  let calls = 0;
  const warnings: NodeJS.ErrnoException[] = [];
  // Only ours: Node itself may warn too (e.g. about FORCE_COLOR and NO_COLOR both being set).
  const onWarning = (warning: NodeJS.ErrnoException): void => {
    if (warning.name === 'SubvisorLogWarning') warnings.push(warning);
  };
  process.on('warning', onWarning);
  const previous = configureLogging({
    level: 'info',
    sink: () => {
      calls += 1;
      throw new Error('disk full');
    },
  });
  try {
    assert.doesNotThrow(() => {
      getLogger().error('first');
      getLogger().error('second');
    });
    // emitWarning delivers on the next tick; by the next macrotask every warning is in.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    configureLogging(previous);
    process.off('warning', onWarning);
  }
  assert.equal(calls, 2); // control: both records did reach the throwing sink
  assert.deepEqual(warnings.map((warning) => warning.code), ['SUBVISOR_LOG_SINK_FAILED']);
});
