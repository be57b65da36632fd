import assert from 'node:assert/strict';
import { test } from 'node:test';
import { levelFromEnvironment } from '../../src/log/config.js';
import { cleanEnv, runFixture } from './fixtures/run.js';

test('SUBVISOR_LOG_LEVEL gives the initial threshold; unset, empty or invalid means info', () => {
  assert.deepEqual(levelFromEnvironment({}), { level: 20, invalid: false });
  assert.deepEqual(levelFromEnvironment({ SUBVISOR_LOG_LEVEL: '' }), { level: 20, invalid: false });
  assert.deepEqual(levelFromEnvironment({ SUBVISOR_LOG_LEVEL: 'DEBUG' }), { level: 10, invalid: false });
  assert.deepEqual(levelFromEnvironment({ SUBVISOR_LOG_LEVEL: '15' }), { level: 15, invalid: false });
  assert.deepEqual(levelFromEnvironment({ SUBVISOR_LOG_LEVEL: 'chatty' }), { level: 20, invalid: true });
});

const SUBPROCESS = { timeout: 30_000 };

test('by default a fresh process shows info and io, not runtime', SUBPROCESS, async () => {
  const { code, stdout } = await runFixture('./report-threshold.ts', { env: cleanEnv() });
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(stdout), { seen: ['info', 'io'], warnings: [] });
});

test('SUBVISOR_LOG_LEVEL=devx set in the environment lowers the initial threshold', SUBPROCESS, async () => {
  const { code, stdout } = await runFixture('./report-threshold.ts', { env: cleanEnv({ SUBVISOR_LOG_LEVEL: 'devx' }) });
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(stdout), { seen: ['devx', 'info', 'io'], warnings: [] });
});

test('an invalid SUBVISOR_LOG_LEVEL keeps info and warns, without echoing the value', SUBPROCESS, async () => {
  const secretish = 'hunter2-not-a-level';
  const { code, stdout, stderr } = await runFixture('./report-threshold.ts', { env: cleanEnv({ SUBVISOR_LOG_LEVEL: secretish }) });
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(stdout), { seen: ['info', 'io'], warnings: ['SUBVISOR_LOG_LEVEL_INVALID'] });
  assert.match(stderr, /SUBVISOR_LOG_LEVEL is not a log level/); // control: the warning is printed…
  assert.ok(!stderr.includes(secretish), stderr); // …without the value
});
