// A config that is not a file in a project directory: `-f -` (standard input) and `-f <(...)`
// (a pipe at /dev/fd/N). Its relative paths, its .env and its .subvisor/ are the current
// directory's, as with `docker compose -f -`, not /dev's or /dev/fd's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BIN, runCli, startCli } from '../cli.js';
import { waitUntil } from '../../support/processes.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-stream-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let projects = 0;

/** A project directory with a `.env`, a `sub/` directory, and `config.txt` holding `text`. */
function project(text: string): string {
  const dir = join(scratch, `p${projects++}`);
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, '.env'), 'GREETING=hello\n');
  writeFileSync(join(dir, 'config.txt'), text);
  return dir;
}

const SHOW_WHERE = 'processes:\n  show: { cmd: \'echo "$GREETING from $(pwd)"\', cwd: sub }\n';

describe('a config read from a stream belongs to the current directory', () => {
  test('up -f - reads standard input; cwd and .env are from the current directory', { timeout: 30_000 }, async () => {
    const dir = project(SHOW_WHERE);
    const run = await runCli(['up', '-f', '-'], { cwd: dir, execVia: ['sh', '-c', 'exec "$@" < config.txt', 'sh'] });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^show +\\| hello from ${join(dir, 'sub')}$`, 'm'));
    assert.doesNotMatch(run.stderr, /from the terminal/, 'standard input is no terminal here: nothing to say');
  });

  test('up -f - on a terminal says it reads the config from there, and how to end it; it runs once Ctrl-D ends it', { timeout: 30_000 }, async () => {
    const dir = project('');
    // script(1) gives the CLI a pseudo-terminal, and passes what is written here on as typing.
    const terminal = spawn('script', ['-qfec', `"${process.execPath}" "${BIN}" up -f -`, '/dev/null'], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
    let seen = '';
    terminal.stdout.setEncoding('utf8').on('data', (chunk: string) => (seen += chunk));
    const closed = once(terminal, 'close');
    try {
      terminal.stdin.write(SHOW_WHERE);
      await waitUntil(() => seen.includes('subvisor: reading the config from the terminal (-f -): end it with Ctrl-D'), 'the hint');
      terminal.stdin.write('\x04');
      const [code] = (await closed) as [number | null];
      assert.equal(code, 0, seen);
      assert.match(seen, new RegExp(`show +(?:\\x1b\\[[0-9;]*m)?\\|(?:\\x1b\\[[0-9;]*m)? hello from ${join(dir, 'sub')}\\r?$`, 'm'));
    } finally {
      terminal.kill('SIGKILL');
    }
  });

  test('up -f <(...) reads the pipe; cwd and .env are from the current directory', { timeout: 30_000 }, async () => {
    const dir = project(SHOW_WHERE);
    const run = await runCli(['up'], { cwd: dir, execVia: ['bash', '-c', 'exec "$@" -f <(cat config.txt)', 'bash'] });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^show +\\| hello from ${join(dir, 'sub')}$`, 'm'));
  });

  test('control: a regular file under /dev (/dev/shm) is an ordinary config, whose directory is its own', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join('/dev/shm', 'subvisor-config-'));
    try {
      writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  show: { cmd: pwd }\n');
      const run = await runCli(['up', '-f', join(dir, 'subvisor.yaml')], { cwd: scratch });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^show +\\| ${dir}$`, 'm'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a mistake in a config on standard input is placed in <stdin>', { timeout: 30_000 }, async () => {
    const dir = project('processes:\n  show: { cmd: "true", colour: red }\n');
    const run = await runCli(['up', '-f', '-'], { cwd: dir, execVia: ['sh', '-c', 'exec "$@" < config.txt', 'sh'] });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^subvisor: <stdin>:2:\d+: processes\.show\.colour: .*\n<stdin>: read as subvisor YAML/m);
  });

  test('ps in the directory of a run of up -f - finds it, with no config file there', { timeout: 30_000 }, async () => {
    const dir = project('processes:\n  idle: { cmd: "echo up; exec sleep 30" }\n');
    const run = startCli(['up', '-f', '-'], { cwd: dir, execVia: ['sh', '-c', 'exec "$@" < config.txt', 'sh'] });
    try {
      await run.waitForOutput(/^idle +\| up$/m);
      const ps = await runCli(['ps', '--json'], { cwd: dir });
      assert.equal(ps.code, 0, ps.stderr);
      assert.deepEqual((JSON.parse(ps.stdout) as { name: string; state: string }[]).map(({ name, state }) => ({ name, state })), [{ name: 'idle', state: 'running' }]);
    } finally {
      run.kill('SIGINT');
      assert.equal((await run.done).code, 130);
    }
  });

  test('export systemd -f - names units after the current directory and runs them there', { timeout: 30_000 }, async () => {
    const dir = project('processes:\n  show: { cmd: [echo, hi] }\n');
    const out = join(dir, 'units');
    const run = await runCli(['export', 'systemd', '-f', '-', '-o', out], { cwd: dir, execVia: ['sh', '-c', 'exec "$@" < config.txt', 'sh'] });
    assert.equal(run.code, 0, run.stderr);
    const name = `${dir.split('/').at(-1) ?? ''}-show.service`;
    assert.ok(existsSync(join(out, name)), `${name} in ${out}; stderr: ${run.stderr}`);
  });
});
