// A bare number given to a duration flag is milliseconds here, where `timeout 5`, `docker stop -t
// 10` and foreman's `-t 10` mean seconds: `run --timeout 5` stops the command 5 ms in, `--grace 10`
// SIGKILLs 10 ms into a shutdown. One under a second is taken as written, and said before anything
// starts; 1000 and more reads as milliseconds meant (concurrently's `--kill-timeout 3000`).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-bare-durations-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  web: { cmd: echo started }\n');

const warning = (flag: string, number: string) =>
  `subvisor: warning: ${flag} ${number} is ${number} ms (a bare number is milliseconds); for seconds, write ${flag} ${number}s (or ${flag} ${number}ms, which says so without this warning)`;

test('a bare number under 1000 given to run --timeout, --ready-timeout or --grace is warned of as milliseconds before the command starts, and taken as written', { timeout: 60_000 }, async () => {
  const bare = await runCli(['run', '--timeout', '900', '--grace', '10', '--ready', 'started', '--ready-timeout', '800', '--', 'echo', 'started'], { cwd: dir });
  // Said first (whether echo then beats 900 ms on a loaded machine is not the point here).
  assert.deepEqual(bare.stderr.split('\n').slice(0, 3), [warning('--timeout', '900'), warning('--ready-timeout', '800'), warning('--grace', '10')]);
  // Taken as written: 5 is 5 ms, which a sleep outlasts.
  const short = await runCli(['run', '--timeout', '5', '--', 'sleep', '30'], { cwd: dir });
  assert.equal(short.code, 124, short.stderr);
  assert.match(short.stdout, /--timeout of 5 ms passed/);
  // With --json, the warning is a record on stdout, before the command's first.
  const json = await runCli(['run', '--json', '--grace', '10', '--', 'echo', 'started'], { cwd: dir });
  assert.equal(json.stderr, '');
  const [first] = json.stdout.split('\n').map((line) => JSON.parse(line || '{}') as { event?: string; line?: string });
  assert.equal(first?.event, 'warning');
  assert.equal(`subvisor: warning: ${first.line ?? ''}`, warning('--grace', '10'));
  // The controls: a unit, ms too, says which was meant, and so does a bare 1000 or more; nothing is warned of.
  const units = await runCli(['run', '--timeout', '30s', '--grace', '10ms', '--', 'echo', 'started'], { cwd: dir });
  assert.equal(units.code, 0, units.stderr);
  assert.equal(units.stderr, '');
  const milliseconds = await runCli(['run', '--timeout', '30000', '--grace', '1000', '--', 'echo', 'started'], { cwd: dir });
  assert.equal(milliseconds.code, 0, milliseconds.stderr);
  assert.equal(milliseconds.stderr, '');
});

test("a bare number under 1000 given to up's --grace or probe's --timeout and --interval is warned of as milliseconds", { timeout: 60_000 }, async () => {
  const up = await runCli(['up', '--grace', '10'], { cwd: dir });
  assert.equal(up.code, 0, up.stderr);
  assert.equal(up.stderr.split('\n')[0], warning('--grace', '10'));
  const probe = await runCli(['probe', '--exec', 'true', '--timeout', '900', '--interval', '100'], { cwd: dir });
  assert.deepEqual(probe.stderr.split('\n').slice(0, 2), [warning('--timeout', '900'), warning('--interval', '100')]);
  // The controls: units say it, and nothing is warned of.
  const upUnit = await runCli(['up', '--grace', '10s'], { cwd: dir });
  assert.equal(upUnit.code, 0, upUnit.stderr);
  assert.doesNotMatch(upUnit.stderr, /warning/);
  const probeUnits = await runCli(['probe', '--exec', 'true', '--timeout', '5s', '--interval', '100ms'], { cwd: dir });
  assert.equal(probeUnits.stderr, '');
});

test('--grace -0 is 0, as `grace: "-0"` is; --grace 1e400 is refused in the words a config\'s `grace: 1e400` gets; an exponent is advised as its value', { timeout: 60_000 }, async () => {
  // Before: `--grace -0` was "expected a non-negative duration", `--grace 1e400` "expected a number with a unit".
  for (const args of [['run', '--grace', '-0', '--', 'true'], ['run', '--grace=-0', '--', 'true'], ['up', '--grace', '-0']]) {
    const zero = await runCli(args, { cwd: dir });
    assert.equal(zero.code, 0, `${args.join(' ')}: ${zero.stderr}`);
    assert.doesNotMatch(zero.stderr, /subvisor:/, args.join(' '));
  }
  const tooLong = await runCli(['run', '--grace', '1e400', '--', 'true'], { cwd: dir });
  assert.equal(tooLong.code, 2);
  assert.equal(tooLong.stderr.split('\n')[0], "subvisor: --grace: invalid duration '1e400': longer than the longest a timer can wait, 2147483647 ms (596h31m23.647s, about 24.8 days); use a shorter one");
  writeFileSync(join(dir, 'long.yaml'), 'processes:\n  web: { cmd: echo started, grace: 1e400 }\n');
  const config = await runCli(['up', '-f', 'long.yaml'], { cwd: dir });
  assert.match(config.stderr, /processes\.web\.grace: invalid duration 1e400: longer than the longest a timer can wait, 2147483647 ms \(596h31m23\.647s, about 24\.8 days\); use a shorter one$/m);
  // `1e2s` is no duration: the advice writes 1e2's value.
  const exponent = await runCli(['run', '--grace', '1e2', '--', 'true'], { cwd: dir });
  assert.equal(exponent.stderr.split('\n')[0], 'subvisor: warning: --grace 1e2 is 100 ms (a bare number is milliseconds); for seconds, write --grace 100s (or --grace 100ms, which says so without this warning)');
  // Its value as written, not as rounded to whole ms: 2.5e0 seconds is 2.5s, not the 3s that 3 ms would advise.
  const fraction = await runCli(['run', '--grace', '2.5e0', '--', 'true'], { cwd: dir });
  assert.equal(fraction.stderr.split('\n')[0], 'subvisor: warning: --grace 2.5e0 is 2.5 ms (a bare number is milliseconds); for seconds, write --grace 2.5s (or --grace 2.5ms, which says so without this warning)');
});
