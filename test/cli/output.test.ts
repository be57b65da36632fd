// The command line's output is written in batches, with backpressure: nothing lost, nothing
// merged or split, whether stdout is a file, a slow pipe, or the run ends (Ctrl-C, SIGTERM, an
// error nothing caught) right after a flood; a reader that stops reading makes the children wait
// instead of the CLI's memory grow, and a reader that goes away ends the run as SIGPIPE would.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, killQuietly, waitUntil } from '../support/processes.js';
import { BIN } from './cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-output-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const BOUNDED = { timeout: 60_000 };
const ENV = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };

function config(name: string, text: string): string {
  const file = join(scratch, name);
  writeFileSync(file, text);
  return file;
}

/** Every line `name | N` for N = first..first+count-1, in order, whole: no line merged with another, none split. */
function assertAllLines(output: string, name: string, count: number, first = 1): void {
  const lines = output.split('\n').filter((line) => line.startsWith(`${name} `) && line.includes(' | '));
  const numbers = lines.map((line) => line.slice(line.indexOf(' | ') + 3));
  assert.equal(numbers.length, count, `${name}: ${numbers.length} of ${count} lines`);
  numbers.forEach((value, index) => {
    if (value !== String(first + index)) assert.fail(`${name}: line ${index + 1} reads ${JSON.stringify(value.slice(0, 80))}`);
  });
}

/** As {@link assertAllLines}, for `--json`: every record of `name`'s stdout, in order, whole. */
function assertAllRecords(output: string, name: string, count: number, first = 1): void {
  const records = output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { name: string; stream: string; line: string })
    .filter((record) => record.name === name && record.stream === 'stdout');
  assert.equal(records.length, count, `${name}: ${records.length} of ${count} records`);
  records.forEach((record, index) => {
    if (record.line !== String(first + index)) assert.fail(`${name}: record ${index + 1} has ${JSON.stringify(record.line.slice(0, 80))}`);
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** The bytes `pid` has written so far (all its writes, whether or not they reached a disk), from /proc. */
function bytesWritten(pid: number): number {
  return Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1]);
}

/** The CLI run with `args`, its stdout never read: its reader stopped for good. */
function withStoppedReader(args: readonly string[]): { child: ChildProcess; ending: ReturnType<typeof exited>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.pause();
  return { child, ending: exited(child), stderr: () => stderr };
}

/** What `promise` settles with, or undefined if it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The pid a flooding child wrote to `pidFile` as it started. */
async function floodPid(pidFile: string): Promise<number> {
  await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the flood to start', 20_000);
  return Number(readFileSync(pidFile, 'utf8'));
}

