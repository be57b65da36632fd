// Under concurrently, a Ctrl-C in the terminal reaches `subvisor up` twice: from the terminal (they
// share its foreground process group) and again from concurrently, which passes every SIGINT on
// to its whole tree once tree-kill has listed it, one `ps` per process. On a busy machine that copy
// came over 200 ms later, and was taken for a second Ctrl-C: everything was killed at once. A
// `ps` that takes 200 ms here stands for that busy machine, so the copy always comes late.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { isRunning, killQuietly, waitUntil } from '../support/processes.js';
import { BIN } from './cli.js';
import { ctrlCPassedOnBy, type ProcessFacts } from '../../src/cli/passed-on-ctrl-c.js';

const CONCURRENTLY = resolve('node_modules/.bin/concurrently');

/** The child stops slowly on SIGTERM, and writes `graceful` once it has; concurrently's SIGINT to it is ignored, so only subvisor's stop counts. */
const CONFIG = `processes:
  slow:
    cmd: "trap '' INT; trap 'sleep 3; echo graceful > graceful; exit 0' TERM; echo $$ > child.pid; while :; do sleep 0.1; done"
`;

interface UnderConcurrently {
  readonly dir: string;
  readonly out: () => string;
  readonly ctrlC: () => void;
  readonly childPid: () => number;
  readonly dispose: () => void;
}

/** `subvisor up` run by concurrently on a tmux pane's terminal, its output in `out`; `ctrlC` types Ctrl-C on that terminal. */
function upUnderConcurrently(): UnderConcurrently {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-passed-on-'));
  writeFileSync(join(dir, 'subvisor.yaml'), CONFIG);
  const slow = join(dir, 'slow-bin');
  mkdirSync(slow);
  const ps = spawnSync('sh', ['-c', 'command -v ps'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(slow, 'ps'), `#!/bin/sh\nsleep 0.2\nexec ${ps} "$@"\n`);
  chmodSync(join(slow, 'ps'), 0o755);
  const socket = `subvisor-test-${process.pid}-${dir.slice(-6)}`;
  const tmux = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', timeout: 10_000 });
  const up = `${process.execPath} ${BIN} up > out 2>&1`;
  const started = spawnSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-c', dir, CONCURRENTLY, '--raw', up], {
    encoding: 'utf8',
    timeout: 10_000,
    env: { ...process.env, PATH: `${slow}:${process.env.PATH ?? ''}`, SUBVISOR_WATCHDOG: '0', NO_COLOR: '1', FORCE_COLOR: undefined },
  });
  if (started.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`tmux new-session failed: ${started.stderr}`);
  }
  const childPid = (): number => Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
  return {
    dir,
    out: () => (existsSync(join(dir, 'out')) ? readFileSync(join(dir, 'out'), 'utf8') : ''),
    ctrlC: () => void tmux('send-keys', 'C-c'),
    childPid,
    dispose: () => {
      tmux('kill-server');
      if (existsSync(join(dir, 'child.pid'))) killQuietly(-childPid());
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function hasTmux(): boolean {
  const found = spawnSync('tmux', ['-V']).status === 0;
  if (!found) assert.notEqual(process.env.CI, 'true', 'tmux is needed to give the CLI a terminal; CI has it');
  return found;
}

/** subvisor's pid: the child's parent. */
function subvisorPid(childPid: number): number {
  const stat = readFileSync(`/proc/${childPid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

test('one Ctrl-C under concurrently, which passes it on late, stops the processes gracefully: its copy is no second Ctrl-C', { timeout: 40_000 }, async (t) => {
  if (!hasTmux()) return t.skip('no tmux');
  const run = upUnderConcurrently();
  try {
    await waitUntil(() => existsSync(join(run.dir, 'child.pid')) && run.out().includes('starting'), 'the child to start', 15_000);
    const cli = subvisorPid(run.childPid());
    run.ctrlC();
    await waitUntil(() => !isRunning(cli), 'subvisor to end', 20_000);
    assert.doesNotMatch(run.out(), /second SIGINT/);
    assert.ok(existsSync(join(run.dir, 'graceful')), `the child was not let finish its stop:\n${run.out()}`);
  } finally {
    run.dispose();
  }
});

test('under concurrently, a second Ctrl-C still kills at once', { timeout: 60_000 }, async (t) => {
  if (!hasTmux()) return t.skip('no tmux');
  const run = upUnderConcurrently();
  try {
    await waitUntil(() => existsSync(join(run.dir, 'child.pid')) && run.out().includes('starting'), 'the child to start', 15_000);
    const cli = subvisorPid(run.childPid());
    run.ctrlC();
    await waitUntil(() => run.out().includes('stopping'), 'the graceful stop to begin', 10_000);
    run.ctrlC();
    await waitUntil(() => !isRunning(cli), 'subvisor to end', 20_000);
    assert.match(run.out(), /second SIGINT: killing slow at once/);
    assert.ok(!existsSync(join(run.dir, 'graceful')), 'the child finished its stop: it was not killed');
  } finally {
    run.dispose();
  }
});

/** A process tree as /proc would tell it: pid -> facts. */
function tree(entries: Record<number, ProcessFacts>): (pid: number) => ProcessFacts | undefined {
  return (pid) => entries[pid];
}

test('a Ctrl-C is expected twice only when subvisor and a program that passes it on (concurrently) are both in the terminal\'s foreground group', () => {
  const shell = { ppid: 1, pgrp: 10, tpgid: 50, argv: ['bash'] };
  const viaNode = { ppid: 10, pgrp: 50, tpgid: 50, argv: ['node', '/app/node_modules/concurrently/dist/bin/concurrently.js', 'subvisor up'] };
  const sh = { ppid: 50, pgrp: 50, tpgid: 50, argv: ['sh', '-c', 'subvisor up'] };
  const subvisor = { ppid: 60, pgrp: 50, tpgid: 50, argv: ['node', '/usr/bin/subvisor', 'up'] };
  assert.equal(ctrlCPassedOnBy(70, tree({ 10: shell, 50: viaNode, 60: sh, 70: subvisor })), 'concurrently');
  assert.equal(ctrlCPassedOnBy(70, tree({ 10: shell, 50: { ...viaNode, argv: ['/app/node_modules/.bin/conc', 'x'] }, 60: sh, 70: subvisor })), 'conc');
  // The control: npm in the same place passes nothing on.
  assert.equal(ctrlCPassedOnBy(70, tree({ 10: shell, 50: { ...viaNode, argv: ['npm', 'run', 'dev'] }, 60: sh, 70: subvisor })), undefined);
  // concurrently outside the foreground group did not get the Ctrl-C: no copy of it to pass on.
  assert.equal(ctrlCPassedOnBy(70, tree({ 10: shell, 50: { ...viaNode, pgrp: 40 }, 60: sh, 70: subvisor })), undefined);
  // subvisor in a group of its own (a background job), or with no terminal, got no Ctrl-C from one.
  assert.equal(ctrlCPassedOnBy(70, tree({ 10: shell, 50: viaNode, 60: sh, 70: { ...subvisor, pgrp: 70 } })), undefined);
  assert.equal(ctrlCPassedOnBy(70, tree({ 10: shell, 50: viaNode, 60: sh, 70: { ...subvisor, tpgid: -1 } })), undefined);
});
