// The control commands of SPEC §10 on replicated processes and their dependents, against a real
// run: what `restart`, `start` and `stop` answer when they meet the run's end, a restart policy or
// one another, each the built CLI talking to a `subvisor up` of real processes over its socket.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BOUNDED, client, configDir, interrupt, rowOf, up, waitForState } from './support.js';

/** `restarting in 19.7 s`, as `ps` shows a restart that waits out its backoff. */
const RESTARTING = /^restarting in \d+\.\d s$/;

/** Two copies of web, ready once the file `ready` is there, and api, which waits for both. */
function webAndApi(): string {
  const dir = configDir(
    () => `processes:
  web: { cmd: "echo copy $SUBVISOR_REPLICA; while [ ! -e ready ]; do sleep 0.05; done; echo ready; exec sleep 30", ready: "^ready$", replicas: 2 }
  api: { cmd: "echo up; exec sleep 30", ready: "up", dependsOn: [web] }
`,
  );
  writeFileSync(join(dir, 'ready'), '');
  return dir;
}

describe('control commands on replicas, when the run ends', () => {
  for (const command of ['restart', 'start'] as const) {
    test(`a ${command} whose copies are not ready yet when Ctrl-C comes is answered that the run is ending, not that a process failed to start`, BOUNDED, async () => {
      const dir = webAndApi();
      const run = await up(dir);
      try {
        await waitForState(dir, 'api', 'ready');
        rmSync(join(dir, 'ready'));
        if (command === 'start') assert.equal((await client(dir, ['stop', 'web'])).code, 0);
        const asked = client(dir, [command, 'web']);
        await waitForState(dir, 'web.1', 'starting');
        await waitForState(dir, 'web.2', 'starting');
        run.kill('SIGINT');
        const answer = await asked;
        assert.equal(answer.code, 1, answer.stdout);
        // Before: `api did not become ready: api was not started`, or `web.1 ...: web.1 was stopped`,
        // as if a process had failed, when the run's end stopped what the command had started.
        assert.match(answer.stderr, /^subvisor: (web\.1|web\.2|api) did not become ready: the run is ending \(SIGINT\)\n$/);
        assert.equal((await run.done).code, 130);
      } finally {
        await interrupt(run);
      }
    });
  }
});

describe('start of a copy that waits out its restart backoff', () => {
  test('starts it at once, with a fresh restart budget, as systemctl start does a unit in auto-restart; its dependents keep running', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  web: { cmd: "echo ready; exec sleep 30", ready: "^ready$", replicas: 2, restart: { policy: always, max: 1, backoff: 20s } }
  api: { cmd: "echo up; exec sleep 30", ready: "up", dependsOn: [web] }
`,
    );
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      const api = await waitForState(dir, 'api', 'ready');
      const first = await waitForState(dir, 'web.1', 'ready');
      pids.push(api.pid, first.pid, (await rowOf(dir, 'web.2')).pid);
      process.kill(first.pid ?? 0, 'SIGKILL');
      await waitForState(dir, 'web.1', RESTARTING);
      // Its one restart is spent on this backoff: without a fresh budget, its next crash ends the run.
      const started = await client(dir, ['start', 'web.1']);
      assert.equal(started.code, 0, started.stderr);
      const again = await rowOf(dir, 'web.1');
      assert.equal(again.state, 'ready');
      pids.push(again.pid);
      // The same life goes on (see the next test): its backoff ends, nothing is stopped.
      assert.match(run.stdoutSoFar(), /^web\.1 \* restarting in 20\.0 s .*\nweb\.1 \* starting \(subvisor start\)\nweb\.1 \* starting \(pid \d+\)/m);
      assert.doesNotMatch(run.stdoutSoFar(), /stopped while waiting to restart/);
      assert.equal((await rowOf(dir, 'api')).pid, api.pid, 'api, already running, is left alone');
      process.kill(again.pid ?? 0, 'SIGKILL');
      await waitForState(dir, 'web.1', RESTARTING);
      assert.match(run.stdoutSoFar(), /^web\.1 \* died of SIGKILL$\n^web\.1 \* restarting in 20\.0 s \(died of SIGKILL; restart 1 of 1\)$/m);
      const ended = await interrupt(run);
      assert.equal(ended.code, 130, ended.stdout + ended.stderr);
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('leaves a dependent that waits for it waiting: it starts once the copy is ready, as it would have after the backoff', BOUNDED, async () => {
    // web.1's first try crashes before it is ready; api waits for both copies.
    const dir = configDir(
      () => `processes:
  web: { cmd: "if [ $SUBVISOR_REPLICA = 1 ] && [ ! -e crashed ]; then touch crashed; exit 1; fi; echo ready; exec sleep 30", ready: "^ready$", replicas: 2, restart: { policy: always, max: 1, backoff: 20s } }
  api: { cmd: "echo up; exec sleep 30", ready: "up", dependsOn: [web] }
`,
    );
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      await waitForState(dir, 'web.1', RESTARTING);
      pids.push((await waitForState(dir, 'web.2', 'ready')).pid);
      assert.equal((await rowOf(dir, 'api')).state, 'not started: waiting for web.1');
      const started = await client(dir, ['start', 'web.1']);
      assert.equal(started.code, 0, started.stderr);
      pids.push((await rowOf(dir, 'web.1')).pid);
      // Before: `api * not started: web.1 was stopped`, for good, when the start ended web.1's life to begin a new one.
      const api = await waitForState(dir, 'api', 'ready');
      pids.push(api.pid);
      assert.doesNotMatch(run.stdoutSoFar(), /^api .*not started: /m);
      const ended = await interrupt(run);
      assert.equal(ended.code, 130, ended.stdout + ended.stderr);
    } finally {
      await interrupt(run, ...pids);
    }
  });
});
