// Watch mode of `subvisor up` (SPEC §10): a change restarts the process. The built CLI, YAML files,
// real processes, real files changed in a temporary directory; the helpers are up-support.ts's.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, killQuietly, waitUntil } from '../../support/processes.js';
import { startCli } from '../cli.js';
import { BOUNDED, all, interrupt, nthPid, pids, project, runProcess, saveWhileWaitingForDb, server, withUp, write } from './up-support.js';

describe('a change restarts the process', () => {
  test('a change under a watched path restarts it: a new pid, and a state line naming the file', BOUNDED, async () => {
    const dir = project(server, { 'src/app.ts': 'v1' });
    await withUp(dir, async (cli) => {
      const first = await nthPid(cli, 'web', 1);
      write(dir, 'src/app.ts', 'v2');
      await cli.waitForOutput(/^web +\* restarting: src\/app\.ts changed$/m);
      const second = await nthPid(cli, 'web', 2);
      assert.notEqual(second, first);
      assert.equal(isRunning(first), false, 'the old process is gone');
      assert.match(cli.stdoutSoFar(), /^web +\* stopping \(restarting\): SIGTERM to its process group$/m);
      await interrupt(cli);
    });
  });

  test('a changed file whose name holds a newline: its state line stays one line, the newline shown as text', BOUNDED, async () => {
    const dir = project(server, { 'src/app.ts': 'v1' });
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      write(dir, 'src/a\nb.ts', 'v2');
      await cli.waitForOutput(/changed$/m);
      const run = await interrupt(cli);
      // Every line is a process's, behind its name: none is the tail end of a state line.
      const unattributed = run.stdout.split('\n').filter((line) => line !== '' && !/^web +[*|] /.test(line));
      assert.deepEqual(unattributed, [], run.stdout);
      assert.match(run.stdout, /^web +\* restarting: src\/a\\x0ab\.ts changed$/m);
    });
  });

  test('with --json, the restart is a record that names the changed file', BOUNDED, async () => {
    const dir = project(server, { 'src/app.ts': 'v1' });
    const cli = startCli(['up', '--json'], { cwd: dir });
    try {
      await cli.waitForOutput('"event":"starting"');
      write(dir, 'src/app.ts', 'v2');
      await cli.waitForOutput('"event":"restarting"');
      const records = cli.stdoutSoFar().split('\n').filter((line) => line.includes('"restarting"')).map((line) => JSON.parse(line) as Record<string, unknown>);
      const withoutTime = records.map(({ time, ...rest }) => (assert.equal(typeof time, 'string'), rest));
      assert.deepEqual(withoutTime, [
        { name: 'web', stream: 'status', line: 'restarting: src/app.ts changed', event: 'restarting', reason: 'change', path: 'src/app.ts', more: 0 },
      ]);
      await interrupt(cli);
    } finally {
      killQuietly(cli.pid);
    }
  });

  test('a burst of 20 writes within the debounce gives exactly one restart, naming one file and how many more', BOUNDED, async () => {
    const dir = project(server.replace('150ms', '400ms'), { 'src/a.ts': '', 'src/b.ts': '', 'src/c.ts': '' });
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      for (let i = 0; i < 20; i++) {
        write(dir, `src/${'abc'.charAt(i % 3)}.ts`, `${i}`);
        await sleep(5);
      }
      await nthPid(cli, 'web', 2);
      await sleep(1000); // long past the debounce: a second restart would have begun
      const restarts = all(cli.stdoutSoFar(), /^web +\* restarting: (.*)$/gm);
      assert.equal(restarts.length, 1, cli.stdoutSoFar());
      assert.match(restarts[0]?.[1] ?? '', /^src\/[abc]\.ts and 2 more changed$/);
      assert.equal(pids(cli, 'web').length, 2);
      await interrupt(cli);
    });
  });

  test('a save beside a file the process writes without a pause (its log in its watched tree) is said to wait after 10 s, naming that file and how to leave it out; the restart comes once the writes pause', { timeout: 60_000 }, async () => {
    // Every write pushed the restart back by the debounce: with one every 20 ms, never was there a
    // 1 s pause, and the save went unheard, without a word. (One process writing, not a shell
    // loop: on a loaded machine its forks could pause for a debounce.) It stops writing 14 s in.
    const writer = "const t = setInterval(() => require('fs').appendFileSync('src/app.log', 'line\\n'), 20); setTimeout(() => clearInterval(t), 14000); setInterval(() => {}, 60000);\n";
    const dir = project(server.replace('exec sleep 30', 'exec node writer.cjs').replace('150ms', '1s'), { 'src/app.ts': 'v1', 'writer.cjs': writer });
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      // The save goes into the writer's burst: a save before its first write (a node slow to start
      // on a loaded machine) would be a burst of its own, quiet after the debounce.
      await waitUntil(() => existsSync(join(dir, 'src/app.log')), 'the process to write its log', 10_000);
      write(dir, 'src/app.ts', 'v2');
      await cli.waitForOutput(/^web +\* restart waits: /m, 15_000);
      const said = all(cli.stdoutSoFar(), /^web +\* restart waits: (.*)$/gm).map((match) => match[1]);
      assert.match(said[0] ?? '', /^src\/app\.(log|ts) and 1 more changing, with no pause of 1\.0 s in 10\.0 s \(if the process writes there itself, leave that out with `ignore`\)$/);
      // One restart per burst (SPEC §10): none while the writes go on, one once they pause.
      assert.doesNotMatch(cli.stdoutSoFar(), /^web +\* restarting: /m);
      await cli.waitForOutput(/^web +\* restarting: /m, 20_000);
      // Counted once the burst is over: its writes went on for seconds after the line came.
      assert.equal(all(cli.stdoutSoFar(), /^web +\* restart waits: /gm).length, 1, 'said once a burst');
      await nthPid(cli, 'web', 2);
      assert.equal(all(cli.stdoutSoFar(), /^web +\* restarting: /gm).length, 1);
      await interrupt(cli);
    });
  });

  test("sed -i's temporary file (made, written and renamed over the file within the save) is not counted: the line names the file alone; a file removed still is a change", BOUNDED, async () => {
    // It was `src/app.ts and 1 more changed`, the one more being sed's sedXXXXXX, gone since.
    const dir = project(server, { 'src/app.ts': 'v1', 'src/old.ts': 'old' });
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      const sed = await runProcess('sed', ['-i', 's/v1/v2/', 'src/app.ts'], dir);
      assert.equal(sed, 0);
      await nthPid(cli, 'web', 2);
      rmSync(join(dir, 'src/old.ts'));
      await nthPid(cli, 'web', 3);
      assert.deepEqual(all(cli.stdoutSoFar(), /^web +\* restarting: (.*)$/gm).map((match) => match[1]), ['src/app.ts changed', 'src/old.ts changed']);
      await interrupt(cli);
    });
  });

  test('with a debounce of 10 s, a save and its formatter\'s rewrite right after are one burst, told as a save: the ceiling is past the debounce', BOUNDED, async () => {
    // The ceiling was the debounce itself when that was longer than 10 s: every burst of two
    // changes was cut at the debounce after its first, and told as a process writing there itself.
    const dir = project(server.replace('150ms', '10s'), { 'src/app.ts': 'v1' });
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      write(dir, 'src/app.ts', 'v2');
      await sleep(300);
      write(dir, 'src/app.ts', 'v2, formatted');
      await cli.waitForOutput(/^web +\* restarting: /m, 20_000);
      assert.deepEqual(all(cli.stdoutSoFar(), /^web +\* restarting: (.*)$/gm).map((match) => match[1]), ['src/app.ts changed']);
      await nthPid(cli, 'web', 2);
      await interrupt(cli);
    });
  });

  test('a process that writes into its watched tree as it starts restarts for ever, and its state lines say so from the third restart in a row', BOUNDED, async () => {
    // Each start wrote the file, each write restarted it: the lines named the file, never why.
    const dir = project(server.replace('exec sleep 30', 'date > src/build.out; exec sleep 30'), { 'src/app.ts': 'v1' });
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 4);
      const restarts = all(cli.stdoutSoFar(), /^web +\* restarting: (.*)$/gm).map((match) => match[1]);
      assert.deepEqual(restarts.slice(0, 3), [
        'src/build.out changed',
        'src/build.out changed',
        'src/build.out changed, each time soon after its start, 3 times in a row (if the process writes there itself, leave that out with `ignore`)',
      ]);
      await interrupt(cli);
    });
  });

  test('saves of the same file, each after the process has been up a while, are told as saves, without a hint', BOUNDED, async () => {
    // The control: the pattern is the same file soon after each start, not the same file alone.
    const dir = project(server, { 'src/app.ts': 'v1' });
    await withUp(dir, async (cli) => {
      for (let start = 1; start <= 3; start++) {
        await nthPid(cli, 'web', start);
        await sleep(3000);
        write(dir, 'src/app.ts', `v${start + 1}`);
      }
      await nthPid(cli, 'web', 4);
      const restarts = all(cli.stdoutSoFar(), /^web +\* restarting: (.*)$/gm).map((match) => match[1]);
      assert.deepEqual(restarts, ['src/app.ts changed', 'src/app.ts changed', 'src/app.ts changed']);
      await interrupt(cli);
    });
  });

  test('changes under node_modules, .git or an ignored glob restart nothing', BOUNDED, async () => {
    const dir = project(
      `processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    watch: { paths: ["."], ignore: ["*.log", "dist/**"], debounce: 100ms }
`,
      { 'src/app.ts': '', 'node_modules/pkg/index.js': '', '.git/HEAD': '', 'dist/out.js': '' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      write(dir, 'node_modules/pkg/index.js');
      write(dir, 'node_modules/new/deep/file.js');
      write(dir, '.git/HEAD');
      write(dir, 'src/debug.log');
      write(dir, 'dist/out.js');
      write(dir, 'dist/new/chunk.js');
      await sleep(800);
      assert.doesNotMatch(cli.stdoutSoFar(), /restarting/);
      // Control: the watch is live, and the ignored changes were not counted in the next burst.
      write(dir, 'src/app.ts');
      await cli.waitForOutput(/^web +\* restarting: src\/app\.ts changed$/m);
      await interrupt(cli);
    });
  });

  test("what Python writes as it imports (__pycache__) restarts nothing: a Python process watching its sources restarts once a save, not for its own start", BOUNDED, async () => {
    // As Python does at a start after a save (the source newer than its compiled module); here at
    // every start, so a watch that heard it would restart the process for ever.
    const dir = project(
      `processes:
  app:
    cmd: "mkdir -p __pycache__; cp mod.py __pycache__/mod.cpython-311.pyc; echo app pid $$; exec sleep 30"
    watch: { paths: ["."], debounce: 100ms }
`,
      { 'mod.py': 'X = 1' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'app', 1);
      await sleep(600);
      assert.doesNotMatch(cli.stdoutSoFar(), /restarting/, 'its own start is no change');
      write(dir, 'mod.py', 'X = 2');
      await nthPid(cli, 'app', 2);
      await sleep(600);
      const restarts = all(cli.stdoutSoFar(), /^app +\* restarting: (.*)$/gm).map((match) => match[1]);
      assert.deepEqual(restarts, ['mod.py changed'], cli.stdoutSoFar());
      await interrupt(cli);
    });
  });

  test("an editor's own files (vim's swap and backup, emacs's lock) restart nothing: opening a file restarts nothing, its save restarts once, named after it", BOUNDED, async () => {
    const dir = project(server, { 'src/app.ts': 'v1', 'src/.env': '' });
    const src = join(dir, 'src');
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      // Opened in vim (its swap file, and the 4913 it makes and removes to test the directory),
      // and in emacs, typed into (its lock, a link to nowhere, and its autosave).
      writeFileSync(join(src, '.app.ts.swp'), 'swap');
      writeFileSync(join(src, '4913'), '');
      rmSync(join(src, '4913'));
      writeFileSync(join(src, '..env.swp'), 'swap');
      symlinkSync('root@host.1234:1700000000', join(src, '.#app.ts'));
      writeFileSync(join(src, '#app.ts#'), 'v2 typed');
      await sleep(600);
      assert.doesNotMatch(cli.stdoutSoFar(), /restarting/, 'an open file is no change');
      // Saved, as vim does by default: the old file renamed to its backup, the new one written,
      // the backup removed, the swap written.
      renameSync(join(src, 'app.ts'), join(src, 'app.ts~'));
      writeFileSync(join(src, 'app.ts'), 'v2');
      rmSync(join(src, 'app.ts~'));
      writeFileSync(join(src, '.app.ts.swp'), 'swap, saved');
      await nthPid(cli, 'web', 2);
      await sleep(600);
      const restarts = all(cli.stdoutSoFar(), /^web +\* restarting: (.*)$/gm).map((match) => match[1]);
      assert.deepEqual(restarts, ['src/app.ts changed'], cli.stdoutSoFar());
      await interrupt(cli);
    });
  });

  for (const [where, logs, socketArgs, link] of [
    ['the default .subvisor/', 'logs: {}', [], undefined],
    ['a logs dir and a --socket of its own, in the watched tree', 'logs: { dir: lg }', ['--socket', 'run/ctl.sock'], undefined],
    // The watch comes to the files by the real directory, var/lg, not by the link the config names.
    ['a logs dir named by a link to a directory in the watched tree', 'logs: { dir: lg }', [], { path: 'lg', target: 'var/lg', made: ['var/lg'] }],
    // The file comes to be where the link points only once the run opens it, after the watch is set.
    ['a NAME.log that is a link to a file not made yet, in the watched tree', 'logs: { dir: lg, maxSize: 300, keep: 2 }', [], { path: 'lg/w.log', target: '../var/w.log', made: ['lg', 'var'] }],
    // The log directory holds the watched root itself: only its files are left out, rotated ones too.
    ['log files beside the config, dir: ., rotated as the process writes', 'logs: { dir: ., maxSize: 300, keep: 2 }', [], undefined],
  ] as const) {
    test(`the run's own files (${where}) restart nothing: a process that writes while watching the project's root does not restart for ever`, BOUNDED, async () => {
      const dir = project(
        `${logs}
processes:
  w:
    cmd: "echo w pid $$; while :; do echo tick; sleep 0.05; done"
    watch: { paths: ["."], debounce: 50ms }
`,
        { 'src/app.ts': '' },
      );
      if (link !== undefined) {
        for (const made of link.made) mkdirSync(join(dir, made), { recursive: true });
        symlinkSync(link.target, join(dir, link.path));
      }
      const cli = startCli(['up', ...socketArgs], { cwd: dir });
      try {
        await nthPid(cli, 'w', 1);
        await cli.waitForOutput(/(?:^w +\| tick\n[^]*){10}/m);
        await sleep(600);
        assert.doesNotMatch(cli.stdoutSoFar(), /restarting/, 'its log lines are not changes');
        // Control: the watch is live.
        write(dir, 'src/app.ts');
        await cli.waitForOutput(/^w +\* restarting: src\/app\.ts changed$/m);
        await interrupt(cli);
      } finally {
        killQuietly(cli.pid, ...pids(cli, 'w'));
        await Promise.race([cli.done, sleep(5000)]);
      }
    });
  }

  test('its dependents stop first and start again after it', BOUNDED, async () => {
    const trap = (name: string): string => `"trap 'echo ${name} got TERM; exit 0' TERM; echo ${name} pid $$; while :; do sleep 0.05; done"`;
    const dir = project(
      `processes:
  db:
    cmd: ${trap('db')}
    ready: "db pid"
    watch: { paths: [schema.sql], debounce: 50ms }
  web: { cmd: ${trap('web')}, dependsOn: [db] }
  worker: { cmd: ${trap('worker')}, dependsOn: [web] }
`,
      { 'schema.sql': 'create table t();' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'worker', 1);
      write(dir, 'schema.sql', 'create table u();');
      await nthPid(cli, 'worker', 2);
      const lines = cli.stdoutSoFar().split('\n');
      const at = (pattern: RegExp): number => lines.findIndex((line, i) => i > lines.findIndex((l) => /restarting: schema\.sql changed/.test(l)) && pattern.test(line));
      assert.ok(at(/^worker +\* stopped/) < at(/^web +\* stopping/), 'worker stopped before web is asked to');
      assert.ok(at(/^web +\* stopped/) < at(/^db +\* stopping/), 'web stopped before db is asked to');
      assert.ok(at(/^db +\* ready/) < at(/^web +\* starting \(pid/), 'web starts again once db is ready again');
      assert.ok(at(/^web +\* starting \(pid/) < at(/^worker +\* starting \(pid/));
      await interrupt(cli);
    });
  });

  test('a change to a process still waiting for what it depends on restarts nothing: no restarting or stopped line for a life that never began; it starts once, later', BOUNDED, async () => {
    // web waited for db (postgres recovering) when its file was saved: `web * restarting`, then
    // `web * stopped`, told of a process that had never run, and `stopped` records were counted.
    // sib watches the same file and goes first in the lane (start order), then a file of its own:
    // its third start comes after whatever the lane held for web.
    const dir = project(
      `processes:
  sib: { cmd: "echo sib pid $$; exec sleep 30", watch: { paths: [src, own], debounce: 100ms } }
  db: { cmd: "while [ ! -e go ]; do sleep 0.05; done; echo db up; exec sleep 30", ready: "db up" }
  web: { cmd: "echo web pid $$; exec sleep 30", dependsOn: [db], watch: { paths: [src], debounce: 100ms } }
`,
      { 'src/app.ts': 'v1', 'own/x': '1' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^web +\* waiting for db to be ready$/m);
      await nthPid(cli, 'sib', 1);
      await saveWhileWaitingForDb(cli, dir);
      await nthPid(cli, 'web', 1);
      const run = await interrupt(cli);
      const web = run.stdout.split('\n').filter((line) => /^web +\* /.test(line));
      assert.match(web[0] ?? '', /^web +\* waiting for db to be ready$/, run.stdout);
      assert.match(web[1] ?? '', /^web +\* starting \(pid \d+\)/, run.stdout);
      assert.equal(pids(cli, 'web').length, 1, run.stdout);
    });
  });

  test('a change during a restart queues one more restart after it: not lost, not doubled', BOUNDED, async () => {
    const dir = project(
      `processes:
  web:
    cmd: "trap 'sleep 0.8; exit 0' TERM; echo web pid $$; while :; do sleep 0.05; done"
    watch: { paths: [src], debounce: 50ms }
`,
      { 'src/a.ts': '', 'src/b.ts': '' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      write(dir, 'src/a.ts');
      await cli.waitForOutput(/^web +\* stopping \(restarting\): SIGTERM to its process group$/m);
      // The stop takes 0.8 s: three changes, each a burst of its own, while it goes on.
      for (let i = 0; i < 3; i++) {
        write(dir, 'src/b.ts', `${i}`);
        await sleep(150);
      }
      await nthPid(cli, 'web', 3);
      await sleep(1200);
      const restarts = all(cli.stdoutSoFar(), /^web +\* restarting: (.*)$/gm).map((match) => match[1]);
      assert.deepEqual(restarts, ['src/a.ts changed', 'src/b.ts changed'], cli.stdoutSoFar());
      assert.equal(pids(cli, 'web').length, 3);
      await interrupt(cli);
    });
  });
});
