// Blind acceptance tests of SPEC §10, written from SPEC alone and kept where they pin a
// promise no other test pins: the built CLI driven with real processes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, waitUntil } from '../support/processes.js';
import { runCli, startCli } from './cli.js';
import { BOUNDED, configDir, interrupt, ps, up, waitForState, type Row } from './control/support.js';

/** Writes `yaml` (or `yaml(dir)`) into a fresh directory as `file`; returns the directory. */
function stackDir(yaml: string | ((dir: string) => string), file = 'subvisor.yaml'): string {
  const dir = configDir(() => '');
  rmSync(join(dir, 'subvisor.yaml'));
  writeFileSync(join(dir, file), typeof yaml === 'string' ? yaml : yaml(dir));
  return dir;
}

describe('blind §10: reaching the run', () => {
  test('ps -f FILE from another directory reaches the run listening beside that file', BOUNDED, async () => {
    const dir = stackDir(`processes:\n  a: { cmd: "exec sleep 30" }\n`, 'other.yaml');
    const run = startCli(['up', '-f', join(dir, 'other.yaml')], { cwd: '/tmp' });
    let pid: number | null = null;
    try {
      await waitUntil(() => existsSync(join(dir, '.subvisor/control.sock')), 'the socket beside the config', 10_000);
      await waitUntil(() => run.stdoutSoFar().includes('starting'), 'a started');
      const out = await runCli(['ps', '--json', '-f', join(dir, 'other.yaml')], { cwd: '/tmp' });
      assert.equal(out.code, 0, out.stderr);
      const rows = JSON.parse(out.stdout) as Row[];
      pid = rows[0]?.pid ?? null;
      assert.deepEqual(
        rows.map((r) => r.name),
        ['a'],
      );
    } finally {
      await interrupt(run, pid);
    }
  });
});

