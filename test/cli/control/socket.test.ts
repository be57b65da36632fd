// The control socket itself (SPEC §10): its protocol's refusals, its owner-only access, its load,
// a run out of file descriptors. One run per config (a stale socket, a second `up`, where the
// socket goes) is in ./one-run.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { basename, join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_CONNECTIONS, MAX_LINGERING_REFUSALS } from '../../../src/cli/control/server.js';
import { killQuietly } from '../../support/processes.js';
import { runCli, type CliRun } from '../cli.js';
import { BOUNDED, client, configDir, interrupt, rawConnection, rowOf, socketOf, up, waitForState, waitUntilAsync } from './support.js';

describe('protocol', () => {
  test('a malformed request, an unknown command, an unknown name, a bad version get error replies; the connection and the run go on', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    try {
      const before = await waitForState(dir, 'a', 'running');
      const connection = await rawConnection(socketOf(dir));
      connection.send('this is not json\n');
      assert.deepEqual(await connection.next(), { v: 2, id: null, ok: false, error: { code: 'ERR_SUBVISOR_BAD_REQUEST', message: 'malformed request: not a JSON object on one line' } });
      connection.send('{"v":1,"id":7,"command":"dance"}\n');
      assert.deepEqual(await connection.next(), { v: 1, id: 7, ok: false, error: { code: 'ERR_SUBVISOR_UNKNOWN_COMMAND', message: 'unknown command "dance": the run knows ps, stop, start, restart, logs' } });
      connection.send('{"v":1,"id":8,"command":"stop","names":["nope"]}\n');
      assert.deepEqual(await connection.next(), { v: 1, id: 8, ok: false, error: { code: 'ERR_SUBVISOR_UNKNOWN_PROCESS', message: "no process named 'nope' in this run (it has a)" } });
      // Names of any length, any number: the reply repeats 80 characters of each, and five of them.
      connection.send(`${JSON.stringify({ v: 1, id: 12, command: 'stop', names: ['x'.repeat(500_000), 'b', 'c', 'd', 'e', 'f', 'g'] })}\n`);
      assert.deepEqual((await connection.next()).error, { code: 'ERR_SUBVISOR_UNKNOWN_PROCESS', message: `no process named '${'x'.repeat(80)}…', 'b', 'c', 'd', 'e' and 2 more in this run (it has a)` });
      // So are a command and a version of any length.
      connection.send(`${JSON.stringify({ v: 1, id: 14, command: 'y'.repeat(500_000) })}\n`);
      assert.deepEqual((await connection.next()).error, { code: 'ERR_SUBVISOR_UNKNOWN_COMMAND', message: `unknown command "${'y'.repeat(79)}…: the run knows ps, stop, start, restart, logs` });
      connection.send(`${JSON.stringify({ v: ['z'.repeat(500_000)], id: 15, command: 'ps' })}\n`);
      assert.deepEqual((await connection.next()).error, { code: 'ERR_SUBVISOR_PROTOCOL_VERSION', message: `unsupported protocol version ["${'z'.repeat(78)}…: this run speaks version 1 or 2 (is subvisor the same install for the run and this command?)` });
      connection.send('{"v":3,"id":9,"command":"ps"}\n');
      assert.deepEqual((await connection.next()).error, { code: 'ERR_SUBVISOR_PROTOCOL_VERSION', message: 'unsupported protocol version 3: this run speaks version 1 or 2 (is subvisor the same install for the run and this command?)' });
      connection.send('{"v":1,"id":10,"command":"stop","names":[1]}\n');
      assert.equal(((await connection.next()).error as { code: string }).code, 'ERR_SUBVISOR_BAD_REQUEST');
      // A follow asked in another word than true is refused, not answered as no follow at all.
      connection.send('{"v":2,"id":13,"command":"logs","follow":"yes"}\n');
      assert.deepEqual(await connection.next(), { v: 2, id: 13, ok: false, error: { code: 'ERR_SUBVISOR_BAD_REQUEST', message: 'malformed request: `follow` must be true or false' } });
      connection.send('{"v":1,"id":11,"command":"ps"}\n');
      const reply = await connection.next();
      assert.equal(reply.ok, true, 'the same connection still answers');
      connection.destroy();
      const after = await rowOf(dir, 'a');
      assert.deepEqual([after.state, after.pid], ['running', before.pid]);
    } finally {
      await interrupt(run);
    }
  });

  test('a client that ends what it sends (a half-close, as nc -N does) still gets its replies, a last request without a newline included; then the connection ends', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "echo up; exec sleep 30", ready: up }\n');
    const run = await up(dir);
    try {
      const before = await waitForState(dir, 'a', 'ready');
      // A restart's reply comes once the process is ready again: well after the client's end.
      const restarting = await rawConnection(socketOf(dir));
      restarting.send('{"v":2,"id":1,"command":"restart","names":["a"]}\n');
      restarting.end();
      assert.deepEqual(await restarting.next(), { v: 2, id: 1, ok: true });
      await restarting.closed;
      assert.notEqual((await rowOf(dir, 'a')).pid, before.pid, 'restarted');
      const unterminated = await rawConnection(socketOf(dir));
      unterminated.send('{"v":2,"id":2,"command":"ps"}');
      unterminated.end();
      const reply = await unterminated.next();
      assert.deepEqual([reply.id, reply.ok, (reply.processes as { name: string }[]).map((row) => row.name)], [2, true, ['a']]);
      await unterminated.closed;
    } finally {
      await interrupt(run);
    }
  });

  test('logs speaks both versions: blocks of lines to version 2, one line a message to version 1 (an older client); each reply in its request\'s version', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "printf \'one\\\\ntwo\\\\n\\\\nfour\\\\n\'; exec sleep 30" }\n');
    const run = await up(dir);
    try {
      await waitUntilAsync(async () => (await client(dir, ['logs', '-n', '1'])).stdout === 'a | four\n', 'the lines to be written');
      const connection = await rawConnection(socketOf(dir));
      connection.send('{"v":2,"id":1,"command":"logs"}\n');
      assert.deepEqual(await connection.next(), { v: 2, id: 1, kind: 'lines', name: 'a', stream: 'stdout', lines: ['one', 'two', '', 'four'] });
      assert.deepEqual(await connection.next(), { v: 2, id: 1, ok: true });
      connection.send('{"v":1,"id":2,"command":"logs","lines":2}\n');
      assert.deepEqual(await connection.next(), { v: 1, id: 2, kind: 'line', name: 'a', stream: 'stdout', line: '' });
      assert.deepEqual(await connection.next(), { v: 1, id: 2, kind: 'line', name: 'a', stream: 'stdout', line: 'four' });
      assert.deepEqual(await connection.next(), { v: 1, id: 2, ok: true });
      connection.send('{"v":1,"id":3,"command":"stop","names":["nope"]}\n');
      assert.equal((await connection.next()).v, 1, 'an error reply in the version asked');
      connection.destroy();
    } finally {
      await interrupt(run);
    }
  });

  test('a request over 1 MiB is refused and its connection closed, without the run buffering it; the run goes on', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    try {
      await waitForState(dir, 'a', 'running');
      const connection = await rawConnection(socketOf(dir));
      const chunk = Buffer.alloc(64 * 1024, 'x');
      // 16 MiB offered with no newline: refused after the first MiB, the rest dropped as it comes.
      for (let i = 0; i < 256; i++) connection.send(chunk);
      const reply = await connection.next();
      assert.deepEqual(reply, { v: 2, id: null, ok: false, error: { code: 'ERR_SUBVISOR_REQUEST_TOO_LARGE', message: 'request refused: longer than 1048576 bytes' } });
      await connection.closed;
      const exactly = await rawConnection(socketOf(dir));
      exactly.send(`{"v":1,"id":1,"command":"ps","pad":"${'y'.repeat(1024 * 1024 - 60)}"}\n`);
      assert.equal((await exactly.next()).ok, true, 'a request just under 1 MiB is read');
      exactly.destroy();
      assert.equal((await rowOf(dir, 'a')).state, 'running');
    } finally {
      await interrupt(run);
    }
  });

  test('a client still writing its request too long when it is refused reads the refusal: its next write does not fail before it looks', BOUNDED, async () => {
    // Closed at once, the client's next write failed (EPIPE), and Node closes a socket there, the
    // refusal unread in its queue: the flake of the test above (`no reply within 10 s`), 1 run in
    // 200 on a loaded machine. Here each 64 KiB is written once the run has read the one before,
    // with no turn of this event loop between (a busy client's), so its write is the next thing.
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    try {
      // 1 MiB and 4 chunks past it: refused at the 17th.
      const said = await writeBusily(socketOf(dir), 20);
      assert.ok(said.endsWith('\n'), `the refusal was not read: got ${JSON.stringify(said)}`);
      assert.equal((JSON.parse(said) as { error: { code: string } }).error.code, 'ERR_SUBVISOR_REQUEST_TOO_LARGE');
    } finally {
      await interrupt(run);
    }
  });

  test('a client still writing 2 s after its refusal, with no pause of 1 s, reads it once done: the run lingers while it writes (nginx lingering_time), not 1 s in all', BOUNDED, async () => {
    // Closed 1 s after the refusal whatever came meanwhile, the client's next write failed (EPIPE).
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    try {
      // Refused at the 17th chunk; 40 more at 50 ms or more apart: over 2 s of writing after it.
      const said = await writeBusily(socketOf(dir), 57);
      assert.ok(said.endsWith('\n'), `the refusal was not read: got ${JSON.stringify(said)}`);
      assert.equal((JSON.parse(said) as { error: { code: string } }).error.code, 'ERR_SUBVISOR_REQUEST_TOO_LARGE');
    } finally {
      await interrupt(run);
    }
  });

  test('a refused client that then sends nothing, its side left open (nc -U with no -N), is closed by the run once quiet: it holds none of the run\'s fds until the 30 s bound', BOUNDED, async () => {
    // Only its writing keeps a refused connection lingering (REFUSED_LINGER_MS between writes).
    // Half-open, as a client that does not end its side when the run ends its own: it sees nothing
    // of the run's close, so the run's fds tell. 10 s is well short of the 30 s bound.
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    let socket: Socket | undefined;
    try {
      await waitForState(dir, 'a', 'running');
      // By identity, not by count: the run's end of the last `ps` may close only after this look.
      const before = new Set(socketsIn(run.pid));
      const opened = (): string[] => socketsIn(run.pid).filter((one) => !before.has(one));
      socket = createConnection({ path: socketOf(dir), allowHalfOpen: true });
      socket.on('error', () => {});
      await once(socket, 'connect');
      const refusal = once(socket, 'data');
      socket.write(Buffer.alloc(1024 * 1024 + 1, 'x'));
      assert.match(String((await refusal)[0]), /ERR_SUBVISOR_REQUEST_TOO_LARGE/);
      const giveUpAt = Date.now() + 10_000;
      while (opened().length > 0 && Date.now() < giveUpAt) await sleep(100);
      assert.deepEqual(opened(), [], 'the refused connection, quiet, was still open in the run 10 s on');
    } finally {
      socket?.destroy();
      await interrupt(run);
    }
  });

  test('refused clients that go on writing hold at most MAX_LINGERING_REFUSALS of the run\'s fds: each one past it closes the oldest, which has had its refusal longest', BOUNDED, async () => {
    // Each lingered up to 30 s while it wrote (REFUSED_LINGER_MAX_MS), with no bound on how many:
    // a script refused in a loop took an fd each, as leaked connections did before MAX_CONNECTIONS.
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    const writers: Socket[] = [];
    const extra = 8;
    let timer: NodeJS.Timeout | undefined;
    try {
      await waitForState(dir, 'a', 'running');
      const before = socketsOf(run.pid);
      // Each writes on from its refusal: one quiet for REFUSED_LINGER_MS is closed, and on a loaded
      // machine the loop below may take longer than that (so would the first ones, written to only after it).
      timer = setInterval(() => {
        for (const socket of writers) if (!socket.destroyed) socket.write(Buffer.alloc(1024, 'x'));
      }, 100);
      for (let index = 0; index < MAX_LINGERING_REFUSALS + extra; index++) {
        // Half-open, as a client that writes on after the run's end of the connection.
        const socket = createConnection({ path: socketOf(dir), allowHalfOpen: true });
        socket.on('error', () => {});
        await once(socket, 'connect');
        const refusal = once(socket, 'data');
        socket.write(Buffer.alloc(1024 * 1024 + 1, 'x'));
        assert.match(String((await refusal)[0]), /ERR_SUBVISOR_REQUEST_TOO_LARGE/);
        writers.push(socket);
      }
      // Each refused socket lingers in the run while its client writes; the control: they do linger.
      const lingering = socketsOf(run.pid) - before;
      assert.ok(lingering >= MAX_LINGERING_REFUSALS - 1, `only ${lingering} lingering: the probe sees none`);
      assert.ok(lingering <= MAX_LINGERING_REFUSALS, `${lingering} refused sockets linger, past ${MAX_LINGERING_REFUSALS}`);
    } finally {
      clearInterval(timer);
      for (const socket of writers) socket.destroy();
      await interrupt(run);
    }
  });
});