/** Whether `pid`, a `yes` (which never sleeps otherwise), is asleep: blocked writing to its full pipe or socket. */
function blockedWriting(pid: number): boolean {
  try {
    return /^\d+ \(.*\) S /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

// Distinct numbers, so that a line of one ending up in another's output is seen.
const THREE_FLOODS = `processes:
  a: { cmd: [seq, "1", "60000"] }
  b: { cmd: [seq, "100001", "160000"] }
  c: { cmd: [seq, "200001", "260000"] }
`;
const FLOOD_STARTS = [['a', 1], ['b', 100001], ['c', 200001]] as const;

describe('batched output', () => {
  test('to a file: every line of every process, in order, whole', BOUNDED, async () => {
    const file = config('floods.yaml', THREE_FLOODS);
    const out = join(scratch, 'floods.out');
    const fd = openSync(out, 'w');
    try {
      const child = spawn(process.execPath, [BIN, 'up', '-f', file], { stdio: ['ignore', fd, 'ignore'], env: ENV });
      assert.deepEqual(await exited(child), { code: 0, signal: null });
    } finally {
      closeSync(fd);
    }
    const output = readFileSync(out, 'utf8');
    for (const [name, first] of FLOOD_STARTS) assertAllLines(output, name, 60_000, first);
  });

  for (const format of ['plain', 'json'] as const) test(`${format}, to a slow pipe: the same, while the reader keeps stopping`, BOUNDED, async () => {
    const file = config(`slow-${format}.yaml`, THREE_FLOODS);
    const child = spawn(process.execPath, [BIN, 'up', '-f', file, ...(format === 'json' ? ['--json'] : [])], { stdio: ['ignore', 'pipe', 'ignore'], env: ENV });
    const chunks: Buffer[] = [];
    const { stdout } = child;
    stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A reader slower than the children: a pause after every read.
      stdout.pause();
      setTimeout(() => stdout.resume(), 2);
    });
    const ending = exited(child);
    const closed = new Promise((resolve) => stdout.once('end', resolve));
    assert.deepEqual(await ending, { code: 0, signal: null });
    await closed;
    const output = Buffer.concat(chunks).toString('utf8');
    // A read of these lines is formatted in slices when it is long (see output.ts): cut between lines, in order.
    for (const [name, first] of FLOOD_STARTS) (format === 'json' ? assertAllRecords : assertAllLines)(output, name, 60_000, first);
  });

  test('Ctrl-C right after a flood: what was printed before it is all written', BOUNDED, async () => {
    const printed = join(scratch, 'printed');
    const file = config('sigint.yaml', `processes:\n  flood: { cmd: "seq 1 200000; touch ${printed}; exec sleep 30" }\n`);
    const out = join(scratch, 'sigint.out');
    const fd = openSync(out, 'w');
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, [BIN, 'up', '-f', file], { stdio: ['ignore', fd, 'ignore'], env: ENV });
      const ending = exited(child);
      await waitUntil(() => existsSync(printed), 'the flood to be printed', 30_000);
      child.kill('SIGINT');
      assert.deepEqual(await ending, { code: 130, signal: null });
    } finally {
      closeSync(fd);
      killQuietly(child?.pid);
    }
    assertAllLines(readFileSync(out, 'utf8'), 'flood', 200_000);
  });
});

describe('a reader that stops', () => {
  for (const format of ['plain', 'json'] as const) {
    test(`${format}: the children wait and the memory stays bounded; a second Ctrl-C says what it drops`, BOUNDED, async () => {
      const pidFile = join(scratch, `yes-${format}.pid`);
      const file = config(`stopped-${format}.yaml`, `processes:\n  yes: { cmd: "echo $$ > ${pidFile}; exec yes 0123456789012345678901234567890123456789" }\n`);
      const args = ['up', '-f', file, ...(format === 'json' ? ['--json'] : [])];
      const { child, ending, stderr } = withStoppedReader(args);
      const pid = child.pid as number;
      let yesPid: number | undefined;
      try {
        yesPid = await floodPid(pidFile);
        await sleep(1000);
        const early = rssMiB(pid);
        await sleep(2000);
        const late = rssMiB(pid);
        // Unbounded, this grew by hundreds of MiB in seconds (91 -> 513 MB in 8 s).
        assert.ok(late - early < 16, `memory grew from ${early.toFixed(1)} to ${late.toFixed(1)} MiB while nobody read`);
        assert.ok(late < 160, `${late.toFixed(1)} MiB`);
        // Alive, and blocked on its pipe: it writes nothing more while nobody reads.
        const writtenBefore = bytesWritten(yesPid);
        await sleep(1000);
        assert.equal(bytesWritten(yesPid), writtenBefore, 'the child went on writing: the CLI still read its pipe');
        assert.ok(isRunning(yesPid), 'the child waits, it is not stopped');
        child.kill('SIGINT');
        await sleep(500);
        child.kill('SIGINT');
        const { code } = await ending;
        assert.equal(code, 130);
        // What it drops is at most what it may hold: 1 MiB, plus the read in hand as it is written
        // out (a 64 KiB read of these lines is 181 KB of JSON records), plus what the child's pipe
        // still held when the first Ctrl-C stopped it (the kernel's buffer, about 300 KB here),
        // read to its end once the child is gone so that a reader that comes back loses nothing.
        const dropped = Number(/second SIGINT: (?:at most )?(\d+) bytes of output not yet written are dropped/.exec(stderr())?.[1]);
        assert.ok(dropped > 0 && dropped <= 1024 * 1024 + 3 * 64 * 1024 + 512 * 1024, `${stderr().trim()} (dropped: ${dropped})`);
        await waitUntil(() => !isRunning(yesPid as number), 'the child to be gone', 5000);
      } finally {
        killQuietly(pid, yesPid);
      }
    });
  }
});

