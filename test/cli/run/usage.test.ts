// subvisor run: its command line (help, version, bad usage). The other concerns of `run` are in this folder's other files.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cliPool, runCli, type CliRun } from '../cli.js';

describe('subvisor run', () => {
  test('--help after any command prints the usage with status 0; after the command it is the command\'s', { timeout: 30_000 }, async () => {
    // Each command's help documents that command: the synopses its section has, and no other.
    const synopses = (text: string): string[] => [...text.matchAll(/^ {2}subvisor (\S+(?: (?:systemd|compose))?)/gm)].map((match) => match[1] ?? '');
    // And only the footer lines that apply: durations where the command takes one, Ctrl-C's two steps where it supervises.
    const footers = (text: string): string[] => [...text.matchAll(/^(Durations|First Ctrl-C)/gm)].map((match) => match[1] ?? '');
    const both = ['Durations', 'First Ctrl-C'];
    const cases: [string[], string[], string[]][] = [
      [['--help'], ['run', 'up', 'ps', 'restart|stop|start', 'logs', 'export systemd', 'export compose', 'probe', '--help'], both],
      [['run', '--help'], ['run', '--help:'], both],
      [['up', '-h'], ['up', '--help:'], both],
      [['ps', '--help'], ['ps', '--help:'], []],
      [['logs', '--help'], ['logs', '--help:'], []],
      [['export', 'systemd', '--help'], ['export systemd', 'export compose', '--help:'], []],
      [['export', '--help'], ['export systemd', 'export compose', '--help:'], []],
      [['probe', '--help'], ['probe', '--help:'], ['Durations']],
      [['stop', '--help'], ['restart|stop|start', '--help:'], []],
    ];
    // Ten CLIs that do not depend on each other: four at a time, then each checked as before.
    const pooled = cliPool(4);
    const [helps, passedOn] = await Promise.all([
      Promise.all(cases.map(([args]) => pooled(args))),
      pooled(['run', '--label', 'c', '--', 'sh', '-c', 'echo "$1"', 'sh', '--help']),
    ]);
    for (const [i, [args, documented, footer]] of cases.entries()) {
      const run = helps[i] as CliRun;
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stdout, /^subvisor: structured supervision of child processes\n\nusage:/, args.join(' '));
      assert.deepEqual(synopses(run.stdout), documented, args.join(' '));
      assert.deepEqual(footers(run.stdout), footer, args.join(' '));
    }
    assert.equal(passedOn.code, 0, passedOn.stderr);
    assert.match(passedOn.stdout, /^c \| --help$/m);
  });

  test("without a leading --, the command starts at its first word, and a -- after it is the command's own", { timeout: 30_000 }, async () => {
    for (const args of [['run', 'echo', 'a', '--', 'b'], ['run', '--json', 'echo', 'a', '--', 'b'], ['run', '--', 'echo', 'a', '--', 'b']]) {
      const run = await runCli(args);
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stdout, /a -- b/, args.join(' '));
    }
  });

  test('--label must be a name: not empty, no control characters (a newline would split every line)', { timeout: 30_000 }, async () => {
    for (const label of ['', 'a\nb', 'tab\there']) {
      const run = await runCli(['run', '--label', label, '--', 'echo', 'hi']);
      assert.equal(run.code, 2, JSON.stringify(label));
      assert.match(run.stderr, label === '' ? /^subvisor: --label needs a value, not an empty or blank string/ : /^subvisor: --label needs a name without control characters/);
    }
  });

  test("an option given an empty value (an unset shell variable) is bad usage, not the current directory or a command that never passes", { timeout: 60_000 }, async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'subvisor-empty-'));
    try {
      writeFileSync(join(scratch, 'Procfile'), 'web: echo web\n');
      const cases = [
        [['export', 'systemd', '-o', ''], '--output \\(-o\\)'],
        [['export', 'compose', '--image', ' '], '--image'],
        [['probe', '--exec', ''], '--exec'],
        [['probe', '--tcp', '127.0.0.1:1', '--timeout', ''], '--timeout'],
        [['up', '--socket', ''], '--socket'],
        [['logs', '-n', ''], '--lines \\(-n\\)'],
      ] as const;
      // Seven CLIs that do not depend on each other: four at a time, then each checked as before.
      const pooled = cliPool(4);
      const [runs, emptyReady] = await Promise.all([
        Promise.all(cases.map(([args]) => pooled(args, { cwd: scratch }))),
        pooled(['run', '--ready', '', '--', 'echo', 'hi']),
      ]);
      for (const [i, [args, option]] of cases.entries()) {
        const run = runs[i] as CliRun;
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, new RegExp(`^subvisor: ${option} needs a value, not an empty or blank string`), args.join(' '));
      }
      // Nothing was written where '' would have led: the current directory.
      assert.deepEqual(readdirSync(scratch), ['Procfile']);
      // An empty --ready is a pattern that every line matches: still allowed.
      assert.equal(emptyReady.code, 0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test('in a current directory that was removed, `run` and `probe` run their command there, as a shell would; `up` and the clients say what happened', { timeout: 30_000 }, async () => {
    const inRemoved = (): { execVia: string[] } => ({ execVia: ['sh', '-c', 'cd "$0" && rmdir "$0" && exec "$@"', mkdtempSync(join(tmpdir(), 'subvisor-removed-'))] });
    const run = await runCli(['run', '--', 'sh', '-c', 'echo ran'], inRemoved());
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^sh +\| ran$/m);
    const probe = await runCli(['probe', '--exec', 'true', '--timeout', '5s'], inRemoved());
    assert.equal(probe.code, 0, probe.stderr);
    for (const args of [['up'], ['up', '-f', '/nonexistent/subvisor.yaml'], ['ps']]) {
      const refused = await runCli(args, inRemoved());
      assert.equal(refused.code, 1, refused.stderr);
      assert.equal(refused.stderr, 'subvisor: the current directory no longer exists (it was removed): cd to a directory that exists, and run this again\n', args.join(' '));
    }
    // `up --json` says it as a record, the only thing its reader reads.
    const json = await runCli(['up', '--json'], inRemoved());
    assert.equal(json.code, 1, json.stdout + json.stderr);
    assert.equal(json.stderr, '');
    const record = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.deepEqual([record.event, record.reason, record.code, record.exitCode], ['failure', 'cwd', 'ENOENT', 1]);
    assert.match(String(record.line), /^the current directory no longer exists \(it was removed\): cd to a directory/);
  });

  test('bad usage is one line and status 2', { timeout: 30_000 }, async () => {
    // Seventeen CLIs that do not depend on each other: run four at a time rather than one after
    // another (20 s on a loaded machine), then each checked as before.
    const pooled = cliPool(4);
    const oneLiners = [['run'], ['run', '--grace', 'soon', '--', 'true'], ['frobnicate'], ['run', '--ready', '(', '--', 'true']];
    const [usages, badPattern, dashed, forgotten, stdinConfig, negative, zero, negativeDuration, commands, misspelt, far, unknownCommand] = await Promise.all([
      Promise.all(oneLiners.map((args) => pooled(args))),
      pooled(['run', '--ready', '(', '--', 'true']),
      pooled(['run', '--label', '--timestamps', '--', 'true']),
      pooled(['run', '--grace', '--', 'true']),
      pooled(['up', '-f', '-', '--json']),
      pooled(['logs', '-n', '-5']),
      pooled(['run', '--timeout', '0', '--', 'true']),
      pooled(['run', '--timeout', '-5s', '--', 'true']),
      pooled(['run', '--', 'sh', '-c', 'echo "$1"', 'sh', '-5']),
      pooled(['run', '--lable', 'x', '--', 'true']),
      pooled(['ps', '--zzzzzz']),
      pooled(['frobnicate']),
    ]);
    for (const [i, args] of oneLiners.entries()) {
      const run = usages[i] as CliRun;
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^subvisor: /);
    }
    assert.equal(badPattern.stderr, 'subvisor: --ready: not a valid regular expression (Unterminated group); fix the pattern (a JavaScript RegExp, without flags)\n(see subvisor run --help)\n');
    // A value forgotten (`--label $UNSET --timestamps`) is said to be missing, before an option of
    // run's own (no advice to take it as the value); Node's "ambiguous" and its '--label=-XYZ' did not say so.
    // (`--label --json` would be a record: see the --json usage test.)
    assert.equal(dashed.code, 2, dashed.stderr);
    assert.equal(dashed.stderr, 'subvisor: --label needs a value right after it, and got none (--timestamps, an option, came next): --label VALUE\n(see subvisor run --help)\n');
    assert.equal(forgotten.stderr, 'subvisor: --grace needs a value right after it, and got none (`--` came next): --grace VALUE\n(see subvisor run --help)\n');
    // The control: a lone - is a value (-f -, the config on stdin), not a missing one.
    assert.doesNotMatch(stdinConfig.stdout, /needs a value/);
    // A negative number is no option: the option's own check says what it expects, not Node's
    // advice to write --lines=-5, which that check would refuse in turn.
    assert.equal(negative.stderr, "subvisor: -n: expected a whole number of lines, 0 or more, got '-5'\n(see subvisor logs --help)\n");
    // --timeout 0 would stop the child as it starts (timeout(1) reads 0 as no timeout at all): refused.
    assert.equal(zero.code, 2, zero.stderr);
    assert.match(zero.stderr, /^subvisor: --timeout must be longer than 0: it is how long the command may run \(leave it out for no limit\)$/m);
    assert.equal(negativeDuration.code, 2, negativeDuration.stderr);
    assert.match(negativeDuration.stderr, /^subvisor: --timeout: invalid duration '-5s'/);
    // After `--`, a negative number is the command's.
    assert.match(commands.stdout, /^sh \| -5$/m);
    // A misspelt option: the one most likely meant, and the command's own help.
    assert.equal(misspelt.code, 2, misspelt.stderr);
    assert.equal(misspelt.stderr, "subvisor: unknown option '--lable'; did you mean --label?\n(see subvisor run --help)\n");
    assert.equal(far.stderr, "subvisor: unknown option '--zzzzzz'; the options are --file, --socket, --json, --help\n(see subvisor ps --help)\n");
    assert.match(unknownCommand.stderr, /\n\(see subvisor --help\)\n$/);
  });

  test("`help COMMAND` is that command's help; a word that names no command, there or in the command's place, is refused with the one most likely meant", { timeout: 30_000 }, async () => {
    const cases = [
      [['help', 'bogus'], ''],
      [['help', 'stauts'], "; did you mean 'ps'?"],
      [['rn', '--', 'true'], "; did you mean 'run'?"],
      [['version'], "; did you mean '--version'?"],
      [['--verison'], "; did you mean '--version'?"],
      [['tail', '-f'], "; did you mean 'logs'?"],
    ] as const;
    // Eight CLIs that do not depend on each other: four at a time, then each checked as before.
    const pooled = cliPool(4);
    const [help, logsHelp, refusals] = await Promise.all([
      pooled(['help', 'logs']),
      pooled(['logs', '--help']),
      Promise.all(cases.map(([args]) => pooled(args))),
    ]);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stdout, logsHelp.stdout);
    for (const [i, [args, meant]] of cases.entries()) {
      const run = refusals[i] as CliRun;
      const word = args[0] === 'help' ? args[1] : args[0];
      assert.deepEqual(run, { code: 2, signal: null, stdout: '', stderr: `subvisor: unknown command '${word}'${meant}\n(see subvisor --help)\n` }, args.join(' '));
    }
  });

  test('no command at all is bad usage: the usage on stderr, nothing on stdout, status 2', { timeout: 30_000 }, async () => {
    const run = await runCli([]);
    assert.deepEqual({ code: run.code, stdout: run.stdout }, { code: 2, stdout: '' });
    assert.match(run.stderr, /^subvisor: structured supervision of child processes\n\nusage:/);
  });

  test('--version and -v print the package version; --help and -h the usage', { timeout: 30_000 }, async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const run = await runCli([flag]);
      assert.deepEqual({ code: run.code, stdout: run.stdout }, { code: 0, stdout: `${version}\n` }, flag);
    }
    for (const flag of ['--help', '-h']) assert.match((await runCli([flag])).stdout, /^subvisor: structured supervision of child processes\n/, flag);
  });
});
