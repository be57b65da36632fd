// subvisor run: what the relayed output keeps, and outputs that go away or fill up. The other concerns of `run` are in this folder's other files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BIN, runCli } from '../cli.js';

describe('subvisor run', () => {
  test('relayed control sequences are neutralised, colours dropped without a terminal', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--label', 'e', '--', 'printf', '\\033[2Jcleared \\033[31mred\\033[0m\\n']);
    assert.equal(run.code, 0);
    assert.ok(!run.stdout.includes('\x1b'), 'no raw ESC reaches the output');
    assert.match(run.stdout, /e \| \\x1b\[2Jcleared red/);
  });

  test('lines relayed in blocks keep every character: UTF-8 text whole, a label with `$&` taken literally, each line prefixed once', { timeout: 30_000 }, async () => {
    // Many lines in one read make one block (one replaceAll for its prefixes). The pauses give the
    // UTF-8 line a batch of its own, with no state line beside it that would have the batch checked anyway.
    const script = 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done; sleep 0.3; printf "caf\\303\\251 \\346\\227\\245\\nmore\\n"; sleep 0.3; echo last';
    const run = await runCli(['run', '--label', 'x$&y', '--', 'sh', '-c', script]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n').filter((line) => !line.startsWith('x$&y *'));
    assert.deepEqual(lines.slice(0, 3), ['x$&y | line 0', 'x$&y | line 1', 'x$&y | line 2']);
    assert.equal(lines.filter((line) => line.startsWith('x$&y | line ')).length, 300);
    assert.ok(lines.includes('x$&y | café 日'), `the UTF-8 line arrives whole: ${JSON.stringify(lines.slice(299, 303))}`);
    assert.ok(lines.includes('x$&y | last'));
  });

  test('a child that opens /dev/stdout by name meets a socket (ENXIO); bash -o pipefail and | cat give it a pipe and keep its status, as the README says', { timeout: 30_000 }, async () => {
    const byName = '{ echo out > /dev/stdout; echo err > /dev/stderr; exit 3; }';
    const socket = await runCli(['run', '--label', 's', '--', 'sh', '-c', byName]);
    assert.match(socket.stdout, /^s \| .*cannot create \/dev\/stdout: No such device or address$/m);
    assert.doesNotMatch(socket.stdout, /^s \| out$/m);
    const piped = await runCli(['run', '--label', 'p', '--', 'bash', '-o', 'pipefail', '-c', `${byName} 2>&1 | cat`]);
    assert.equal(piped.code, 3, piped.stderr);
    assert.match(piped.stdout, /^p \| out\np \| err$/m);
  });

  test('a Node child that ends with process.exit() after a burst keeps every line when it ends by itself, or (a burst the pipe holds) writes to a pipe, as the README says', { timeout: 30_000 }, async () => {
    const burst = 'for (let i = 0; i < 3000; i++) console.log("test " + i + " ok"); console.log("SUMMARY: 3000 passed");';
    const byItself = await runCli(['run', '--label', 't', '--', process.execPath, '-e', `${burst} process.exitCode = 0`]);
    const piped = await runCli(['run', '--label', 't', '--', 'bash', '-o', 'pipefail', '-c', `"${process.execPath}" -e '${burst} process.exit(0)' | cat`]);
    for (const run of [byItself, piped]) {
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.match(/^t \| test \d+ ok$/gm)?.length, 3000);
      assert.match(run.stdout, /^t \| SUMMARY: 3000 passed$/m);
    }
  });

  test('a reader that goes away ends the run like SIGPIPE: the child is stopped, status 141', { timeout: 30_000 }, async () => {
    const pipeline = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" run -- yes | head -n 2 >/dev/null; echo "status=\${PIPESTATUS[0]}"`], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(pipeline.error, undefined, 'the pipeline must end by itself, not at the timeout');
    assert.match(pipeline.stdout, /status=141/);
  });

  test('a reader that goes away after the child exited, while its last lines are written out, still ends the run with 141', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-late-reader-'));
    try {
      writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  p: { cmd: "seq 1 60000" }\n');
      // 60 000 lines fit in the output's buffer: the child has exited long before the reader reads one line and leaves.
      for (const command of ['run -- seq 1 60000', 'up']) {
        const pipeline = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" ${command} 2>/dev/null | (sleep 1; head -n 1 >/dev/null); echo "status=\${PIPESTATUS[0]}"`], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
        assert.equal(pipeline.error, undefined, `${command}: it must end by itself`);
        assert.match(pipeline.stdout, /status=141/, command);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file-size limit (EFBIG) crossed in the middle of a write stops the run at once, said on stderr', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-efbig-'));
    try {
      // The write that crosses the limit is short; the error came only with the next one, and a
      // child that went quiet meanwhile (here for 30 s) kept the run going with its output cut.
      const limited = spawnSync('bash', ['-c', `ulimit -f 1; "${process.execPath}" "${BIN}" run -- sh -c 'seq 1 200; exec sleep 30' > out`], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      assert.equal(limited.error, undefined, 'it must end by itself, long before the child would');
      assert.equal(limited.status, 1, limited.stderr);
      assert.match(limited.stderr, /^subvisor: cannot write to stdout: EFBIG/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a stderr that cannot take the report (2>/dev/full) leaves the child's status, not a defect of subvisor's (70)", { timeout: 30_000 }, async () => {
    const full = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" run -- sh -c 'exit 3' >/dev/null 2>/dev/full`], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(full.error, undefined);
    assert.equal(full.status, 3);
  });

  // `up` goes on instead: see ../stdout-file.test.ts.
  test('run with an output that cannot be written (a full disk: /dev/full) stops with status 1, said on stderr', { timeout: 30_000 }, async () => {
    const full = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" run -- sh -c 'seq 1 50000; exec sleep 30' > /dev/full`], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(full.error, undefined, 'it must end by itself');
    assert.equal(full.status, 1, full.stderr);
    assert.match(full.stderr, /^subvisor: cannot write to stdout: ENOSPC: no space left on device, write; stopping with status 1$/m);
    assert.doesNotMatch(full.stderr, /internal error/);
  });
});