describe('a reader that stops, with many processes of tiny lines', () => {
  /** The CLI's RSS in MiB once all `count` floods of `yes` wait on their pipes behind a reader that stopped. */
  async function heldWithFloods(count: number, json: boolean): Promise<number> {
    const pidFile = join(scratch, `floods-${json ? 'json' : 'plain'}.pids`);
    const lines = Array.from({ length: count }, (_, index) => `  y${index}: { cmd: "echo $$ >> ${pidFile}; exec yes" }`);
    const file = config(`floods-${json ? 'json' : 'plain'}.yaml`, `processes:\n${lines.join('\n')}\n`);
    const { child } = withStoppedReader(['up', '-f', file, ...(json ? ['--json'] : [])]);
    let pids: number[] = [];
    try {
      await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').split('\n').length > count, 'every flood to start', 20_000);
      pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
      await waitUntil(() => pids.every(blockedWriting), 'every flood to be held up by the stopped reader', 20_000);
      await sleep(500);
      return rssMiB(child.pid as number);
    } finally {
      killQuietly(child.pid, ...pids);
      await waitUntil(() => !isRunning(child.pid as number), 'the CLI to be gone', 5000);
    }
  }

  test('--json holds about what plain lines hold: each read is formatted in slices, not whole', BOUNDED, async () => {
    const plain = await heldWithFloods(30, false);
    const json = await heldWithFloods(30, true);
    // Whole, every process held its read of 32768 one-character lines as 2.6 MB of records: 147
    // MiB against 67 for plain lines. In slices of 4 KiB, 160 KB each.
    assert.ok(json - plain < 24, `--json held ${json.toFixed(1)} MiB, plain lines ${plain.toFixed(1)} MiB`);
  });
});

describe('a reader that stops, after the run is over', () => {
  for (const command of ['run', 'up'] as const) {
    test(`${command}: a second Ctrl-C while the last lines wait for the reader says what it drops, and kills nothing`, BOUNDED, async () => {
      const pidFile = join(scratch, `yes-${command}-over.pid`);
      const script = `echo $$ > ${pidFile}; exec yes 0123456789`;
      const args = command === 'run' ? ['run', '--', 'sh', '-c', script] : ['up', '-f', config('over-then-second.yaml', `processes:\n  yes: { cmd: "${script}" }\n`)];
      const { child, ending, stderr } = withStoppedReader(args);
      let yesPid: number | undefined;
      try {
        yesPid = await floodPid(pidFile);
        // Control: the flood is held up by the stopped reader (the run holds all it may), so there
        // are last lines left to wait; a Ctrl-C before that (a loaded machine) could end a run that
        // had written everything, and there would be nothing to drop.
        await waitUntil(() => blockedWriting(yesPid as number), 'the flood to be held up by the stopped reader', 10_000);
        child.kill('SIGINT');
        // The child is gone and the run over well before this: only its last lines are left, waiting.
        await waitUntil(() => !isRunning(yesPid as number), 'the child to be stopped', 5000);
        await sleep(1000);
        child.kill('SIGINT');
        assert.equal((await ending).code, 130);
        assert.match(stderr(), /second SIGINT: (?:at most )?\d+ bytes of output not yet written are dropped/);
        // Every process had stopped: the line naming what it kills would name what is gone.
        assert.doesNotMatch(stderr(), /killing/);
      } finally {
        killQuietly(child.pid, yesPid);
      }
    });
  }
});