/** How many sockets process `pid` holds open (its fds that are sockets). */
function socketsOf(pid: number): number {
  return socketsIn(pid).length;
}

/** The sockets process `pid` holds open, each as its fd's link names it (`socket:[inode]`). */
function socketsIn(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  return readdirSync(dir).flatMap((fd) => {
    try {
      const target = readlinkSync(join(dir, fd));
      return target.startsWith('socket:') ? [target] : [];
    } catch {
      return []; // closed meanwhile
    }
  });
}

describe('access', () => {
  test('a client of another user is refused: "permission denied: the run belongs to another user"', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    try {
      await waitForState(dir, 'a', 'running');
      // Everything on the way is searchable by nobody (scratch is 0755); only the run's own modes refuse it.
      const asNobody = await runCli(['ps', '--socket', socketOf(dir)], { cwd: '/', uid: 65534 });
      assert.equal(asNobody.stderr, 'subvisor: permission denied: the run belongs to another user\n');
      assert.equal(asNobody.code, 1);
      const asOwner = await runCli(['ps', '--socket', socketOf(dir)], { cwd: '/' });
      assert.equal(asOwner.code, 0, 'the owner, the same way, gets in');
    } finally {
      await interrupt(run);
    }
  });
});

describe('access of up', () => {
  test("another user's up beside a run is refused before anything starts, saying whose the directory is", BOUNDED, async () => {
    const dir = configDir((dir) => `processes:\n  a: { cmd: "echo started $(id -u) >> ${dir}/started; exec sleep 30" }\n`);
    chmodSync(dir, 0o1777); // anyone may write here (sticky, as /tmp: a directory open to others without it is refused): only .subvisor/ is the run's
    const run = await up(dir);
    try {
      await waitForState(dir, 'a', 'running');
      const asNobody = await runCli(['up'], { cwd: dir, uid: 65534 });
      assert.equal(asNobody.code, 1, asNobody.stderr);
      assert.equal(asNobody.stderr, `subvisor: the control socket's directory ${join(dir, '.subvisor')} belongs to another user (uid 0), and so does any run up there: give this run its own socket with --socket PATH\n`);
      assert.equal(readFileSync(join(dir, 'started'), 'utf8'), 'started 0\n', 'the second up started nothing');
    } finally {
      await interrupt(run);
    }
  });
  test("a stale socket of another user's killed run in a shared directory (sticky, as /tmp) is refused in words, before anything starts: not an EPERM and a stack trace", BOUNDED, async () => {
    const dir = configDir((dir) => `processes:\n  a: { cmd: "echo started >> ${dir}/started; exec sleep 30" }\n`);
    chmodSync(dir, 0o1777);
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const socket = join(shared, 'run.sock');
    // A run of this user (root) killed: its socket stays, open to anyone (0777), and refuses connections.
    const killed = spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    assert.equal(killed.signal, 'SIGKILL');
    chmodSync(socket, 0o777);
    const asNobody = await runCli(['up', '--socket', socket], { cwd: dir, uid: 65534 });
    assert.equal(asNobody.code, 1, asNobody.stderr);
    assert.equal(
      asNobody.stderr,
      `subvisor: a control socket left by a run that is gone is in the way at ${socket}, and this run cannot remove it (it is not this user's to remove): it belongs to another user (uid 0); remove it as its owner, or give this run another socket with --socket PATH\n`,
    );
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
    // The control: its owner's next run replaces it.
    const owners = await up(dir, ['--socket', socket], socket);
    const ended = await interrupt(owners);
    assert.equal(ended.code, 130, ended.stderr);
  });
});

