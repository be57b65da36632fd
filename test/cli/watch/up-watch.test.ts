// Watch mode of `subvisor up` (SPEC §10): the built CLI, YAML files, real processes, real files
// changed in a temporary directory.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, killQuietly, waitUntil } from '../../support/processes.js';
import { freePort } from '../../support/network.js';
import { runCli, startCli, type CliRun, type RunningCli } from '../cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-watch-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let projects = 0;
const BOUNDED = { timeout: 30_000 };
const PYTHON = '/usr/bin/python3';

/** A fresh directory holding subvisor.yaml and `files` (path → content). */
function project(yaml: string, files: Record<string, string> = {}): string {
  const dir = join(scratch, `p${projects++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'subvisor.yaml'), yaml);
  for (const [path, content] of Object.entries(files)) write(dir, path, content);
  return dir;
}

function write(dir: string, path: string, content = `${Date.now()}\n`): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

/** Every match of `pattern` (global, multiline) in `text`. */
function all(text: string, pattern: RegExp): RegExpExecArray[] {
  return [...text.matchAll(pattern)];
}

/** The pids of `name`'s starts, from its `starting (pid N)` state lines, in order. */
function pids(cli: RunningCli, name: string): number[] {
  return all(cli.stdoutSoFar(), new RegExp(`^${name} +\\* starting \\(pid (\\d+)\\)`, 'gm')).map((match) => Number(match[1]));
}

/** Waits until `name` has started `count` times; returns the pid of that start. */
async function nthPid(cli: RunningCli, name: string, count: number): Promise<number> {
  await waitUntil(() => pids(cli, name).length >= count, `${name} to print its pid ${count} times`, 10_000).catch((error: unknown) => {
    throw new Error(`${String(error)}; got:\n${cli.stdoutSoFar()}`);
  });
  const pid = pids(cli, name)[count - 1];
  assert.ok(pid !== undefined);
  return pid;
}

/** Runs `command ARGS` in `cwd` to its end; resolves with its exit status. */
async function runProcess(command: string, args: readonly string[], cwd: string): Promise<number | null> {
  const child = spawn(command, args, { cwd, stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/** The first Ctrl-C: the run must end promptly (watches closed), with 130. */
async function interrupt(cli: RunningCli): Promise<CliRun> {
  cli.kill('SIGINT');
  const run = await Promise.race([cli.done, sleep(5000).then(() => undefined)]);
  assert.ok(run !== undefined, `the run did not end within 5 s of Ctrl-C:\n${cli.stdoutSoFar()}`);
  assert.equal(run.code, 130, run.stderr);
  return run;
}

/** Runs `body` with the CLI started in `dir`; whatever happens, nothing is left running. */
async function withUp(dir: string, body: (cli: RunningCli) => Promise<void>): Promise<void> {
  const cli = startCli(['up'], { cwd: dir });
  try {
    await body(cli);
  } finally {
    killQuietly(cli.pid, ...all(cli.stdoutSoFar(), /starting \(pid (\d+)\)/g).map((match) => Number(match[1])));
    await Promise.race([cli.done, sleep(5000)]);
  }
}

const server = `processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    watch: { paths: [src], debounce: 150ms }
`;

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
      await cli.waitForOutput(/^build +\* exited with status 1; the run goes on: the next change starts it again$/m);
      assert.match(cli.stdoutSoFar(), /^build +\* exited with status 1\n(?:.*\n)*build +\* exited with status 1; the run goes on/m, 'its exit, then what follows (README)');
      await sleep(500);
      assert.equal(await ask(), `${second} v2`, 'the last good server still serves');
      assert.equal(all(cli.stdoutSoFar(), /^web +\* stopping/gm).length, 1, 'web was not stopped for the broken build');

      write(dir, 'src/app.txt', 'v3');
      const third = await nthPid(cli, 'web', 3);
      await cli.waitForOutput(/(?:^web +\* ready.*\n[^]*){3}/m);
      assert.equal(await ask(), `${third} v3`);
      assert.equal(all(cli.stdoutSoFar(), /^build +\| built$/gm).length, 3);
      await interrupt(cli);
    });
  });

  test("--json: a watched task's failed re-run says its reason and code in both its failed records, the exit's and the run-goes-on one", BOUNDED, async () => {
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
      await cli.waitForOutput(/"line":"exited with status 1; the run goes on[^\n]*\n/);
      const sofar = cli.stdoutSoFar();
      // Whole lines only: a record after these may be half written.
      const failed = sofar
        .slice(0, sofar.lastIndexOf('\n'))
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((record) => record.name === 'build' && record.event === 'failed');
      // Before, the run-goes-on record had no fields at all: a script switching on `reason` missed it.
      assert.deepEqual(
        failed.map(({ reason, code, returncode }) => ({ reason, code, returncode })),
        [1, 2].map(() => ({ reason: 'exit', code: 'ERR_SUBVISOR_CALLED_PROCESS', returncode: 1 })),
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
      await cli.waitForOutput(/^build +\* exited with status 1; the run goes on/m);
      const started = await runCli(['start', 'build'], { cwd: dir });
      assert.equal(started.code, 1, started.stdout);
      assert.equal(started.stderr, 'subvisor: build did not succeed: build failed (status 1)\n');
      const restarted = await runCli(['restart', 'build'], { cwd: dir });
      assert.equal(restarted.code, 1, restarted.stdout);
      assert.match(restarted.stderr, /^subvisor: (build did not succeed|web did not become ready): .*build failed \(status 1\)/);
      assert.equal(all(cli.stdoutSoFar(), /^build +\* exited with status 1; the run goes on/gm).length, 3, cli.stdoutSoFar());
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
      `processes:
  build:
    cmd: "echo building; exit $(cat src/code)"
    task: true
    restart: { policy: on-failure, max: 3, backoff: 20s }
    watch: { paths: [src], debounce: 50ms }
  web: { cmd: "echo web up; exec sleep 30", dependsOn: { build: succeeded } }
`,
      { 'src/code': '0' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      write(dir, 'src/code', '1');
      await cli.waitForOutput(/^build +\* restarting in 20\.0 s/m);
      write(dir, 'src/code', '0'); // the fix, while the broken re-run waits 20 s to try again
      await nthPid(cli, 'web', 2);
      await sleep(1000);
      const output = cli.stdoutSoFar();
      assert.equal(all(output, /^build +\| building$/gm).length, 3, `the fix ran the build once, at once\n${output}`);
      assert.equal(pids(cli, 'web').length, 2, `web restarted once for the fix\n${output}`);
      await interrupt(cli);
    });
  });

  test('a change saved while a re-run of a watched task is still trying does not wait out the backoff that follows its failure', BOUNDED, async () => {
    // Each try waits for the file `go`, so the change comes while the re-run's try is under way.
    const dir = project(
      `processes:
  build:
    cmd: "echo building; while [ ! -e go ]; do sleep 0.05; done; exit $(cat src/code)"
    task: true
    restart: { policy: on-failure, max: 3, backoff: 20s }
    watch: { paths: [src], debounce: 50ms }
`,
      { 'src/code': '0', go: '' },
    );
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
      await cli.waitForOutput(/(?:^build +\* exited with status 1; the run goes on[^\n]*\n[^]*){2}/m);
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
      await cli.waitForOutput(/^build +\* exited with status 1; the run goes on/m);
      const restarted = await runCli(['restart', 'build'], { cwd: dir });
      assert.equal(restarted.code, 1, restarted.stdout);
      await cli.waitForOutput(/^e2e +\* not started: build failed \(status 1\); the run goes on: the next change starts it again$/m);
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
      await cli.waitForOutput(/^e2e +\* not started: web was not started \(build failed \(status 1\)\); the run goes on: the next change starts it again$/m);
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

  /** A build task and a web process that depends on it, both watching src/ (with the same debounce, unless told). */
  const buildAndWeb = (buildCmd: string, source: string, debounces: { readonly web: string; readonly build: string } = { web: '100ms', build: '100ms' }): string =>
    project(
      `processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    dependsOn: { build: succeeded }
    watch: { paths: [src], debounce: ${debounces.web} }
  build:
    cmd: "${buildCmd}"
    task: true
    watch: { paths: [src], debounce: ${debounces.build} }
`,
      { 'src/a.ts': source },
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
        // Long enough for a second restart, had one been queued (a debounce, a build, a start).
        await sleep(1000);
        const output = cli.stdoutSoFar();
        assert.equal(pids(cli, 'build').length, 2, output);
        assert.equal(pids(cli, 'web').length, 2, output);
        assert.equal(all(output, /^web +\* stopping/gm).length, 1, output);
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
      // Long enough for one more restart, had one been queued (a debounce, a build, a start).
      await sleep(1500);
      const output = cli.stdoutSoFar();
      const starts = all(output, /^(build|web) +\* starting \(pid/gm).map((match) => match[1]);
      assert.deepEqual(starts, ['build', 'web', 'build', 'web', 'build', 'web'], output);
      assert.equal(all(output, /^web +\* restarting:/gm).length, 0, `web restarted only by its task's chain\n${output}`);
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
      await sleep(1000);
      const output = cli.stdoutSoFar();
      assert.deepEqual(all(output, /^web +\* restarting: (.*)$/gm).map((match) => match[1]), ['views/page.html changed'], output);
      assert.equal(pids(cli, 'web').length, 3, output);
      await interrupt(cli);
    });
  });

  test('...and a save that breaks the task leaves the dependent running, though its own watch saw the save', BOUNDED, async () => {
    const dir = buildAndWeb('grep -q good src/a.ts && echo built', 'good 1');
    await withUp(dir, async (cli) => {
      const first = await nthPid(cli, 'web', 1);
      write(dir, 'src/a.ts', 'broken');
      await cli.waitForOutput(/^build +\* exited with status 1; the run goes on: the next change starts it again$/m);
      await sleep(1000);
      assert.equal(pids(cli, 'web').length, 1, cli.stdoutSoFar());
      assert.equal(isRunning(first), true, 'the last good web still runs');
      write(dir, 'src/a.ts', 'good 2');
      await nthPid(cli, 'web', 2);
      await sleep(1000);
      assert.equal(pids(cli, 'web').length, 2, cli.stdoutSoFar());
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

test('a watch path that does not exist yet (a build makes it) is said once, at its place, and watched for: it appearing restarts, and so do changes under it after', BOUNDED, async () => {
  // It was refused, and `watch: [dist]` beside the build that makes dist could not be written.
  // nodemon users ask for it (remy/nodemon#1297); Compose's watcher watches the nearest existing
  // ancestor. A typo is still said, where it is, before anything starts.
  const dir = project(`processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    watch: { paths: [src, dist], debounce: 150ms }
`, { 'src/a.ts': '' });
  await withUp(dir, async (cli) => {
    await nthPid(cli, 'web', 1);
    write(dir, 'dist/server.js', 'v1');
    // Its watch, set once dist is there, may hear the file after dist itself is told: named last then.
    await cli.waitForOutput(/^web +\* restarting: dist(\/server\.js)?( and 1 more)? changed$/m);
    await nthPid(cli, 'web', 2);
    write(dir, 'dist/server.js', 'v2');
    await cli.waitForOutput(/^web +\* restarting: dist\/server\.js changed$/m);
    await nthPid(cli, 'web', 3);
    const run = await interrupt(cli);
    const warnings = run.stderr.split('\n').filter((line) => line.includes('warning'));
    assert.equal(warnings.length, 1, run.stderr);
    assert.match(warnings[0] ?? '', /^subvisor: warning: subvisor\.yaml:4:27: processes\.web\.watch\.paths\[1\]: dist does not exist yet; it is watched for, and restarts the process once it appears \(if the path is a typo, fix it; relative paths are from the process's cwd, .*\)$/);
  });
});

test('a watched file whose directory does not exist yet is watched for too: its making restarts, its directory alone does not', BOUNDED, async () => {
  const dir = project(`processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    watch: { paths: [build/server.js], debounce: 150ms }
`);
  await withUp(dir, async (cli) => {
    await nthPid(cli, 'web', 1);
    mkdirSync(join(dir, 'build'));
    write(dir, 'build/other.js', 'not watched');
    await sleep(600);
    assert.doesNotMatch(cli.stdoutSoFar(), /restarting/);
    write(dir, 'build/server.js', 'v1');
    await cli.waitForOutput(/^web +\* restarting: build\/server\.js changed$/m);
    await nthPid(cli, 'web', 2);
    await interrupt(cli);
  });
});

test('a watch path under a file (not a directory) is refused before anything starts, at its place', BOUNDED, async () => {
  const dir = project(`processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    watch: [src, package.json/src]
`, { 'src/a.ts': '', 'package.json': '{}' });
  const run = await runCli(['up'], { cwd: dir });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /^subvisor: subvisor\.yaml:4:18: processes\.web\.watch\[1\]: cannot watch package\.json\/src: package\.json is not a directory/m);
  assert.doesNotMatch(run.stdout, /started/);
});

test("a watch path under a cwd a variable made that cannot be watched is refused naming the cwd as written, not by its value (.env's secret)", BOUNDED, async () => {
  // A directory closed to the run's user: as root, the run is another uid's (setpriv), as the inotify test does it.
  const uid = 3_000_000 + (process.pid % 1_000_000);
  const asRoot = process.getuid?.() === 0;
  const dir = project(`processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    cwd: "\${APP}/src"
    watch: [closed]
`, { '.env': 'APP=s3cr3tdir\n', 's3cr3tdir/src/a.ts': '' });
  mkdirSync(join(dir, 's3cr3tdir', 'src', 'closed'), { mode: 0o000 });
  chmodSync(join(dir, 's3cr3tdir', 'src', 'closed'), 0o000);
  if (asRoot) {
    chmodSync(scratch, 0o755);
    chownSync(dir, uid, uid);
  }
  try {
    const run = await runCli(['up'], { cwd: dir, ...(asRoot ? { execVia: ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'] } : {}) });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.ok(run.stderr.includes(`processes.web.watch: cannot watch ${dir}/\${APP}/src/closed: EACCES`), run.stderr);
    assert.doesNotMatch(run.stderr, /s3cr3t/, 'the value stays out of the refusal');
  } finally {
    chmodSync(join(dir, 's3cr3tdir', 'src', 'closed'), 0o755); // so that the scratch directory can be removed
  }
});

test('out of inotify instances (the user\'s editors hold them all), the refusal names that limit, not ulimit -n', BOUNDED, async (t) => {
  if (process.getuid?.() !== 0 || !existsSync(PYTHON)) {
    assert.notEqual(process.env.CI, 'true', 'CI runs as root, and .ci/run installs python3, which this test needs');
    return t.skip('staged as root only (setpriv to a uid of its own), with python3 to hold the instances');
  }
  // A uid of this test's own: the instances it takes are that user's alone, not those of the
  // machine's other runs (inotify counts them per user).
  const uid = 3_000_000 + (process.pid % 1_000_000);
  const as = ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
  const dir = project(server, { 'src/a.ts': '' });
  chmodSync(scratch, 0o755);
  chownSync(dir, uid, uid);
  // Takes every instance the user may hold (inotify_init until EMFILE), says how many, and holds them.
  const hold = 'import ctypes, sys, time\nlibc = ctypes.CDLL(None)\nn = 0\nwhile libc.inotify_init() >= 0: n += 1\nprint(n, flush=True)\ntime.sleep(20)\n';
  const holder = spawn(as[0] as string, [...as.slice(1), PYTHON, '-c', hold], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [held] = (await once(holder.stdout, 'data')) as [Buffer];
    assert.ok(Number(held.toString()) > 0, `the holder took ${held.toString()} instances`);
    const run = await runCli(['up'], { cwd: dir, execVia: as });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout, /starting/, 'nothing started');
    assert.match(run.stderr, /processes\.web\.watch: cannot watch \S+src: this user's limit of inotify instances is reached .*; raise it \(sysctl fs\.inotify\.max_user_instances=\d+\) or end some of them$/m);
  } finally {
    holder.kill('SIGKILL');
  }
  // Control: with the instances given back, the same user and config run.
  await once(holder, 'exit');
  const cli = startCli(['up'], { cwd: dir, execVia: as });
  try {
    await cli.waitForOutput(/^web +\* starting/m);
    await interrupt(cli);
  } finally {
    killQuietly(cli.pid, ...pids(cli, 'web'));
  }
});

/** A control command (`stop web.1`) run against the `up` in `dir`; fails the test unless it succeeds. */
async function control(dir: string, args: readonly string[]): Promise<void> {
  const run = await runCli(args, { cwd: dir });
  assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
}

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
      await sleep(1000); // a second restart (one per copy) would have begun
      const restarts = all(cli.stdoutSoFar(), /^(\S+) +\* restarting: (.*)$/gm).map((match) => `${match[1]}: ${match[2]}`);
      assert.deepEqual(restarts, ['web: src/app.ts changed'], cli.stdoutSoFar());
      assert.deepEqual([pids(cli, 'web\\.1').length, pids(cli, 'web\\.2').length, pids(cli, 'app').length], [2, 2, 2], cli.stdoutSoFar());
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

describe('what a change started fails the run once it is a normal life', () => {
  test('a change-started life that fails before it is ready does not end the run; once ready, its crash does', BOUNDED, async () => {
    const dir = project(
      `processes:
  web:
    cmd: "if grep -q broken src/app.txt; then exit 2; fi; echo web pid $$; echo up; while [ ! -f crash ]; do sleep 0.05; done; exit 3"
    ready: up
    watch: { paths: [src], debounce: 50ms }
`,
      { 'src/app.txt': 'v1' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^web +\* ready/m);
      write(dir, 'src/app.txt', 'broken');
      await cli.waitForOutput(/^web +\* exited with status 2 before it was ready; the run goes on: the next change starts it again$/m);
      write(dir, 'src/app.txt', 'v2');
      await cli.waitForOutput(/(?:^web +\* ready.*\n[^]*){2}/m);
      write(dir, 'crash');
      const run = await Promise.race([cli.done, sleep(5000).then(() => undefined)]);
      assert.ok(run !== undefined, `the crash of a ready life did not end the run:\n${cli.stdoutSoFar()}`);
      assert.notEqual(run.code, 0);
      assert.doesNotMatch(run.stdout, /exited with status 3; the run goes on/);
    });
  });

  test('a Ctrl-C while a change-started life is stopped for not being ready ends the run with 130: that failure was never the run\'s', BOUNDED, async () => {
    const dir = project(
      `processes:
  web:
    cmd: "trap '' TERM; while :; do sleep 0.05; done"
    ready: { exec: "test -f src/ok", interval: 50ms }
    readyTimeout: 400ms
    grace: 1500ms
    watch: { paths: [src], debounce: 50ms }
`,
      { 'src/ok': '' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^web +\* ready/m);
      rmSync(join(dir, 'src/ok'));
      await cli.waitForOutput(/^web +\* stopping \(not ready within 400 ms\)/m);
      const run = await interrupt(cli); // 130, not the readiness failure's 124
      assert.doesNotMatch(run.stderr, /web failed/);
    });
  });

  test('a life started by subvisor restart after a change-started one fails the run as any life does', BOUNDED, async () => {
    const dir = project(
      `processes:
  web:
    cmd: "echo web pid $$; while [ ! -f crash ]; do sleep 0.05; done; exit 3"
    watch: { paths: [src], debounce: 50ms }
`,
      { 'src/app.txt': 'v1' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      write(dir, 'src/app.txt', 'v2');
      await nthPid(cli, 'web', 2);
      await control(dir, ['restart', 'web']);
      await nthPid(cli, 'web', 3);
      write(dir, 'crash');
      const run = await Promise.race([cli.done, sleep(5000).then(() => undefined)]);
      assert.ok(run !== undefined, `the crash did not end the run:\n${cli.stdoutSoFar()}`);
      assert.notEqual(run.code, 0);
      assert.doesNotMatch(run.stdout, /the run goes on/);
    });
  });
});