describe('one signal while only the last output is left to write', () => {
  for (const command of ['run', 'up'] as const) {
    test(`${command}: ends the CLI at once with its status, saying what it drops (timeout and docker stop send one)`, BOUNDED, async () => {
      const pidFile = join(scratch, `over-${command}.pid`);
      const script = `echo $$ > ${pidFile}; head -c 900000 /dev/zero | tr '\\0' x | fold -w 100`;
      const file = config(`over-${command}.yaml`, `processes:\n  p:\n    cmd: |\n      ${script}\n`);
      const { child, ending, stderr } = withStoppedReader(command === 'run' ? ['run', '--', 'sh', '-c', script] : ['up', '-f', file]);
      let pid: number | undefined;
      try {
        pid = await floodPid(pidFile);
        await waitUntil(() => !isRunning(pid as number), 'the child to end by itself', 10_000);
        await sleep(500); // the run is over: 900 KB wait for a reader that does not read
        child.kill('SIGTERM');
        // Taken for nothing, it left the CLI waiting for the reader for good.
        assert.equal((await within(ending, 10_000))?.code, 143, stderr());
        assert.match(stderr(), /^subvisor: SIGTERM after the run was over: (?:at most )?\d+ bytes of output not yet written are dropped$/m);
      } finally {
        killQuietly(child.pid, pid);
      }
    });
  }
});

describe('one signal once every process has exited, while its last lines still wait for the reader', () => {
  for (const command of ['run', 'up'] as const) {
    test(`${command}: ends the CLI at once with the signal's status, saying what it drops, though the run had not seen the exit yet`, BOUNDED, async () => {
      // A flood held up by a fifo nobody reads, then killed from outside: the run holds more than
      // it may (64 KiB in the fifo, 1 MiB in the CLI), so it waits to hand on the last lines of a
      // process that has exited, and is not over. (A flood that ends by itself would have to fit
      // in what the pipes between hold, which differs from machine to machine.)
      const pidFile = join(scratch, `exited-${command}.pid`);
      const script = `echo $$ > ${pidFile}; exec yes 0123456789`;
      const file = config(`exited-${command}.yaml`, `processes:\n  p:\n    cmd: ${JSON.stringify(script)}\n`);
      const fifo = join(scratch, `exited-${command}.fifo`);
      execFileSync('mkfifo', [fifo]);
      // Opened for reading too, so the CLI's writes never fail for want of a reader: none reads.
      const stdout = openSync(fifo, 'r+');
      const child = spawn(process.execPath, [BIN, ...(command === 'run' ? ['run', '--', 'sh', '-c', script] : ['up', '-f', file])], { stdio: ['ignore', stdout, 'pipe'], env: ENV });
      closeSync(stdout);
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const ending = exited(child);
      let pid: number | undefined;
      try {
        pid = await floodPid(pidFile);
        // Held up for good, not for a moment behind a busy CLI: it has written nothing for 300 ms.
        let written = -1;
        let writtenAt = 0;
        const stalled = (flood: number): boolean => {
          const now = bytesWritten(flood);
          if (now !== written) [written, writtenAt] = [now, Date.now()];
          return Date.now() - writtenAt >= 300 && blockedWriting(flood);
        };
        await waitUntil(() => stalled(pid as number), 'the flood to be held up by the fifo nobody reads', 10_000);
        process.kill(pid, 'SIGKILL');
        await waitUntil(() => !isRunning(pid as number), 'the process to be gone', 5000);
        await sleep(500);
        child.kill('SIGTERM');
        // Taken as a first, graceful signal with nothing left to stop, it left the CLI waiting for
        // the reader for good.
        assert.equal((await within(ending, 10_000))?.code, 143, stderr);
        assert.match(stderr, /^subvisor: SIGTERM after every process had ended: (?:at most )?\d+ bytes of output not yet written are dropped$/m);
      } finally {
        killQuietly(child.pid, pid);
      }
    });
  }
});

