// `subvisor logs` when there is a lot to show: a tail larger than any one reply, a flood followed
// by a reader that keeps up, and one followed by a reader that stops. Nothing may go missing
// without being said, and no side may hold more than a bound for a reader that does not read.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, startCli, type RunningCli } from '../cli.js';
import { client, configDir, interrupt } from './support.js';

const FLOOD_BOUNDED = { timeout: 120_000 };

/** `subvisor up` in `dir` with its own output thrown away (a flood through the test's memory would be the test's cost, not the run's), once it answers `ps`. */
async function quietUp(dir: string): Promise<RunningCli> {
  const run = startCli(['up'], { cwd: dir, execVia: ['sh', '-c', 'exec "$0" "$@" >/dev/null'] });
  const deadline = Date.now() + 10_000;
  while ((await client(dir, ['ps'])).code !== 0) {
    if (Date.now() > deadline) throw new Error(`the run did not answer within 10 s: ${(await interrupt(run)).stderr}`);
    await sleep(50);
  }
  return run;
}

/** The last line `name` wrote, as `logs -n 1 NAME` shows it. */
async function lastLine(dir: string, name: string): Promise<string> {
  return (await client(dir, ['logs', '-n', '1', name])).stdout;
}

async function waitFor(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * `logs -f -n 1` in `dir`, its stdout read by the test (and pausable), its stderr collected.
 * `ended(text)` looks only at the last bytes read, so that polling it costs the reader nothing.
 */
function follower(dir: string, opts: { throttleMs?: number } = {}): { stdout: () => string; ended: (text: string) => boolean; received: () => number; stderr: () => string; pause: () => void; resume: () => void; peakRssKiB: () => number; done: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'logs', '-f', '-n', '1'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let received = 0;
  let last = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    // A slow reader: a pause after each chunk.
    if (opts.throttleMs !== undefined) {
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), opts.throttleMs);
    }
    out.push(chunk);
    received += chunk.length;
    last = (last + chunk.subarray(-256).toString('latin1')).slice(-256);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    stdout: () => Buffer.concat(out).toString('utf8'),
    ended: (text) => last.endsWith(text),
    received: () => received,
    stderr: () => err,
    pause: () => child.stdout.pause(),
    resume: () => child.stdout.resume(),
    peakRssKiB: () => Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]),
    done,
  };
}

/**
 * A process that says `waiting`, floods `count` numbered lines of 90 characters once `go` exists,
 * says `END`, then `FIN` once `fin` exists.
 */
function floodConfig(count: number): string {
  return configDir(
    (dir) => `processes:
  flood:
    cmd: "echo waiting; while [ ! -f ${dir}/go ]; do sleep 0.05; done; seq -f '%090g' 1 ${count}; echo END; while [ ! -f ${dir}/fin ]; do sleep 0.05; done; echo FIN; exec sleep 60"
`,
  );
}

/** The numbers of the flood's lines in `stdout`, checking each is whole and comes after the one before. */
function floodNumbers(stdout: string): number[] {
  const numbers: number[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '' || line === 'flood | waiting' || line === 'flood | END' || line === 'flood | FIN') continue;
    assert.match(line, /^flood \| \d{90}$/, 'a whole line, never two merged or one split');
    const number = Number(line.slice(8));
    assert.ok(numbers.length === 0 || number > (numbers.at(-1) as number), `line ${number} after ${numbers.at(-1)}: out of order or repeated`);
    numbers.push(number);
  }
  return numbers;
}

