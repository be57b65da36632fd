// A second `up` refused its control socket asks the run holding it whether this up runs inside it
// (src/cli/control/nested.ts). A run that is none of this process's ancestors is not asked: asking
// one that cannot answer (stopped by SIGSTOP or Ctrl-Z) held the refusal for the whole query timeout.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ControlError } from '../../../src/cli/control/errors.js';
import { nestedRefusal } from '../../../src/cli/control/nested.js';
import { ancestorHoldsSocket } from '../../../src/cli/control/socket-holders.js';
import { configDir, interrupt, socketOf, up } from './support.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-nested-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('a run on the socket that is no ancestor of this process is not asked which of its processes this is: the refusal stands', { timeout: 30_000 }, async (t) => {
  if (process.platform !== 'linux') return t.skip('/proc is Linux\'s');
  const path = join(scratch, 'control.sock');
  let asked = 0;
  // Never answers, as a stopped run does not: only the connections it is asked on are counted.
  const run = createServer((socket) => {
    asked++;
    socket.destroy();
  });
  run.listen(path);
  await once(run, 'listening');
  try {
    const refused = new ControlError('another run is already up', 'ERR_SUBVISOR_RUN_ALREADY_UP');
    assert.equal(await nestedRefusal(path, refused), undefined);
    assert.equal(asked, 0, 'the run was not asked');
  } finally {
    run.close();
  }
});

test('the socket is seen held by the process that listens on it, by any path to it, and by no other', { timeout: 30_000 }, async (t) => {
  if (process.platform !== 'linux') return t.skip('/proc is Linux\'s');
  const path = join(scratch, 'held.sock');
  const listener = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(listener.stdout, 'data');
    const pid = listener.pid ?? 0;
    assert.equal(ancestorHoldsSocket(path, new Set([process.pid, pid])), true);
    const link = join(scratch, 'link');
    symlinkSync(scratch, link);
    assert.equal(ancestorHoldsSocket(join(link, 'held.sock'), new Set([pid])), true);
    // The control: this process, and its parent, hold no socket at that path.
    assert.equal(ancestorHoldsSocket(path, new Set([process.pid, process.ppid])), false);
  } finally {
    listener.kill();
    await once(listener, 'exit');
  }
});

test("a run's claim on its socket (the abstract name, with its token) is seen as holding it, its socket file removed", { timeout: 60_000 }, async (t) => {
  if (process.platform !== 'linux') return t.skip('claims are Linux\'s');
  const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
  const run = await up(dir);
  try {
    unlinkSync(socketOf(dir));
    assert.equal(ancestorHoldsSocket(socketOf(dir), new Set([run.pid])), true);
    // The control: the claim of another socket in the same directory is not this one's.
    assert.equal(ancestorHoldsSocket(join(dir, '.subvisor', 'other.sock'), new Set([run.pid])), false);
  } finally {
    await interrupt(run);
  }
});
