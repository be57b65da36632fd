// subvisor up: how a run ends (its exit status, fail fast, restarts) and what it says at the end (the closing table, the summary).
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { isRunning } from '../../support/processes.js';
import { runCli } from '../cli.js';
import { config, linesOf, pick, scratch } from './support.js';
import { displayWidth } from '../../../src/cli/text-width.js';

describe('subvisor up', () => {
  test('the demo: dependencies start only once what they depend on is ready; main ends the run cleanly', { timeout: 60_000 }, async () => {
    const run = await runCli(['up', '-f', resolve('examples/demo/subvisor.yaml')]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    const at = (pattern: RegExp): number => {
      const index = lines.findIndex((line) => pattern.test(line));
      assert.ok(index >= 0, `no line matches ${String(pattern)}`);
      return index;
    };
    assert.ok(at(/^db +\* ready after/) < at(/^web +\* starting \(pid/), 'web starts after db is ready');
    assert.ok(at(/^web +\* ready after/) < at(/^smoke +\* starting \(pid/), 'smoke starts after web is ready');
    assert.ok(at(/^smoke +\* exited with status 0/) < at(/^db +\| db: SIGTERM received/), 'db is stopped after the main process exits');
    assert.match(run.stdout, /^web +\| web: SIGTERM received/m);
    assert.match(run.stderr, /^name +pid +result +duration +restarts$/m);
    assert.match(run.stderr, /^smoke +\d+ +exited 0 /m);
    assert.match(run.stderr, /^db +\d+ +stopped /m);
  });

  test('a process whose cwd does not exist fails the run with 1, not 127 (the command was there; its directory was not)', { timeout: 30_000 }, async () => {
    const file = config('processes:\n  a:\n    cmd: echo hi\n    cwd: ./nodir\n');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout + run.stderr, /cannot start echo hi: the cwd \S*nodir does not exist/);
    // Control: a program that is missing is still 127.
    const missing = await runCli(['up', '-f', config('processes:\n  a:\n    cmd: [no-such-program-here]\n')]);
    assert.equal(missing.code, 127, missing.stdout + missing.stderr);
  });

  test('a long result (a failure naming a long command) is cut in the closing table, and said in full in its own line', { timeout: 30_000 }, async () => {
    const file = config(`processes:\n  big:\n    cmd: "echo ${'x'.repeat(140_000)}"\n  small:\n    cmd: "sleep 0.2"\n`);
    const run = await runCli(['up', '-f', file]);
    // 126: found and not runnable, as timeout(1) and bash say for an exec refused with E2BIG.
    assert.equal(run.code, 126, run.stderr.slice(0, 2000));
    assert.match(run.stderr, /^subvisor: big failed: cannot start echo x+… \(\d+ more characters\): argv\[2\] .* \(E2BIG\)/m);
    const table = run.stderr.slice(run.stderr.search(/^name +pid +result/m)).split('\n').filter((line) => line !== '');
    assert.deepEqual(table.map((line) => line.split(/ +/)[0]), ['name', 'big', 'small']);
    for (const line of table) assert.ok(line.length < 160, `a row of ${line.length} characters: ${line.slice(0, 200)}`);
    assert.match(table[1] ?? '', /^big +- +cannot start echo x+… \(\d+ more characters\) +- +0$/);
  });

  test('the closing table lines its columns up by what a terminal draws: a CJK result takes two columns a character', { timeout: 30_000 }, async () => {
    const file = config('processes:\n  wide:\n    cmd: [./日本語のコマンド]\n  narrow:\n    cmd: "sleep 0.2"\n');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 127, run.stderr);
    const table = run.stderr.slice(run.stderr.search(/^name +pid +result/m)).trimEnd().split('\n');
    assert.equal(table.length, 3, run.stderr);
    // The duration column starts in the same terminal column on every row.
    const durationColumn = (line: string): number => displayWidth(line.slice(0, line.search(/(?<= {2})(duration|-|\d+ ms) +\S+$/)));
    assert.deepEqual(table.map(durationColumn), Array(3).fill(durationColumn(table[0] ?? '')), table.join('\n'));
  });

  test('fail fast: an unexpected failure stops everything; the run exits with its status and shows its stderr tail', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  steady:
    cmd: "echo pid $$; exec sleep 30"
  broken:
    cmd: "sleep 0.3; echo 'disk quota exceeded' >&2; exit 3"
`);
    const run = await runCli(['up', '-f', file, '--grace', '1s']);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /subvisor: broken failed: exited with status 3/);
    assert.match(run.stderr, /\|_\.stderr of broken .*:\n {4}disk quota exceeded/);
    const pid = Number(/steady +\| pid (\d+)/.exec(run.stdout)?.[1]);
    assert.ok(pid > 0);
    assert.equal(isRunning(pid), false, 'the healthy process was stopped');
    assert.match(run.stderr, /^steady +\d+ +stopped/m);
  });

  test('without a main process the run ends when every process has exited', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  a: { cmd: "sleep 0.2; echo a done" }
  b: { cmd: "echo b done" }
`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^a +\| a done$/m);
    assert.match(run.stdout, /^b +\| b done$/m);
  });

  test('a main process that exits 0 before it is ready fails the run with 1, where run --ready exits 0', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  a: { cmd: "exit 0", ready: "never printed", main: true }
`);
    const up = await runCli(['up', '-f', file]);
    assert.equal(up.code, 1, up.stderr);
    assert.match(up.stdout, /^a \* exited with status 0 before it was ready$/m);
    // Control: run, a stack of one main process whose readiness is optional, reports the exit as it is.
    const run = await runCli(['run', '--ready', 'never printed', '--', 'sh', '-c', 'exit 0']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /exited with status 0 after .*, before it was ready$/m);
  });

  test('restart on-failure retries with backoff up to its bound, then fails', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  flaky:
    cmd: "echo attempt; exit 2"
    restart: { policy: on-failure, max: 2, backoff: 50ms }
`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 2);
    assert.equal(linesOf(run.stdout, 'flaky').filter((line) => line.endsWith('| attempt')).length, 3, 'the first run and two restarts');
    const restarts = linesOf(run.stdout, 'flaky').filter((line) => line.includes('restarting in'));
    // The delay doubles from the backoff: 50 ms, then 100 ms.
    assert.deepEqual(restarts.map((line) => /restarting in (\d+) ms/.exec(line)?.[1]), ['50', '100']);
    assert.match(run.stderr, /^flaky +\d+ +exited with status 2 +\S+ \S+ +2$/m);
  });

  test('restart recovers a process that fails once', { timeout: 30_000 }, async () => {
    const marker = join(scratch, 'flaky-once');
    const file = config(`processes:
  once:
    cmd: "if [ -e ${marker} ]; then echo recovered; else touch ${marker}; exit 1; fi"
    restart: { policy: on-failure, max: 3, backoff: 20ms }
`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /once +\| recovered/);
  });

  test("the summary: its duration is the one the exit line gives (same clock, same spawn), and pid and durationMs are null for a process that never spawned", { timeout: 30_000 }, async () => {
    const file = config(`processes:
  quick: { cmd: "true" }
  short: { cmd: "sleep 0.1" }
  failing: { cmd: "sleep 0.7; exit 3" }
  later: { cmd: "true", dependsOn: { failing: succeeded } }
`);
    const run = await runCli(['up', '-f', file, '--json']);
    assert.equal(run.code, 3, run.stderr);
    const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { name: string; event?: string; line: string; processes?: { name: string; durationMs: number | null }[] });
    const summary = records.find((record) => record.event === 'summary')?.processes ?? [];
    // Every row has every field, null where the process never spawned.
    assert.deepEqual(summary.find((row) => row.name === 'later'), { name: 'later', pid: null, result: 'not started: failing failed (status 3)', durationMs: null, restarts: 0, notStartedBecause: 'failing failed (status 3)' });
    for (const name of ['quick', 'short']) {
      const exitLine = records.find((record) => record.name === name && record.event === 'exited')?.line;
      const ms = summary.find((row) => row.name === name)?.durationMs ?? NaN;
      // As the line words it: ms below a second, else seconds (a loaded machine may take that long).
      assert.equal(exitLine, `exited with status 0 after ${ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`}`, JSON.stringify(summary));
    }
    // A failure's line gives no duration; its failure report does (the CalledProcessError's, the same clock's).
    const failed = summary.find((row) => row.name === 'failing')?.durationMs ?? 0;
    assert.ok(failed >= 700 && failed < 3000, `failing: ${failed} ms`);
    // The exit records carry it as a number too, the same as the summary's; and signal, both of them.
    const event = (name: string, kind: string): Record<string, unknown> | undefined => records.find((record) => record.name === name && record.event === kind);
    assert.deepEqual(pick(event('quick', 'exited'), ['returncode', 'signal', 'durationMs']), { returncode: 0, signal: null, durationMs: summary.find((row) => row.name === 'quick')?.durationMs });
    assert.deepEqual(pick(event('failing', 'failed'), ['returncode', 'signal', 'durationMs']), { returncode: 3, signal: null, durationMs: failed });
    // A process a failure kept from starting says why in a field, as the summary's row does.
    assert.equal(event('later', 'not-started')?.because, 'failing failed (status 3)');
  });
});