describe('what a signal drops is counted in bytes, as written', () => {
  test('run: the bytes said dropped are the bytes the reader never got, for lines of CJK text and emoji', BOUNDED, async () => {
    const pidFile = join(scratch, 'wide-over.pid');
    const line = '日本語のテキスト ünïcödé 🚀 Ελληνικά';
    const count = 20_000; // 1.1 MB as UTF-8, half that in characters: under what the run may hold
    const script = `echo $$ > ${pidFile}; yes '${line}' | head -n ${count}`;
    const { child, ending, stderr } = withStoppedReader(['run', '--', 'sh', '-c', script]);
    let pid: number | undefined;
    try {
      pid = await floodPid(pidFile);
      await waitUntil(() => !isRunning(pid as number), 'the child to end by itself', 10_000);
      await sleep(500); // the run is over: its lines wait for a reader that does not read
      // Taken from here on, though still paused: Node resumes a child's stdout as it exits, and
      // what it reads then would go to no listener.
      const chunks: Buffer[] = [];
      child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.kill('SIGTERM');
      assert.equal((await within(ending, 10_000))?.code, 143, stderr());
      // Over, or about to be (a loaded machine): either way only the last lines are left to write.
      const dropped = Number(/^subvisor: SIGTERM after (?:the run was over|every process had ended): (?:at most )?(\d+) bytes of output not yet written are dropped$/m.exec(stderr())?.[1]);
      child.stdout!.resume();
      await once(child.stdout!, 'end');
      const got = Buffer.concat(chunks);
      // All the run had to write: its starting line (the reader got it), every line, its exit line.
      const starting = got.subarray(0, got.indexOf('\n') + 1);
      const lines = Buffer.byteLength(`sh | ${line}\n`) * count;
      const exitLine = dropped - (starting.length + lines - got.length);
      assert.ok(got.length < starting.length + lines, `the reader got everything (${got.length} bytes): nothing was dropped`);
      // What is left is the exit line, `sh * exited with status 0 after 12 ms` (37 to 40 bytes).
      assert.ok(exitLine >= 37 && exitLine <= 40, `said ${dropped} bytes dropped; the reader got ${got.length} of ${starting.length + lines} bytes and the exit line`);
    } finally {
      killQuietly(child.pid, pid);
    }
  });
});