describe('blind §10: stop, start, restart', () => {
  test('stop NAME... and start NAME... act on every name given, and on those only', BOUNDED, async () => {
    const dir = stackDir(`processes:
  a: { cmd: "exec sleep 30" }
  b: { cmd: "exec sleep 30" }
  c: { cmd: "exec sleep 30" }
`);
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      for (const n of ['a', 'b', 'c']) pids.push((await waitForState(dir, n, 'running')).pid);
      const stopped = await runCli(['stop', 'a', 'b'], { cwd: dir });
      assert.equal(stopped.code, 0, stopped.stderr);
      const rows = Object.fromEntries((await ps(dir)).map((r) => [r.name, r]));
      assert.equal(rows.a?.state, 'stopped');
      assert.equal(rows.b?.state, 'stopped');
      assert.deepEqual([rows.c?.state, rows.c?.pid], ['running', pids[2]]);
      assert.equal(isRunning(pids[0] as number), false);
      assert.equal(isRunning(pids[1] as number), false);
      const started = await runCli(['start', 'a', 'b'], { cwd: dir });
      assert.equal(started.code, 0, started.stderr);
      pids.push((await waitForState(dir, 'a', 'running', 5000)).pid, (await waitForState(dir, 'b', 'running', 5000)).pid);
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('restart NAME runs its whole chain again in dependency order, a task that had succeeded included; the rest is untouched', BOUNDED, async () => {
    const dir = stackDir((d) => `processes:
  db: { cmd: "echo start-db >> ${d}/bl-order; echo db-up; exec sleep 30", ready: "db-up" }
  migrate: { cmd: "echo run-migrate >> ${d}/bl-order", task: true, dependsOn: [db] }
  web: { cmd: "echo start-web >> ${d}/bl-order; sleep 0.2; echo web-up; exec sleep 30", ready: "web-up", dependsOn: { db: ready, migrate: succeeded } }
  edge: { cmd: "echo start-edge >> ${d}/bl-order; echo edge-up; exec sleep 30", ready: "edge-up", dependsOn: [web] }
  other: { cmd: "exec sleep 30" }
`);
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      await waitForState(dir, 'edge', 'ready');
      const before = await ps(dir);
      pids.push(...before.map((r) => r.pid));
      writeFileSync(join(dir, 'bl-order'), '');
      const restarted = await runCli(['restart', 'db'], { cwd: dir });
      assert.equal(restarted.code, 0, restarted.stderr);
      assert.equal(readFileSync(join(dir, 'bl-order'), 'utf8'), 'start-db\nrun-migrate\nstart-web\nstart-edge\n');
      const after = Object.fromEntries((await ps(dir)).map((r) => [r.name, r]));
      pids.push(...Object.values(after).map((r) => r.pid));
      assert.equal(after.db?.state, 'ready');
      assert.equal(after.migrate?.state, 'exited 0');
      assert.equal(after.web?.state, 'ready', 'the chain is ready when the client returns');
      assert.equal(after.other?.pid, before.find((r) => r.name === 'other')?.pid, 'a process outside the chain is untouched');
      for (const r of before.filter((r) => r.name !== 'other' && r.pid !== null)) assert.equal(isRunning(r.pid as number), false, `the old ${r.name} is gone`);
    } finally {
      await interrupt(run, ...pids);
    }
  });
});

describe('blind §10: logs', () => {
  test('logs keeps the output lines of the earlier lives of a restarted process', BOUNDED, async () => {
    const dir = stackDir(`processes:\n  a: { cmd: "echo life-of-$$; exec sleep 30" }\n`);
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      pids.push((await waitForState(dir, 'a', 'running')).pid);
      await run.waitForOutput(/\| life-of-\d+/);
      assert.equal((await runCli(['restart', 'a'], { cwd: dir })).code, 0);
      pids.push((await waitForState(dir, 'a', 'running')).pid);
      await waitUntil(() => (run.stdoutSoFar().match(/\| life-of-\d+/g) ?? []).length === 2, 'the second life printed');
      const logs = await runCli(['logs', 'a'], { cwd: dir });
      assert.equal(logs.code, 0, logs.stderr);
      assert.deepEqual(logs.stdout.match(/life-of-\d+/g), pids.map((pid) => `life-of-${pid}`));
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('log files: maxSize 2KB is 2048 bytes, so a rotated file of short lines grows past 2000', BOUNDED, async () => {
    const dir = stackDir(`logs: { dir: bl-logs, maxSize: 2KB, keep: 2 }
processes:
  chatty: { cmd: "i=1; while [ $i -le 300 ]; do echo out-line-$i; i=$((i+1)); done" }
`);
    const ended = await runCli(['up'], { cwd: dir });
    assert.equal(ended.code, 0, ended.stderr);
    const files = readdirSync(join(dir, 'bl-logs')).sort();
    assert.deepEqual(files, ['chatty.log', 'chatty.log.1', 'chatty.log.2']);
    for (const f of ['chatty.log.1', 'chatty.log.2']) {
      const size = statSync(join(dir, 'bl-logs', f)).size;
      assert.ok(size > 2000 && size <= 2048, `${f}: ${size} bytes`);
    }
  });
});

describe('blind §10: watch', () => {
  test('debounce is trailing-edge: a burst longer than the debounce restarts nothing while it lasts, then once', BOUNDED, async () => {
    const dir = stackDir((d) => `processes:
  w:
    cmd: "echo run >> ${d}/bl-runs; exec sleep 30"
    watch: { paths: [src], debounce: 1s }
`);
    mkdirSync(join(dir, 'src'));
    const run = await up(dir);
    const pids: (number | null)[] = [];
    const runs = (): number => readFileSync(join(dir, 'bl-runs'), 'utf8').split('\n').length - 1;
    try {
      pids.push((await waitForState(dir, 'w', 'running')).pid);
      await sleep(300);
      // 1.5 s of writes, 100 ms apart: each well within the debounce of the last, on a busy machine too
      for (let i = 0; i < 15; i++) {
        writeFileSync(join(dir, 'src', `f${i % 3}.txt`), `${i}`);
        await sleep(100);
      }
      assert.equal(runs(), 1, 'no restart while the burst lasts');
      await waitUntil(() => runs() === 2, 'the restart after the burst', 6000);
      await sleep(1500);
      assert.equal(runs(), 2, 'one restart for the burst');
      pids.push((await waitForState(dir, 'w', 'running')).pid);
    } finally {
      await interrupt(run, ...pids);
    }
  });
});