describe("another user's names where up puts its socket", () => {
  /** Staged as root: names another user (nobody) put there, with lchown. */
  function asRootOnly(t: TestContext): boolean {
    if (process.getuid?.() === 0) return true;
    assert.notEqual(process.env.CI, 'true', 'CI runs these as root');
    t.skip('staged as root only (names owned by another user)');
    return false;
  }

  /**
   * A config directory of `mode` in which nobody put `.subvisor` as a link to a directory beside it;
   * `up` run there. The process would leave `started` in the directory if it ran.
   */
  async function upBesidePlantedLink(mode: number): Promise<{ dir: string; elsewhere: string; run: CliRun }> {
    const dir = configDir((dir) => `processes:\n  a: { cmd: "echo started > ${dir}/started" }\n`);
    chmodSync(dir, mode);
    const elsewhere = join(dir, '..', `${basename(dir)}-elsewhere`);
    mkdirSync(elsewhere, { mode: 0o755 });
    symlinkSync(elsewhere, join(dir, '.subvisor'));
    lchownSync(join(dir, '.subvisor'), 65534, 65534);
    return { dir, elsewhere, run: await runCli(['up'], { cwd: dir }) };
  }

  /** Process a's row in `ps` of the run on `socket`. */
  async function psRow(dir: string, socket: string): Promise<{ state: string } | undefined> {
    const run = await client(dir, ['ps', '--json', '--socket', socket]);
    assert.equal(run.code, 0, run.stderr);
    return (JSON.parse(run.stdout) as { name: string; state: string }[]).find((row) => row.name === 'a');
  }

  test("a .subvisor another user put as a link in a config's directory open to them is refused before anything starts, as a log directory there is; where it leads is not touched", BOUNDED, async (t) => {
    if (!asRootOnly(t)) return;
    // No sleep: the run this refuses would otherwise take its whole time.
    const { dir, elsewhere, run } = await upBesidePlantedLink(0o777);
    assert.equal(run.code, 1, run.stderr);
    // Before, root followed the link: the directory it leads to was made 0700 and got the claim file and the socket.
    assert.match(run.stderr, /^subvisor: the control socket's directory \S+ is under \S+, and that directory is open to other users: every user may write it/);
    assert.equal(statSync(elsewhere).mode & 0o7777, 0o755);
    assert.deepEqual(readdirSync(elsewhere), []);
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
  });

  test("a .subvisor link another user put in a config's directory that is sticky (a config in /tmp) is refused before anything starts: they may point it elsewhere at any moment", BOUNDED, async (t) => {
    if (!asRootOnly(t)) return;
    const { dir, elsewhere, run } = await upBesidePlantedLink(0o1777);
    // Before, the run went on through the link (where it led was root's, at that moment): its owner
    // could point it at a directory of theirs just after, and root wrote its claim file there by name,
    // through a link they put in its place, into any file.
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^subvisor: the control socket's directory \S+\/\.subvisor is open to other users: it is a link another user \(uid 65534\) owns, who may point it elsewhere at any time/);
    assert.deepEqual(readdirSync(elsewhere), []);
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
  });

  test('a .subvisor link of the run\'s own user is not made owner-only through the link: where it leads keeps its mode', BOUNDED, async (t) => {
    if (!asRootOnly(t)) return;
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const elsewhere = join(dir, '..', `${basename(dir)}-elsewhere`);
    mkdirSync(elsewhere, { mode: 0o755 });
    symlinkSync(elsewhere, join(dir, '.subvisor'));
    const run = await up(dir);
    try {
      // Up to its processes: a SIGINT before the run listens for it would end it by the signal.
      await waitForState(dir, 'a', 'running');
      assert.equal(statSync(elsewhere).mode & 0o7777, 0o755, 'chmod did not follow the link');
    } finally {
      await interrupt(run);
    }
    // The control: a .subvisor of its own making is owner-only.
    rmSync(join(dir, '.subvisor'));
    const own = await up(dir);
    try {
      await waitForState(dir, 'a', 'running');
      assert.equal(lstatSync(join(dir, '.subvisor')).mode & 0o7777, 0o700);
    } finally {
      await interrupt(own);
    }
  });

  test('a --socket in a directory another user owns is refused before anything starts; in a sticky one shared by all (/tmp), a stale socket another user left is not removed by root', BOUNDED, async (t) => {
    if (!asRootOnly(t)) return;
    const dir = configDir((dir) => `processes:\n  a: { cmd: "echo started >> ${dir}/started; exec sleep 30", main: true }\n`);
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, 65534, 65534);
    const inTheirs = await runCli(['up', '--socket', join(theirs, 'run.sock')], { cwd: dir });
    assert.equal(inTheirs.code, 1, inTheirs.stderr);
    assert.match(inTheirs.stderr, /^subvisor: the control socket's directory \S+theirs is open to other users: another user \(uid 65534\) owns it/);
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const socket = join(shared, 'run.sock');
    // A run of nobody's, killed: its socket stays and refuses connections.
    const killed = spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`], { uid: 65534, gid: 65534 });
    assert.equal(killed.signal, 'SIGKILL');
    const asRoot = await runCli(['up', '--socket', socket], { cwd: dir });
    assert.equal(asRoot.code, 1, asRoot.stderr);
    // Before, root removed it (a user cannot, in a sticky directory) and listened in its place.
    assert.match(asRoot.stderr, /in the way at \S+run\.sock, and this run cannot remove it \(.*\): it belongs to another user \(uid 65534\); remove it as its owner/);
    assert.equal(lstatSync(socket).isSocket(), true, 'left where it was');
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
    // The control: a socket of its own there is taken, and a stale one of its own replaced.
    const own = join(shared, 'own.sock');
    const run = await up(dir, ['--socket', own], own);
    // Up to its processes: a SIGINT before the run listens for it would end it by the signal.
    for (let row = await psRow(dir, own); row?.state !== 'running'; row = await psRow(dir, own)) await sleep(50);
    assert.equal((await interrupt(run)).code, 130);
  });
});

describe('load', () => {
  test('200 ps requests while processes print lots of lines disturb nothing: every line is there and the run ends normally', BOUNDED, async () => {
    const count = 20_000;
    // Each ends once the test is done asking (the file `done`), so the run ends on its own.
    const dir = configDir(
      (dir) => `processes:
  n1: { cmd: "i=0; while [ $i -lt ${count} ]; do i=$((i+1)); echo n1 $i; done; while [ ! -f ${dir}/done ]; do sleep 0.05; done" }
  n2: { cmd: "i=0; while [ $i -lt ${count} ]; do i=$((i+1)); echo n2 $i >&2; done; while [ ! -f ${dir}/done ]; do sleep 0.05; done" }
`,
    );
    const run = await up(dir);
    let answered = 0;
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const connection = await rawConnection(socketOf(dir));
          connection.send('{"v":1,"id":1,"command":"ps"}\n');
          const reply = await connection.next();
          connection.destroy();
          if (reply.ok === true && Array.isArray(reply.processes) && reply.processes.length === 2) answered++;
        }),
      );
    }
    assert.equal(answered, 200);
    writeFileSync(join(dir, 'done'), '');
    const ended = await run.done;
    assert.equal(ended.code, 0, ended.stderr);
    for (const name of ['n1', 'n2']) {
      const lines = ended.stdout.split('\n').filter((line) => line.startsWith(`${name} | `));
      assert.equal(lines.length, count, `every line of ${name}`);
      assert.ok(lines.every((line, index) => line === `${name} | ${name} ${index + 1}`), `${name}'s lines in order`);
    }
    assert.equal(existsSync(socketOf(dir)), false);
  });
});