describe('one SIGTERM while processes run, behind a reader that stopped', () => {
  for (const command of ['run', 'up'] as const) {
    test(`${command}: the processes stop, and what is left is dropped once stdout has taken nothing for 5 s: the CLI ends with 143 (timeout sends no second signal)`, BOUNDED, async () => {
      const pidFile = join(scratch, `sigterm-stalled-${command}.pid`);
      const script = `echo $$ > ${pidFile}; exec yes 0123456789`;
      const file = config(`sigterm-stalled-${command}.yaml`, `processes:\n  p:\n    cmd: ${JSON.stringify(script)}\n`);
      const { child, ending, stderr } = withStoppedReader(command === 'run' ? ['run', '--', 'sh', '-c', script] : ['up', '-f', file]);
      let pid: number | undefined;
      try {
        pid = await floodPid(pidFile);
        await waitUntil(() => blockedWriting(pid as number), 'the flood to be held up by the stopped reader', 10_000);
        child.kill('SIGTERM');
        // Before: the flood was stopped, and the CLI waited for the reader for good.
        assert.equal((await within(ending, 15_000))?.code, 143, stderr());
        assert.match(stderr(), /^subvisor: SIGTERM, then stdout took nothing for 5 s: (?:at most )?\d+ bytes of output not yet written are dropped$/m);
        assert.equal(isRunning(pid), false);
      } finally {
        killQuietly(child.pid, pid);
      }
    });
  }

  test('a reader that goes on taking, slowly, gets every line after the SIGTERM', BOUNDED, async () => {
    const child = spawn(process.execPath, [BIN, 'run', '--', 'seq', '1', '300000'], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
    const ending = exited(child);
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8');
    try {
      await once(child.stdout, 'readable');
      child.kill('SIGTERM');
      // What is there every 800 ms (at most 64 KiB, the socket's and the stream's buffer): the 1 MiB or so
      // the CLI holds in one write takes longer than the stall limit, and the reader never stops that long.
      for (;;) {
        const chunk = child.stdout.read() as string | null;
        if (chunk !== null) stdout += chunk;
        else if (child.stdout.readableEnded || child.exitCode !== null) break;
        await sleep(800);
      }
      child.stdout.on('data', (chunk: string) => (stdout += chunk));
      if (!child.stdout.readableEnded) await once(child.stdout, 'end');
      const ended = await ending;
      assert.equal(ended.code, 143);
      const lines = stdout.split('\n').filter((line) => line.includes(' | '));
      assert.ok(lines.length > 1000, `only ${lines.length} lines`);
      // seq is stopped mid-flood: its last piece may be the start of a line, relayed as it is.
      const gap = lines.findIndex((line, index) => line !== `seq | ${index + 1}` && !(index === lines.length - 1 && `seq | ${index + 1}`.startsWith(line)));
      assert.equal(gap, -1, `line ${gap + 1} is ${JSON.stringify(lines[gap])}; stderr: ${stderr}`);
      assert.doesNotMatch(stderr, /dropped/);
    } finally {
      killQuietly(child.pid);
    }
  });
});

describe('a reader that goes away', () => {
  test('ends the run as SIGPIPE ends a filter: the processes are stopped, status 141', BOUNDED, async () => {
    const pidFile = join(scratch, 'gone.pid');
    const file = config('gone.yaml', `processes:\n  yes: { cmd: "echo $$ > ${pidFile}; exec yes" }\n`);
    const child = spawn(process.execPath, [BIN, 'up', '-f', file], { stdio: ['ignore', 'pipe', 'ignore'], env: ENV });
    const ending = exited(child);
    let yesPid: number | undefined;
    try {
      await once(child.stdout, 'data');
      await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the child to start', 20_000);
      yesPid = Number(readFileSync(pidFile, 'utf8'));
      child.stdout.destroy(); // as `| head` does once it has its lines
      assert.deepEqual(await ending, { code: 141, signal: null });
      await waitUntil(() => !isRunning(yesPid as number), 'the child to be gone', 5000);
    } finally {
      killQuietly(child.pid, yesPid);
    }
  });
});

/** Loaded into the CLI: throws once SUBVISOR_TEST_TRIGGER's file exists (see the fixture). */
const THROWER = resolve('test/cli/fixtures/throw-on-trigger.mjs');

interface HeldRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From the CLI's start to its exit. */
  readonly ms: number;
}

/** The CLI whose stdout nobody reads yet. */
interface HeldCli {
  readonly cli: ChildProcess;
  /** The file that makes the CLI throw once it exists. */
  readonly trigger: string;
  readonly stderrSoFar: () => string;
  readonly floodPid: number;
}

interface HeldRunOptions {
  readonly command: 'run' | 'up';
  /** Names the scratch files. */
  readonly tag: string;
  /** Ends the run, once the flood is printed. */
  readonly end: (held: HeldCli) => void | Promise<void>;
  readonly env?: NodeJS.ProcessEnv;
  /** The flood process ignores SIGTERM, so that its stop lasts its grace. */
  readonly deaf?: boolean;
  /** The flood process exits 0 once printed, instead of sleeping until stopped. */
  readonly exits?: boolean;
  /** Its grace (`--grace`, `grace:`). Default 5 s. */
  readonly grace?: string;
  /** How long nothing reads after `end`, unless the CLI exits first. Default 500 ms. */
  readonly readerAwayMs?: number;
}

