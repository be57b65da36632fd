// The gate asks whether its user may enter the cwd (`test -x .`, a faccessat2 some seccomp
// profiles refuse, which would stop every spawn there) only of a child given ids; for its own user
// the answer is always yes (src/process/spawn/gate.ts, CWD_CLOSED_STATUS).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { resolveCommonOptions } from '../../../src/process/options.js';
import { gateCommand } from '../../../src/process/spawn/gate.js';

/** Runs the gate as `options` would have it, up to the `test` it may ask, traced by `sh -x`. */
function asksAboutCwd(options: Parameters<typeof resolveCommonOptions>[2]): boolean {
  const resolved = resolveCommonOptions('test', ['true'], options, { stdout: 'inherit', stderr: 'inherit' });
  const gate = gateCommand(resolved, ['+ ', ' 0 15', String(process.pid)]);
  assert.ok(gate !== undefined, 'the gate applies');
  // fd 3 (the watchdog's pipe) to /dev/null, fd 4 (the verdict) to stdout: both written, neither read.
  const run = spawnSync('/bin/sh', ['-xc', `exec 3>/dev/null 4>&1\n${gate.args[1] ?? ''}`, ...gate.args.slice(2)], { env: gate.env, encoding: 'utf8', timeout: 10_000 });
  assert.equal(run.status, 0, `${run.stderr}${run.stdout}`);
  // dash traces `+ [ -x . ]`; bash, where /bin/sh is bash, `+ '[' -x . ']'`.
  return /^\+ '?\['? -x \. '?\]'?$/m.test(run.stderr);
}

test('the gate asks whether its user may enter the cwd only of a child given a uid, gid or groups', { timeout: 30_000 }, () => {
  assert.equal(asksAboutCwd({}), false, 'a child of this process\'s own ids is not asked');
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  assert.equal(asksAboutCwd({ uid }), true, 'a uid given, even this process\'s own');
  assert.equal(asksAboutCwd({ gid }), true, 'a gid given');
});
