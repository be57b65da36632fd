// Someone moving from foreman (or honcho) types its `start` options to `subvisor up` first. Each is
// refused before anything starts, with what to write instead, built from what they typed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli, startCli } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-foreman-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'Procfile'), 'web: echo started\nworker: echo started\n');

const INSTEAD: [string[], string][] = [
  [['-m', 'web=2,worker=1'], "foreman's -m: the formation is words after up: subvisor up web=2 worker=1"],
  [['--formation=web=2'], "foreman's --formation: the formation is words after up: subvisor up web=2"],
  // foreman's web=0 leaves web out, which here is not naming it: a word web=0 would be refused in turn.
  [['-m', 'web=0,worker=1'], "foreman's -m: the formation is words after up: subvisor up worker=1"],
  [['-c', 'web=2,worker=1'], "honcho's -c: the formation is words after up: subvisor up web=2 worker=1"],
  [['-c'], "foreman's -c: colour is on for a terminal; to force it, FORCE_COLOR=1 subvisor up"],
  [['-p', '3000'], "foreman's -p: the first PORT is the environment's: PORT=3000 subvisor up"],
  [['--port', '3000'], "foreman's --port: the first PORT is the environment's: PORT=3000 subvisor up"],
  [['-t', '10'], "foreman's -t: the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace 10s"],
  // A time written with a unit is kept as written (it was dropped for the default).
  [['-t', '10s'], "foreman's -t: the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace 10s"],
  [['--timeout', '1m30s'], "foreman's --timeout: the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace 1m30s"],
  // A bare number is foreman's seconds however it is written (.5, as foreman's numeric takes it): --grace reads a bare one as ms.
  [['-t', '.5'], "foreman's -t: the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace .5s"],
  // With an exponent (1e3 seconds, as foreman's numeric and --grace both read it): its value, not the longest --grace.
  [['-t', '1e3'], "foreman's -t: the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace 1000s"],
  [['-t', '2.5e-1'], "foreman's -t: the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace 0.25s"],
  // A short option's value may be written in its word, as foreman and honcho take it.
  [['-p3000'], "foreman's -p: the first PORT is the environment's: PORT=3000 subvisor up"],
  [['-t10'], "foreman's -t: the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace 10s"],
  [['-cweb=2,worker=1'], "honcho's -c: the formation is words after up: subvisor up web=2 worker=1"],
  // Or after an `=` (`-p=3000`), as foreman's Thor takes it (and concurrently's yargs, overmind's Go flags).
  [['-p=3000'], "foreman's -p: the first PORT is the environment's: PORT=3000 subvisor up"],
  [['-d', 'app'], "foreman's -d: processes run in the Procfile's directory: subvisor up -f app/Procfile"],
  [['--no-timestamp'], "foreman's --no-timestamp: up shows no times unless given --timestamps: subvisor up"],
  [['--timestamp'], "foreman's --timestamp: up shows the times with --timestamps: subvisor up --timestamps"],
  [['-e', '.env.dev'], "foreman's -e: a Procfile reads the .env beside it, and no other; to read .env.dev, name it in a subvisor.yaml's envFile"],
];

test("foreman's start options are refused before anything starts, each with what to write instead", { timeout: 60_000 }, async () => {
  for (const [args, instead] of INSTEAD) {
    const run = await runCli(['up', ...args], { cwd: dir });
    assert.equal(run.code, 2, args.join(' '));
    assert.equal(run.stderr.split('\n')[0], `subvisor: ${instead}`, args.join(' '));
    assert.doesNotMatch(run.stdout, /started/, 'nothing started');
  }
  // The control: an option foreman does not have is refused as any unknown option is.
  const other = await runCli(['up', '-z'], { cwd: dir });
  assert.equal(other.code, 2);
  assert.match(other.stderr, /^subvisor: unknown option '-z'; the options are --file/m);
});

test("subvisor start without a name, foreman's start, says that up runs the stack; stop without one is told only what it needs", { timeout: 30_000 }, async () => {
  const start = await runCli(['start'], { cwd: dir });
  assert.equal(start.code, 2);
  assert.equal(start.stderr.split('\n')[0], 'subvisor: start needs the name of a process of a running stack: subvisor start NAME...; to run the stack, as foreman start does: subvisor up');
  const stop = await runCli(['stop'], { cwd: dir });
  assert.equal(stop.code, 2);
  assert.equal(stop.stderr.split('\n')[0], 'subvisor: stop needs the name of a process: subvisor stop NAME...');
});

