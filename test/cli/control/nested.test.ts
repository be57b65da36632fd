// A second `up` refused its control socket asks the run holding it whether this up runs inside it
// (src/cli/control/nested.ts). A run that is none of this process's ancestors is not asked: asking
// one that cannot answer (stopped by SIGSTOP or Ctrl-Z) held the refusal for the whole query timeout.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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
    // The control: the claim of another socket in the same directory is not this one's (that one
    // listened on here, by no process in the set, so /proc/net/unix lists a socket there).
    const other = createServer();
    other.listen(join(dir, '.subvisor', 'other.sock'));
    await once(other, 'listening');
    try {
      assert.equal(ancestorHoldsSocket(join(dir, '.subvisor', 'other.sock'), new Set([run.pid])), false);
    } finally {
      other.close();
    }
  } finally {
    await interrupt(run);
  }
});

test('from another network namespace, whose /proc/net/unix lists none of its sockets, a run holding the socket is not said to hold none: the run is asked', { timeout: 30_000 }, async (t) => {
  if (process.getuid?.() !== 0) return t.skip('a network namespace of its own is made as root only');
  if (spawnSync('unshare', ['--net', 'true']).status !== 0) {
    assert.notEqual(process.env.CI, 'true', 'CI as root has unshare (util-linux): this test must run there');
    return t.skip('unshare --net is refused here');
  }
  const path = join(scratch, 'other-net.sock');
  const listener = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(listener.stdout, 'data');
    const pid = listener.pid ?? 0;
    const holders = pathToFileURL(resolve('src/cli/control/socket-holders.ts')).href;
    const probe = `const { ancestorHoldsSocket } = await import(${JSON.stringify(holders)}); console.log(String(ancestorHoldsSocket(${JSON.stringify(path)}, new Set([${pid}]))));`;
    const answerIn = (netns: string[]): string => {
      const run = spawnSync(netns[0] ?? '', [...netns.slice(1), process.execPath, '--import', 'tsx', '--input-type=module', '-e', probe], { cwd: resolve('.'), encoding: 'utf8', timeout: 20_000 });
      assert.equal(run.status, 0, run.stderr);
      return run.stdout.trim();
    };
    // The control: in this network namespace, the listener is seen holding it.
    assert.equal(answerIn(['env']), 'true');
    assert.equal(answerIn(['unshare', '--net']), 'undefined');
  } finally {
    listener.kill();
    await once(listener, 'exit');
  }
});
