// The command line's own mistakes: a UsageError, with its stable code and the flag it is about.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError, durationOption, parseControlArgs, parseExportArgs, parseLogsArgs, parseProbeArgs, parseRunArgs, parseUpArgs } from '../../src/cli/args.js';

/** What `logs ARGS` is told: the UsageError's message; fails the test if the words are taken. */
function says(args: string[]): string {
  try {
    parseLogsArgs(args);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error.message;
  }
  assert.fail(`${args.join(' ')} was taken`);
}

test('a duration flag reads Go durations; one it cannot read is a UsageError naming the flag, code ERR_SUBVISOR_USAGE', () => {
  assert.equal(durationOption('--grace', '1.5m'), 90_000);
  assert.throws(
    () => durationOption('--grace', 'soon'),
    (error: unknown) => error instanceof UsageError && error.code === 'ERR_SUBVISOR_USAGE' && /^--grace: /.test(error.message),
  );
});

test('an option taking a value at the end of a short-option cluster (logs -fn) given none says the value is missing, as it does given alone', () => {
  assert.equal(says(['-fn']), '-fn needs a value right after it, and got none (the line ended there): -fn VALUE');
  assert.equal(says(['-fn', '-x']), '-fn needs a value right after it, and got none (-x came next; a value that starts with a dash is written -fn-x): -fn VALUE');
  // A negative number is the value, as after -n alone: -n's own check says what it expects.
  assert.equal(says(['-fn', '-1']), "-n: expected a whole number of lines, 0 or more, got '-1'");
  // The control: the cluster with its value works, and -n alone still says the same.
  assert.deepEqual({ ...parseLogsArgs(['-fn', '5']) }, { ...parseLogsArgs(['-f', '-n', '5']) });
  assert.equal(says(['-n']), '-n needs a value right after it, and got none (the line ended there): -n VALUE');
});

test('an option taking a value followed by another of the command\'s own options says the value is missing before it, with no advice to take that option as the value', () => {
  assert.equal(says(['-n', '--follow']), '-n needs a value right after it, and got none (--follow, an option, came next): -n VALUE');
  assert.equal(says(['-n', '-f']), '-n needs a value right after it, and got none (-f, an option, came next): -n VALUE');
  assert.equal(says(['--lines', '--file=x.yaml']), '--lines needs a value right after it, and got none (--file=x.yaml, an option, came next): --lines VALUE');
  // The control: a word no option of logs is named still gets the advice.
  assert.equal(says(['-n', '--last']), '-n needs a value right after it, and got none (--last came next; a value that starts with a dash is written -n--last): -n VALUE');
});

test("-h before an option taking a value in one cluster (logs -hn, up -hf) given none says the value is missing in subvisor's words, as -fn does", () => {
  assert.equal(says(['-hn']), '-hn needs a value right after it, and got none (the line ended there): -hn VALUE');
  assert.equal(says(['-hn', '--follow']), '-hn needs a value right after it, and got none (--follow, an option, came next): -hn VALUE');
  const parsers: [string, (args: string[]) => unknown][] = [
    ['up', parseUpArgs],
    ['export', (args) => parseExportArgs(['systemd', ...args])],
    ...(['ps', 'stop', 'start', 'restart'] as const).map((command): [string, (args: string[]) => unknown] => [command, (args) => parseControlArgs(command, args)]),
  ];
  for (const [command, parse] of parsers) {
    assert.throws(() => parse(['-hf']), { message: '-hf needs a value right after it, and got none (the line ended there): -hf VALUE' }, command);
  }
  assert.throws(() => parseExportArgs(['systemd', '-ho']), { message: '-ho needs a value right after it, and got none (the line ended there): -ho VALUE' });
  // The control: with its value the cluster asks for help, as -h alone does.
  for (const value of ['5', '-1']) assert.throws(() => parseLogsArgs(['-hn', value]), { name: 'HelpRequested' }, value);
});

test("a switch given a value (logs --follow=x, up --json=false, --help=1) is refused in subvisor's words, by every command", () => {
  const parsers: [string, (args: string[]) => unknown, string[]][] = [
    ['logs', parseLogsArgs, ['--follow', '--help']],
    ['up', parseUpArgs, ['--json', '--timestamps', '--no-port', '--help']],
    ['run', (args) => parseRunArgs([...args, '--', 'true']), ['--json', '--timestamps', '--help']],
    ['export', (args) => parseExportArgs(['systemd', ...args]), ['--no-port', '--help']],
    ['probe', (args) => parseProbeArgs(['--tcp', 'localhost:1', ...args]), ['--help']],
    ['ps', (args) => parseControlArgs('ps', args), ['--json', '--help']],
    ['stop', (args) => parseControlArgs('stop', ['web', ...args]), ['--help']],
  ];
  for (const [command, parse, switches] of parsers) {
    for (const option of switches) {
      for (const value of ['x', 'false', '']) {
        assert.throws(() => parse([`${option}=${value}`]), { name: 'UsageError', message: `${option} takes no value (got ${option}=${value}): write ${option} alone, or leave it out` }, `${command} ${option}=${value}`);
      }
    }
  }
  // The control: an option that takes a value takes it after `=`, and a switch's word after `--` is the command's.
  assert.equal(parseLogsArgs(['--lines=5', '--follow']).follow, true);
  assert.deepEqual(parseRunArgs(['--', 'ls', '--json=1']).command, ['ls', '--json=1']);
});
