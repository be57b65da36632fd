// Watch mode of `subvisor up` (SPEC §10): replicas and processes stopped by hand. The built CLI, YAML files,
// real processes, real files changed in a temporary directory; the helpers are up-support.ts's.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../cli.js';
import { waitUntil } from '../../support/processes.js';
import { BOUNDED, all, control, interrupt, nthPid, pids, project, saveWhileWaitingForDb, server, withUp, write } from './up-support.js';

describe('replicas and processes stopped by hand', () => {
  const replicated = `processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    replicas: 2
    watch: { paths: [src], debounce: 100ms }
  app: { cmd: "echo app pid $$; exec sleep 30", dependsOn: [web] }
`;

  test('a change restarts every copy of a replicated process as one chain: one state line, each dependent once', BOUNDED, async () => {
    const dir = project(replicated, { 'src/app.ts': '' });
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'app', 1);
      write(dir, 'src/app.ts', 'v2');
      await nthPid(cli, 'app', 2);
      // Rather than a wait for a second restart that must not come: a later change to another file,
      // whose restart is said after any second one of the first change (one per copy) would be.
      write(dir, 'src/other.ts', 'v1');
      await cli.waitForOutput(/^web +\* restarting: src\/other\.ts changed$/m);
      await nthPid(cli, 'app', 3);
      const restarts = all(cli.stdoutSoFar(), /^(\S+) +\* restarting: (.*)$/gm).map((match) => `${match[1]}: ${match[2]}`);
      assert.deepEqual(restarts, ['web: src/app.ts changed', 'web: src/other.ts changed'], cli.stdoutSoFar());
      assert.deepEqual([pids(cli, 'web\\.1').length, pids(cli, 'web\\.2').length, pids(cli, 'app').length], [3, 3, 3], cli.stdoutSoFar());
      const lines = cli.stdoutSoFar().split('\n');
      const at = (pattern: RegExp): number => lines.findIndex((line) => pattern.test(line));
      assert.ok(at(/^app +\* stopped/) < at(/^web\.1 +\* stopping/) && at(/^app +\* stopped/) < at(/^web\.2 +\* stopping/), 'app stops before either copy');
      assert.ok(at(/^web\.1 +\* stopped/) < at(/^web\.2 +\* starting \(after a change\)/) && at(/^web\.2 +\* stopped/) < at(/^web\.1 +\* starting \(after a change\)/), 'both copies stop before either starts again');
      await interrupt(cli);
    });
  });

  test('a copy stopped by hand stays stopped through a change; start runs it again', BOUNDED, async () => {
    const dir = project(replicated, { 'src/app.ts': '' });
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'app', 1);
      await control(dir, ['stop', 'web.1']);
      write(dir, 'src/app.ts', 'v2');
      await nthPid(cli, 'web\\.2', 2);
      await nthPid(cli, 'app', 2);
      await sleep(600);
      assert.equal(pids(cli, 'web\\.1').length, 1, `web.1 was started again:\n${cli.stdoutSoFar()}`);
      await control(dir, ['start', 'web.1']);
      await nthPid(cli, 'web\\.1', 2);
      await interrupt(cli);
    });
  });

  test('a change to a replicated process whose copies are each stopped by hand or still waiting for what they depend on restarts nothing', BOUNDED, async () => {
    // web.2 stopped by hand, web.1 waiting for db: `web * restarting`, `web.1 * stopped` and
    // `web.1 * starting (after a change)` told of a life of web.1 that never began. sib (as in
    // up-restart's test of a waiting process) watches the same file and goes first in the lane,
    // then a file of its own: its third start comes after whatever the lane held for web.
    const dir = project(
      `processes:
  sib: { cmd: "echo sib pid $$; exec sleep 30", watch: { paths: [src, own], debounce: 100ms } }
  db: { cmd: "while [ ! -e go ]; do sleep 0.05; done; echo db up; exec sleep 30", ready: "db up" }
  web: { cmd: "echo web pid $$; exec sleep 30", dependsOn: [db], replicas: 2, watch: { paths: [src], debounce: 100ms } }
`,
      { 'src/app.ts': 'v1', 'own/x': '1' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^web\.2 +\* waiting for db to be ready$/m);
      await nthPid(cli, 'sib', 1);
      await control(dir, ['stop', 'web.2']);
      await cli.waitForOutput(/^web\.2 +\* stopped$/m);
      await saveWhileWaitingForDb(cli, dir);
      await nthPid(cli, 'web\\.1', 1);
      const upToItsStart = cli.stdoutSoFar().split(/^web\.1 +\* starting \(pid/m)[0] ?? '';
      assert.doesNotMatch(upToItsStart, /^web(\.1)? +\* (restarting|stopped|starting \(after a change\))/m, cli.stdoutSoFar());
      await interrupt(cli);
      assert.equal(pids(cli, 'web\\.1').length, 1, cli.stdoutSoFar());
      assert.equal(pids(cli, 'web\\.2').length, 0, cli.stdoutSoFar());
    });
  });

  test('a change to a replicated process, one copy running and one waiting for what it depends on, restarts the running copy alone: no stopped or starting line for the waiting one', BOUNDED, async () => {
    // db crashed and waits out its backoff; web.2, restarted by hand meanwhile, waits for it while
    // web.1 runs on. A save printed `web.2 * stopped` and `web.2 * starting (after a change)` for a
    // life that never began, as the all-waiting case did before it was fixed.
    const dir = project(
      `processes:
  db:
    cmd: "echo db pid $$; echo db up; while [ ! -e crash ]; do sleep 0.05; done; rm crash; exit 1"
    ready: "db up"
    restart: { policy: on-failure, max: 5, backoff: 30s }
  web: { cmd: "echo web pid $$; exec sleep 30", dependsOn: [db], replicas: 2, watch: { paths: [src], debounce: 100ms } }
`,
      { 'src/app.ts': 'v1' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web\\.1', 1);
      await nthPid(cli, 'web\\.2', 1);
      write(dir, 'crash', '');
      await cli.waitForOutput(/^db +\* .*restarting in/m);
      // Answered only once web.2 is ready, after db's backoff: left to run.
      const restarting = runCli(['restart', 'web.2'], { cwd: dir });
      await cli.waitForOutput(/^web\.2 +\* starting \(subvisor restart\)\nweb\.2 +\* waiting for db to be ready$/m);
      const before = cli.stdoutSoFar().length;
      write(dir, 'src/app.ts', 'v2');
      // web.1 starts again, and waits for db as web.2 does.
      await cli.waitForOutput(/^web\.1 +\* starting \(after a change\)$/m);
      await control(dir, ['start', 'db']);
      await nthPid(cli, 'web\\.1', 2);
      await nthPid(cli, 'web\\.2', 2);
      assert.equal((await restarting).code, 0);
      const after = cli.stdoutSoFar().slice(before);
      const web2 = after.split('\n').filter((line) => /^web\.2 +\* /.test(line));
      assert.equal(web2.length, 1, after);
      assert.match(web2[0] ?? '', /^web\.2 +\* starting \(pid \d+\)/, after);
      await interrupt(cli);
    });
  });

  // web.1 is ready at once, web.2 only once its file `go2` exists: app, which depends on both, waits.
  const appWaitsForWeb2 = `processes:
  web:
    cmd: "echo web pid $$; while [ ! -e go$SUBVISOR_REPLICA ]; do sleep 0.05; done; echo web up; exec sleep 30"
    ready: "web up"
    replicas: 2
    watch: { paths: [src], debounce: 100ms }
  app: { cmd: "echo app pid $$; exec sleep 30", dependsOn: [web] }
`;

  test('a change restarting what a waiting dependent depends on leaves it waiting: no stopped or starting (after a change) line for a life that never began, and one start once all are ready', BOUNDED, async () => {
    // It waits for web.1's readiness, which the restart resets, so it is in the chain; but it printed
    // `app * stopped` and `app * starting (after a change)` though it had never started.
    const dir = project(appWaitsForWeb2, { 'src/app.ts': 'v1', go1: '' });
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web\\.2', 1);
      await cli.waitForOutput(/^app +\* waiting for web\.2 to be ready$/m);
      const before = cli.stdoutSoFar().length;
      write(dir, 'src/app.ts', 'v2');
      await nthPid(cli, 'web\\.1', 2);
      await nthPid(cli, 'web\\.2', 2);
      await waitUntil(() => all(cli.stdoutSoFar().slice(before), /^web\.1 +\* ready after/gm).length === 1, 'web.1 to be ready again');
      write(dir, 'go2', '');
      await nthPid(cli, 'app', 1);
      const after = cli.stdoutSoFar().slice(before);
      const app = after.split('\n').filter((line) => /^app +\* /.test(line) && !/^app +\* waiting for /.test(line));
      assert.equal(app.length, 1, after);
      assert.match(app[0] ?? '', /^app +\* starting \(pid \d+\)/, after);
      await interrupt(cli);
      assert.equal(pids(cli, 'app').length, 1, cli.stdoutSoFar());
    });
  });

  test('a restart by hand of one copy that a waiting dependent depends on leaves it waiting: with --json, no stopped or starting record for it, one start once all are ready', BOUNDED, async () => {
    const dir = project(appWaitsForWeb2, { 'src/app.ts': 'v1', go1: '' });
    await withUp(
      dir,
      async (cli) => {
        const records = (): { name: string; event?: string; line: string; pid?: number }[] =>
          cli
            .stdoutSoFar()
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line) as { name: string; event?: string; line: string; pid?: number });
        const events = (name: string, event: string): number => records().filter((record) => record.name === name && record.event === event).length;
        await waitUntil(() => events('web.2', 'starting') === 1 && records().some((record) => record.name === 'app' && record.line === 'waiting for web.2 to be ready'), 'app to wait for web.2');
        const before = records().length;
        // Answered once app is ready, after go2: left to run.
        const restarting = runCli(['restart', 'web.1'], { cwd: dir });
        await waitUntil(() => events('web.1', 'ready') === 2, 'web.1 to be ready again');
        write(dir, 'go2', '');
        assert.equal((await restarting).code, 0);
        await waitUntil(() => events('app', 'starting') > 0, 'app to start');
        const app = records()
          .slice(before)
          .filter((record) => record.name === 'app' && record.event !== undefined && record.event !== 'waiting');
        assert.deepEqual(
          app.map(({ event, line }) => `${event ?? ''}: ${line.replace(/\d+/g, 'N')}`),
          ['starting: starting (pid N): echo app pid $$; exec sleep N'],
          cli.stdoutSoFar(),
        );
        await interrupt(cli);
      },
      ['--json'],
    );
  });

  test('a process stopped by hand is not announced as restarting when its files change; once started, a change restarts it again', BOUNDED, async () => {
    const dir = project(server, { 'src/app.ts': 'v1' });
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      await control(dir, ['stop', 'web']);
      await cli.waitForOutput(/^web +\* stopped/m);
      write(dir, 'src/app.ts', 'v2');
      await sleep(800); // the debounce (150 ms) is long past
      assert.doesNotMatch(cli.stdoutSoFar(), /restarting/, 'a restart announced that never comes');
      assert.equal(pids(cli, 'web').length, 1);
      await control(dir, ['start', 'web']);
      await nthPid(cli, 'web', 2);
      write(dir, 'src/app.ts', 'v3');
      await cli.waitForOutput(/^web +\* restarting: src\/app\.ts changed$/m);
      await nthPid(cli, 'web', 3);
      await interrupt(cli);
    });
  });

  test('a watched task stopped by hand after its run had ended is `stopped`, and stays stopped through a change; start runs it again', BOUNDED, async () => {
    const dir = project(
      `processes:
  build: { cmd: "echo build pid $$", task: true, watch: { paths: [src], debounce: 50ms } }
  web: { cmd: "echo web pid $$; exec sleep 30", dependsOn: { build: succeeded } }
`,
      { 'src/a.ts': '' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      await control(dir, ['stop', 'build']);
      const ps = await runCli(['ps', '--json'], { cwd: dir });
      assert.equal((JSON.parse(ps.stdout) as { name: string; state: string }[]).find(({ name }) => name === 'build')?.state, 'stopped', ps.stdout);
      write(dir, 'src/a.ts', 'v2');
      await sleep(600); // the debounce (50 ms) is long past
      assert.equal(pids(cli, 'build').length, 1, `build ran again:\n${cli.stdoutSoFar()}`);
      assert.equal(pids(cli, 'web').length, 1, `web was restarted:\n${cli.stdoutSoFar()}`);
      await control(dir, ['start', 'build']);
      await nthPid(cli, 'build', 2);
      await interrupt(cli);
    });
  });

  test('a change to a watched task that a start by hand queued ahead already runs starts no second life', BOUNDED, async () => {
    const dir = project(
      `processes:
  slow: { cmd: "trap 'sleep 2.5; exit 0' TERM; echo slow pid $$; while :; do sleep 0.05; done" }
  build:
    cmd: "echo build pid $$; sleep 2; echo built"
    task: true
    watch: { paths: [src], debounce: 50ms }
`,
      { 'src/a.ts': '' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'slow', 1);
      await cli.waitForOutput(/^build +\| built$/m);
      // `stop slow` holds the queue of operations for 2.5 s; `start build` waits behind it, and the
      // change's re-run of build (which has ended: it looks due) behind that.
      const stopping = runCli(['stop', 'slow'], { cwd: dir });
      await cli.waitForOutput(/^slow +\* stopping/m);
      const starting = runCli(['start', 'build'], { cwd: dir });
      await sleep(1000);
      write(dir, 'src/a.ts', 'v2');
      await cli.waitForOutput(/^build +\* restarting: src\/a\.ts changed$/m);
      assert.equal((await stopping).code, 0);
      assert.equal((await starting).code, 0);
      await sleep(2500); // long enough for the task started by hand to end
      assert.equal(pids(cli, 'build').length, 2, `two lives of build at once:\n${cli.stdoutSoFar()}`);
      await interrupt(cli);
    });
  });
});
