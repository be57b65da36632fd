// SPEC §11: as PID 1 (a container without --init) `up` and `run` warn once that orphaned
// grandchildren would stay zombies, and the runtime's SIGTERM stops the stack gracefully with
// status 143. PID 1 for real: a new PID namespace (`unshare --pid --fork`, root only).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isRunning, killQuietly, waitUntil } from '../support/processes.js';
import { BIN } from './cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-pid1-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const WARNING_TEXT = /running as PID 1: orphaned grandchildren would stay zombies .*docker run --init.*tini/;
const WARNING = new RegExp(`warning: ${WARNING_TEXT.source}`);

interface Namespaced {
  readonly unsharePid: number;
  output(): { stdout: string; stderr: string };
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `subvisor ARGS` as PID 1 of a new PID namespace (with its own /proc), in `cwd`. */
function asPid1(args: readonly string[], cwd: string): Namespaced {
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { unsharePid: child.pid ?? -1, output: () => ({ stdout, stderr }), done };
}

/** The host pid of the namespace's PID 1: the one child of the unshare process. */
function pid1Of(unsharePid: number): number {
  const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  assert.equal(children.length, 1, `unshare --fork has one child, found ${children.join(',')}`);
  return Number(children[0]);
}

// A new PID namespace needs root (as the CI here runs): this test is not skipped without it.
describe('subvisor as PID 1', () => {
  test('up warns once, and SIGTERM stops its children gracefully and exits 143', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(scratch, 'up-'));
    const stoppedFile = join(dir, 'stopped');
    const worker = `process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(stoppedFile)}, 'TERM'); process.exit(0) }); console.log('up'); setInterval(() => {}, 1000)`;
    writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  worker:\n    cmd: [node, -e, ${JSON.stringify(worker)}]\n    ready: "up"\n    grace: 5s\n`);
    const run = asPid1(['up', '-f', 'subvisor.yaml'], dir);
    let pid1: number | undefined;
    try {
      await waitUntil(() => run.output().stdout.includes('worker * ready'), 'the worker to be ready', 15_000);
      pid1 = pid1Of(run.unsharePid);
      process.kill(pid1, 'SIGTERM');
      const ended = await run.done;
      const { stdout, stderr } = run.output();
      assert.equal(ended.code, 143, `${stdout}\n${stderr}`);
      assert.equal(stderr.match(new RegExp(WARNING, 'g'))?.length, 1, stderr);
      assert.equal(readFileSync(stoppedFile, 'utf8'), 'TERM', 'the worker was asked to stop with SIGTERM and had the time to');
      assert.match(stdout, /worker \* stopping \(SIGTERM\)/);
    } finally {
      killQuietly(pid1, run.unsharePid);
      await waitUntil(() => !isRunning(run.unsharePid), 'unshare to end', 10_000);
    }
  });

  test('run warns too, and not when it is not PID 1', { timeout: 30_000 }, async () => {
    const run = asPid1(['run', '--', 'true'], scratch);
    const ended = await run.done;
    assert.equal(ended.code, 0);
    assert.match(run.output().stderr, WARNING);
    const plain = spawn(process.execPath, [BIN, 'run', '--', 'true'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    plain.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise((resolve) => plain.on('close', resolve));
    assert.equal(code, 0);
    assert.doesNotMatch(stderr, WARNING);
  });
});

describe('subvisor as PID 1, with --json', () => {
  test('up and run give the warning as one warning record on stdout, before any other, and nothing on stderr', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(scratch, 'json-'));
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  once:\n    cmd: "true"\n    main: true\n');
    const runs = [asPid1(['up', '--json', '-f', 'subvisor.yaml'], dir), asPid1(['run', '--json', '--', 'true'], dir)];
    for (const run of runs) {
      const ended = await run.done;
      const { stdout, stderr } = run.output();
      assert.equal(ended.code, 0, `${stdout}\n${stderr}`);
      assert.equal(stderr, '', 'in JSON mode the warning goes to stdout');
      const [first] = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual({ name: first?.name, stream: first?.stream, event: first?.event }, { name: 'subvisor', stream: 'report', event: 'warning' });
      assert.match(String(first?.line), WARNING_TEXT);
    }
  });
});