/**
 * Runs the CLI on a flood of `seq 1 60000` (with the prefix `flood | `, 829 KB: less than it may
 * hold, so the flood is never held back) while nothing reads its stdout, ends the run with `end`
 * once the flood is printed, waits a moment (a CLI that ended at once has then lost what it held),
 * and only then reads everything. The flood process is gone when this returns.
 */
async function endWhileOutputHeld(options: HeldRunOptions): Promise<HeldRun> {
  const { command, tag } = options;
  const printed = join(scratch, `${tag}.printed`);
  const pidFile = join(scratch, `${tag}.pid`);
  const trigger = join(scratch, `${tag}.trigger`);
  const shell = `${options.deaf === true ? "trap '' TERM; " : ''}echo $$ > ${pidFile}; seq 1 60000; touch ${printed}${options.exits === true ? '' : '; exec sleep 30'}`;
  const grace = options.grace ?? '5s';
  const args =
    command === 'run'
      ? ['run', '--label', 'flood', '--grace', grace, '--', 'sh', '-c', shell]
      : ['up', '-f', config(`${tag}.yaml`, `processes:\n  flood: { cmd: "${shell}", grace: ${grace} }\n`)];
  const started = performance.now();
  const cli = spawn(process.execPath, ['--import', THROWER, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...ENV, SUBVISOR_TEST_TRIGGER: trigger, ...options.env } });
  let stderr = '';
  cli.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const ending = exited(cli);
  let floodPid: number | undefined;
  try {
    await waitUntil(() => existsSync(printed), 'the flood to be printed', 30_000);
    floodPid = Number(readFileSync(pidFile, 'utf8'));
    await options.end({ cli, trigger, stderrSoFar: () => stderr, floodPid });
    await Promise.race([ending, sleep(options.readerAwayMs ?? 500)]);
    const chunks: Buffer[] = [];
    cli.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = once(cli.stdout, 'end');
    const { code } = await ending;
    const ms = performance.now() - started;
    await closed;
    await waitUntil(() => !isRunning(floodPid as number), 'the flood process to be gone', 5000);
    return { code, stdout: Buffer.concat(chunks).toString('utf8'), stderr, ms };
  } finally {
    killQuietly(cli.pid, floodPid);
  }
}

const pull = ({ trigger }: HeldCli): void => writeFileSync(trigger, '');

