// subvisor up --json: every line, state change and failure as one JSON record on stdout.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../cli.js';
import { config, scratch } from './support.js';

describe('subvisor up', () => {
  test("--json: a main process that could never start ends the run with a failure record that says so: reason not-started and its code", { timeout: 30_000 }, async () => {
    const file = config('processes:\n  seed: { cmd: echo seeded, task: true, ready: never }\n  web: { cmd: echo web, main: true, dependsOn: { seed: ready } }\n');
    const run = await runCli(['up', '--json', '-f', file]);
    assert.equal(run.code, 1, run.stderr);
    const failure = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).find((record) => record.event === 'failure');
    // Before, `reason` was the catch-all `error`, though the record's own line says what it was.
    assert.deepEqual({ name: failure?.name, reason: failure?.reason, code: failure?.code, line: failure?.line }, { name: 'web', reason: 'not-started', code: 'ERR_SUBVISOR_MAIN_NOT_STARTED', line: 'not started: seed exited before it was ready' });
  });

  test('--json: every line and state change as an object with name, stream and line', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  one: { cmd: "echo hello; echo oops >&2" }
`);
    const run = await runCli(['up', '-f', file, '--json']);
    assert.equal(run.code, 0);
    const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(records.some((record) => record.name === 'one' && record.stream === 'stdout' && record.line === 'hello'));
    assert.ok(records.some((record) => record.name === 'one' && record.stream === 'stderr' && record.line === 'oops'));
    assert.ok(records.some((record) => record.event === 'summary' && record.name === 'subvisor' && record.stream === 'report'));
    for (const record of records) assert.ok(typeof record.name === 'string' && typeof record.stream === 'string' && typeof record.line === 'string', JSON.stringify(record));
    assert.equal(run.stderr, '', 'in JSON mode everything goes to stdout');
  });

  test('--json: no config file here, or an option up cannot read, is one failure record on stdout too (reason usage), status 2, nothing on stderr', { timeout: 30_000 }, async () => {
    const procfile = join(scratch, 'usage-Procfile');
    writeFileSync(procfile, 'web: true\n');
    for (const args of [['up', '--json'], ['up', '--json', '-f', procfile, '--grace', 'soon']]) {
      const run = await runCli(args, { cwd: scratch });
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(run.stderr, '', `${args.join(' ')}: in JSON mode everything goes to stdout`);
      const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(records.length, 1, run.stdout);
      const [record] = records as [Record<string, unknown>];
      assert.deepEqual({ event: record.event, reason: record.reason, code: record.code, exitCode: record.exitCode }, { event: 'failure', reason: 'usage', code: 'ERR_SUBVISOR_USAGE', exitCode: 2 });
    }
    const [noFile, badGrace] = await Promise.all([runCli(['up', '--json'], { cwd: scratch }), runCli(['up', '--json', '-f', procfile, '--grace', 'soon'], { cwd: scratch })]);
    assert.match(noFile.stdout, /no config file here/);
    assert.match(badGrace.stdout, /--grace/);
  });

  test('--json: a command line up cannot parse (an unknown option, a missing value) is one failure record on stdout too (reason usage), status 2, nothing on stderr', { timeout: 30_000 }, async () => {
    const cases = [
      { args: ['up', '--json', '--grce', '5s'], says: /unknown option '--grce'; did you mean --grace\?/ },
      { args: ['up', '--json', '-f'], says: /^-f needs a value right after it, and got none \(the line ended there\): -f VALUE$/ },
    ];
    const runs = await Promise.all(cases.map(({ args }) => runCli(args, { cwd: scratch })));
    for (const [i, run] of runs.entries()) {
      const { args, says } = cases[i] as (typeof cases)[number];
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(run.stderr, '', `${args.join(' ')}: in JSON mode everything goes to stdout`);
      const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(records.length, 1, run.stdout);
      const [record] = records as [Record<string, unknown>];
      assert.deepEqual({ name: record.name, event: record.event, reason: record.reason, code: record.code, exitCode: record.exitCode }, { name: 'subvisor', event: 'failure', reason: 'usage', code: 'ERR_SUBVISOR_USAGE', exitCode: 2 });
      assert.match(String(record.line), says);
    }
    // The control: a --json after `--` is no option, so the mistake before it is told in words.
    const plain = await runCli(['up', '--grce', '5s', '--', '--json'], { cwd: scratch });
    assert.equal(plain.code, 2);
    assert.equal(plain.stdout, '');
    assert.match(plain.stderr, /^subvisor: unknown option '--grce'; did you mean --grace\?/);
  });
});