describe('a run out of file descriptors', () => {
  test('a client whose connection the run drops, out of fds (ulimit -n), is told so and what to do, not that the run ended; the run goes on', BOUNDED, async () => {
    // A child that outlives the test: one that ended by itself meanwhile (a `sleep 30` under load,
    // where the test takes that long) ended the run with it, and the client was told, rightly, that
    // no run listens. So the run is ended here, in the finally, whatever the test came to.
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 600" }\n');
    const run = await up(dir, [], socketOf(dir), { execVia: ['sh', '-c', 'ulimit -n 64; exec "$@"', 'sh'] });
    let pid: number | null = null;
    let ended: CliRun | undefined;
    const held: Socket[] = [];
    try {
      // Its start over first: a spawn still to come would otherwise be refused for want of fds.
      ({ pid } = await waitForState(dir, 'a', 'running'));
      // Idle connections take every fd the run has left, until it drops one unread: then it is out.
      // (Not counted from /proc: a descriptor it inherited above its limit leaves a number free.)
      for (let droppedOne = false; !droppedOne; ) {
        assert.ok(held.length < 300, 'the run never dropped a connection');
        const socket = createConnection(socketOf(dir)).on('error', () => undefined);
        held.push(socket);
        droppedOne = await Promise.race([once(socket, 'close').then(() => true), sleep(50).then(() => false)]);
      }
      const dropped = await client(dir, ['ps']);
      assert.equal(dropped.code, 1, dropped.stdout);
      assert.match(dropped.stderr, /^subvisor: the run on .*control\.sock closed this connection without a word, though it still listens: it has most likely run out of file descriptors \(/m);
      assert.doesNotMatch(dropped.stderr, /the run ended|lost the connection/);
      for (const socket of held) socket.destroy();
      // Control: with the fds back, the same command is answered.
      assert.equal((await waitForState(dir, 'a', 'running')).pid, pid);
      ended = await interrupt(run, pid);
      assert.equal(ended.code, 130, ended.stderr);
    } finally {
      for (const socket of held) socket.destroy();
      if (ended === undefined) await interrupt(run, pid);
    }
  });
  test('connections past the most the run keeps are told so and closed, so the fds its children need are left: a restart still spawns', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    // Room for the run, its child, MAX_CONNECTIONS and a spawn, but not for this many connections.
    const attempts = 320;
    const run = await up(dir, [], socketOf(dir), { execVia: ['sh', '-c', `ulimit -n ${attempts}; exec "$@"`, 'sh'] });
    const { pid } = await waitForState(dir, 'a', 'running');
    const pids = [pid];
    const held: Awaited<ReturnType<typeof rawConnection>>[] = [];
    try {
      const answers: string[] = [];
      for (let index = 0; index < attempts; index++) {
        const connection = await rawConnection(socketOf(dir));
        held.push(connection);
        // A client that has spoken may keep its connection: the first-request timeout is no help here.
        connection.send('{"v":2,"id":1,"command":"ps"}\n');
        const reply = await Promise.race([connection.next(), connection.closed.then(() => undefined)]);
        answers.push(reply === undefined ? 'closed without a word' : reply.ok === true ? 'ok' : (reply.error as { code: string }).code);
      }
      assert.equal(answers.filter((answer) => answer === 'ok').length, MAX_CONNECTIONS, [...new Set(answers)].join(', '));
      assert.deepEqual(answers.slice(MAX_CONNECTIONS), Array(attempts - MAX_CONNECTIONS).fill('ERR_SUBVISOR_TOO_MANY_CONNECTIONS'));
      const refused = await client(dir, ['ps']);
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(refused.stderr, /^subvisor: the run already has 256 control connections open, the most it keeps \(.*`ss -xp` shows which processes hold them, and one that sends nothing is closed 60\.0 s after connecting\): close some, then try again$/m);
      // The run's children still get the fds they need: a restart asked on a held connection spawns.
      const asking = held[0] as (typeof held)[number];
      asking.send('{"v":2,"id":2,"command":"restart","names":["a"]}\n');
      assert.deepEqual(await asking.next(), { v: 2, id: 2, ok: true });
    } finally {
      for (const connection of held) connection.destroy();
    }
    const restarted = await waitForState(dir, 'a', 'running');
    pids.push(restarted.pid ?? pid);
    assert.notEqual(restarted.pid, pid);
    const ended = await interrupt(run, ...pids);
    assert.equal(ended.code, 130, ended.stderr);
    assert.doesNotMatch(ended.stdout, /EMFILE/);
  });
  test('a connection past the most the run keeps, still writing its request (over 64 KiB) when it is refused, reads the refusal: its next write does not fail before it looks', BOUNDED, async () => {
    // Closed once its first 64 KiB came, the client's next write failed (EPIPE), and Node closes a
    // socket there, the refusal unread in its queue: as for a request too long (see below).
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    const held: Awaited<ReturnType<typeof rawConnection>>[] = [];
    try {
      await waitForState(dir, 'a', 'running');
      for (let index = 0; index < MAX_CONNECTIONS; index++) held.push(await rawConnection(socketOf(dir)));
      // Each answered: every one is counted by the run before the next connects.
      for (const connection of held) connection.send('{"v":2,"id":1,"command":"ps"}\n');
      for (const connection of held) assert.equal((await connection.next()).ok, true);
      const said = await writeBusily(socketOf(dir), 8);
      assert.ok(said.endsWith('\n'), `the refusal was not read: got ${JSON.stringify(said)}`);
      assert.equal((JSON.parse(said) as { error: { code: string } }).error.code, 'ERR_SUBVISOR_TOO_MANY_CONNECTIONS');
    } finally {
      for (const connection of held) connection.destroy();
      await interrupt(run);
    }
  });
  test('a refused connection still writing does not hold up the run\'s end: it lingers for its client, not for the run', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    const held: Awaited<ReturnType<typeof rawConnection>>[] = [];
    const writer = { socket: undefined as Socket | undefined, timer: undefined as NodeJS.Timeout | undefined, writesLeft: 200 };
    let ended = false;
    try {
      await waitForState(dir, 'a', 'running');
      for (let index = 0; index < MAX_CONNECTIONS; index++) held.push(await rawConnection(socketOf(dir)));
      for (const connection of held) connection.send('{"v":2,"id":1,"command":"ps"}\n');
      for (const connection of held) assert.equal((await connection.next()).ok, true);
      // Half-open, as a client that keeps writing after the run's end of the connection (Node's would end its side there).
      const socket = createConnection({ path: socketOf(dir), allowHalfOpen: true });
      writer.socket = socket;
      socket.on('error', () => {});
      await once(socket, 'connect');
      const refusal = once(socket, 'data');
      // A request that never ends, 1 KiB every 100 ms: 20 s of it, had the run waited for it.
      writer.timer = setInterval(() => {
        if (writer.writesLeft-- > 0 && !socket.destroyed) socket.write(Buffer.alloc(1024, 'x'));
      }, 100);
      assert.match(String((await refusal)[0]), /ERR_SUBVISOR_TOO_MANY_CONNECTIONS/);
      for (const connection of held) connection.destroy();
      while (writer.writesLeft > 195) await sleep(50); // writing well past its refusal
      await interrupt(run);
      ended = true;
      assert.ok(writer.writesLeft > 0, 'the run ended only once the client stopped writing');
    } finally {
      clearInterval(writer.timer);
      writer.socket?.destroy();
      for (const connection of held) connection.destroy();
      if (!ended) await interrupt(run);
    }
  });
  test('...and a client whose run really ended before it answered (killed) is told that, not that fds ran out', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  slow: { cmd: "sleep 20; echo up; exec sleep 30", ready: up }\n');
    const run = await up(dir);
    const pids: (number | null)[] = [(await waitForState(dir, 'slow', 'starting')).pid];
    try {
      const asked = client(dir, ['restart', 'slow']); // answered once slow is ready again: 20 s
      for (let row = await rowOf(dir, 'slow'); row.pid === pids[0] || row.state !== 'starting'; row = await rowOf(dir, 'slow')) await sleep(50);
      pids.push((await rowOf(dir, 'slow')).pid);
      run.kill('SIGKILL');
      const ended = await asked;
      assert.equal(ended.code, 1, ended.stdout);
      assert.match(ended.stderr, /the run ended before it answered/);
      assert.doesNotMatch(ended.stderr, /file descriptors/);
    } finally {
      run.kill('SIGKILL');
      killQuietly(...pids.filter((pid) => pid !== null));
    }
  });
});

/**
 * Connects to `path` and writes up to `chunks` pieces of 64 KiB (no newline) as a busy client
 * does: each once the run has read the one before, with no turn of this event loop between, so
 * its write is the next thing it does. Resolves, once the connection has closed, with all it read.
 */
async function writeBusily(path: string, chunks: number): Promise<string> {
  const socket = createConnection(path);
  await once(socket, 'connect');
  let said = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (said += chunk));
  socket.on('error', () => {}); // the failed write: `said` tells
  const closed = new Promise((resolve) => socket.on('close', resolve));
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < chunks && !socket.destroyed; i++) {
    await new Promise((resolve) => socket.write(chunk, resolve));
    Atomics.wait(pause, 0, 0, 50);
  }
  socket.end();
  await closed;
  return said;
}
