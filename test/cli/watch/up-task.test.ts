// Watch mode of `subvisor up` (SPEC §10): a watched task re-runs on a change, and what follows it. The built CLI, YAML files,
// real processes, real files changed in a temporary directory; the helpers are up-support.ts's.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, killQuietly, waitUntil } from '../../support/processes.js';
import { freePort } from '../../support/network.js';
import { runCli, startCli, type RunningCli } from '../cli.js';
import { BOUNDED, all, control, interrupt, nthPid, pids, project, withUp, write } from './up-support.js';

describe('a watched task', () => {
  test('re-runs on a change; its dependent restarts only after a build that succeeded, and a broken one leaves the last good server serving', BOUNDED, async () => {
    const port = await freePort();
    const dir = project(
      `processes:
  build:
    cmd: "if grep -q broken src/app.txt; then echo syntax error >&2; exit 1; fi; mkdir -p dist; cp src/app.txt dist/app.txt; echo built"
    task: true
    watch: { paths: [src], debounce: 100ms }
  web:
    cmd: [node, server.mjs]
    env: { PORT: "${port}" }
    dependsOn: { build: succeeded }
    ready: listening
`,
      {
        'src/app.txt': 'v1',
        'server.mjs': `import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const version = readFileSync('dist/app.txt', 'utf8');
console.log('web pid ' + process.pid);
createServer((_req, res) => res.end(process.pid + ' ' + version)).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`,
      },
    );
    const ask = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/`)).text();
    await withUp(dir, async (cli) => {
      const first = await nthPid(cli, 'web', 1);
      await cli.waitForOutput(/^web +\* ready/m);
      assert.equal(await ask(), `${first} v1`);

      write(dir, 'src/app.txt', 'v2');
      await cli.waitForOutput(/^build +\* restarting: src\/app\.txt changed$/m);
      const second = await nthPid(cli, 'web', 2);
      await cli.waitForOutput(/(?:^web +\* ready.*\n[^]*){2}/m);
      assert.equal(await ask(), `${second} v2`);

      write(dir, 'src/app.txt', 'broken');
      await cli.waitForOutput(/^build +\* the run goes on: the next change starts it again$/m);
      assert.match(cli.stdoutSoFar(), /^build +\* exited with status 1\n(?:.*\n)*build +\* the run goes on/m, 'its exit, then what follows (README)');
      // Before, the second line said the exit again: `build * exited with status 1; the run goes on: ...`.
      assert.equal(all(cli.stdoutSoFar(), /^build +\* exited with status 1/gm).length, 1, cli.stdoutSoFar());
      assert.equal(await ask(), `${second} v2`, 'the last good server still serves');

      write(dir, 'src/app.txt', 'v3');
      const third = await nthPid(cli, 'web', 3);
      await cli.waitForOutput(/(?:^web +\* ready.*\n[^]*){3}/m);
      assert.equal(await ask(), `${third} v3`);
      assert.equal(all(cli.stdoutSoFar(), /^build +\| built$/gm).length, 3);
      // Rather than a wait for a stop that must not come: the next good build, before which a stop
      // for the broken one would have been said, however slow the machine.
      const lines = cli.stdoutSoFar().split('\n');
      const broken = lines.findIndex((line) => /^build +\* the run goes on/.test(line));
      const rebuilt = lines.findLastIndex((line) => /^build +\| built$/.test(line));
      assert.deepEqual(lines.slice(broken, rebuilt).filter((line) => /^web +\* stopping/.test(line)), [], `web was not stopped for the broken build\n${lines.join('\n')}`);
      assert.equal(all(cli.stdoutSoFar(), /^web +\* stopping/gm).length, 2, cli.stdoutSoFar());
      await interrupt(cli);
    });
  });

  test("--json: a watched task's failed re-run is one failed record, with its reason and code, then a tolerated one saying the run goes on", BOUNDED, async () => {
    const dir = project(
      `processes:
  build: { cmd: "exit $(cat src/code)", task: true, watch: { paths: [src], debounce: 50ms } }
  web: { cmd: "exec sleep 30", dependsOn: { build: succeeded } }
`,
      { 'src/code': '0' },
    );
    const cli = startCli(['up', '--json'], { cwd: dir });
    try {
      await cli.waitForOutput(/"name":"web",[^\n]*"event":"starting"/);
      write(dir, 'src/code', '1');
      await cli.waitForOutput(/"line":"the run goes on[^\n]*\n/);
      const sofar = cli.stdoutSoFar();
      // Whole lines only: a record after these may be half written.
      const failed = sofar
        .slice(0, sofar.lastIndexOf('\n'))
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((record) => record.name === 'build' && (record.event === 'failed' || record.event === 'tolerated'));
      // Before, the run-goes-on record was a second `failed` one: a script counting failures counted two.
      assert.deepEqual(
        failed.map(({ event, reason, code, returncode }) => ({ event, reason, code, returncode })),
        [
          { event: 'failed', reason: 'exit', code: 'ERR_SUBVISOR_CALLED_PROCESS', returncode: 1 },
          { event: 'tolerated', reason: undefined, code: undefined, returncode: undefined },
        ],
      );
      await interrupt(cli);
    } finally {
      killQuietly(cli.pid, ...all(cli.stdoutSoFar(), /"event":"starting","pid":(\d+)/g).map((match) => Number(match[1])));
      await Promise.race([cli.done, sleep(5000)]);
    }
  });

  test('re-run by hand (start, restart) and failing, it ends nothing either: the client says so, the next change recovers', BOUNDED, async () => {
    const dir = project(
      `processes:
  build: { cmd: "echo building; exit $(cat src/code)", task: true, watch: { paths: [src], debounce: 50ms } }
  web: { cmd: "echo web up; exec sleep 30", dependsOn: { build: succeeded }, ready: up }
`,
      { 'src/code': '0' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^web +\* ready/m);
      write(dir, 'src/code', '1');
      await cli.waitForOutput(/^build +\* the run goes on/m);
      const started = await runCli(['start', 'build'], { cwd: dir });
      assert.equal(started.code, 1, started.stdout);
      assert.equal(started.stderr, 'subvisor: build did not succeed: exited with status 1\n');
      const restarted = await runCli(['restart', 'build'], { cwd: dir });
      assert.equal(restarted.code, 1, restarted.stdout);
      assert.match(restarted.stderr, /^subvisor: (build did not succeed: exited with status 1|web did not become ready: .*build failed \(status 1\))/);
      // The answer comes by the socket, the line by up's stdout: under load the answer may be read
      // first (2 !== 3), so the third line is waited for, and then there must be no other.
      const failures = (): number => all(cli.stdoutSoFar(), /^build +\* the run goes on/gm).length;
      await waitUntil(() => failures() >= 3, 'the third failure of build to be said', 10_000).catch(() => undefined);
      assert.equal(failures(), 3, cli.stdoutSoFar());
      write(dir, 'src/code', '0');
      await nthPid(cli, 'web', 2); // the fix brings the server back: the run never ended
      await interrupt(cli);
    });
  });

  test('a fix saved while the first run of a watched task is under way cuts that run short: the build runs again, and the run goes on', BOUNDED, async () => {
    const dir = project(
      `processes:
  build: { cmd: "c=$(cat src/code); echo build start; sleep 1; exit $c", task: true, watch: { paths: [src], debounce: 50ms } }
  web: { cmd: "echo web up; exec sleep 30", dependsOn: { build: succeeded } }
`,
      { 'src/code': '1' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^build +\| build start$/m);
      write(dir, 'src/code', '0');
      await cli.waitForOutput(/^web +\| web up$/m);
      assert.match(cli.stdoutSoFar(), /^build +\* stopping \(restarting\)/m, cli.stdoutSoFar());
      const run = await interrupt(cli);
      assert.equal(run.code, 130, run.stderr);
    });
  });

  test('a change to a dependent while its dependency waits out a restart backoff does not hold up the change that fixes the dependency', BOUNDED, async () => {
    const dir = project(
      `processes:
  x:
    cmd: "echo x up; sleep 0.3; exit $(cat x/code)"
    restart: { policy: on-failure, max: 5, backoff: 20s }
    watch: [x]
  d: { cmd: "echo d up; exec sleep 30", dependsOn: { x: started }, watch: [d] }
`,
      { 'x/code': '1', 'd/f': '0' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^x +\* restarting in 20\.0 s/m);
      write(dir, 'd/f'); // d restarts, and waits for x, down in its backoff
      await cli.waitForOutput(/^d +\* waiting for x to start$[\s\S]*^d +\* waiting for x to start$/m);
      write(dir, 'x/code', '0'); // the fix: x restarts at once, not 20 s later
      await cli.waitForOutput(/^x +\| x up$[\s\S]*^x +\| x up$/m, 8000);
      await nthPid(cli, 'd', 2);
      await interrupt(cli);
    });
  });

  test('a fix saved while a re-run of a watched task waits out its restart backoff runs it at once, and restarts its dependent once', BOUNDED, async () => {
    const dir = project(
      buildInBackoff({ rest: '  web: { cmd: "echo web up; exec sleep 30", dependsOn: { build: succeeded }, watch: [views] }\n' }),
      { 'src/code': '0', 'views/page.html': 'v1' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      await breakTheBuild(dir, cli);
      write(dir, 'src/code', '0'); // the fix, while the broken re-run waits 20 s to try again
      await nthPid(cli, 'web', 2);
      // Rather than a wait for a second build or restart that must not come: a later change of
      // web's own, whose restart is said after any the fix would have queued.
      write(dir, 'views/page.html', 'v2');
      await cli.waitForOutput(/^web +\* restarting: views\/page\.html changed$/m);
      await nthPid(cli, 'web', 3);
      const output = cli.stdoutSoFar();
      assert.equal(all(output, /^build +\| building$/gm).length, 3, `the fix ran the build once, at once\n${output}`);
      assert.equal(pids(cli, 'web').length, 3, `web restarted once for the fix, and once for its own change\n${output}`);
      await interrupt(cli);
    });
  });

  test('a change saved while a re-run of a watched task is still trying does not wait out the backoff that follows its failure', BOUNDED, async () => {
    // Each try waits for the file `go`, so the change comes while the re-run's try is under way.
    const dir = project(buildInBackoff({ before: 'echo building; while [ ! -e go ]; do sleep 0.05; done' }), { 'src/code': '0', go: '' });
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^build +\* exited with status 0/m);
      rmSync(join(dir, 'go'));
      write(dir, 'src/code', '1');
      await cli.waitForOutput(/^build +\| building$[\s\S]*^build +\| building$/m);
      write(dir, 'src/other'); // heard while the try is under way: it is not in its backoff yet
      await sleep(500); // its burst ends (50 ms) before the try does; later, the test proves less, never fails
      write(dir, 'go');
      await cli.waitForOutput(/^build +\* restarting in 20\.0 s/m);
      // Before: the change waited out the 20 s backoff, and the policy's own try, before its run.
      await cli.waitForOutput(/^build +\* stopped while waiting to restart$/m, 8000);
      await cli.waitForOutput(/^build +\* restarting: src\/other changed$\n^build +\* starting \(after a change\)$/m, 8000);
      await interrupt(cli);
    });
  });

  test('a temporary file made and removed within the debounce, while a re-run of a watched task waits out its restart backoff, changes nothing: the backoff goes on', BOUNDED, async () => {
    // A wide debounce, so that a stalled test cannot leave the temporary file there when the burst ends.
    const dir = project(buildInBackoff({ debounce: '1500ms' }), { 'src/code': '0' });
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^build +\* exited with status 0/m);
      await breakTheBuild(dir, cli);
      // A temporary file (not an editor's, which is never heard), seen made, and gone again within the debounce.
      write(dir, 'src/code.new');
      await sleep(100);
      rmSync(join(dir, 'src/code.new'));
      await sleep(2500); // its burst ends (1.5 s); later, the test proves less, never fails
      const beforeTheFix = cli.stdoutSoFar();
      // Rather than a wait for an end of the backoff that must not come: the fix, which ends it.
      write(dir, 'src/code', '0');
      await cli.waitForOutput(/^build +\* stopped while waiting to restart$[\s\S]*^build +\* exited with status 0/m);
      assert.doesNotMatch(beforeTheFix, /^build +\* stopped while waiting to restart$/m, `the backoff was cut short for no change\n${cli.stdoutSoFar()}`);
      assert.match(cli.stdoutSoFar().slice(beforeTheFix.length), /^build +\* restarting: src\/code changed$/m, 'the fix alone is named');
      await interrupt(cli);
    });
  });

  test('a change while a run of the task started by hand is under way: that run ends first, then the task runs again on its own; the server it feeds is never stopped', BOUNDED, async () => {
    const dir = project(
      `processes:
  build: { cmd: "echo build start; sleep 0.8; grep -q ok flag && echo build done", task: true, watch: { paths: [src], debounce: 50ms } }
  web: { cmd: "echo web up; exec sleep 30", dependsOn: { build: succeeded }, ready: up }
`,
      { 'src/code': '0', flag: 'ok' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^web +\* ready/m);
      write(dir, 'flag', 'bad');
      const started = runCli(['start', 'build'], { cwd: dir });
      await cli.waitForOutput(/(?:^build +\| build start\n[^]*){2}/m);
      write(dir, 'src/code', '1'); // while the build started by hand runs
      assert.equal((await started).code, 1, 'the build by hand failed, and said so');
      await cli.waitForOutput(/(?:^build +\| build start\n[^]*){3}/m);
      await cli.waitForOutput(/(?:^build +\* the run goes on[^\n]*\n[^]*){2}/m);
      assert.doesNotMatch(cli.stdoutSoFar(), /^web +\* stopping/m, 'the last good server kept serving');
      assert.equal(pids(cli, 'web').length, 1, cli.stdoutSoFar());
      await interrupt(cli);
    });
  });

  test('restarted by hand and failing, with main among its dependents: main waits for the next change, the run goes on', BOUNDED, async () => {
    const dir = project(
      `processes:
  build: { cmd: "echo building; exit $(cat src/code)", task: true, watch: { paths: [src], debounce: 50ms } }
  e2e: { cmd: "echo e2e ran; while [ ! -f done ]; do sleep 0.05; done", dependsOn: { build: succeeded }, main: true }
`,
      { 'src/code': '0' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^e2e +\| e2e ran$/m);
      write(dir, 'src/code', '1');
      await cli.waitForOutput(/^build +\* the run goes on/m);
      const restarted = await runCli(['restart', 'build'], { cwd: dir });
      assert.equal(restarted.code, 1, restarted.stdout);
      await cli.waitForOutput(/^e2e +\* not started: build failed \(status 1\)\n(?:.*\n)*e2e +\* the run goes on: the next change starts it again$/m);
      write(dir, 'src/code', '0');
      await cli.waitForOutput(/(?:^e2e +\| e2e ran\n[^]*){2}/m);
      write(dir, 'done');
      const run = await Promise.race([cli.done, sleep(10_000).then(() => undefined)]);
      assert.equal(run?.code, 0, `main ended the run when it was done, not before:\n${cli.stdoutSoFar()}`);
    });
  });

  test('restarted by hand and failing, with main two levels down (build <- web <- e2e): both wait for the next change, the run goes on', BOUNDED, async () => {
    const dir = project(
      `processes:
  build: { cmd: "echo building; exit $(cat src/code)", task: true, watch: { paths: [src], debounce: 50ms } }
  web: { cmd: "echo web up; exec sleep 30", dependsOn: { build: succeeded }, ready: up }
  e2e: { cmd: "echo e2e ran; while [ ! -f done ]; do sleep 0.05; done", dependsOn: [web], main: true }
`,
      { 'src/code': '0' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^e2e +\| e2e ran$/m);
      write(dir, 'src/code', '1');
      const restarted = await runCli(['restart', 'build'], { cwd: dir });
      assert.equal(restarted.code, 1, restarted.stdout);
      await cli.waitForOutput(/^e2e +\* not started: web was not started \(build failed \(status 1\)\)\n(?:.*\n)*e2e +\* the run goes on: the next change starts it again$/m);
      assert.equal((await runCli(['ps'], { cwd: dir })).code, 0, `the run is still up:\n${cli.stdoutSoFar()}`);
      write(dir, 'src/code', '0');
      await cli.waitForOutput(/(?:^e2e +\| e2e ran\n[^]*){2}/m);
      write(dir, 'done');
      const run = await Promise.race([cli.done, sleep(10_000).then(() => undefined)]);
      assert.equal(run?.code, 0, `main ended the run when it was done, not before:\n${cli.stdoutSoFar()}`);
    });
  });

  test('...but a main kept from starting by a dependency stopped by hand still ends the run, its build having succeeded', BOUNDED, async () => {
    const dir = project(
      `processes:
  db: { cmd: "exec sleep 30", ready: { exec: "false", interval: 50ms } }
  build: { cmd: "echo building", task: true, watch: { paths: [src], debounce: 50ms } }
  e2e: { cmd: "echo e2e ran", dependsOn: { build: succeeded, db: ready }, main: true }
`,
      { 'src/code': '0' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^build +\* exited with status 0/m);
      // Build is forgiven from now on, and succeeds; the client waits for e2e, which waits for db.
      const restarting = runCli(['restart', 'build'], { cwd: dir });
      await cli.waitForOutput(/(?:^build +\* exited with status 0.*\n[^]*){2}/m);
      // db never became ready: stopped now, it never will, and e2e cannot start. Not build's doing.
      await control(dir, ['stop', 'db']);
      const run = await Promise.race([cli.done, sleep(10_000).then(() => undefined)]);
      assert.ok(run !== undefined, `the run went on without its main:\n${cli.stdoutSoFar()}`);
      assert.notEqual(run.code, 0);
      assert.equal((await restarting).code, 1);
      assert.match(run.stdout, /^e2e +\* not started: db was stopped$/m);
      assert.doesNotMatch(run.stdout, /^e2e .*the run goes on/m);
    });
  });

  /**
   * A build task and a web process that depends on it, both watching src/ (with the same debounce,
   * unless told); web watches views/ too, for a later change of its own alone.
   */
  const buildAndWeb = (buildCmd: string, source: string, debounces: { readonly web: string; readonly build: string } = { web: '100ms', build: '100ms' }): string =>
    project(
      `processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    dependsOn: { build: succeeded }
    watch: { paths: [src, views], debounce: ${debounces.web} }
  build:
    cmd: "${buildCmd}"
    task: true
    watch: { paths: [src], debounce: ${debounces.build} }
`,
      { 'src/a.ts': source, 'views/page.html': 'v1' },
    );

  // With the same debounce the bursts end together; with the dependent's the shorter, its burst
  // waits for the task's. Either way the one restart comes with the task's run, after it.
  for (const [debounces, title] of [
    [{ web: '100ms', build: '100ms' }, 'a task and its dependent watching the same file: one save runs the task once and restarts the dependent once'],
    [{ web: '30ms', build: '600ms' }, "...also when the dependent's debounce is the shorter: its burst waits for the task's"],
  ] as const) {
    test(title, BOUNDED, async () => {
      const dir = buildAndWeb('echo built', 'v1', debounces);
      await withUp(dir, async (cli) => {
        await nthPid(cli, 'web', 1);
        write(dir, 'src/a.ts', 'v2');
        await nthPid(cli, 'web', 2);
        // Rather than a wait for a second restart that must not come: a later change of web's own,
        // whose restart is said after any second one of the save would be.
        write(dir, 'views/page.html', 'v2');
        await cli.waitForOutput(/^web +\* restarting: views\/page\.html changed$/m);
        await nthPid(cli, 'web', 3);
        const output = cli.stdoutSoFar();
        assert.equal(pids(cli, 'build').length, 2, output);
        assert.equal(pids(cli, 'web').length, 3, output);
        assert.equal(all(output, /^web +\* stopping/gm).length, 2, output);
        assert.ok(output.lastIndexOf('build | built') < output.lastIndexOf('web pid'), `the web that runs came after the new build\n${output}`);
        await interrupt(cli);
      });
    });
  }

  test('a save while the task runs again for the last one: the task runs once more, then the dependent restarts once, never on the old build', BOUNDED, async () => {
    const dir = buildAndWeb('sleep 1; echo built', 'v1');
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      write(dir, 'src/a.ts', 'v2');
      await nthPid(cli, 'build', 2);
      write(dir, 'src/a.ts', 'v3'); // while that build runs: the dependent's burst ends with the task's
      await nthPid(cli, 'web', 3);
      // Rather than a wait for one more restart that must not come: a later change of web's own,
      // whose restart is said after any the chain would have queued.
      write(dir, 'views/page.html', 'v2');
      await cli.waitForOutput(/^web +\* restarting: views\/page\.html changed$/m);
      await nthPid(cli, 'web', 4);
      const output = cli.stdoutSoFar();
      const starts = all(output, /^(build|web) +\* starting \(pid/gm).map((match) => match[1]);
      assert.deepEqual(starts, ['build', 'web', 'build', 'web', 'build', 'web', 'web'], output);
      assert.deepEqual(all(output, /^web +\* restarting: (.*)$/gm).map((match) => match[1]), ['views/page.html changed'], `web restarted only by its task's chain, then its own change\n${output}`);
      await interrupt(cli);
    });
  });

  test("a dependent's own change during its task's chain restarts it once more, for that change alone: the save the chain dealt with is not named again", BOUNDED, async () => {
    const dir = project(
      `processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    dependsOn: { build: succeeded }
    watch: { paths: [src, views], debounce: 100ms }
  build:
    cmd: "sleep 1; echo built"
    task: true
    watch: { paths: [src], debounce: 100ms }
`,
      { 'src/a.ts': 'v1', 'views/page.html': 'v1' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      write(dir, 'src/a.ts', 'v2');
      await nthPid(cli, 'build', 2);
      write(dir, 'views/page.html', 'v2'); // web's alone, while the chain's build runs
      await nthPid(cli, 'web', 3);
      // Rather than a wait for a restart that must not come: another change of web's own, whose
      // restart is said after any other the first would have queued.
      write(dir, 'views/other.html', 'v1');
      await cli.waitForOutput(/^web +\* restarting: views\/other\.html changed$/m);
      await nthPid(cli, 'web', 4);
      const output = cli.stdoutSoFar();
      assert.deepEqual(all(output, /^web +\* restarting: (.*)$/gm).map((match) => match[1]), ['views/page.html changed', 'views/other.html changed'], output);
      assert.equal(pids(cli, 'web').length, 4, output);
      await interrupt(cli);
    });
  });

  test('...and a save that breaks the task leaves the dependent running, though its own watch saw the save', BOUNDED, async () => {
    const dir = buildAndWeb('grep -q good src/a.ts && echo built', 'good 1');
    await withUp(dir, async (cli) => {
      const first = await nthPid(cli, 'web', 1);
      write(dir, 'src/a.ts', 'broken');
      await cli.waitForOutput(/^build +\* the run goes on: the next change starts it again$/m);
      assert.equal(isRunning(first), true, 'the last good web still runs');
      write(dir, 'src/a.ts', 'good 2');
      await cli.waitForOutput(/(?:^build +\| built\n[^]*){2}/m);
      await nthPid(cli, 'web', 2);
      // Rather than waits for restarts that must not come: the next good build, before which a
      // stop of web for the broken save would have been said; then a later change of web's own,
      // whose restart is said after any other the good save would have queued.
      const lines = cli.stdoutSoFar().split('\n');
      const broken = lines.findIndex((line) => /^build +\* the run goes on/.test(line));
      const rebuilt = lines.findLastIndex((line) => /^build +\| built$/.test(line));
      assert.deepEqual(lines.slice(broken, rebuilt).filter((line) => /^web +\* (?:restarting|stopping|stopped)/.test(line)), [], lines.join('\n'));
      write(dir, 'views/page.html', 'v2');
      await cli.waitForOutput(/^web +\* restarting: views\/page\.html changed$/m);
      await nthPid(cli, 'web', 3);
      assert.equal(pids(cli, 'web').length, 3, cli.stdoutSoFar());
      await interrupt(cli);
    });
  });

  test('a task whose runs retrigger themselves cannot starve the restart of another process', BOUNDED, async () => {
    const dir = project(
      `processes:
  loop:
    cmd: "if [ -f src/loop/go ]; then date > src/loop/out; fi; sleep 0.3; echo looped"
    task: true
    watch: { paths: [src/loop], debounce: 50ms }
  other:
    cmd: "echo other pid $$; exec sleep 30"
    watch: { paths: [src/other], debounce: 50ms }
`,
      { 'src/loop/.keep': '', 'src/other/x': '' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'other', 1);
      await cli.waitForOutput(/^loop +\| looped$/m);
      // From now on each run of loop (ended, so run again as a task: the lane waits for it) changes
      // its own watched tree while it runs: whenever the lane picks, loop is waiting again.
      write(dir, 'src/loop/go');
      await nthPid(cli, 'loop', 4);
      write(dir, 'src/other/x', 'changed');
      await nthPid(cli, 'other', 2);
      await interrupt(cli);
    });
  });

  test('a run whose processes have all ended keeps watching; the next change runs the task again', BOUNDED, async () => {
    const dir = project(
      `processes:
  test:
    cmd: "echo test pid $$; echo ran"
    task: true
    watch: { paths: [src], debounce: 50ms }
`,
      { 'src/a.ts': '' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^test +\* exited with status 0/m);
      await sleep(400);
      assert.equal(isRunning(cli.pid), true, 'the run goes on, watching');
      write(dir, 'src/a.ts');
      await nthPid(cli, 'test', 2);
      await interrupt(cli);
    });
  });
});

/**
 * A config whose watched task `build` (it says `building`, via `before`, then exits with the number
 * in src/code) waits 20 s to try again after a failed re-run; `rest` adds processes.
 */
function buildInBackoff({ before = 'echo building', debounce = '50ms', rest = '' }: { before?: string; debounce?: string; rest?: string }): string {
  return `processes:
  build:
    cmd: "${before}; exit $(cat src/code)"
    task: true
    restart: { policy: on-failure, max: 3, backoff: 20s }
    watch: { paths: [src], debounce: ${debounce} }
${rest}`;
}

/** A change that breaks `build` (see {@link buildInBackoff}): its re-run fails, and waits out its backoff. */
async function breakTheBuild(dir: string, cli: RunningCli): Promise<void> {
  write(dir, 'src/code', '1');
  await cli.waitForOutput(/^build +\* restarting in 20\.0 s/m);
}