describe('the run ends while its output is held back: every line it read is written', () => {
  for (const command of ['run', 'up'] as const) {
    test(`${command}: SIGTERM`, BOUNDED, async () => {
      const run = await endWhileOutputHeld({ command, tag: `${command}-sigterm`, end: ({ cli }) => void cli.kill('SIGTERM') });
      assert.equal(run.code, 143, run.stderr);
      assertAllLines(run.stdout, 'flood', 60_000);
    });

    test(`${command}: an error nothing caught stops every process in order, then exits 70`, BOUNDED, async () => {
      const run = await endWhileOutputHeld({ command, tag: `${command}-uncaught`, end: pull });
      assert.equal(run.code, 70, run.stderr);
      assert.match(run.stderr, /^subvisor: internal error, stopping every process: Error: injected failure\n {4}at /m);
      assert.match(run.stderr, /^subvisor: this is a bug in subvisor; please report it, with the stack above$/m);
      assertAllLines(run.stdout, 'flood', 60_000);
      assert.match(run.stdout, /^flood \* stopping \(internal error: injected failure\): SIGTERM to its process group$/m);
    });

    test(`${command}: a value thrown that String() cannot convert (an object without a prototype) stops every process in order too, then exits 70`, BOUNDED, async () => {
      const run = await endWhileOutputHeld({ command, tag: `${command}-nullproto`, end: pull, env: { SUBVISOR_TEST_HOW: 'nullproto' } });
      // Before: 7, converting it threw inside the CLI's handler for uncaught errors, and no stop began.
      assert.equal(run.code, 70, run.stderr);
      assert.match(run.stderr, /^subvisor: internal error, stopping every process: \[object Object\]$/m);
      assertAllLines(run.stdout, 'flood', 60_000);
      assert.match(run.stdout, /^flood \* stopping \(internal error: \[object Object\]\): SIGTERM to its process group$/m);
    });

    test(`${command}: such an error after the process exited 0, while stdout drains, still exits 70`, BOUNDED, async () => {
      const afterTheEnd = async (held: HeldCli): Promise<void> => {
        await waitUntil(() => !isRunning(held.floodPid), 'the process to exit', 10_000);
        // `up` says its summary on stderr once the run has ended; `run` says nothing: a moment then.
        if (command === 'up') await waitUntil(() => held.stderrSoFar().includes('restarts'), 'the summary', 10_000);
        else await sleep(1000);
        pull(held);
      };
      const run = await endWhileOutputHeld({ command, tag: `${command}-drain`, end: afterTheEnd, exits: true });
      assert.equal(run.code, 70, run.stderr);
      assert.match(run.stderr, /internal error, stopping every process: Error: injected failure/);
      assertAllLines(run.stdout, 'flood', 60_000);
    });

    test(`${command}: a second such error during the stop ends it at once, saying what it drops`, BOUNDED, async () => {
      // The process outlasts its stop (SIGTERM ignored, a 30 s grace): the second error comes during it.
      const run = await endWhileOutputHeld({ command, tag: `${command}-twice`, end: pull, env: { SUBVISOR_TEST_HOW: 'twice' }, deaf: true, grace: '30s' });
      assert.equal(run.code, 70, run.stderr);
      assert.match(run.stderr, /^subvisor: another internal error while stopping: Error: injected failure again$/m);
      assert.match(run.stderr, /^subvisor: second internal error: (?:at most )?\d+ bytes of output not yet written are dropped$/m);
      assert.ok(run.ms < 20_000, `${run.ms} ms: it waited for the grace`);
    });
  }

  test('up: so does a rejection nobody handled', BOUNDED, async () => {
    const run = await endWhileOutputHeld({ command: 'up', tag: 'up-rejection', end: pull, env: { SUBVISOR_TEST_HOW: 'reject' } });
    assert.equal(run.code, 70, run.stderr);
    assert.match(run.stderr, /internal error, stopping every process: Error: injected rejection/);
    assertAllLines(run.stdout, 'flood', 60_000);
  });

  for (const ctrlCFirst of [false, true]) {
    const title = ctrlCFirst ? 'a Ctrl-C that began the stop, then such an error, then a Ctrl-C' : 'such an error, then a Ctrl-C during the stop';
    test(`up: ${title}: it ends at once, with 70`, BOUNDED, async () => {
      const run = await endWhileOutputHeld({
        command: 'up',
        tag: `up-ctrl-c-${ctrlCFirst ? 'first' : 'after'}`,
        deaf: true,
        grace: '30s',
        end: async ({ cli, trigger, stderrSoFar }) => {
          if (ctrlCFirst) {
            cli.kill('SIGINT');
            await sleep(200);
          }
          writeFileSync(trigger, '');
          await waitUntil(() => stderrSoFar().includes('internal error, stopping every process'), 'the CLI to say its error', 10_000);
          cli.kill('SIGINT');
        },
      });
      assert.equal(run.code, 70, run.stderr);
      assert.match(run.stderr, /^subvisor: SIGINT after an internal error: (?:at most )?\d+ bytes of output not yet written are dropped$/m);
      assert.ok(run.ms < 20_000, `${run.ms} ms: it waited for the grace`);
    });
  }

  test('run: a stop that cannot finish (nothing reads stdout) is cut short after the grace and 5 s', BOUNDED, async () => {
    const run = await endWhileOutputHeld({ command: 'run', tag: 'run-stuck', end: pull, deaf: true, grace: '1s', readerAwayMs: 30_000 });
    assert.equal(run.code, 70, run.stderr);
    assert.match(run.stderr, /^subvisor: the stop after an internal error took over 6000 ms: (?:at most )?\d+ bytes of output not yet written are dropped$/m);
  });
});
