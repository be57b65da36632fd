// Blind acceptance tests for the library part of SPEC (§1–4, §8), written from SPEC alone
// and importing only from the built package root (dist/index.js, as `npm test` builds it first), as a consumer does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  openNursery,
  ErrorGroup,
  collapseErrorGroup,
  Cancelled,
  failAfter,
  moveOnAfter,
  TooSlowError,
  runProcess,
  Process,
  CalledProcessError,
  CompletedProcess,
  superviseRunProcess,
  getLogger,
  type OutputLine,
} from '../dist/index.js';
import { isRunning } from './support/processes.js';

const NODE = process.execPath;

async function gone(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isRunning(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !isRunning(pid);
}

function killIfAlive(pid: number | undefined): void {
  if (pid !== undefined && isRunning(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

type Rec = { level: string; msg: string }
function capture(): { logger: Record<string, (m: unknown) => void>; recs: Rec[] } {
  const recs: Rec[] = [];
  const mk = (level: string) => (m: unknown) => {
    recs.push({ level, msg: String(m) });
  };
  const logger: Record<string, (m: unknown) => void> = {};
  for (const l of ['transport', 'debug', 'runtime', 'devx', 'info', 'io', 'cancel', 'warning', 'error', 'critical']) {
    logger[l] = mk(l);
  }
  return { logger, recs };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

// ---------------------------------------------------------------- §1 core

test('§1 class hierarchy: ErrorGroup is an AggregateError; Cancelled and TooSlowError are Errors', () => {
  assert.ok(ErrorGroup.prototype instanceof AggregateError);
  assert.ok(Cancelled.prototype instanceof Error);
  assert.ok(TooSlowError.prototype instanceof Error);
  assert.ok(CalledProcessError.prototype instanceof Error);
  assert.equal(typeof CompletedProcess, 'function');
  assert.equal(typeof Process, 'function');
});

test('§1 openNursery waits for every task before returning the body value', async () => {
  const done: string[] = [];
  const r = await openNursery(async (tn) => {
    tn.startSoon(async () => {
      await new Promise((res) => setTimeout(res, 80));
      done.push('a');
    });
    tn.startSoon(async () => {
      await new Promise((res) => setTimeout(res, 20));
      done.push('b');
    });
    return 42;
  });
  assert.equal(r, 42);
  assert.deepEqual(done, ['b', 'a']);
});

test('§1 a task error cancels siblings (signal reason Cancelled) and surfaces as an ErrorGroup of one', async () => {
  let siblingReason: unknown;
  const boom = new Error('boom');
  const e = await rejection(
    openNursery(async (tn) => {
      tn.startSoon(async ({ signal }) => {
        await new Promise<void>((res) => signal.addEventListener('abort', () => res(), { once: true }));
        siblingReason = signal.reason;
        throw signal.reason;
      });
      tn.startSoon(async () => {
        await new Promise((res) => setTimeout(res, 20));
        throw boom;
      });
    }),
  );
  assert.ok(e instanceof ErrorGroup);
  assert.deepEqual((e).errors, [boom]);
  assert.ok(siblingReason instanceof Cancelled);
});

test('§1 errors are grouped in the order they happened; collapseErrorGroup unwraps a group of one only', async () => {
  const e1 = new Error('first');
  const e2 = new Error('second');
  const e = await rejection(
    openNursery(async (tn) => {
      tn.startSoon(async () => {
        await new Promise((res) => setTimeout(res, 10));
        throw e1;
      });
      tn.startSoon(async ({ signal }) => {
        await new Promise<void>((res) => signal.addEventListener('abort', () => res(), { once: true }));
        throw e2;
      });
    }),
  );
  assert.ok(e instanceof ErrorGroup);
  assert.deepEqual((e).errors, [e1, e2]);
  const single = new Error('only');
  const c = await rejection(
    collapseErrorGroup(() =>
      openNursery(async (tn) => {
        tn.startSoon(async () => {
          throw single;
        });
      }),
    ),
  );
  assert.equal(c, single);
});

test('§1 start(): value from started; bare error before started leaves nursery intact; no started -> clear error; started twice throws', async () => {
  await openNursery(async (tn) => {
    const v = await tn.start<number>(async ({ started }) => {
      started(7);
      assert.throws(() => started(8));
    });
    assert.equal(v, 7);
    const bad = new Error('early');
    const e = await rejection(
      tn.start(async () => {
        throw bad;
      }),
    );
    assert.equal(e, bad);
    assert.equal(tn.signal.aborted, false);
    const e2 = await rejection(tn.start(async () => {}));
    assert.ok(e2 instanceof Error);
    assert.match((e2).message, /start/i);
    tn.startSoon(async ({ started }) => {
      started(undefined); // no-op under startSoon
    });
  });
});

test('§1 an outer signal aborting cancels the nursery, which rejects with that reason after tasks settle', async () => {
  const ac = new AbortController();
  const reason = new Error('outer');
  let settled = false;
  const e = await rejection(
    openNursery(
      async (tn) => {
        tn.startSoon(async ({ signal }) => {
          await new Promise<void>((res) => signal.addEventListener('abort', () => res(), { once: true }));
          await new Promise((res) => setTimeout(res, 50));
          settled = true;
        });
        setTimeout(() => ac.abort(reason), 20);
      },
      { signal: ac.signal },
    ),
  );
  assert.equal(e, reason);
  assert.equal(settled, true);
});

test('§1 failAfter rejects TooSlowError; moveOnAfter yields undefined on timeout and the value otherwise', async () => {
  const e = await rejection(failAfter(30, (signal) => new Promise((_, rej) => signal.addEventListener('abort', () => rej(signal.reason as Error)))));
  assert.ok(e instanceof TooSlowError);
  const u = await moveOnAfter(30, (signal) => new Promise((_, rej) => signal.addEventListener('abort', () => rej(signal.reason as Error))));
  assert.equal(u, undefined);
  assert.equal(await moveOnAfter(1000, async () => 'v'), 'v');
});

test('§1 implicit cancellation reaches a runProcess inside a task (no signal plumbing); openNursery waits for it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lb-ic-'));
  const pidFile = join(dir, 'pid');
  let pid = 0;
  try {
    const t0 = Date.now();
    await openNursery(async (tn) => {
      tn.startSoon(async () => {
        await runProcess(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`]);
      });
      await new Promise((r) => setTimeout(r, 300));
      tn.cancel();
    });
    assert.ok(Date.now() - t0 < 4000);
    pid = Number(execFileSync('cat', [pidFile]).toString().trim());
    assert.ok(!isRunning(pid), 'openNursery returned while its child was still alive');
  } finally {
    killIfAlive(pid || undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('§1 failAfter reaches a runProcess inside it implicitly, and the child is gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lb-fa-'));
  try {
    const pidFile = join(dir, 'pid');
    const e = await rejection(
      failAfter(400, () => runProcess(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`])),
    );
    assert.ok(e instanceof TooSlowError, String(e));
    const pid = Number(execFileSync('cat', [pidFile]).toString().trim());
    assert.ok(await gone(pid));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- §2 runProcess

test('§2 runProcess argv + captureStdout resolves CompletedProcess with returncode 0, stdout Buffer, pid, durationMs, command', async () => {
  const r = await runProcess(['echo', 'hello', 'a b'], { captureStdout: true });
  assert.ok(r instanceof CompletedProcess);
  assert.equal(r.returncode, 0);
  assert.ok(Buffer.isBuffer(r.stdout));
  assert.equal(r.stdout.toString(), 'hello a b\n');
  assert.equal(typeof r.pid, 'number');
  assert.ok(r.pid > 0);
  assert.equal(typeof r.durationMs, 'number');
  assert.ok(r.durationMs >= 0);
  assert.ok(r.command === "echo hello 'a b'" || r.command === 'echo hello "a b"', r.command);
  assert.equal(r.stopped, false);
});

test('§2 a string command without shell:true is a TypeError; with shell:true it runs under a shell', async () => {
  await assert.rejects(runProcess('echo hi'), TypeError);
  const r = await runProcess('echo $((1+2))', { shell: true, captureStdout: true });
  assert.equal(r.stdout.toString(), '3\n');
});

test('§2 stdin forms: default /dev/null, string, Buffer; stdin "pipe" is a TypeError', async () => {
  const d = await runProcess(['cat'], { captureStdout: true });
  assert.equal(d.stdout.toString(), '');
  const s = await runProcess(['cat'], { stdin: 'from string', captureStdout: true });
  assert.equal(s.stdout.toString(), 'from string');
  const b = await runProcess(['cat'], { stdin: Buffer.from([0x61, 0x62]), captureStdout: true });
  assert.equal(b.stdout.toString(), 'ab');
  await assert.rejects(runProcess(['cat'], { stdin: 'pipe' }), TypeError);
});

test('§2 check defaults to true: non-zero exit rejects CalledProcessError with fields; check:false resolves', async () => {
  const e = await rejection(runProcess(['sh', '-c', 'echo oops >&2; exit 3'], { captureStderr: true }));
  assert.ok(e instanceof CalledProcessError, String(e));
  const c = e;
  assert.equal(c.returncode, 3);
  assert.equal(c.signal, null);
  assert.deepEqual(c.cmd, ['sh', '-c', 'echo oops >&2; exit 3']);
  assert.equal(c.stderr!.toString(), 'oops\n');
  assert.ok(Array.isArray(c.notes));
  assert.equal(typeof c.pid, 'number');
  assert.equal(typeof c.durationMs, 'number');
  assert.equal(typeof c.command, 'string');
  assert.match(c.code, /^ERR_SUBVISOR_/);
  const r = await runProcess(['sh', '-c', 'exit 4'], { check: false });
  assert.equal(r.returncode, 4);
});

test('§2 killed by a signal: returncode is -N and signal names it', async () => {
  const r = await runProcess(['sh', '-c', 'kill -TERM $$'], { check: false });
  assert.equal(r.returncode, -15);
  assert.equal(r.signal, 'SIGTERM');
  const e = (await rejection(runProcess(['sh', '-c', 'kill -KILL $$']))) as CalledProcessError;
  assert.ok(e instanceof CalledProcessError);
  assert.equal(e.returncode, -9);
  assert.equal(e.signal, 'SIGKILL');
});

test('§2 cwd and env are honoured', async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lb-cwd-')));
  try {
    const r = await runProcess(['pwd'], { cwd: dir, captureStdout: true });
    assert.equal(r.stdout.toString().trim(), dir);
    const e = await runProcess(['sh', '-c', 'printf %s "$LB_X"'], { env: { ...process.env, LB_X: 'yes' }, captureStdout: true });
    assert.equal(e.stdout.toString(), 'yes');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('§2/§8 a command that cannot start rejects at once, naming the command and cause; code keeps the errno', async () => {
  const t0 = Date.now();
  const e = (await rejection(runProcess(['lb-no-such-command-xyz']))) as Error & { code?: string };
  assert.ok(Date.now() - t0 < 2000);
  assert.match(e.message, /lb-no-such-command-xyz/);
  assert.equal(e.code, 'ENOENT');
  const e2 = (await rejection(runProcess(['true'], { cwd: '/lb-no-such-dir-xyz' }))) as Error;
  assert.match(e2.message, /lb-no-such-dir-xyz|true/);
});

test('§2 signal option cancels runProcess; killGraceMs escalates SIGTERM to SIGKILL for a child ignoring TERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lb-kg-'));
  try {
    const pidFile = join(dir, 'pid');
    const ac = new AbortController();
    const t0 = Date.now();
    const p = runProcess(['sh', '-c', `trap '' TERM; echo $$ > ${pidFile}; while :; do sleep 0.05; done`], { signal: ac.signal, killGraceMs: 400 });
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(p);
    const dt = Date.now() - t0;
    assert.ok(dt >= 650, `took ${dt}`);
    assert.ok(dt < 4000, `took ${dt}`);
    const pid = Number(execFileSync('cat', [pidFile]).toString().trim());
    assert.ok(await gone(pid));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('§8 unknown runProcess option is a TypeError naming the key', async () => {
  const e = await rejection(runProcess(['true'], { captureStdOut: true } as never));
  assert.ok(e instanceof TypeError);
  assert.match((e).message, /captureStdOut/);
  assert.match((e).message, /captureStdout/);
});

test('§2 a capture crossing the default limit is a clear error naming the stream and limit, not an out-of-memory crash', async () => {
  const script = "const b=Buffer.alloc(1<<20,120); let n=0; function w(){ while(n<80){ n++; if(!process.stdout.write(b)) return process.stdout.once('drain', w) } } w()";
  const e = await rejection(runProcess([NODE, '-e', script], { captureStdout: true }));
  assert.ok(e instanceof Error);
  assert.match((e as Error & { code: string }).code, /^ERR_SUBVISOR_/);
  assert.match((e).message, /stdout/);
  assert.match((e).message, /limit/);
});

// ---------------------------------------------------------------- §3 superviseRunProcess

test('§3.1 start hands up a live Process before the child exits; superviseRunProcess resolves CompletedProcess', async () => {
  let completed: unknown;
  await openNursery(async (tn) => {
    const t0 = Date.now();
    const proc = await tn.start<Process>(async (ctx) => {
      completed = await superviseRunProcess(['sleep', '0.6'], {}, ctx);
    });
    assert.ok(Date.now() - t0 < 500);
    assert.ok(proc instanceof Process);
    assert.ok(isRunning(proc.pid));
    assert.equal(proc.returncode, null);
    assert.equal(proc.poll(), null);
    assert.deepEqual(proc.args, ['sleep', '0.6']);
    assert.equal(await proc.wait(), 0);
    assert.equal(proc.returncode, 0);
  });
  assert.ok(completed instanceof CompletedProcess);
  assert.equal((completed).returncode, 0);
  assert.equal((completed).stopped, false);
});

test('§3.2 non-zero exit: bare CalledProcessError grouped by the nursery, complete stderr tail (16 KiB) and |_.stderr: note', async () => {
  const script = "process.stderr.write('a'.repeat(40000)); setTimeout(()=>{process.stderr.write('TAIL-END\\n'); process.exit(5)}, 50)";
  const e = await rejection(
    collapseErrorGroup(() =>
      openNursery(async (tn) => {
        await tn.start((ctx) => superviseRunProcess([NODE, '-e', script], {}, ctx));
      }),
    ),
  );
  assert.ok(e instanceof CalledProcessError, String(e));
  const c = e;
  assert.equal(c.returncode, 5);
  assert.ok(c.stderr !== null);
  assert.ok(c.stderr.length <= 16 * 1024, String(c.stderr.length));
  assert.ok(c.stderr.length >= 16 * 1024 - 64, String(c.stderr.length));
  assert.ok(c.stderr.toString().endsWith('TAIL-END\n'));
  assert.ok(c.notes.some((n) => n.includes('|_.stderr:')), inspect(c.notes));
  assert.match(inspect(c), /TAIL-END/);
  assert.match(c.stack ?? '', /\|_\.stderr:/);
});

test('§3.2 the nursery groups the supervised failure (strict ErrorGroup even of one)', async () => {
  const e = await rejection(
    openNursery(async (tn) => {
      await tn.start((ctx) => superviseRunProcess(['sh', '-c', 'exit 2'], {}, ctx));
    }),
  );
  assert.ok(e instanceof ErrorGroup);
  assert.equal((e).errors.length, 1);
  assert.ok((e).errors[0] instanceof CalledProcessError);
});

test('§3.3 tty isolation: stdin is /dev/null, new session (no /dev/tty), own process group leader', async () => {
  const { logger, recs } = capture();
  await openNursery(async (tn) => {
    await tn.start((ctx) =>
      superviseRunProcess(
        ['sh', '-c', 'cat; echo "cat-done"; if (: </dev/tty) 2>/dev/null; then echo tty-yes; else echo tty-no; fi; echo "pgid=$(ps -o pgid= -p $$ | tr -d " ") pid=$$"'],
        { relayStdout: true, logger, label: 'iso' },
        ctx,
      ),
    );
  });
  const lines = recs.filter((r) => r.level === 'io').map((r) => r.msg);
  assert.ok(lines.includes('[iso:out] cat-done'), inspect(lines));
  assert.ok(lines.includes('[iso:out] tty-no'), inspect(lines));
  const pg = lines.find((l) => l.includes('pgid='))!;
  const m = /pgid=(\d+) pid=(\d+)/.exec(pg)!;
  assert.equal(m[1], m[2]);
});

test('§3.4 footguns refused before spawning: stdout "pipe", captureStdout, captureStderr', async () => {
  for (const [opts, name] of [
    [{ stdout: 'pipe' }, /relayStdout|stdout/],
    [{ captureStdout: true }, /relayStdout|captureStdout/],
    [{ captureStderr: true }, /relayStderr|captureStderr/],
  ] as const) {
    const e = await rejection(
      collapseErrorGroup(() =>
        openNursery(async (tn) => {
          await tn.start((ctx) => superviseRunProcess(['true'], opts as never, ctx));
        }),
      ),
    );
    assert.ok(e instanceof Error);
    assert.match((e).message, name);
  }
});

test('§3.4 a bad relayLevel fails only when something is relayed', async () => {
  await openNursery(async (tn) => {
    await tn.start((ctx) => superviseRunProcess(['true'], { relayLevel: 'nope' } as never, ctx));
  });
  await assert.rejects(
    openNursery(async (tn) => {
      await tn.start((ctx) => superviseRunProcess(['echo', 'x'], { relayLevel: 'nope', relayStdout: true } as never, ctx));
    }),
  );
});

test('§3.5 relay format, tag defaults to argv joined, \\r dropped, empty lines kept, last line flushed, U+FFFD, split char whole', async () => {
  const { logger, recs } = capture();
  const script =
    "const w=(b)=>process.stdout.write(b); w('one\\r\\n\\n'); w(Buffer.from([0x62,0xff,0x0a])); w(Buffer.from([0xe2,0x82])); setTimeout(()=>{w(Buffer.from([0xac,0x0a])); process.stderr.write('err-line\\n'); w('no-newline')},50)";
  await openNursery(async (tn) => {
    await tn.start((ctx) => superviseRunProcess([NODE, '-e', script], { relayStdout: true, relayStderr: true, logger }, ctx));
  });
  const tag = `${NODE} -e ${script}`;
  const io = recs.filter((r) => r.level === 'io').map((r) => r.msg);
  const out = io.filter((m) => m.startsWith(`[${tag}:out] `)).map((m) => m.slice(tag.length + 7));
  assert.deepEqual(out, ['one', '', 'b\uFFFD', '€', 'no-newline']);
  assert.ok(io.includes(`[${tag}:err] err-line`), inspect(io));
});

test('§3.5 relay is live: a line is relayed while the child is still running', async () => {
  const { logger, recs } = capture();
  let seenWhileRunning = false;
  await openNursery(async (tn) => {
    const proc = await tn.start<Process>((ctx) =>
      superviseRunProcess(['sh', '-c', 'echo early; sleep 1'], { relayStdout: true, logger, label: 'live' }, ctx),
    );
    const end = Date.now() + 900;
    while (Date.now() < end) {
      if (recs.some((r) => r.msg === '[live:out] early')) {
        seenWhileRunning = proc.returncode === null;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  assert.ok(seenWhileRunning);
});

test('§3.6 megabytes without newline on both streams do not block the child; long lines split in pieces', async () => {
  const lines: OutputLine[] = [];
  const script = "const b='y'.repeat(3*1024*1024); process.stdout.write(b); process.stderr.write(b); process.stdout.write('\\nafter\\n')";
  await failAfter(20000, () =>
    openNursery(async (tn) => {
      await tn.start((ctx) =>
        superviseRunProcess([NODE, '-e', script], { relayStdout: true, relayStderr: true, onLine: (l) => { lines.push(l); }, maxLineBytes: 1024 * 1024 }, ctx),
      );
    }),
  );
  const outs = lines.filter((l) => l.stream === 'stdout');
  assert.ok(outs.every((l) => Buffer.byteLength(l.line) <= 1024 * 1024));
  assert.equal(outs.map((l) => l.line).join('').length, 3 * 1024 * 1024 + 'after'.length);
  assert.equal(outs.at(-1)!.line, 'after');
  assert.equal(lines.filter((l) => l.stream === 'stderr').map((l) => l.line).join('').length, 3 * 1024 * 1024);
});

test('§3.7 cancelling the scope kills the child and its grandchildren (process group)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lb-gc-'));
  const pidFile = join(dir, 'pids');
  let pids: number[] = [];
  try {
    await openNursery(async (tn) => {
      await tn.start((ctx) => superviseRunProcess(['sh', '-c', `sleep 30 & echo $! > ${pidFile}; echo $$ >> ${pidFile}; wait`], {}, ctx));
      await new Promise((r) => setTimeout(r, 300));
      pids = execFileSync('cat', [pidFile]).toString().trim().split('\n').map(Number);
      tn.cancel();
    });
    assert.equal(pids.length, 2);
    for (const p of pids) assert.ok(await gone(p), `pid ${p} survived`);
  } finally {
    for (const p of pids) killIfAlive(p);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('§3.7 cancel: SIGTERM first, SIGKILL after killGraceMs (escalation logged at warning)', async () => {
  const { logger, recs } = capture();
  let proc: Process | undefined;
  const t0 = Date.now();
  await openNursery(async (tn) => {
    proc = await tn.start<Process>((ctx) =>
      superviseRunProcess(['sh', '-c', "trap 'echo got-term' TERM; echo up; while :; do sleep 0.05; done"], { killGraceMs: 500, relayStdout: true, logger, label: 'esc', readyWhen: /^up$/ }, ctx),
    );
    await new Promise((r) => setTimeout(r, 200));
    tn.cancel();
  });
  const dt = Date.now() - t0;
  assert.ok(dt >= 650, `took ${dt}`);
  assert.ok(dt < 5000);
  assert.ok(!isRunning(proc!.pid));
  assert.ok(recs.some((r) => r.msg === '[esc:out] got-term'), inspect(recs));
  assert.ok(recs.some((r) => r.level === 'warning'), inspect(recs));
});

test('§3.7 a leftover holding the pipe after the child exits is terminated; supervision ends', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lb-left-'));
  const pidFile = join(dir, 'pid');
  let left = 0;
  try {
    await failAfter(30000, () =>
      openNursery(async (tn) => {
        await tn.start((ctx) => superviseRunProcess(['sh', '-c', `sleep 60 & echo $! > ${pidFile}; exit 0`], { relayStdout: true, logger: capture().logger, killGraceMs: 300 }, ctx));
      }),
    );
    left = Number(execFileSync('cat', [pidFile]).toString().trim());
    assert.ok(await gone(left), 'leftover survived');
  } finally {
    killIfAlive(left || undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('§3.8 readyWhen delays started until a matching line (relayed or not)', async () => {
  await openNursery(async (tn) => {
    const t0 = Date.now();
    const proc = await tn.start<Process>((ctx) =>
      superviseRunProcess(['sh', '-c', 'sleep 0.4; echo "listening on 1234" >&2; sleep 0.3'], { readyWhen: /listening on \d+/ }, ctx),
    );
    assert.ok(Date.now() - t0 >= 350);
    assert.equal(proc.returncode, null);
  });
  await openNursery(async (tn) => {
    await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo ready-now; sleep 0.2'], { readyWhen: (l: string) => l === 'ready-now' }, ctx));
  });
});

test('§3.8 child exiting before ready: start rejects CalledProcessError-like with stderr tail', async () => {
  await openNursery(async (tn) => {
    const e = await rejection(tn.start((ctx) => superviseRunProcess(['sh', '-c', 'echo dying-words >&2; exit 1'], { readyWhen: /never/ }, ctx)));
    assert.ok(e instanceof Error);
    const c = e as Error & { stderr: Buffer | null; returncode: number; code: string };
    assert.ok(c.stderr && c.stderr.toString().includes('dying-words'), inspect(e));
    assert.equal(c.returncode, 1);
    assert.match(c.code, /^ERR_SUBVISOR_/);
  });
});

test('§3.8 readyTimeoutMs: TooSlowError and the child is stopped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lb-rt-'));
  const pidFile = join(dir, 'pid');
  let pid = 0;
  try {
    await openNursery(async (tn) => {
      const e = await rejection(tn.start((ctx) => superviseRunProcess(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`], { readyWhen: /never/, readyTimeoutMs: 300 }, ctx)));
      assert.ok(e instanceof TooSlowError, inspect(e));
    });
    pid = Number(execFileSync('cat', [pidFile]).toString().trim());
    assert.ok(await gone(pid));
  } finally {
    killIfAlive(pid || undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('§3.9 default console sink neutralises screen clears / OSC titles in relayed lines and keeps SGR colour', async () => {
  const dist = new URL('../dist/index.js', import.meta.url).href;
  const script = `import(${JSON.stringify(dist)}).then(async (m) => { await m.openNursery(async (tn) => { await tn.start((ctx) => m.superviseRunProcess(['printf', 'A\\033[2JB\\033]0;title\\007C\\033[31mred\\033[0m\\n'], { relayStdout: true, label: 'cs' }, ctx)) }) })`;
  const r = await runProcess([NODE, '-e', script], { captureStderr: true, captureStdout: true });
  const err = r.stderr.toString();
  assert.match(err, /cs:out/);
  assert.ok(!err.includes('\x1b[2J'), JSON.stringify(err));
  assert.ok(!err.includes('\x1b]0;'), JSON.stringify(err));
  assert.ok(err.includes('\x1b[31mred'), JSON.stringify(err));
});

test('§4 getLogger returns a logger with one method per level; default threshold shows io, hides runtime', async () => {
  const log = getLogger('lb');
  for (const l of ['transport', 'debug', 'runtime', 'devx', 'info', 'io', 'cancel', 'warning', 'error', 'critical']) {
    assert.equal(typeof (log as unknown as Record<string, unknown>)[l], 'function', l);
  }
  const dist = new URL('../dist/index.js', import.meta.url).href;
  const script = `import(${JSON.stringify(dist)}).then((m) => { const l = m.getLogger('lbx'); l.io('IO-SHOWN'); l.runtime('RUNTIME-HIDDEN'); l.info('INFO-SHOWN') })`;
  const r = await runProcess([NODE, '-e', script], { captureStderr: true, env: { PATH: process.env.PATH ?? '' } });
  const err = r.stderr.toString();
  assert.match(err, /IO-SHOWN/);
  assert.match(err, /INFO-SHOWN/);
  assert.doesNotMatch(err, /RUNTIME-HIDDEN/);
});

test('§3.7 parent receiving SIGTERM: no supervised child outlives it', async () => {
  const dist = new URL('../dist/index.js', import.meta.url).href;
  const script = `import(${JSON.stringify(dist)}).then(async (m) => { await m.openNursery(async (tn) => { const p = await tn.start((ctx) => m.superviseRunProcess(['sleep', '30'], {}, ctx)); console.log(p.pid) }) })`;
  let child = 0;
  const dir = mkdtempSync(join(tmpdir(), 'lb-par-'));
  try {
    const out = join(dir, 'out');
    const { spawn } = await import('node:child_process');
    const { openSync, readFileSync } = await import('node:fs');
    const fd = openSync(out, 'w');
    const parent = spawn(NODE, ['-e', script], { stdio: ['ignore', fd, 'ignore'] });
    const end = Date.now() + 5000;
    while (Date.now() < end && !readFileSync(out, 'utf8').includes('\n')) await new Promise((r) => setTimeout(r, 25));
    child = Number(readFileSync(out, 'utf8').trim());
    assert.ok(child > 0 && isRunning(child));
    const exited = new Promise((r) => parent.on('exit', r));
    parent.kill('SIGTERM');
    await exited;
    assert.ok(await gone(child, 3000), 'supervised child outlived its parent');
  } finally {
    killIfAlive(child || undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('§2 Process methods: sendSignal / terminate / kill / poll', async () => {
  await openNursery(async (tn) => {
    const a = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { check: false }, ctx));
    a.terminate();
    assert.equal(await a.wait(), -15);
    assert.equal(a.poll(), -15);
    const b = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { check: false }, ctx));
    b.kill();
    assert.equal(await b.wait(), -9);
    assert.equal(b.signal, 'SIGKILL');
    const c = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { check: false }, ctx));
    c.sendSignal('SIGUSR1');
    assert.equal(await c.wait(), -10);
    const d = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { check: false }, ctx));
    d.sendSignal(15);
    assert.equal(await d.wait(), -15);
  });
});

test('§1 an explicit signal combines with the implicit scope for runProcess and openNursery', async () => {
  const ac = new AbortController();
  const t0 = Date.now();
  const p = openNursery(async (tn) => {
    tn.startSoon(async () => {
      await runProcess(['sleep', '30'], { signal: ac.signal });
    });
  });
  setTimeout(() => ac.abort(new Error('explicit')), 200);
  await assert.rejects(p);
  assert.ok(Date.now() - t0 < 4000);
});

// ---------------------------------------------------------------- §4 / §8 logging & line events

test('§8 onLine gets OutputLine events (label, stream, line, pid) only for the selected streams, logger unused', async () => {
  const { logger, recs } = capture();
  const got: OutputLine[] = [];
  let pid = 0;
  await openNursery(async (tn) => {
    const p = await tn.start<Process>((ctx) =>
      superviseRunProcess(['sh', '-c', 'echo o1; echo e1 >&2; echo o2'], { relayStdout: true, onLine: (l) => { got.push(l); }, logger }, ctx),
    );
    pid = p.pid;
  });
  assert.deepEqual(
    got.map((l) => ({ ...l })),
    [
      { label: "sh -c echo o1; echo e1 >&2; echo o2", stream: 'stdout', line: 'o1', pid },
      { label: "sh -c echo o1; echo e1 >&2; echo o2", stream: 'stdout', line: 'o2', pid },
    ],
  );
  assert.notEqual(got[0], got[1]);
  assert.equal(recs.filter((r) => r.level === 'io' || r.level === 'info').length, 0, inspect(recs));
  const none: OutputLine[] = [];
  await openNursery(async (tn) => {
    await tn.start((ctx) => superviseRunProcess(['sh', '-c', 'echo o1; echo e1 >&2'], { onLine: (l) => { none.push(l); } }, ctx));
  });
  assert.equal(none.length, 0);
});

test('§8 lines are all delivered before superviseRunProcess resolves', async () => {
  const got: string[] = [];
  let resolvedWith = -1;
  await openNursery(async (tn) => {
    tn.startSoon(async () => {
      await superviseRunProcess([NODE, '-e', "for (let i=0;i<2000;i++) console.log('l'+i)"], { relayStdout: true, onLine: (l) => { got.push(l.line); } });
      resolvedWith = got.length;
    });
  });
  assert.equal(resolvedWith, 2000);
});

test('§8 default relayLevel: logger without io gets lines at info, else log; explicit missing level is an error', async () => {
  const infos: string[] = [];
  await openNursery(async (tn) => {
    await tn.start((ctx) => superviseRunProcess(['echo', 'hi'], { relayStdout: true, label: 'L', logger: { info: (m: string) => infos.push(m) } }, ctx));
  });
  assert.deepEqual(infos, ['[L:out] hi']);
  const logs: string[] = [];
  await openNursery(async (tn) => {
    await tn.start((ctx) => superviseRunProcess(['echo', 'hi'], { relayStdout: true, label: 'L', logger: { log: (m: string) => logs.push(m) } }, ctx));
  });
  assert.deepEqual(logs, ['[L:out] hi']);
  await assert.rejects(
    openNursery(async (tn) => {
      await tn.start((ctx) => superviseRunProcess(['echo', 'hi'], { relayStdout: true, relayLevel: 'warning', logger: { info: () => {} } } as never, ctx));
    }),
  );
});

test('§8 lifecycle records (spawn, ready, stop, exit) at runtime', async () => {
  const { logger, recs } = capture();
  await openNursery(async (tn) => {
    const p = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo up; exec sleep 5'], { logger, label: 'lc', readyWhen: /up/ }, ctx));
    await p.stop();
  });
  // spawn, ready, stop, exit: four records at runtime, none at a louder level (no escalation happened)
  const runtime = recs.filter((r) => r.level === 'runtime');
  assert.ok(runtime.length >= 4, inspect(recs));
  assert.ok(runtime.every((r) => r.msg.includes('lc')), inspect(runtime));
  assert.equal(recs.filter((r) => r.level === 'warning' || r.level === 'error').length, 0, inspect(recs));
});

test('§8 unknown superviseRunProcess option: TypeError naming the key', async () => {
  const e = await rejection(
    collapseErrorGroup(() =>
      openNursery(async (tn) => {
        await tn.start((ctx) => superviseRunProcess(['true'], { relayStdOut: true } as never, ctx));
      }),
    ),
  );
  assert.ok(e instanceof TypeError, inspect(e));
  assert.match((e).message, /relayStdOut/);
});

test('§8 Process.stop(): resolves once the group is gone; supervisor resolves with stopped:true', async () => {
  let completed: CompletedProcess | undefined;
  await openNursery(async (tn) => {
    const proc = await tn.start<Process>(async (ctx) => {
      completed = await superviseRunProcess(['sh', '-c', 'sleep 30 & wait'], {}, ctx);
    });
    await proc.stop();
    assert.ok(!isRunning(proc.pid));
    assert.equal(proc.signal, 'SIGTERM');
    assert.equal(proc.returncode, -15);
  });
  assert.ok(completed instanceof CompletedProcess);
  assert.equal(completed.stopped, true);
});

test('§8 stopSignal is what stop sends', async () => {
  await openNursery(async (tn) => {
    const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { stopSignal: 'SIGINT' }, ctx));
    await proc.stop();
    assert.equal(proc.signal, 'SIGINT');
    assert.equal(proc.returncode, -2);
  });
});

test('§8 deliverCancel replaces the first stop step and may run a process; SIGKILL follows killGraceMs', async () => {
  let ran = '';
  const t0 = Date.now();
  let pid = 0;
  await openNursery(async (tn) => {
    const proc = await tn.start<Process>((ctx) =>
      superviseRunProcess(['sh', '-c', "trap '' TERM; while :; do sleep 0.05; done"], {
        killGraceMs: 500,
        deliverCancel: async (p: Process) => {
          const r = await runProcess(['echo', `stopping ${p.pid}`], { captureStdout: true });
          ran = r.stdout.toString().trim();
          await new Promise((res) => setTimeout(res, 5000));
        },
      }, ctx),
    );
    pid = proc.pid;
    tn.cancel();
  });
  const dt = Date.now() - t0;
  assert.equal(ran, `stopping ${pid}`);
  assert.ok(dt >= 450 && dt < 3000, `took ${dt}`);
  assert.ok(!isRunning(pid));
});

test('§8 stderr: "ignore" still keeps the tail for the error', async () => {
  const e = await rejection(
    collapseErrorGroup(() =>
      openNursery(async (tn) => {
        await tn.start((ctx) => superviseRunProcess(['sh', '-c', 'echo kept >&2; exit 1'], { stderr: 'ignore' }, ctx));
      }),
    ),
  );
  assert.ok(e instanceof CalledProcessError);
  assert.equal((e).stderr!.toString(), 'kept\n');
});

test('§8 command never contains raw control characters', async () => {
  const r = await runProcess(['sh', '-c', 'exit 0', 'a\x1b[2Jb\nc'], {});
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(r.command, /[\x00-\x1f\x7f]/);
});

test('§8 check:false on superviseRunProcess resolves with the non-zero returncode', async () => {
  let c: CompletedProcess | undefined;
  await openNursery(async (tn) => {
    await tn.start(async (ctx) => {
      c = await superviseRunProcess(['sh', '-c', 'exit 7'], { check: false }, ctx);
    });
  });
  assert.equal(c!.returncode, 7);
});

test('§8 every error class has a stable ERR_SUBVISOR_ code', () => {
  assert.match(new TooSlowError().code, /^ERR_SUBVISOR_/);
  assert.match(new Cancelled().code, /^ERR_SUBVISOR_/);
  assert.match(new ErrorGroup([], 'x').code, /^ERR_SUBVISOR_/);
});

// ---------------------------------------------------------------- more, through the package root

for (const sig of ['SIGINT', 'SIGHUP'] as const) {
  test(`§3.7 parent receiving ${sig}: neither the supervised child nor its grandchild outlives it`, async () => {
    const { spawn } = await import('node:child_process');
    const { openSync, readFileSync } = await import('node:fs');
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const dir = mkdtempSync(join(tmpdir(), 'lb-ps-'));
    const out = join(dir, 'out');
    const gc = join(dir, 'gc');
    const script = `import(${JSON.stringify(dist)}).then(async (m) => { await m.openNursery(async (tn) => { const p = await tn.start((ctx) => m.superviseRunProcess(['sh', '-c', 'sleep 30 & echo $! > ${gc}; wait'], {}, ctx)); console.log(p.pid) }) })`;
    const pids: number[] = [];
    try {
      const parent = spawn(NODE, ['-e', script], { stdio: ['ignore', openSync(out, 'w'), 'ignore'] });
      const end = Date.now() + 5000;
      const ready = () => readFileSync(out, 'utf8').includes('\n') && readFileSync(gc, { encoding: 'utf8', flag: 'a+' }).includes('\n');
      while (Date.now() < end && !ready()) await new Promise((r) => setTimeout(r, 25));
      pids.push(Number(readFileSync(out, 'utf8').trim()), Number(readFileSync(gc, 'utf8').trim()));
      assert.ok(pids.every((p) => p > 0 && isRunning(p)));
      const exited = new Promise((r) => parent.on('exit', r));
      parent.kill(sig);
      await exited;
      for (const p of pids) assert.ok(await gone(p, 3000), `${p} outlived its parent`);
    } finally {
      for (const p of pids) killIfAlive(p || undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('§3.4 a refused footgun spawns nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lb-fg-'));
  const marker = join(dir, 'spawned');
  try {
    await assert.rejects(
      openNursery(async (tn) => {
        await tn.start((ctx) => superviseRunProcess(['sh', '-c', `touch ${marker}`], { stdout: 'pipe' } as never, ctx));
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(marker), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('§3.3 default stdio of a supervised child: stdin and unrelayed stdout are /dev/null; relayed stdout is a pipe', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lb-fds-'));
  const f = join(dir, 'fds');
  const cmd = [NODE, '-e', `const fs=require('fs'); fs.writeFileSync(${JSON.stringify(f)}, [0,1].map(i=>fs.readlinkSync('/proc/self/fd/'+i)).join(' '))`];
  const { readFileSync } = await import('node:fs');
  try {
    for (const opts of [{}, { relayStderr: true, onLine: () => {} }, { stdout: undefined }]) {
      await openNursery(async (tn) => {
        await tn.start((ctx) => superviseRunProcess(cmd, opts, ctx));
      });
      assert.equal(readFileSync(f, 'utf8'), '/dev/null /dev/null', inspect(opts));
    }
    await openNursery(async (tn) => {
      await tn.start((ctx) => superviseRunProcess(cmd, { relayStdout: true, onLine: () => {} }, ctx));
    });
    const [fd0, fd1] = readFileSync(f, 'utf8').split(' ');
    assert.equal(fd0, '/dev/null');
    assert.notEqual(fd1, '/dev/null');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('§8 command is argv quoted as a POSIX shell reads it: it round-trips through sh', async () => {
  const argv = ['printf', '%s|', "it's", 'a b', '$HOME', '', 'x"y', '*', 'é'];
  const r = await runProcess(argv, { captureStdout: true });
  const back = await runProcess(r.command, { shell: true, captureStdout: true });
  assert.equal(back.stdout.toString(), r.stdout.toString());
  assert.equal(r.stdout.toString(), "it's|a b|$HOME||x\"y|*|é|");
});

test('§3.5 only one trailing \\r is dropped; a \\r inside a line is kept; readyWhen sees the line without it', async () => {
  const lines: string[] = [];
  await openNursery(async (tn) => {
    await tn.start((ctx) => superviseRunProcess(['printf', 'a\\r\\r\\nb\\rc\\n'], { relayStdout: true, onLine: (l) => { lines.push(l.line); } }, ctx));
  });
  assert.deepEqual(lines, ['a\r', 'b\rc']);
  await openNursery(async (tn) => {
    await tn.start((ctx) => superviseRunProcess(['sh', '-c', 'printf "up\\r\\n"; sleep 0.2'], { readyWhen: /^up$/, readyTimeoutMs: 3000 }, ctx));
  });
});

test('§8 stop() resolves the owner even when the child exits non-zero on the stop signal; cancellation likewise is not a failure', async () => {
  let c: CompletedProcess | undefined;
  await openNursery(async (tn) => {
    const p = await tn.start<Process>(async (ctx) => {
      c = await superviseRunProcess(['sh', '-c', "trap 'exit 1' TERM; echo armed; while :; do sleep 0.05; done"], { readyWhen: /armed/ }, ctx);
    });
    await p.stop();
  });
  assert.equal(c!.stopped, true);
  assert.equal(c!.returncode, 1);
  await openNursery(async (tn) => {
    await tn.start((ctx) => superviseRunProcess(['sh', '-c', "trap 'exit 1' TERM; echo armed; while :; do sleep 0.05; done"], { readyWhen: /armed/ }, ctx));
    tn.cancel();
  });
});

test('§8 deliverCancel is abandoned once the group is gone', async () => {
  const t0 = Date.now();
  await openNursery(async (tn) => {
    await tn.start((ctx) =>
      superviseRunProcess(['sleep', '30'], {
        killGraceMs: 4000,
        deliverCancel: async (p: Process) => {
          p.kill();
          await new Promise(() => {});
        },
      }, ctx),
    );
    tn.cancel();
  });
  assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
});

test('§1 nothing leaks: no unhandled rejections, no listeners left on an outer signal', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const ac = new AbortController();
    await openNursery(async (tn) => {
      tn.startSoon(async () => {
        await runProcess(['true'], { signal: ac.signal });
      });
    }, { signal: ac.signal });
    await failAfter(10_000, () => runProcess(['true'], { signal: ac.signal }));
    await moveOnAfter(10_000, () => openNursery(async (tn) => {
      await tn.start((ctx) => superviseRunProcess(['true'], { signal: ac.signal }, ctx));
    }));
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    const failing = [
      () => openNursery(async (tn) => { await tn.start((ctx) => superviseRunProcess(['sh', '-c', 'exit 1'], {}, ctx)); }),
      () => openNursery(async (tn) => { await tn.start((ctx) => superviseRunProcess(['sleep', '5'], { readyWhen: /x/, readyTimeoutMs: 100 }, ctx)); }),
      () => openNursery(async (tn) => { tn.startSoon((ctx) => superviseRunProcess(['lb-no-such-command-xyz'], {}, ctx)); }),
      () => openNursery(async (tn) => { tn.startSoon(async () => { await tn.start((ctx) => superviseRunProcess(['sh', '-c', 'exit 2'], { readyWhen: /x/ }, ctx)); }); }),
    ];
    for (const f of failing) await assert.rejects(f(), ErrorGroup);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('§2 runProcess stdin as an fd, and CalledProcessError without capture has null stdout/stderr', async () => {
  const { openSync, closeSync, writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'lb-sin-'));
  try {
    const f = join(dir, 'in');
    writeFileSync(f, 'filedata');
    const fd = openSync(f, 'r');
    try {
      const r = await runProcess(['cat'], { stdin: fd, captureStdout: true });
      assert.equal(r.stdout.toString(), 'filedata');
    } finally {
      closeSync(fd);
    }
    const e = (await rejection(runProcess(['sh', '-c', 'exit 1']))) as CalledProcessError;
    assert.equal(e.stdout, null);
    assert.equal(e.stderr, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('§3.5 maxLineBytes: default keeps a 1 MiB line whole; a small limit cuts on character boundaries', async () => {
  const got: OutputLine[] = [];
  await openNursery(async (tn) => {
    await tn.start((ctx) => superviseRunProcess([NODE, '-e', "console.log('z'.repeat(1024*1024))"], { relayStdout: true, onLine: (l) => { got.push(l); } }, ctx));
  });
  assert.equal(got.length, 1);
  assert.equal(got[0]!.line.length, 1024 * 1024);
  const small: OutputLine[] = [];
  await openNursery(async (tn) => {
    await tn.start((ctx) => superviseRunProcess([NODE, '-e', "console.log('€'.repeat(50))"], { relayStdout: true, onLine: (l) => { small.push(l); }, maxLineBytes: 10 }, ctx));
  });
  assert.ok(small.length > 1);
  assert.equal(small.map((l) => l.line).join(''), '€'.repeat(50));
  assert.ok(small.every((l) => !l.line.includes('\uFFFD') && Buffer.byteLength(l.line) <= 10));
});
