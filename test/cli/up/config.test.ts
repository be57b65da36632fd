// subvisor up: what it reads (subvisor.yaml, a Procfile, the NAMEs it is given) and how it refuses what it cannot run.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { SHOWN_PROBLEMS } from '../../../src/cli/config/errors.js';
import { runCli } from '../cli.js';
import { config, configs, scratch } from './support.js';

describe('subvisor up', () => {
  test('NAMEs select processes and what they depend on, nothing else', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  db: { cmd: "echo db ran" }
  web: { cmd: "echo web ran", dependsOn: [db] }
  worker: { cmd: "echo worker ran" }
`);
    const run = await runCli(['up', '-f', file, 'web']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /db ran/);
    assert.match(run.stdout, /web ran/);
    assert.doesNotMatch(run.stdout, /worker/);
  });

  test('a Procfile works: name: command per line', { timeout: 30_000 }, async () => {
    const file = config('# a foreman Procfile\nweb: echo web from procfile\n\nworker: echo worker from procfile\n', 'Procfile');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^web +\| web from procfile$/m);
    assert.match(run.stdout, /^worker +\| worker from procfile$/m);
  });

  test('a Procfile in the current directory is found without -f', { timeout: 30_000 }, async () => {
    const file = config('only: echo found it\n', 'Procfile');
    const run = await runCli(['up'], { cwd: resolve(file, '..') });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /found it/);
  });

  describe('bad config is reported before anything starts', () => {
    const cases: [string, string, RegExp][] = [
      ['a YAML syntax error, with file, line and column', 'processes:\n  ok: { cmd: "touch MARKER" }\n  web:\n    cmd: [unclosed\n    ready: x\n', /subvisor\.yaml:\d+:\d+/],
      ['an unknown dependency, named', 'processes:\n  web:\n    cmd: "touch MARKER"\n    dependsOn: [dbb]\n', /subvisor\.yaml:4:\d+.*dbb/],
      ['a dependency cycle, named', 'processes:\n  a: { cmd: "touch MARKER", dependsOn: [b] }\n  b: { cmd: "true", dependsOn: [a] }\n', /a -> b -> a|b -> a -> b/],
      ['a missing cmd', 'processes:\n  web:\n    ready: x\n  other: { cmd: "touch MARKER" }\n', /subvisor\.yaml:2:\d+.*web.*cmd/],
      ['an unknown key, with a suggestion', 'processes:\n  web:\n    cmd: "touch MARKER"\n    depends_on: [x]\n', /subvisor\.yaml:4:\d+.*dependsOn/],
    ];
    for (const [what, text, expected] of cases) {
      test(what, { timeout: 30_000 }, async () => {
        const marker = join(scratch, `marker-${configs}`);
        const file = config(text.replace('MARKER', marker));
        const run = await runCli(['up', '-f', file]);
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, expected);
        assert.equal(existsSync(marker), false, 'nothing may start');
        assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      });
    }

    test('--json: a bad config is one failure record on stdout (reason config, its code, each problem located), with status 2 and nothing on stderr', { timeout: 30_000 }, async () => {
      const marker = join(scratch, `marker-${configs}`);
      const file = config(`processes:\n  web:\n    cmd: "touch ${marker}"\n    dependsOn: [dbb]\n  api:\n    dependsOn: [web]\n`);
      const run = await runCli(['up', '--json', '-f', file]);
      assert.equal(run.code, 2, run.stdout);
      assert.equal(run.stderr, '', 'in JSON mode everything goes to stdout');
      assert.equal(existsSync(marker), false, 'nothing may start');
      const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(records.length, 1, run.stdout);
      const [record] = records as [Record<string, unknown>];
      assert.deepEqual({ name: record.name, stream: record.stream, event: record.event, reason: record.reason, code: record.code, exitCode: record.exitCode }, { name: 'subvisor', stream: 'report', event: 'failure', reason: 'config', code: 'ERR_SUBVISOR_CONFIG', exitCode: 2 });
      assert.match(String(record.line), /subvisor\.yaml:4:\d+: processes\.web\.dependsOn\[0\]: unknown process 'dbb'/);
      const problems = record.problems as Record<string, unknown>[];
      assert.deepEqual(problems.map(({ line, path, process }) => ({ line, path, process })), [
        { line: 4, path: 'processes.web.dependsOn[0]', process: 'web' },
        { line: 5, path: 'processes.api', process: 'api' },
      ]);
      // The control: without --json, the same refusal is words on stderr, and stdout stays empty.
      const plain = await runCli(['up', '-f', file]);
      assert.equal(plain.code, 2);
      assert.equal(plain.stdout, '');
      assert.match(plain.stderr, /^subvisor: \S*subvisor\.yaml:4:\d+: processes\.web\.dependsOn\[0\]: unknown process 'dbb'/);
    });
  });

  test('a config with more problems than are shown: the first ones on stderr and a line counting the rest; --json carries those and moreProblems', { timeout: 30_000 }, async () => {
    const keys = Array.from({ length: 600 }, (_, index) => `    k${index}: 1\n`).join('');
    const file = config(`processes:\n  web:\n    cmd: x\n${keys}`);
    const plain = await runCli(['up', '-f', file]);
    assert.equal(plain.code, 2);
    const shown = plain.stderr.trimEnd().split('\n');
    assert.equal(shown.length, SHOWN_PROBLEMS + 1, plain.stderr.slice(0, 500));
    assert.match(shown[0] ?? '', /^subvisor: \S*subvisor\.yaml:4:5: processes\.web\.k0: unknown key/);
    assert.equal(shown.at(-1), `… and ${600 - SHOWN_PROBLEMS} more problems (fix these first)`);
    const json = await runCli(['up', '--json', '-f', file]);
    const record = JSON.parse(json.stdout) as { problems: { path: string }[]; moreProblems: number; line: string };
    assert.deepEqual([record.problems.length, record.problems.at(-1)?.path, record.moreProblems], [SHOWN_PROBLEMS, `processes.web.k${SHOWN_PROBLEMS - 1}`, 600 - SHOWN_PROBLEMS]);
    // The control: a config with a few problems has no count.
    const few = await runCli(['up', '--json', '-f', config('processes:\n  web:\n    cmd: x\n    k0: 1\n')]);
    assert.equal('moreProblems' in (JSON.parse(few.stdout) as object), false, few.stdout);
  });

  test('a whole command in one word of an argv cmd fails with the way subvisor.yaml has a shell run it, not the library\'s shell: true', { timeout: 30_000 }, async () => {
    const file = config('processes:\n  list:\n    cmd: ["ls -l"]\n    main: true\n');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 127, run.stdout + run.stderr);
    assert.match(run.stdout, /list \* cannot start 'ls -l': ls -l is one word holding a whole command: give each word as an argument of its own, or have a shell read it \(sh -c '\.\.\.', or in subvisor\.yaml a cmd written as one string\)/);
    assert.doesNotMatch(run.stdout + run.stderr, /shell: true/);
    // The control: what the message says to write runs.
    const asString = await runCli(['up', '-f', config('processes:\n  list:\n    cmd: "ls -l"\n    main: true\n')]);
    assert.equal(asString.code, 0, asString.stdout + asString.stderr);
  });

  test("an exec probe whose argv is a whole command in one word says so in the command line's words, not the library's shell: true", { timeout: 30_000 }, async () => {
    const file = config('processes:\n  web:\n    cmd: exec sleep 30\n    readyTimeout: 1s\n    ready: { exec: ["test -d /"], interval: 100ms }\n');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 124, run.stdout + run.stderr);
    assert.match(run.stdout + run.stderr, /last output of its ready probe[^\n]*\n {4}cannot start 'test -d \/': test -d \/ is one word holding a whole command: .*\(sh -c '\.\.\.', or in subvisor\.yaml a cmd written as one string\)/);
    assert.doesNotMatch(run.stdout + run.stderr, /shell: true/);
  });

  test('no config file: a clear error, naming the flag every command that reads one takes', { timeout: 30_000 }, async () => {
    // `logs -f` is --follow, so the flag named is --file, which up, ps, logs and export all take.
    for (const args of [['up'], ['logs', '-f'], ['ps'], ['export', 'compose']]) {
      const run = await runCli(args, { cwd: scratch });
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /no config file here \(looked for subvisor\.yaml, subvisor\.yml, Procfile\); pass one with --file FILE/, args.join(' '));
    }
  });
});
