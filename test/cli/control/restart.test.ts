// `subvisor restart` (SPEC §10) against a real run: what it stops and starts again, in which order,
// and what it answers when the process fails, main has exited, or the run ends meanwhile.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, waitUntil } from '../../support/processes.js';
import { startCli, type RunningCli } from '../cli.js';
import { PROTOCOL_VERSION } from '../../../src/cli/control/protocol.js';
import { BOUNDED, RESTARTING, client, configDir, interrupt, lineIndex, ps, rawConnection, rowOf, socketOf, up, waitForState } from './support.js';

/**
 * A run whose `main` (e2e) has just crashed (status 4) while what it left (a 3 s sleep) still holds
 * its output: the crash is seen, and judged only once the sleep lets go; its restart policy
 * (on-failure, a 20 s backoff) would then retry it.
 */
async function mainCrashedInItsDrain(): Promise<{ dir: string; run: RunningCli }> {
  const dir = configDir(
    () => `processes:
  e2e: { cmd: "while [ ! -e go ]; do sleep 0.02; done; rm go; (exec sleep 3) & echo failing; exit 4", main: true, restart: { policy: on-failure, backoff: 20s } }
`,
  );
  const run = await up(dir);
  try {
    await waitForState(dir, 'e2e', 'running');
    writeFileSync(join(dir, 'go'), '');
    await run.waitForOutput(/^e2e \| failing$/m);
  } catch (error) {
    await interrupt(run);
    throw error;
  }
  return { dir, run };
}

/** `subvisor ARGS` run in `dir` to its end, failing the test (and killing it) if it has not ended within `ms`. */
function answeredWithin(dir: string, args: readonly string[], ms: number): Promise<Awaited<ReturnType<typeof client>>> {
  return endedWithin(startCli(args, { cwd: dir }), args, ms);
}

/** `asked` (the CLI run with `args`) run to its end, failing the test (and killing it) if it has not ended within `ms`. */
async function endedWithin(asked: RunningCli, args: readonly string[], ms: number): Promise<Awaited<ReturnType<typeof client>>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  const answer = await Promise.race([asked.done, late]);
  clearTimeout(timer);
  if (answer !== undefined) return answer;
  asked.kill('SIGKILL');
  await asked.done;
  assert.fail(`subvisor ${args.join(' ')} did not answer within ${ms} ms`);
}

