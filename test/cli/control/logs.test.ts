// `subvisor logs` (SPEC §10) against a real run: the last lines of each process, -n, -f and how it
// ends, its colours, and a progress line rewritten with \r.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BIN, runCli, startCli } from '../cli.js';
import { BOUNDED, client, configDir, interrupt, ps, rowOf, socketOf, up, waitForState } from './support.js';

describe('logs', () => {
  test('logs -f FILE, written as ps -f FILE is: the error for the unknown process says that -f is --follow here, and how to give the config', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    try {
      const taken = await client(dir, ['logs', '-f', 'subvisor.yaml']);
      assert.equal(taken.code, 2, taken.stderr);
      assert.equal(taken.stderr, "subvisor: no process named 'subvisor.yaml' in this run (it has a); 'subvisor.yaml' is a file here, and logs reads -f as --follow (as tail does): give the config as --file subvisor.yaml\n");
      // A name that is no file here is only unknown.
      assert.equal((await client(dir, ['logs', '-f', 'b'])).stderr, "subvisor: no process named 'b' in this run (it has a)\n");
    } finally {
      await interrupt(run);
    }
  });

  test('logs colours each process as up does, when up ran only some of them', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  alpha: { cmd: "echo a; exec sleep 30" }
  beta: { cmd: "echo b; exec sleep 30" }
  gamma: { cmd: "echo c; exec sleep 30" }
`,
    );
    const run = await up(dir, ['gamma', 'beta']);
    const pids: (number | null)[] = [];
    try {
      await waitForState(dir, 'beta', 'running');
      pids.push(...(await ps(dir)).map((row) => row.pid));
      const logs = await runCli(['logs'], { cwd: dir, env: { FORCE_COLOR: '1' } });
      assert.equal(logs.code, 0, logs.stderr);
      const colourOf = (name: string): string | undefined => new RegExp(`\x1b\\[(\\d+)m${name} *\\|`).exec(logs.stdout)?.[1];
      // As `up` of all three colours them (alpha 36, beta 33, gamma 32), whatever runs.
      assert.deepEqual([colourOf('beta'), colourOf('gamma')], ['33', '32'], JSON.stringify(logs.stdout));
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('logs -n N: the last N output lines of each process, merged in arrival order, without state lines; -f then follows until Ctrl-C (130)', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  a: { cmd: "for i in $(seq 1 150); do echo a$i; done; exec sleep 30", ready: "a150" }
  b: { cmd: "echo b1; sleep 0.1; echo b2 >&2; while [ ! -f ${dir}/more ]; do sleep 0.05; done; echo b3; exec sleep 30", dependsOn: [a] }
`,
    );
    const run = await up(dir);
    try {
      await run.waitForOutput(/^b \| b2$/m);
      const three = await client(dir, ['logs', '-n', '3', 'a']);
      assert.equal(three.code, 0, three.stderr);
      assert.equal(three.stdout, 'a | a148\na | a149\na | a150\n');
      const merged = await client(dir, ['logs', '-n', '2']);
      assert.equal(merged.stdout, 'a | a149\na | a150\nb | b1\nb | b2\n');
      assert.equal((await client(dir, ['logs', '--lines', '2'])).stdout, merged.stdout, '--lines is -n');
      const all = await client(dir, ['logs']);
      const lines = all.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 102, 'the default is the last 100 of each');
      assert.equal(lines[0], 'a | a51');
      assert.ok(lines.every((line) => line.includes(' | ')), 'no state line');

      const follow = startCli(['logs', '-f', '-n', '1', 'b'], { cwd: dir });
      await follow.waitForOutput('b | b2\n');
      writeFileSync(join(dir, 'more'), '');
      await follow.waitForOutput('b | b3\n');
      follow.kill('SIGINT');
      const followed = await follow.done;
      assert.equal(followed.code, 130);
      assert.equal(followed.stdout, 'b | b2\nb | b3\n');
      assert.ok(existsSync(socketOf(dir)), 'the run goes on');
    } finally {
      await interrupt(run);
    }
    assert.equal(readFileSync(join(dir, 'subvisor.yaml'), 'utf8').includes('b3'), true);
  });

  test("a progress line rewritten with \\r reads alike in up's output, its log file and logs: each bare \\r as \\x0d, on one line, a CRLF as a line end; --json keeps the \\r", BOUNDED, async () => {
    // What ffmpeg's frame= line and curl -# write: states joined by \r, ended by \n (CRLF here).
    const progress = String.raw`printf 'get 10%%\rget 100%%\r\nwin\r\n'`;
    const dir = configDir(() => `logs: { dir: logs }\nprocesses:\n  p: { cmd: ${JSON.stringify(`${progress}; exec sleep 30`)} }\n`);
    const shown = ['p | get 10%\\x0dget 100%', 'p | win'];
    const run = await up(dir);
    try {
      await run.waitForOutput('p | win\n');
      assert.deepEqual(run.stdoutSoFar().split('\n').filter((line) => line.startsWith('p | ')), shown);
      const logs = await client(dir, ['logs', 'p']);
      assert.equal(logs.stdout, `${shown.join('\n')}\n`, logs.stderr);
      const file = readFileSync(join(dir, 'logs', 'p.log'), 'utf8').split('\n').map((line) => line.replace(/^\S+ out /, 'p | '));
      assert.deepEqual(file.slice(0, 2), shown);
    } finally {
      await interrupt(run);
    }
    const json = await runCli(['run', '--json', '--label', 'p', '--', 'sh', '-c', progress]);
    const records = json.stdout.split('\n').filter((line) => line.includes('"stream":"stdout"'));
    assert.deepEqual(records.map((line) => (JSON.parse(line) as { line: string }).line), ['get 10%\rget 100%', 'win']);
  });

  test('logs -f ends as a filter does when its reader goes away: | head -1 ends it with 141, at once', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  t: { cmd: "while :; do echo tick; sleep 0.1; done" }\n');
    const run = await up(dir);
    try {
      await waitForState(dir, 't', 'running');
      const piped = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" logs -f | head -n 1; echo "status=\${PIPESTATUS[0]}"`], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      assert.equal(piped.error, undefined, 'logs -f must end by itself once head has its line, not at the timeout');
      assert.match(piped.stdout, /^t \| tick\nstatus=141\n$/);
      assert.equal((await rowOf(dir, 't')).state, 'running', 'the run goes on');
    } finally {
      await interrupt(run);
    }
  });

  test('logs -f ends with status 0 when the run ends', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "echo hi; exec sleep 30", ready: "hi" }\n');
    const run = await up(dir);
    try {
      await waitForState(dir, 'a', 'ready');
      const follow = startCli(['logs', '-f'], { cwd: dir });
      await follow.waitForOutput('a | hi\n');
      await interrupt(run);
      const followed = await follow.done;
      assert.equal(followed.code, 0, followed.stderr);
    } finally {
      await interrupt(run);
    }
  });

  test('a logs -f suspended (Ctrl-Z) when the run ends, owed nothing the kernel does not hold, does not hold the end up; resumed, it gets its last lines and ends with 0', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "echo hi; exec sleep 30", ready: "hi" }\n');
    const run = await up(dir);
    const follow = startCli(['logs', '-f'], { cwd: dir });
    try {
      await waitForState(dir, 'a', 'ready');
      await follow.waitForOutput('a | hi\n');
      process.kill(follow.pid, 'SIGSTOP');
      // That the end does not wait for the stall cut-off (5 s) is shown, with its clock frozen, in
      // ./server.test.ts: here, that it ends while the follower stays suspended, and well.
      const ended = await interrupt(run);
      assert.equal(ended.code, 130, ended.stderr);
    } finally {
      process.kill(follow.pid, 'SIGCONT');
      await interrupt(run);
    }
    const followed = await follow.done;
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'a | hi\n');
  });
});