test(".foreman (foreman's defaults) is not read: what it sets of what runs that the command line does not is warned of, with what to write (not how output looks); the run goes on", { timeout: 30_000 }, async () => {
  const project = join(dir, 'with-dot-foreman');
  mkdirSync(project);
  writeFileSync(join(project, 'Procfile'), 'web: echo "web on $PORT"\n');
  writeFileSync(join(project, 'Procfile.dev'), 'web: echo "dev web on $PORT"\n');
  writeFileSync(join(project, '.foreman'), 'procfile: Procfile.dev\nport: 3000\nformation: web=2\ntimestamp: false\n');
  const run = await runCli(['up'], { cwd: project, env: { PORT: undefined, PS: undefined } });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^web +\| web on 5000$/m, 'the Procfile, as given, not the one .foreman names');
  assert.deepEqual(
    run.stderr.split('\n').filter((line) => line.includes('warning')),
    [
      "subvisor: warning: .foreman: procfile: foreman's defaults are not read; the config is given with -f: subvisor up -f Procfile.dev",
      "subvisor: warning: .foreman: port: foreman's defaults are not read; the first PORT is the environment's: PORT=3000 subvisor up",
      "subvisor: warning: .foreman: formation: foreman's defaults are not read; the formation is words after up: subvisor up web=2",
    ],
  );
  // The control: what the command line gives is not warned of.
  const given = await runCli(['up', '-f', 'Procfile.dev', 'web=2'], { cwd: project, env: { PORT: '3000', PS: undefined } });
  assert.equal(given.code, 0, given.stderr);
  assert.match(given.stdout, /^web\.2 +\| dev web on 3001$/m);
  assert.doesNotMatch(given.stderr, /warning/);
  // A --json reader reads only stdout's records: the same warnings are records there, before the first process's line.
  const json = await runCli(['up', '--json'], { cwd: project, env: { PORT: undefined, PS: undefined } });
  assert.equal(json.code, 0, json.stderr);
  assert.doesNotMatch(json.stderr, /warning/);
  const records = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event?: string; line?: string; name?: string });
  const warnings = records.filter((record) => record.event === 'warning').map((record) => record.line);
  assert.deepEqual(warnings, [
    ".foreman: procfile: foreman's defaults are not read; the config is given with -f: subvisor up -f Procfile.dev",
    ".foreman: port: foreman's defaults are not read; the first PORT is the environment's: PORT=3000 subvisor up",
    ".foreman: formation: foreman's defaults are not read; the formation is words after up: subvisor up web=2",
  ]);
  const firstWeb = records.findIndex((record) => record.name === 'web');
  assert.ok(firstWeb > records.findLastIndex((record) => record.event === 'warning'), json.stdout);
});

test(".foreman's port is not warned of when up gives that PORT anyway (a .env's, or 5000): the run is the same as foreman's; one that differs is", { timeout: 30_000 }, async () => {
  const project = join(dir, 'dot-foreman-port');
  mkdirSync(project);
  writeFileSync(join(project, 'Procfile'), 'web: echo "web on $PORT"\n');
  writeFileSync(join(project, '.foreman'), 'port: 3000\n');
  writeFileSync(join(project, '.env'), 'PORT=3000\n');
  const env = { PORT: undefined, PS: undefined };
  const same = await runCli(['up'], { cwd: project, env });
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /^web +\| web on 3000$/m);
  assert.doesNotMatch(same.stderr, /warning/);
  // The control: a .env of another PORT runs on it, where foreman's .foreman port would win: warned of.
  writeFileSync(join(project, '.env'), 'PORT=4000\n');
  const other = await runCli(['up'], { cwd: project, env });
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stdout, /^web +\| web on 4000$/m);
  assert.deepEqual(
    other.stderr.split('\n').filter((line) => line.includes('warning')),
    ["subvisor: warning: .foreman: port: foreman's defaults are not read; the first PORT is the environment's: PORT=3000 subvisor up"],
  );
  // Without a .env, the default base is the one compared: .foreman's port: 5000 is no news either.
  rmSync(join(project, '.env'));
  writeFileSync(join(project, '.foreman'), 'port: 5000\n');
  const fallback = await runCli(['up'], { cwd: project, env });
  assert.equal(fallback.code, 0, fallback.stderr);
  assert.doesNotMatch(fallback.stderr, /warning/);
});

test('a .foreman that is no regular file (a FIFO, which a read would wait on forever) is not read: up runs the Procfile at once', { timeout: 30_000 }, async () => {
  const project = join(dir, 'fifo-dot-foreman');
  mkdirSync(project);
  writeFileSync(join(project, 'Procfile'), 'web: echo "web ran"\n');
  execFileSync('mkfifo', [join(project, '.foreman')]);
  const up = startCli(['up'], { cwd: project });
  try {
    await up.waitForOutput(/web ran/, 20_000);
    const run = await up.done;
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /warning/);
  } finally {
    up.kill('SIGKILL');
  }
});

test('with no config file here but a Procfile.dev (a Rails app, run by foreman start -f Procfile.dev), the error names the Procfiles that are here', { timeout: 30_000 }, async () => {
  const rails = join(dir, 'rails-app');
  mkdirSync(rails);
  writeFileSync(join(rails, 'Procfile.dev'), 'web: bin/rails server -p 3000\n');
  writeFileSync(join(rails, 'Procfile.test'), 'web: bin/rails server -p 3001\n');
  // A symlink is named as the file it leads to; one leading nowhere is not.
  symlinkSync(join(rails, 'Procfile.dev'), join(rails, 'Procfile.linked'));
  symlinkSync(join(rails, 'missing'), join(rails, 'Procfile.dangling'));
  const run = await runCli(['up'], { cwd: rails });
  assert.equal(run.code, 2);
  assert.equal(
    run.stderr.split('\n')[0],
    'subvisor: no config file here (looked for subvisor.yaml, subvisor.yml, Procfile); pass one with --file FILE (here: Procfile.dev, Procfile.linked, Procfile.test)',
  );
  // The control: with none of them, the error stays as it was.
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const none = await runCli(['up'], { cwd: empty });
  assert.equal(none.stderr.split('\n')[0], 'subvisor: no config file here (looked for subvisor.yaml, subvisor.yml, Procfile); pass one with --file FILE');
});
