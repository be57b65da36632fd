// `subvisor stop` and `subvisor start` (SPEC §10) against a real run: a process stopped by hand
// stays stopped, what depends on it, and a stop of main or while the run ends.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, waitUntil } from '../../support/processes.js';
import { PROTOCOL_VERSION } from '../../../src/cli/control/protocol.js';
import { BOUNDED, client, configDir, interrupt, lineIndex, ps, rawConnection, rowOf, socketOf, up, waitForState } from './support.js';
import type { CliRun, RunningCli } from '../cli.js';

/** How `run` ended, or undefined if it goes on past `ms`: the wait, unref'd, does not hold the test once the run has ended. */
function endedWithin(run: RunningCli, ms: number): Promise<CliRun | undefined> {
  return Promise.race([run.done, sleep(ms, undefined, { ref: false })]);
}

describe('stop and start', () => {
  test('stop leaves a process stopped (not a failure); start runs it again; the run stays up while it is stopped, even once the rest has ended', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  worker: { cmd: "echo up; exec sleep 30", ready: "up" }
  job: { cmd: "while [ ! -f ${dir}/finish ]; do sleep 0.05; done; echo finished", task: true }
`,
    );
    const run = await up(dir);
    let first: Awaited<ReturnType<typeof rowOf>> | undefined;
    let second: Awaited<ReturnType<typeof rowOf>> | undefined;
    try {
      first = await waitForState(dir, 'worker', 'ready');
      const stopped = await client(dir, ['stop', 'worker']);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal((await rowOf(dir, 'worker')).state, 'stopped');
      assert.equal(isRunning(first.pid ?? -1), false);
      assert.match(run.stdoutSoFar(), /^worker \* stopping \(subvisor stop\): SIGTERM to its process group$/m);
      writeFileSync(join(dir, 'finish'), '');
      await waitForState(dir, 'job', 'exited 0');
      await sleep(300);
      assert.ok(existsSync(socketOf(dir)), 'the run is still up: worker may be started again');
      const started = await client(dir, ['start', 'worker']);
      assert.equal(started.code, 0, started.stderr);
      assert.match(run.stdoutSoFar(), /^worker \* starting \(subvisor start\)\nworker \* starting \(pid \d+\)/m);
      second = await rowOf(dir, 'worker');
      assert.equal(second.state, 'ready');
      assert.notEqual(second.pid, first.pid);
    } finally {
      const ended = await interrupt(run, first?.pid, second?.pid);
      assert.equal(ended.code, 130);
    }
  });

  test('stop of a process whose child has just died while what it left in its group still runs: its death is said, and it is `stopped` from then on', BOUNDED, async () => {
    const dir = configDir(() => `processes:\n  c: { cmd: "echo up; sleep 30", ready: "up" }\n  keep: { cmd: "exec sleep 30" }\n`);
    const run = await up(dir);
    let pid: number | undefined;
    try {
      pid = (await waitForState(dir, 'c', 'ready')).pid ?? undefined;
      assert.ok(pid !== undefined);
      // The stop must come within the drain's grace (2 s): over a connection made beforehand, not
      // by a client that on a loaded machine took longer to start, by when c's death ended the run.
      const connection = await rawConnection(socketOf(dir));
      // The shell dies; its sleep lives on in the group, holding the output pipe, for the drain's grace.
      process.kill(pid, 'SIGTERM');
      await waitUntil(() => !isRunning(pid ?? -1), 'the shell gone');
      connection.send(`${JSON.stringify({ v: PROTOCOL_VERSION, id: 1, command: 'stop', names: ['c'] })}\n`);
      assert.deepEqual(await connection.next(), { v: PROTOCOL_VERSION, id: 1, ok: true });
      connection.destroy();
      // Its own end is said as it was: in the run's output, which may reach us after the reply.
      await run.waitForOutput(/^c +\* died of SIGTERM$/m);
      assert.equal((await rowOf(dir, 'c')).state, 'stopped');
      await sleep(300);
      assert.equal((await rowOf(dir, 'c')).state, 'stopped', 'and stays so');
      assert.equal((await rowOf(dir, 'keep')).state, 'running', 'not a failure: the run goes on');
    } finally {
      const ended = await interrupt(run, pid);
      assert.equal(ended.code, 130);
    }
  });

  test('start of a task returns once it has run: 1 naming the failure when it did not succeed', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  worker: { cmd: "exec sleep 30" }
  migrate: { cmd: "sleep 0.5; echo end >> ${dir}/ends; exit $(cat ${dir}/code)", task: true, restart: no }
`,
    );
    writeFileSync(join(dir, 'code'), '0');
    const run = await up(dir);
    try {
      await waitForState(dir, 'migrate', 'exited 0');
      writeFileSync(join(dir, 'code'), '5');
      const failed = await client(dir, ['start', 'migrate']);
      // The task's last step before its exit has happened: the client waited for it to run, not only to begin.
      assert.equal(readFileSync(join(dir, 'ends'), 'utf8'), 'end\nend\n', 'the client waited for the task to run, not only to begin');
      assert.equal(failed.code, 1, failed.stdout);
      // Its failure as the run's own line says it, not a dependent's `migrate failed (status 5)`.
      assert.equal(failed.stderr, 'subvisor: migrate did not succeed: exited with status 5\n');
      // Not a watched task: its failure ends the run, as any failure of a life begun by hand does.
      const ended = await run.done;
      assert.equal(ended.code, 5, ended.stdout + ended.stderr);
    } finally {
      await interrupt(run);
    }
  });

  test('restart of a process that then cannot start: the client says why, in the words of the run\'s own line', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  worker: { cmd: "exec sleep 30" }
  gone: { cmd: "exec sleep 30", cwd: wd }
`,
    );
    mkdirSync(join(dir, 'wd'));
    const run = await up(dir);
    try {
      await waitForState(dir, 'gone', 'running');
      rmdirSync(join(dir, 'wd'));
      const answer = await client(dir, ['restart', 'gone']);
      assert.equal(answer.code, 1, answer.stdout);
      const said = /^gone +\* (cannot start .*)$/m.exec(run.stdoutSoFar())?.[1];
      assert.match(said ?? '', /: the cwd .*wd does not exist$/, run.stdoutSoFar());
      // Before: `gone did not become ready: gone failed (could not start)`, the cause left out.
      assert.equal(answer.stderr, `subvisor: gone did not become ready: ${said}\n`);
    } finally {
      await interrupt(run);
    }
  });

  test('restart of a process that a stop by hand ends before it is ready: the client says it was stopped, as the run\'s own line does, naming it once', BOUNDED, async () => {
    const dir = configDir((dir) => `processes:\n  web: { cmd: "if [ -f ${dir}/hold ]; then exec sleep 30; fi; echo up; exec sleep 30", ready: "up" }\n`);
    const run = await up(dir);
    try {
      await waitForState(dir, 'web', 'ready');
      writeFileSync(join(dir, 'hold'), '');
      const restarting = client(dir, ['restart', 'web']);
      // Only the new life is `starting` (the old one was ready, then stopping): held, it stays so.
      await waitForState(dir, 'web', 'starting');
      assert.equal((await client(dir, ['stop', 'web'])).code, 0);
      const answer = await restarting;
      assert.equal(answer.code, 1, answer.stdout);
      // Before: `web did not become ready: web was stopped`, the name twice.
      assert.equal(answer.stderr, 'subvisor: web did not become ready: stopped\n');
    } finally {
      await interrupt(run);
    }
  });

  test('restart of a process that is then not ready in time: the client says it timed out, naming "ready" once, with or without a restart policy to try again', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  keep: { cmd: "exec sleep 30" }
  web: { cmd: "if [ ! -f ${dir}/hold ]; then echo up; fi; exec sleep 30", ready: "up", readyTimeout: 300ms, restart: { policy: always, max: 1, backoff: 30s } }
  api: { cmd: "if [ ! -f ${dir}/hold ]; then echo up; fi; exec sleep 30", ready: { log: "up" }, readyTimeout: 300ms, restart: no }
`,
    );
    const run = await up(dir);
    try {
      await Promise.all(['web', 'api'].map((name) => waitForState(dir, name, 'ready')));
      writeFileSync(join(dir, 'hold'), '');
      // Before: `web did not become ready: was not ready within 300 ms (no output line matched /up/); ...`.
      const retried = await client(dir, ['restart', 'web']);
      assert.equal(retried.code, 1, retried.stdout);
      assert.equal(
        retried.stderr,
        'subvisor: web did not become ready: timed out after 300 ms (no output line matched /up/); restarting in 30.0 s (restart 1 of 1), as its restart policy says: `subvisor logs web` shows its output\n',
      );
      const failed = await client(dir, ['restart', 'api']);
      assert.equal(failed.code, 1, failed.stdout);
      assert.equal(failed.stderr, 'subvisor: api did not become ready: timed out after 300 ms (no output line matched /up/)\n');
      // The state line keeps its own words: it follows the process's name.
      // Not restarted by its policy: its failure ends the run, as any failure of a life begun by hand does.
      const ended = await run.done;
      assert.match(ended.stdout, /^api +\* was not ready within 300 ms \(no output line matched \/up\/\)/m);
    } finally {
      await interrupt(run);
    }
  });

  test('a restart whose dependent is then not started: the summary gives it no pid and no duration, not those of its last life', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  db: { cmd: "exit $(cat ${dir}/code)", task: true }
  web: { cmd: "exec sleep 30", dependsOn: { db: succeeded } }
`,
    );
    writeFileSync(join(dir, 'code'), '0');
    const run = await up(dir);
    try {
      await waitForState(dir, 'web', 'running');
      writeFileSync(join(dir, 'code'), '3');
      assert.equal((await client(dir, ['restart', 'db'])).code, 1);
      const ended = await run.done;
      assert.equal(ended.code, 3, ended.stdout + ended.stderr);
      // Nor a duration: that of its last life would say it ran in this one.
      assert.match(ended.stderr, /^web +- +not started: db failed \(status 3\) +- +0$/m);
    } finally {
      await interrupt(run);
    }
  });

  test('a replicated process is named by its own name too: restart web restarts web.1 and web.2, logs web shows both', BOUNDED, async () => {
    const dir = configDir(() => `processes:
  web: { cmd: "echo copy $SUBVISOR_REPLICA; exec sleep 30", ready: "copy", replicas: 2 }
  other: { cmd: "echo other; exec sleep 30", ready: "other" }
`);
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      const before = await Promise.all(['web.1', 'web.2', 'other'].map((name) => waitForState(dir, name, 'ready')));
      pids.push(...before.map((row) => row.pid));
      const restarted = await client(dir, ['restart', 'web']);
      assert.equal(restarted.code, 0, restarted.stderr);
      const after = await Promise.all(['web.1', 'web.2', 'other'].map((name) => rowOf(dir, name)));
      pids.push(...after.map((row) => row.pid));
      assert.notEqual(after[0]?.pid, before[0]?.pid, 'web.1 is a new process');
      assert.notEqual(after[1]?.pid, before[1]?.pid, 'web.2 is a new process');
      assert.equal(after[2]?.pid, before[2]?.pid, 'other was left alone');
      const logs = await client(dir, ['logs', 'web']);
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /web\.1 .*copy 1/);
      assert.match(logs.stdout, /web\.2 .*copy 2/);
      assert.doesNotMatch(logs.stdout, /other/);
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('a process stopped by hand stays stopped when what it depends on restarts; a restart naming it starts it again', BOUNDED, async () => {
    const dir = configDir(() => `processes:
  db: { cmd: "echo up; exec sleep 30", ready: "up" }
  web: { cmd: "echo copy $SUBVISOR_REPLICA; exec sleep 30", ready: "copy", replicas: 2, dependsOn: [db] }
`);
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      const before = await Promise.all(['db', 'web.1', 'web.2'].map((name) => waitForState(dir, name, 'ready')));
      pids.push(...before.map((row) => row.pid));
      assert.equal((await client(dir, ['stop', 'web.1'])).code, 0);
      const restarted = await client(dir, ['restart', 'db']);
      assert.equal(restarted.code, 0, restarted.stderr);
      const after = await Promise.all(['db', 'web.1', 'web.2'].map((name) => rowOf(dir, name)));
      pids.push(...after.map((row) => row.pid));
      assert.deepEqual(
        after.map((row) => row.state),
        ['ready', 'stopped', 'ready'],
      );
      assert.notEqual(after[2]?.pid, before[2]?.pid, 'web.2 restarted after db');
      assert.doesNotMatch(run.stdoutSoFar(), /^web\.1 +\* starting \(subvisor restart\)/m);
      const named = await client(dir, ['restart', 'web.1']);
      assert.equal(named.code, 0, named.stderr);
      const again = await rowOf(dir, 'web.1');
      pids.push(again.pid);
      assert.equal(again.state, 'ready');
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('a dependent stopped by hand while a restart of what it depends on waits for readiness stays stopped, and the restart succeeds as if the stop came first, also for what depends on it', BOUNDED, async () => {
    const dir = configDir((dir) => `processes:
  db: { cmd: "if [ -f ${dir}/started ]; then while [ ! -f ${dir}/go ]; do sleep 0.05; done; fi; touch ${dir}/started; echo up; exec sleep 30", ready: "up" }
  web: { cmd: "echo web; exec sleep 30", ready: "web", dependsOn: [db] }
  worker: { cmd: "echo worker; exec sleep 30", ready: "worker", dependsOn: [web] }
`);
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      pids.push(...(await Promise.all(['db', 'web', 'worker'].map((name) => waitForState(dir, name, 'ready')))).map((row) => row.pid));
      const restarting = client(dir, ['restart', 'db']);
      await waitForState(dir, 'web', 'not started: waiting for db');
      pids.push((await rowOf(dir, 'db')).pid);
      const stopped = await client(dir, ['stop', 'web']);
      assert.equal(stopped.code, 0, stopped.stderr);
      writeFileSync(join(dir, 'go'), '');
      const restarted = await restarting;
      assert.equal(restarted.code, 0, restarted.stdout + restarted.stderr);
      // worker depends on db only through web: the restart no longer asks for it either.
      assert.deepEqual((await ps(dir)).map((row) => row.state), ['ready', 'stopped', 'not started: web was stopped']);
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('a dependency stopped by hand before it was ready keeps its dependents from starting, and says why; stopped once ready, it does not', BOUNDED, async () => {
    const dir = configDir((dir) => `processes:
  db: { cmd: "while [ ! -f ${dir}/go ]; do sleep 0.05; done; echo up; exec sleep 30", ready: "up" }
  web: { cmd: "echo web; exec sleep 30", ready: "web", dependsOn: [db] }
`);
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      pids.push((await waitForState(dir, 'db', 'starting')).pid);
      assert.equal((await client(dir, ['stop', 'db'])).code, 0);
      await waitForState(dir, 'web', 'not started: db was stopped');
      const refused = await client(dir, ['start', 'web']);
      assert.equal(refused.code, 1, refused.stdout);
      // Before: `web did not become ready: web was not started (db was stopped)`, the name twice.
      assert.equal(refused.stderr, 'subvisor: web did not become ready: not started: db was stopped\n');

      writeFileSync(join(dir, 'go'), '');
      for (const name of ['db', 'web']) assert.equal((await client(dir, ['start', name])).code, 0);
      pids.push(...(await Promise.all(['db', 'web'].map((name) => rowOf(dir, name)))).map((row) => row.pid));
      // Its conditions were met while db was up; stopping db was asked for, and asking for web too is
      // asking for web without db (README: "A dependent of a stopped process keeps running").
      assert.equal((await client(dir, ['stop', 'db'])).code, 0);
      const restarted = await client(dir, ['restart', 'web']);
      assert.equal(restarted.code, 0, restarted.stderr);
      const web = await rowOf(dir, 'web');
      pids.push(web.pid);
      assert.deepEqual([(await rowOf(dir, 'db')).state, web.state], ['stopped', 'ready']);
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('stop of the main process replies, then ends the run with status 0', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  db: { cmd: "echo up; exec sleep 30", ready: "up" }
  app: { cmd: "exec sleep 30", dependsOn: [db], main: true }
`,
    );
    const run = await up(dir);
    try {
      await waitForState(dir, 'app', 'running');
      const stopped = await client(dir, ['stop', 'app']);
      assert.equal(stopped.code, 0, stopped.stderr);
      const ended = await run.done;
      assert.equal(ended.code, 0, ended.stderr);
      assert.ok(lineIndex(ended.stdout, /^app \* stopping \(subvisor stop\): SIGTERM to its process group$/) < lineIndex(ended.stdout, /^db +\* stopping \(app was stopped\): SIGTERM to its process group$/));
    } finally {
      await interrupt(run);
    }
  });

  test('a main process kept from starting by a stop of what it waits for ends the run (status 1), and the others\' stopping lines name it', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  db: { cmd: "exec sleep 30", ready: "never printed" }
  other: { cmd: "exec sleep 30" }
  smoke: { cmd: "echo smoke ran", dependsOn: [db], main: true }
`,
    );
    const run = await up(dir);
    try {
      await waitForState(dir, 'db', 'starting');
      await waitForState(dir, 'other', 'running');
      assert.equal((await client(dir, ['stop', 'db'])).code, 0);
      const ended = await run.done;
      assert.equal(ended.code, 1, ended.stderr);
      assert.match(ended.stdout, /^smoke \* not started: db was stopped$/m);
      assert.match(ended.stdout, /^other \* stopping \(smoke was not started\): SIGTERM to its process group$/m);
      assert.doesNotMatch(ended.stdout, /smoke ran/);
      assert.match(ended.stderr, /^subvisor: smoke failed: not started: db was stopped/m);
    } finally {
      await interrupt(run);
    }
  });

  test('a main kept from starting by a stop of what a change was restarting (not ready yet) ends the run as any such stop does: the change forgives a failure, not a stop', BOUNDED, async () => {
    // The life the change begins waits, never ready, until the stop.
    const { dir, run } = await upAndChangeApi('[ $n -eq 0 ] && echo up; exec sleep 30');
    try {
      await run.waitForOutput(/^smoke +\* starting \(after a change\)$/m);
      await waitForState(dir, 'api', 'starting');
      assert.equal((await client(dir, ['stop', 'api'])).code, 0);
      const ended = await endedWithin(run, 10_000);
      assert.ok(ended !== undefined, `the run went on without its main:\n${run.stdoutSoFar()}`);
      assert.equal(ended.code, 1, `${ended.stdout}\n${ended.stderr}`);
      assert.match(ended.stdout, /^smoke +\* not started: api was stopped$/m);
      assert.doesNotMatch(ended.stdout, /the run goes on/);
    } finally {
      await interrupt(run);
    }
  });

  test('a stop of what a change began and failed (its life over) is a stop too: a main started by hand then, kept from starting by it, ends the run, not "the next change starts it again"', BOUNDED, async () => {
    // The life the change begins exits 3 before it is ready.
    const { dir, run } = await upAndChangeApi('[ $n -eq 0 ] || exit 3; echo up; exec sleep 30');
    try {
      // The change's failure is forgiven (control: the run goes on), until api is stopped by hand.
      await run.waitForOutput(/^smoke +\* not started: api failed .*\n(?:.*\n)*smoke +\* the run goes on: the next change starts it again$/m);
      assert.equal((await client(dir, ['stop', 'api'])).code, 0);
      await client(dir, ['start', 'smoke']);
      const ended = await endedWithin(run, 10_000);
      assert.ok(ended !== undefined, `the run went on without its main:\n${run.stdoutSoFar()}`);
      assert.equal(ended.code, 1, `${ended.stdout}\n${ended.stderr}`);
      const afterStart = ended.stdout.split('\n').slice(lineIndex(ended.stdout, /^smoke +\* starting \(subvisor start\)$/)).join('\n');
      assert.match(afterStart, /^smoke +\* not started: api failed/m);
      assert.doesNotMatch(afterStart, /the run goes on/);
    } finally {
      await interrupt(run);
    }
  });

  test('stop asked while the run ends (its processes already stopping) replies at once, with status 0: not once they are stopped, when the run may have closed its socket', BOUNDED, async () => {
    // slow stops only once released, after the reply came.
    const release = (dir: string): string => join(dir, 'release');
    const dir = configDir((at) => `processes:
  slow: { cmd: "trap 'while [ ! -e ${release(at)} ]; do sleep 0.1; done; exit 0' TERM; echo up; while :; do sleep 0.1; done", ready: "up", grace: 8s }
`);
    const run = await up(dir);
    let pid: number | null = null;
    try {
      pid = (await waitForState(dir, 'slow', 'ready')).pid;
      run.kill('SIGINT');
      await run.waitForOutput(/^slow \* stopping \(SIGINT\)/m);
      const stopped = await client(dir, ['stop', 'slow']);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(stopped.stderr, '');
      assert.ok(pid !== null && isRunning(pid), 'slow is still stopping: the reply did not wait for it');
    } finally {
      writeFileSync(release(dir), '');
      const ended = await interrupt(run, pid);
      assert.equal(ended.code, 130);
    }
  });

  test('start and restart asked while the run ends are refused at once, not after a restart queued before them has stopped what it stops', BOUNDED, async () => {
    const dir = configDir((dir) => `processes:
  db: { cmd: "echo up; exec sleep 30", ready: "up" }
  web: { cmd: "trap 'while [ ! -e ${dir}/release ]; do sleep 0.1; done; exit 0' TERM; echo up; while :; do sleep 0.1; done", ready: "up", dependsOn: [db], grace: 50s }
`);
    const run = await up(dir);
    let pid: number | null = null;
    try {
      pid = (await waitForState(dir, 'web', 'ready')).pid;
      // Its stop lasts until the test lets web go: every operation asked after it waits to begin.
      const restarting = client(dir, ['restart', 'web']);
      await run.waitForOutput(/^web \* stopping \(subvisor restart\)/m);
      run.kill('SIGINT');
      await waitForState(dir, 'db', 'ready'); // the run still answers: it waits for web to stop
      for (const command of ['start', 'restart']) {
        // Answered while web still stops: at once, not once web had stopped.
        const refused = await client(dir, [command, 'db']);
        assert.equal(refused.code, 1, refused.stderr);
        assert.equal(refused.stderr, 'subvisor: the run is ending: nothing starts any more\n');
      }
      assert.equal((await rowOf(dir, 'web')).state, 'stopping', 'web was still stopping when both were refused');
      writeFileSync(join(dir, 'release'), '');
      assert.equal((await restarting).code, 1);
      assert.equal((await run.done).code, 130);
    } finally {
      writeFileSync(join(dir, 'release'), '');
      // A second Ctrl-C would kill at once: the run is given its end first.
      await endedWithin(run, 15_000);
      await interrupt(run, pid);
    }
  });

  test('a restart under way when Ctrl-C comes is answered that the run is ending, not left without a reply', BOUNDED, async () => {
    // web's stop lasts until the test lets it go, once the run's end has begun (other's stop says
    // so): before, it lasted 1 s, and on a loaded machine the restart could be done before Ctrl-C.
    const dir = configDir((dir) => `processes:
  db: { cmd: "echo up; exec sleep 30", ready: "up" }
  web: { cmd: "trap 'while [ ! -e ${dir}/release ]; do sleep 0.1; done; exit 0' TERM; echo up; while :; do sleep 0.1; done", ready: "up", dependsOn: [db], grace: 50s }
  other: { cmd: "exec sleep 30" }
`);
    const run = await up(dir);
    let pid: number | null = null;
    try {
      pid = (await waitForState(dir, 'web', 'ready')).pid;
      await waitForState(dir, 'other', 'running');
      const restarting = client(dir, ['restart', 'db']);
      await run.waitForOutput(/^web +\* stopping \(subvisor restart\)/m);
      run.kill('SIGINT');
      await run.waitForOutput(/^other \* stopping \(SIGINT\)/m);
      writeFileSync(join(dir, 'release'), '');
      const refused = await restarting;
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, 'subvisor: the run is ending: nothing starts any more\n');
      assert.equal((await run.done).code, 130);
    } finally {
      writeFileSync(join(dir, 'release'), '');
      await endedWithin(run, 15_000);
      await interrupt(run, pid);
    }
  });

  test('an unknown name is an error reply: the client exits 2 (a usage mistake, as up NAME) and the run goes on', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    try {
      const before = await waitForState(dir, 'a', 'running');
      const result = await client(dir, ['stop', 'a', 'nope']);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, "subvisor: no process named 'nope' in this run (it has a)\n");
      const after = await rowOf(dir, 'a');
      assert.deepEqual([after.state, after.pid], ['running', before.pid], 'a was not stopped: the request did nothing');
      assert.equal((await client(dir, ['restart'])).code, 2, 'a usage mistake');
    } finally {
      await interrupt(run);
    }
  });
});

/**
 * A run of `api`, watched and ready in its first life only (`lives` counts them: `$n` is the lives
 * before this one, and `life` does the rest), and `smoke`, its main, waiting for it to be ready;
 * once smoke ran, a change to api's files begins api's next life.
 */
async function upAndChangeApi(life: string): Promise<{ dir: string; run: Awaited<ReturnType<typeof up>> }> {
  const dir = configDir(
    (at) => `processes:
  api: { cmd: "n=$(cat ${at}/lives 2>/dev/null || echo 0); echo $((n + 1)) > ${at}/lives; ${life}", ready: "up", watch: { paths: [src], debounce: 50ms } }
  smoke: { cmd: "echo smoke ran; exec sleep 30", dependsOn: { api: ready }, main: true }
`,
  );
  mkdirSync(join(dir, 'src'));
  const run = await up(dir);
  try {
    await run.waitForOutput(/^smoke +\| smoke ran$/m);
    writeFileSync(join(dir, 'src', 'a'), 'changed');
  } catch (error) {
    await interrupt(run);
    throw error;
  }
  return { dir, run };
}
