import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from './cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-formation-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;

/** A fresh directory holding `files`; returns it. */
function project(files: Record<string, string>): string {
  const dir = join(scratch, `p${dirs++}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Each process prints its name, SUBVISOR_REPLICA and PORT (or `-` for an unset one). */
const PROCFILE = ['web', 'worker', 'clock'].map((name) => `${name}: echo ${name} $(printenv SUBVISOR_REPLICA || echo -) $(printenv PORT || echo -)\n`).join('');

/** `name: what it printed` for every output line, sorted (processes run side by side). */
function printed(stdout: string): string[] {
  return stdout
    .split('\n')
    .flatMap((line) => /^(\S+) +\| (.*)$/.exec(line)?.slice(1, 3).join(': ') ?? [])
    .sort();
}

// The test runner's own PORT, PS or SUBVISOR_REPLICA must not leak into what the children print.
const ENV = { SUBVISOR_REPLICA: undefined, PORT: undefined, PS: undefined };

describe('Procfile formation and PORT', () => {
  test('up web=2 worker=1 runs web.1, web.2 and worker, with PORT as foreman gives it', { timeout: 30_000 }, async () => {
    const run = await runCli(['up', 'web=2', 'worker=1'], { cwd: project({ Procfile: PROCFILE }), env: ENV });
    assert.equal(run.code, 0, run.stderr);
    // Base 5000, +100 per Procfile entry, +1 per copy; SUBVISOR_REPLICA only for the copies.
    assert.deepEqual(printed(run.stdout), ['web.1: web 1 5000', 'web.2: web 2 5001', 'worker: worker - 5100']);
    assert.match(run.stderr, /^web\.1 +\d+ +exited 0/m, 'the summary names the copies');
  });

  test('PORT counts every Procfile entry, run or not: the third entry starts at 5200', { timeout: 30_000 }, async () => {
    const run = await runCli(['up', 'clock=2'], { cwd: project({ Procfile: PROCFILE }), env: ENV });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(printed(run.stdout), ['clock.1: clock 1 5200', 'clock.2: clock 2 5201']);
  });

  test('the base is PORT from the environment, else from .env', { timeout: 30_000 }, async () => {
    const fromEnv = await runCli(['up', 'web=2', 'worker=1'], { cwd: project({ Procfile: PROCFILE, '.env': 'PORT=7000\n' }), env: { ...ENV, PORT: '6000' } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.deepEqual(printed(fromEnv.stdout), ['web.1: web 1 6000', 'web.2: web 2 6001', 'worker: worker - 6100']);
    const fromDotEnv = await runCli(['up', 'worker'], { cwd: project({ Procfile: PROCFILE, '.env': 'PORT=7000\n' }), env: ENV });
    assert.deepEqual(printed(fromDotEnv.stdout), ['worker: worker - 7100']);
  });

  test('without formation words every process runs once, with its PORT, as foreman starts them', { timeout: 30_000 }, async () => {
    const run = await runCli(['up'], { cwd: project({ Procfile: PROCFILE }), env: ENV });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(printed(run.stdout), ['clock: clock - 5200', 'web: web - 5000', 'worker: worker - 5100']);
  });

  test('--no-port gives no PORT: the parent\'s passes through', { timeout: 30_000 }, async () => {
    const run = await runCli(['up', '--no-port', 'web=2', 'clock'], { cwd: project({ Procfile: PROCFILE }), env: { ...ENV, PORT: '4321' } });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(printed(run.stdout), ['clock: clock - 4321', 'web.1: web 1 4321', 'web.2: web 2 4321']);
    const unset = await runCli(['up', '--no-port', 'worker'], { cwd: project({ Procfile: PROCFILE }), env: ENV });
    assert.deepEqual(printed(unset.stdout), ['worker: worker - -']);
  });

  test("each copy has foreman's PS, NAME.N (NAME.1 for a process of one copy), with or without PORT; subvisor.yaml gives none", { timeout: 30_000 }, async () => {
    const procfile = ['web', 'worker'].map((name) => `${name}: echo $(printenv PS || echo -)\n`).join('');
    const dir = project({ Procfile: procfile });
    const run = await runCli(['up', 'web=2', 'worker'], { cwd: dir, env: ENV });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(printed(run.stdout), ['web.1: web.1', 'web.2: web.2', 'worker: worker.1']);
    // PS is foreman's name of the copy, not a port: --no-port leaves it, and it wins over the parent's, as in foreman.
    const noPort = await runCli(['up', '--no-port', 'worker'], { cwd: dir, env: { ...ENV, PS: 'parent' } });
    assert.deepEqual(printed(noPort.stdout), ['worker: worker.1']);
    const yaml = await runCli(['up'], { cwd: project({ 'subvisor.yaml': 'processes:\n  web:\n    cmd: echo $(printenv PS || echo -)\n    replicas: 2\n' }), env: ENV });
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.deepEqual(printed(yaml.stdout), ['web.1: -', 'web.2: -']);
  });

  test("foreman's comma-joined formation (web=2,worker=1) is refused with the words to write instead", { timeout: 30_000 }, async () => {
    const dir = project({ Procfile: PROCFILE });
    const joined = await runCli(['up', 'web=2,worker=1'], { cwd: dir, env: ENV });
    assert.equal(joined.code, 2);
    assert.match(joined.stderr, /^subvisor: 'web=2,worker=1': one NAME=N per word \(foreman's -m joins them with commas\): subvisor up web=2 worker=1$/m);
    assert.doesNotMatch(joined.stdout, /starting/, 'nothing started');
  });

  test('malformed formation words are usage errors; an unknown name or a PORT past 65535 is a config error', { timeout: 60_000 }, async () => {
    const dir = project({ Procfile: PROCFILE });
    const usage: [string[], RegExp][] = [
      [['web=0'], /^subvisor: 'web=0': the count must be a whole number of at least 1 \(e\.g\. web=2\); to leave web out, do not name it$/m],
      [['web=two'], /'web=two': the count must be a whole number/],
      [['=2'], /'=2': a formation word is NAME=N/],
      [['web=2', 'web=3'], /'web=3': web is given a count twice; keep one/],
      [['web=99999999999999999999'], /^subvisor: 'web=99999999999999999999': at most 1000 copies of a process, not 99999999999999999999; each copy is a process of its own$/m],
    ];
    for (const [words, expected] of usage) {
      const run = await runCli(['up', ...words], { cwd: dir, env: ENV });
      assert.equal(run.code, 2, words.join(' '));
      assert.match(run.stderr, expected);
      assert.match(run.stderr, /\(see subvisor up --help\)/);
    }
    const unknown = await runCli(['up', 'wbe=2'], { cwd: dir, env: ENV });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^subvisor: Procfile: no process named 'wbe' \(known: web, worker, clock\); did you mean 'web'\?$/m);
    const far = await runCli(['up', 'clock'], { cwd: dir, env: { ...ENV, PORT: '65400' } });
    assert.equal(far.code, 2);
    assert.match(far.stderr, /^subvisor: Procfile:3:1: its PORT would be 65600, past 65535; start from a lower PORT, or pass --no-port$/m);
    const notPort = await runCli(['up', 'web'], { cwd: dir, env: { ...ENV, PORT: 'http' } });
    assert.equal(notPort.code, 2);
    assert.match(notPort.stderr, /PORT in the environment is not a port number \(0 to 65535\), so no PORT can be given from it; set it to a number, or pass --no-port/);
    assert.doesNotMatch(far.stdout + notPort.stdout + unknown.stdout, /started/, 'nothing started');
  });
});