describe('logs with a lot to show', () => {
  test('logs shows a tail larger than 16 MiB whole: six processes, each four 1 MB lines', FLOOD_BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  p:
    cmd: "for i in 1 2 3 4; do head -c 1000000 /dev/zero | tr '\\\\0' a; echo; done; echo last-line-$SUBVISOR_REPLICA; exec sleep 60"
    replicas: 6
`,
    );
    const run = await quietUp(dir);
    try {
      await waitFor(async () => (await client(dir, ['logs', '-n', '1'])).stdout.split('\n').filter((line) => line.includes('last-line')).length === 6, 'every copy to finish writing');
      const logs = await client(dir, ['logs']);
      assert.equal(logs.code, 0, logs.stderr);
      const lines = logs.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 30, 'five lines of each of the six copies');
      assert.equal(lines.filter((line) => /^p\.\d \| a{1000000}$/.test(line)).length, 24);
      for (let copy = 1; copy <= 6; copy++) assert.ok(lines.includes(`p.${copy} | last-line-${copy}`), `p.${copy}'s last line`);
    } finally {
      await interrupt(run);
    }
  });

  // 14 MB: as much as the run holds for a follower, so the test does not depend on how fast it reads.
  test('logs -f takes a flood of 150 000 lines whole and in order, and ends with 0 at the run\'s end', FLOOD_BOUNDED, async () => {
    const dir = floodConfig(150_000);
    const run = await quietUp(dir);
    const follow = follower(dir);
    try {
      await waitFor(() => follow.ended('flood | waiting\n'), 'the follower to connect');
      writeFileSync(join(dir, 'go'), '');
      await waitFor(() => follow.ended('flood | END\n'), 'the flood to reach the follower');
      assert.deepEqual(floodNumbers(follow.stdout()), Array.from({ length: 150_000 }, (_, index) => index + 1));
    } finally {
      await interrupt(run);
    }
    assert.equal(await follow.done, 0, follow.stderr());
    assert.equal(follow.stderr(), '');
  });

  test('logs -f behind a slow reader still gets every line the run held for it when the run ends, and ends with 0', FLOOD_BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  flood:
    cmd: "echo waiting; while [ ! -f ${dir}/go ]; do sleep 0.05; done; seq 1 300000; echo END"
    main: true
`,
    );
    const run = await quietUp(dir);
    const follow = follower(dir, { throttleMs: 40 });
    try {
      await waitFor(() => follow.ended('flood | waiting\n'), 'the follower to connect');
      writeFileSync(join(dir, 'go'), '');
      const ended = await run.done; // the main process's exit ends the run, the follower far behind
      assert.equal(ended.code, 0, ended.stderr);
    } finally {
      await interrupt(run);
    }
    assert.equal(await follow.done, 0, follow.stderr());
    const lines = follow.stdout().split('\n');
    assert.equal(lines.at(-2), 'flood | END');
    assert.deepEqual(lines.slice(1, -2), Array.from({ length: 300_000 }, (_, index) => `flood | ${index + 1}`));
  });

  test('logs -f of a run that is killed (SIGKILL) says its last lines may be missing, and ends with 1', FLOOD_BOUNDED, async () => {
    const dir = floodConfig(10);
    const run = await quietUp(dir);
    const follow = follower(dir);
    try {
      await waitFor(() => follow.ended('flood | waiting\n'), 'the follower to connect');
      run.kill('SIGKILL');
      assert.equal(await follow.done, 1, follow.stderr());
      assert.match(follow.stderr(), /^subvisor: the connection to the run \(.*control\.sock\) closed before its last lines and its answer came: the run was killed, or it ended while this reader was too far behind/m);
    } finally {
      await run.done;
      // The run's watchdog stops its children once the run is gone; a leftover would fail the next tests' cleanup.
      await waitFor(async () => (await client(dir, ['ps'])).code !== 0, 'the killed run to stop answering', 10_000);
    }
  });

  test('logs -f behind a reader that stops: its memory stays bounded, the lines it missed are counted where they were, and it ends with 1', FLOOD_BOUNDED, async () => {
    const count = 2_000_000; // 182 MB of lines
    const dir = floodConfig(count);
    const run = await quietUp(dir);
    const follow = follower(dir);
    try {
      await waitFor(() => follow.ended('flood | waiting\n'), 'the follower to connect');
      follow.pause();
      writeFileSync(join(dir, 'go'), '');
      await waitFor(async () => (await lastLine(dir, 'flood')) === 'flood | END\n', 'the flood to end');
      const peakMiB = follow.peakRssKiB() / 1024;
      assert.ok(peakMiB < 150, `the follower peaked at ${peakMiB.toFixed(0)} MiB while its reader stopped, for a ${(count * 91) / 1e6} MB flood`);
      follow.resume();
      // Once it has caught up (nothing new for a while), one more line shows it follows still.
      let seen = -1;
      await waitFor(async () => {
        const now = follow.received();
        const quiet = now === seen;
        seen = now;
        if (!quiet) await sleep(500);
        return quiet;
      }, 'the follower to catch up');
      // The gap is told once the follower has caught up, without waiting for a line after it.
      await waitFor(() => /lines left out here/.test(follow.stderr()), 'the notice of the lines left out', 5000);
      writeFileSync(join(dir, 'fin'), '');
      await waitFor(() => follow.ended('flood | FIN\n'), 'a line after the flood');
    } finally {
      await interrupt(run);
    }
    assert.equal(await follow.done, 1, follow.stderr());
    const notices = [...follow.stderr().matchAll(/^subvisor: logs: (\d+) lines left out here: this reader fell too far behind the run; keep it reading \(a pager paused, or a slow pipe, falls behind\), or follow into a file$/gm)].map((match) => Number(match[1]));
    assert.ok(notices.length > 0, `no notice of lines left out:\n${follow.stderr()}`);
    const shown = floodNumbers(follow.stdout());
    const missed = notices.reduce((sum, lines) => sum + lines, 0);
    assert.equal(shown.length + missed + (follow.stdout().includes('flood | END\n') ? 1 : 0), count + 1, 'every line of the flood (and END) shown or counted as left out');
  });
});