describe('restart', () => {
  test('restart of a process that ignores SIGTERM: its whole group is killed after its grace, then a new one is ready when the client returns', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  stubborn:
    cmd: "trap '' TERM; sleep 30 & echo child $!; echo up; while :; do sleep 0.05; done"
    ready: "up"
    grace: 400ms
`,
    );
    const run = await up(dir);
    let before: Awaited<ReturnType<typeof rowOf>> | undefined;
    let grandchild: number | undefined;
    let after: Awaited<ReturnType<typeof rowOf>> | undefined;
    try {
      before = await waitForState(dir, 'stubborn', 'ready');
      await run.waitForOutput(/child \d+/);
      grandchild = Number(/child (\d+)/.exec(run.stdoutSoFar())?.[1]);
      assert.ok(isRunning(grandchild));
      const began = performance.now();
      const restarted = await client(dir, ['restart', 'stubborn']);
      assert.equal(restarted.code, 0, restarted.stderr);
      assert.ok(performance.now() - began >= 380, 'the grace was waited out before SIGKILL');
      after = await rowOf(dir, 'stubborn');
      assert.equal(after.state, 'ready', 'ready by the time the client returned');
      assert.notEqual(after.pid, before.pid);
      assert.equal(isRunning(before.pid ?? -1), false, 'the old process is gone');
      assert.equal(isRunning(grandchild), false, 'and everything in its group');
      assert.equal(after.restarts, 0, 'a manual restart is not a restart of the policy');
      assert.match(run.stdoutSoFar(), /^stubborn \* stopping \(subvisor restart\): SIGTERM to its process group$/m);
    } finally {
      await interrupt(run, before?.pid, grandchild, after?.pid);
    }
  });

  test('restart of a process others depend on: they stop first, it restarts, then they start again in order; the client returns once all are ready', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  db: { cmd: "trap 'sleep 0.2; exit 0' TERM; echo up; while :; do sleep 0.05; done", ready: "up" }
  api: { cmd: "trap 'sleep 0.2; exit 0' TERM; echo up; while :; do sleep 0.05; done", ready: "up", dependsOn: [db] }
  web: { cmd: "sleep 0.3; echo up; exec sleep 30", ready: "up", dependsOn: [api] }
  other: { cmd: "exec sleep 30" }
`,
    );
    const run = await up(dir);
    let before: Awaited<ReturnType<typeof ps>> = [];
    let after: Awaited<ReturnType<typeof ps>> = [];
    try {
      await waitForState(dir, 'web', 'ready');
      before = await ps(dir);
      const mark = run.stdoutSoFar().length;
      const restarted = await client(dir, ['restart', 'db']);
      assert.equal(restarted.code, 0, restarted.stderr);
      after = await ps(dir);
      const pidOf = (rows: typeof before, name: string): number | null | undefined => rows.find((row) => row.name === name)?.pid;
      for (const name of ['db', 'api', 'web']) {
        assert.equal(after.find((row) => row.name === name)?.state, 'ready', `${name} is ready when the client returns`);
        assert.notEqual(pidOf(after, name), pidOf(before, name), `${name} is a new process`);
      }
      assert.equal(pidOf(after, 'other'), pidOf(before, 'other'), 'what does not depend on db is left alone');
      const out = run.stdoutSoFar().slice(mark);
      const at = (pattern: RegExp): number => lineIndex(out, pattern);
      assert.ok(at(/^web +\* stopped$/) < at(/^api +\* stopping \(subvisor restart\): SIGTERM to its process group$/), 'web stopped before api');
      assert.ok(at(/^api +\* stopped$/) < at(/^db +\* stopping \(subvisor restart\): SIGTERM to its process group$/), 'api stopped before db');
      assert.ok(at(/^db +\* ready after/) < at(/^api +\* starting \(pid/), 'api started once db was ready');
      assert.ok(at(/^api +\* ready after/) < at(/^web +\* starting \(pid/), 'web started once api was ready');
    } finally {
      await interrupt(run, ...before.map((row) => row.pid), ...after.map((row) => row.pid));
    }
  });

  test('while a restart stops what it restarts, a dependent already stopped shows it waits for the restarted one, not `stopped`', BOUNDED, async () => {
    // db's stop lasts until the test lets it go: web's state is read while it surely waits. (A stop
    // of 1.5 s was the window before: on a loaded machine ps came after it, and web was `starting`.)
    const dir = configDir(
      (dir) => `processes:
  db: { cmd: "trap 'while [ ! -f ${dir}/release ]; do sleep 0.05; done; exit 0' TERM; echo up; while :; do sleep 0.05; done", ready: "up", grace: 50s }
  web: { cmd: "echo up; exec sleep 30", ready: "up", dependsOn: [db] }
`,
    );
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      await waitForState(dir, 'web', 'ready');
      pids.push(...(await ps(dir)).map((row) => row.pid));
      const restarted = client(dir, ['restart', 'db']);
      await waitForState(dir, 'db', 'stopping');
      assert.equal((await rowOf(dir, 'web')).state, 'not started: waiting for db', 'SPEC §10 keeps `stopped` for `subvisor stop`');
      writeFileSync(join(dir, 'release'), '');
      assert.equal((await restarted).code, 0);
      assert.deepEqual((await ps(dir)).map((row) => row.state), ['ready', 'ready']);
      pids.push(...(await ps(dir)).map((row) => row.pid));
    } finally {
      writeFileSync(join(dir, 'release'), '');
      await interrupt(run, ...pids);
    }
  });

  test('restart of a process still waiting for what it depends on: no `stopped` line for a life that never began; it is said to start again, waits on, and starts once', BOUNDED, async () => {
    // db is ready once the test writes `go`. `subvisor restart web` printed `web * stopped` before
    // `web * starting (subvisor restart)`, though web had never started.
    const dir = configDir(
      (dir) => `processes:
  db: { cmd: "while [ ! -e ${dir}/go ]; do sleep 0.05; done; echo up; exec sleep 30", ready: "up" }
  web: { cmd: "echo web pid $$; exec sleep 30", dependsOn: [db] }
`,
    );
    const run = await up(dir);
    try {
      await run.waitForOutput(/^web +\* waiting for db to be ready$/m);
      // Answered once web is up, after `go`: left to run.
      const restarted = client(dir, ['restart', 'web']);
      await run.waitForOutput(/^web +\* starting \(subvisor restart\)$/m);
      writeFileSync(join(dir, 'go'), '');
      assert.equal((await restarted).code, 0, (await restarted).stderr);
      await run.waitForOutput(/^web +\| web pid \d+$/m);
      const web = run
        .stdoutSoFar()
        .split('\n')
        .filter((line) => /^web +\* /.test(line))
        .map((line) => line.replace(/\d+/g, 'N'));
      assert.deepEqual(web, ['web * waiting for db to be ready', 'web * starting (subvisor restart)', 'web * waiting for db to be ready', 'web * starting (pid N): echo web pid $$; exec sleep N'], run.stdoutSoFar());
    } finally {
      writeFileSync(join(dir, 'go'), '');
      await interrupt(run, ...(await ps(dir).catch(() => [])).map((row) => row.pid));
    }
  });

  test('a dependent in its restart backoff after a failed spawn, stopped by a restart of what it depends on, is said to stop and to start again: its life had begun', BOUNDED, async () => {
    // Its spawn failed (no pid) and it waits out its backoff: its life began, and its lines said so.
    // Taken for one still waiting for web, it went from `restarting in 20.0 s` to `waiting for web`.
    const dir = configDir(
      () => `processes:
  web: { cmd: "echo up; exec sleep 30", ready: "up" }
  app: { cmd: ["/nonexistent/app"], dependsOn: [web], restart: { policy: always, backoff: 20s } }
`,
    );
    const run = await up(dir);
    try {
      await run.waitForOutput(/^app +\* restarting in 20\.0 s/m);
      const before = run.stdoutSoFar().length;
      // Answered with app's failed spawn: not the point here.
      await client(dir, ['restart', 'web']);
      await waitUntil(() => /^app +\* restarting in 20\.0 s/m.test(run.stdoutSoFar().slice(before)), 'app to fail again', 10_000);
      const app = run
        .stdoutSoFar()
        .slice(before)
        .split('\n')
        .filter((line) => /^app +\* /.test(line))
        .map((line) => line.replace(/\d+/g, 'N'));
      assert.deepEqual(app.slice(0, 3), ['app * stopped while waiting to restart', 'app * starting (subvisor restart)', 'app * waiting for web to be ready'], run.stdoutSoFar());
    } finally {
      await interrupt(run, ...(await ps(dir).catch(() => [])).map((row) => row.pid));
    }
  });

  test('a subvisor stop while a process is stopped for not being ready leaves it `stopped`, and the run goes on', BOUNDED, async () => {
    // web outlives its stop signal until the test lets it go, once the stop by hand has reached the
    // run: before, a grace of 1.5 s was the window, a loaded machine's client came after it, web's
    // failure had ended the run, and no run was listening.
    const dir = configDir(
      (dir) => `processes:
  web: { cmd: "trap '' TERM; while [ ! -f ${dir}/release ]; do sleep 0.05; done", ready: { exec: "false", interval: 50ms }, readyTimeout: 300ms, grace: 50s }
  other: { cmd: "exec sleep 30" }
`,
    );
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      pids.push(...(await ps(dir)).map((row) => row.pid));
      await waitForState(dir, 'web', 'stopping');
      // The run begins a connection's requests in order: once ps is answered, the stop has begun.
      const connection = await rawConnection(socketOf(dir));
      connection.send(`${JSON.stringify({ v: PROTOCOL_VERSION, id: 1, command: 'stop', names: ['web'] })}\n${JSON.stringify({ v: PROTOCOL_VERSION, id: 2, command: 'ps' })}\n`);
      assert.equal((await connection.next()).id, 2);
      writeFileSync(join(dir, 'release'), '');
      assert.deepEqual(await connection.next(), { v: PROTOCOL_VERSION, id: 1, ok: true });
      connection.destroy();
      assert.deepEqual((await ps(dir)).map((row) => row.state), ['stopped', 'running'], 'SPEC §10: stopped by subvisor stop; the run goes on');
    } finally {
      writeFileSync(join(dir, 'release'), '');
      await interrupt(run, ...pids);
    }
  });

  test('restarts of one process asked at the same time leave one process, not one per request', BOUNDED, async () => {
    // The sleep's seconds are this test process's own: the sleepers are looked for (and killed
    // at the end) by their command line, and another copy of this file on the machine must
    // neither count among them nor lose its process to this one's clean-up (its run then ended).
    const seconds = `31.${process.pid}`;
    const dir = configDir(() => `processes:\n  a: { cmd: "trap 'sleep 0.2; exit 0' TERM; echo up; exec sleep ${seconds}", ready: "up" }\n`);
    const run = await up(dir);
    const sleepers = (): number[] =>
      readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'latin1') === `sleep\x00${seconds}\x00` && isRunning(Number(pid));
          } catch {
            return false; // gone meanwhile
          }
        })
        .map(Number);
    try {
      await waitForState(dir, 'a', 'ready');
      const results = await Promise.all([1, 2, 3].map(() => client(dir, ['restart', 'a'])));
      assert.deepEqual(results.map((result) => result.code), [0, 0, 0], results.map((result) => result.stderr).join(''));
      await sleep(300);
      const row = await rowOf(dir, 'a');
      assert.equal(row.state, 'ready');
      assert.deepEqual(sleepers(), [row.pid], 'one process, the one ps shows');
    } finally {
      await interrupt(run, ...sleepers());
    }
  });

  test('a restart whose chain a later restart and stop change before it is ready answers why it is not up now, not how the life it began with ended', BOUNDED, async () => {
    // One connection, one write: the run takes the three in this order. The restart of db starts
    // web waiting for api; the restart of api stops that waiting web (and starts it again); the
    // stop of db then keeps both from starting. Before: `web did not become ready: web was
    // stopped`, the name twice, and the stop the restart of api did, which was not why it failed.
    const dir = configDir(
      () => `processes:
  db: { cmd: "trap 'sleep 0.2; exit 0' TERM; sleep 0.3; echo up; while :; do sleep 0.05; done", ready: "up" }
  api: { cmd: "trap 'sleep 0.2; exit 0' TERM; sleep 0.3; echo up; while :; do sleep 0.05; done", ready: "up", dependsOn: [db] }
  web: { cmd: "trap 'sleep 0.2; exit 0' TERM; sleep 0.3; echo up; while :; do sleep 0.05; done", ready: "up", dependsOn: [api] }
`,
    );
    const run = await up(dir);
    try {
      await Promise.all(['db', 'api', 'web'].map((name) => waitForState(dir, name, 'ready')));
      const connection = await rawConnection(socketOf(dir));
      const request = (id: number, command: string, name: string): string => `${JSON.stringify({ v: PROTOCOL_VERSION, id, command, names: [name] })}\n`;
      connection.send(request(1, 'restart', 'db') + request(2, 'restart', 'api') + request(3, 'stop', 'db'));
      const replies = new Map<unknown, Record<string, unknown>>();
      for (let index = 0; index < 3; index++) {
        const reply = await connection.next();
        replies.set(reply.id, reply);
      }
      connection.destroy();
      assert.deepEqual(replies.get(3), { v: PROTOCOL_VERSION, id: 3, ok: true });
      for (const id of [1, 2]) {
        const error = (replies.get(id) as { error?: { message: string } }).error;
        assert.ok(error !== undefined, `restart ${id} succeeded though db was stopped`);
        assert.match(error.message, /^(db did not become ready: stopped|api did not become ready: not started: db was stopped|web did not become ready: not started: api was not started \(db was stopped\))$/, `restart ${id}`);
      }
      assert.deepEqual((await ps(dir)).map((row) => row.state), ['stopped', 'not started: db was stopped', 'not started: api was not started (db was stopped)']);
    } finally {
      await interrupt(run);
    }
  });

  test('a restart that reaches main after main exited on its own (what it left still holding its output) does not run main again: its exit ends the run', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  db: { cmd: "echo up; exec sleep 30", ready: "up" }
  e2e: { cmd: "while [ ! -e go ]; do sleep 0.02; done; (exec sleep 3) & echo passed", dependsOn: [db], main: true }
`,
    );
    const run = await up(dir);
    try {
      await waitForState(dir, 'e2e', 'running');
      writeFileSync(join(dir, 'go'), '');
      // Its exit is seen now; its end is judged once its sleep lets go of the output (the 2 s drain grace).
      await run.waitForOutput(/^e2e \| passed$/m);
      const restarted = await client(dir, ['restart', 'db']);
      assert.notEqual(restarted.code, 0, 'nothing was started again');
      const ended = await run.done;
      assert.equal(ended.code, 0, ended.stdout + ended.stderr);
      assert.equal(ended.stdout.match(/^e2e \| passed$/gm)?.length, 1, ended.stdout);
      assert.match(ended.stdout, /^e2e \* exited with status 0 after /m);
      assert.match(ended.stderr, /^e2e +\d+ +exited 0 /m);
    } finally {
      await interrupt(run);
    }
  });

  test('a restart that reaches main after main exited on its own, which its restart policy would have restarted, runs main again: the run goes on', BOUNDED, async () => {
    const { dir, run } = await mainCrashedInItsDrain();
    try {
      // Had the restart come once its sleep let go of the output, main would wait out its
      // backoff, and the restart would run it again at once: so it does.
      const restarted = await client(dir, ['restart', 'e2e']);
      assert.equal(restarted.code, 0, restarted.stderr + run.stdoutSoFar());
      assert.equal((await rowOf(dir, 'e2e')).state, 'running');
    } finally {
      const ended = await interrupt(run);
      assert.equal(ended.code, 130, ended.stdout + ended.stderr);
    }
  });

  test('a stop of main that reaches it after a crash its restart policy would have retried ends the run with 0, as a stop in its backoff does a moment later', BOUNDED, async () => {
    const { dir, run } = await mainCrashedInItsDrain();
    try {
      const stopped = await client(dir, ['stop', 'e2e']);
      assert.equal(stopped.code, 0, stopped.stderr);
      const ended = await run.done;
      // Before: 4, the crash's, though a crash the policy retries fails nothing, and `stop` of main ends the run with 0.
      assert.equal(ended.code, 0, ended.stdout + ended.stderr);
    } finally {
      await interrupt(run);
    }
  });

  test('restart and start of a process that fails at once, which its restart policy retries, answer with that failure (status 1) at once, not after the backoff; the policy goes on', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  keep: { cmd: "exec sleep 30" }
  web:
    cmd: "if [ -e ${dir}/broken ]; then echo 'cannot bind' >&2; exit 3; fi; echo up; exec sleep 30"
    ready: "up"
    restart: { policy: always, max: 2, backoff: 30s }
`,
    );
    const run = await up(dir);
    try {
      await waitForState(dir, 'web', 'ready');
      writeFileSync(join(dir, 'broken'), '');
      for (const args of [['restart', 'web'], ['start', 'web']]) {
        if (args[0] === 'start') assert.equal((await client(dir, ['stop', 'web'])).code, 0);
        // Before, the client waited out the 30 s backoff and every retry after it, silent.
        const answer = await answeredWithin(dir, args, 20_000);
        assert.equal(answer.code, 1, answer.stderr);
        assert.equal(
          answer.stderr,
          "subvisor: web did not become ready: exited with status 3; restarting in 30.0 s (restart 1 of 2), as its restart policy says: `subvisor logs web` shows its output\n",
        );
        // "ready" once: its own line's `before it was ready` (below) is not repeated after `did not become ready`.
        // The run goes on, and so does the policy: web waits out its backoff, keep is untouched.
        assert.match((await rowOf(dir, 'web')).state, RESTARTING);
        assert.equal((await rowOf(dir, 'keep')).state, 'running');
      }
      // Each answer came from the run before its state line was surely written out: wait for both lines.
      const restarting = /^web +\* restarting in 30\.0 s \(exited with status 3 before it was ready; restart 1 of 2\)$/gm;
      await waitUntil(() => (run.stdoutSoFar().match(restarting) ?? []).length >= 2, 'both restarting lines', 10_000);
      assert.match(run.stdoutSoFar(), /^web +\* starting \(subvisor start\)\n(?:web .*\n)*web +\* restarting in 30\.0 s \(exited with status 3 before it was ready; restart 1 of 2\)\n$/m);
    } finally {
      await interrupt(run);
    }
  });

  test('a restart whose process fails at once answers at once also while another restart is still stopping: the failure is the answer, not a life given up to wait through', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  slow:
    cmd: "trap 'while [ ! -e ${dir}/release ]; do sleep 0.1; done; exit 0' TERM; echo up; while :; do sleep 1; done"
    grace: 50s
  web:
    cmd: "if [ -e ${dir}/broken ]; then while [ ! -e ${dir}/go ]; do sleep 0.1; done; echo 'cannot bind' >&2; exit 3; fi; echo up; exec sleep 30"
    ready: "up"
    restart: { policy: always, max: 2, backoff: 30s }
`,
    );
    const run = await up(dir);
    const slowRestart = { args: ['restart', 'slow'], asked: undefined as RunningCli | undefined };
    try {
      await waitForState(dir, 'web', 'ready');
      await waitForState(dir, 'slow', 'running');
      writeFileSync(join(dir, 'broken'), '');
      const webRestart = startCli(['restart', 'web'], { cwd: dir });
      await run.waitForOutput(/^web +\* starting \(pid \d+\).*\n(?:.*\n)*?web +\* starting \(pid \d+\)/m, 20_000);
      // slow's stop lasts until the test lets it go: its restart stays in its stopping meanwhile.
      slowRestart.asked = startCli(slowRestart.args, { cwd: dir });
      await run.waitForOutput(/^slow +\* stopping \(subvisor restart\)/m, 20_000);
      writeFileSync(join(dir, 'go'), '');
      // Before, web's wait, cut short by the failure while that restart was pending, waited again: for
      // that restart to be done (slow's stop), then through the 30 s backoff, answered after it.
      const answer = await endedWithin(webRestart, ['restart', 'web'], 20_000);
      assert.equal(await Promise.race([slowRestart.asked.done.then(() => 'answered'), sleep(0, 'not yet')]), 'not yet', 'restart web answered while restart slow was still stopping slow');
      writeFileSync(join(dir, 'release'), '');
      assert.equal(answer.code, 1, answer.stderr);
      assert.match(answer.stderr, /^subvisor: web did not become ready: exited with status 3; restarting in 30\.0 s \(restart 1 of 2\)/);
      // The control: the other restart is answered as ever, once slow is up again.
      assert.equal((await endedWithin(slowRestart.asked, slowRestart.args, 30_000)).code, 0);
    } finally {
      writeFileSync(join(dir, 'release'), '');
      slowRestart.asked?.kill('SIGKILL');
      await interrupt(run);
    }
  });

  test('manual restarts never use the restart budget: after three, a crash is still retried', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  flaky:
    cmd: "echo up; while [ ! -f ${dir}/crash ]; do sleep 0.05; done; rm ${dir}/crash; exit 3"
    ready: "up"
    restart: { policy: on-failure, max: 1, backoff: 50ms }
`,
    );
    const run = await up(dir);
    try {
      await waitForState(dir, 'flaky', 'ready');
      for (let i = 0; i < 3; i++) assert.equal((await client(dir, ['restart', 'flaky'])).code, 0);
      writeFileSync(join(dir, 'crash'), '');
      await run.waitForOutput(/^flaky \* restarting in 50 ms \(exited with status 3; restart 1 of 1\)$/m);
      await run.waitForOutput(/(flaky \* ready after .*\n[^]*){5}/);
      const row = await rowOf(dir, 'flaky');
      assert.equal(row.state, 'ready');
      assert.equal(row.restarts, 1, 'the one restart of the policy');
      assert.doesNotMatch(run.stdoutSoFar(), /giving up/);
    } finally {
      await interrupt(run);
    }
  });
});
