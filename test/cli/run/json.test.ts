// subvisor run: --json records and long lines. The other concerns of `run` are in this folder's other files.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from '../cli.js';

describe('subvisor run', () => {
  test('a line longer than 1 MiB is printed in pieces of 1 MiB, each a line (a record in --json) of its own', { timeout: 30_000 }, async () => {
    const MiB = 1024 * 1024;
    const script = `process.stdout.write('a'.repeat(${MiB}) + 'b'.repeat(${MiB}) + 'c'.repeat(1000) + '\\nafter\\n')`;
    const plain = await runCli(['run', '--label', 'long', '--', process.execPath, '-e', script]);
    assert.equal(plain.code, 0, plain.stderr);
    const pieces = plain.stdout.split('\n').filter((line) => line.startsWith('long | ')).map((line) => line.slice('long | '.length));
    assert.deepEqual(pieces.map((piece) => [piece[0], piece.length]), [['a', MiB], ['b', MiB], ['c', 1000], ['a', 5]]);
    assert.equal(pieces[3], 'after');
    const json = await runCli(['run', '--json', '--label', 'long', '--', process.execPath, '-e', script]);
    const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { stream: string; line: string }).filter((record) => record.stream === 'stdout');
    assert.deepEqual(lines.map((record) => record.line.length), [MiB, MiB, 1000, 5]);
  });

  test('--json prints one object per line with name, stream and line', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--json', '--label', 'j', '--', 'sh', '-c', 'echo to-out; echo to-err >&2']);
    assert.equal(run.code, 0);
    const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(records.some((record) => record.name === 'j' && record.stream === 'stdout' && record.line === 'to-out'));
    assert.ok(records.some((record) => record.name === 'j' && record.stream === 'stderr' && record.line === 'to-err'));
    assert.ok(records.every((record) => typeof record.time === 'string'));
    assert.ok(records.some((record) => record.stream === 'status' && record.event === 'exited'));
    // The run's end as `up --json` gives it: its exit status in the stream, last.
    assert.deepEqual(records.at(-1), { time: records.at(-1)?.time, name: 'subvisor', stream: 'report', event: 'summary', line: 'exit status 0', exitCode: 0, processes: [{ name: 'j', pid: (records[0] as { pid?: number }).pid, result: 'exited 0', durationMs: (records.at(-1) as { processes: { durationMs: number }[] }).processes[0]?.durationMs, restarts: 0 }] });
    const failed = await runCli(['run', '--json', '--label', 'f', '--', 'sh', '-c', 'echo why >&2; exit 7']);
    assert.equal(failed.code, 7);
    assert.equal(failed.stderr, '', 'in --json everything is a record on stdout');
    const ends = failed.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).slice(-2);
    assert.deepEqual(ends.map(({ name, event, exitCode }) => ({ name, event, exitCode })), [{ name: 'f', event: 'failure', exitCode: 7 }, { name: 'subvisor', event: 'summary', exitCode: 7 }]);
  });

  test('--json: a command line run cannot take (an unknown option, a missing value, a bad --ready) is one failure record on stdout (reason usage), status 2, nothing on stderr', { timeout: 30_000 }, async () => {
    const cases = [
      { args: ['run', '--json', '--grce', '5s', '--', 'true'], says: /unknown option '--grce'; did you mean --grace\?/ },
      { args: ['run', '--json', '--label'], says: /^--label needs a value right after it, and got none \(the line ended there\): --label VALUE$/ },
      { args: ['run', '--json', '--ready', '(', '--', 'true'], says: /--ready: not a valid regular expression/ },
      // A --json given where a value was due (`--label $UNSET --json`) still asks for records.
      { args: ['run', '--label', '--json', '--', 'true'], says: /^--label needs a value right after it, and got none \(--json, an option, came next\)/ },
    ];
    const runs = await Promise.all(cases.map(({ args }) => runCli(args)));
    for (const [i, run] of runs.entries()) {
      const { args, says } = cases[i] as (typeof cases)[number];
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(run.stderr, '', `${args.join(' ')}: in --json everything is a record on stdout`);
      const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(records.length, 1, run.stdout);
      const [record] = records as [Record<string, unknown>];
      assert.deepEqual({ name: record.name, event: record.event, reason: record.reason, code: record.code, exitCode: record.exitCode }, { name: 'subvisor', event: 'failure', reason: 'usage', code: 'ERR_SUBVISOR_USAGE', exitCode: 2 });
      assert.match(String(record.line), says);
    }
    // The control: a --json that is the command's own word is not run's, so the mistake is told in words.
    const plain = await runCli(['run', '--grce', '5s', '--', 'echo', '--json']);
    assert.equal(plain.code, 2);
    assert.equal(plain.stdout, '');
    assert.match(plain.stderr, /^subvisor: unknown option '--grce'; did you mean --grace\?/);
  });

  test("--json: a failure's failed and failure records carry its reason and stable code, as the library's error has them", { timeout: 30_000 }, async () => {
    const identity = async (args: string[]): Promise<Record<string, unknown>[]> => {
      const run = await runCli(['run', '--json', ...args]);
      const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      return records.filter((record) => record.event === 'failed' || record.event === 'failure').map(({ event, reason, code, timeoutMs }) => ({ event, reason, code, timeoutMs }));
    };
    assert.deepEqual(await identity(['--', 'sh', '-c', 'exit 7']), ['failed', 'failure'].map((event) => ({ event, reason: 'exit', code: 'ERR_SUBVISOR_CALLED_PROCESS', timeoutMs: undefined })));
    // A readiness timeout said nothing of itself in --json but its line: no reason, no code, no deadline.
    assert.deepEqual(await identity(['--ready', 'never', '--ready-timeout', '200ms', '--grace', '100ms', '--', 'sleep', '10']), [
      { event: 'failed', reason: 'ready', code: 'ERR_SUBVISOR_READY_TIMEOUT', timeoutMs: 200 },
      { event: 'failure', reason: 'ready', code: 'ERR_SUBVISOR_READY_TIMEOUT', timeoutMs: undefined },
    ]);
    assert.deepEqual(await identity(['--', '/nonexistent/program']), ['failed', 'failure'].map((event) => ({ event, reason: 'spawn', code: 'ENOENT', timeoutMs: undefined })));
  });

  test('--json: each line is the record JSON.stringify makes of it (DEL and C1 escaped), its fields in order, whatever characters it has', { timeout: 30_000 }, async () => {
    // A read of plain lines, then reads each of one line that needs escaping (each kind alone,
    // then all together), written 100 ms apart so that each comes in a read of its own.
    const plain = ['one', '', 'two words', "it's {a} [b] ~`!"];
    const special = ['tab\there', 'say "hi"', 'back\\slash', 'caf\u00e9 \u{1f600}', 'bell\u0007', 'del\u007f', 'c1 csi\u009b2J', 'all "\\\t\u00e9'];
    const writes = [plain.join('\n'), ...special].map((text) => `${text}\n`);
    const script = `const writes = ${JSON.stringify(writes)}; const next = () => { process.stdout.write(writes.shift()); if (writes.length > 0) setTimeout(next, 100); }; next();`;
    const run = await runCli(['run', '--json', '--label', 'j "x"', '--', process.execPath, '-e', script]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').filter((line) => line.includes('"stream":"stdout"'));
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(records.map((record) => record.line), [...plain, ...special]);
    records.forEach((record, index) => {
      assert.deepEqual(Object.keys(record), ['time', 'name', 'stream', 'line']);
      assert.equal(record.name, 'j "x"');
      // As JSON.stringify writes it, but DEL and C1 (U+009B starts a terminal command) escaped, as the library's NDJSON sink writes them.
      const escaped = JSON.stringify(record).replace(/[\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
      assert.equal(lines[index], escaped);
    });
    assert.doesNotMatch(run.stdout, /[\u007f-\u009f]/, 'no raw DEL or C1 control reaches the output');
  });

  test('--json: a label with `$&`, `$\'` or `$$` in it is written as given in every record of a read of several lines', { timeout: 30_000 }, async () => {
    // Such a label reaches the text that separates the records of one read; as a replacement
    // pattern, `$&` would put the newline it replaces inside a record, and `$'` the rest of the read.
    const label = "a$&b$'c$$d$`e";
    const run = await runCli(['run', '--json', '--label', label, '--', 'printf', 'one\\ntwo\\nthree\\n']);
    assert.equal(run.code, 0, run.stderr);
    const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(records.filter((record) => record.stream === 'stdout').map(({ name, line }) => ({ name, line })), ['one', 'two', 'three'].map((line) => ({ name: label, line })));
  });
});
