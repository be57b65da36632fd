// Soak: a seeded random run of supervised children (successes, failures, floods, leftovers,
// cancellations at random moments, readiness timeouts, nested nurseries), several at a time.
// Every child's outcome is checked as it settles, and at the end no tagged process runs and the
// fds, process listeners, timers and child zombies are back to the baseline.
//
//   SUBVISOR_SOAK=20000        run that many children instead of 2000 (a longer local run)
//   SUBVISOR_SOAK_SEED=1234    replay the run a failure printed
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect, isDeepStrictEqual } from 'node:util';
import { CalledProcessError, Cancelled, SpawnError, TooSlowError, openNursery, runProcess, superviseRunProcess, type Process } from '../../../src/index.js';
import { killTagged, resources, runningTagged, waitUntil } from './probes.js';

const CHILDREN = Number(process.env.SUBVISOR_SOAK ?? 2000);
const SEED = Number(process.env.SUBVISOR_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CONCURRENCY = 12;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Soak {
  readonly next: () => number;
  readonly env: NodeJS.ProcessEnv;
  /** Children spawned (or attempted) so far. */
  spawned: number;
  readonly counts: Record<string, number>;
}

type Job = (soak: Soak, at: string) => Promise<void>;

const KILL_GRACE_MS = 100;
const ignore = (): undefined => undefined;

function count(soak: Soak, kind: string, children = 1): void {
  soak.spawned += children;
  soak.counts[kind] = (soak.counts[kind] ?? 0) + 1;
}

const jobs: [weight: number, name: string, job: Job][] = [
  [20, 'success', async (soak, at) => {
    count(soak, 'success');
    const { returncode, stdout } = await runProcess(['sh', '-c', 'echo ok'], { env: soak.env, captureStdout: true });
    assert.equal(returncode, 0, at);
    assert.equal(stdout.toString(), 'ok\n', at);
  }],
  [15, 'failure', async (soak, at) => {
    count(soak, 'failure');
    const code = 1 + Math.floor(soak.next() * 100);
    const error = await superviseRunProcess(['sh', '-c', `echo "failing with ${code}" >&2; exit ${code}`], { env: soak.env }).catch((caught: unknown) => caught);
    assert.ok(error instanceof CalledProcessError, `${at}: ${String(error)}`);
    assert.equal(error.returncode, code, at);
    assert.equal(error.stderr?.toString(), `failing with ${code}\n`, at);
  }],
  [10, 'flood', async (soak, at) => {
    count(soak, 'flood');
    const bytes = Math.floor(soak.next() * 300_000);
    let relayed = 0;
    const logger = { io: (line: string) => void (relayed += line.length - '[f:out] '.length) };
    await superviseRunProcess(['sh', '-c', `head -c ${bytes} /dev/zero | tr "\\0" x`], { env: soak.env, relayStdout: true, logger, label: 'f' });
    assert.equal(relayed, bytes, at);
  }],
  [5, 'spawn error', async (soak, at) => {
    count(soak, 'spawn error');
    await assert.rejects(runProcess(['/nonexistent/soak-program'], { env: soak.env }), SpawnError, at);
  }],
  [8, 'leftover', async (soak, at) => {
    count(soak, 'leftover');
    const lines: string[] = [];
    await superviseRunProcess(['sh', '-c', '(exec sleep 1000) & echo parent done'], {
      env: soak.env,
      relayStdout: true,
      logger: { io: (line: string) => void lines.push(line) },
      label: 'l',
      drainGraceMs: Math.floor(soak.next() * 30),
      killGraceMs: KILL_GRACE_MS,
    });
    assert.deepEqual(lines, ['[l:out] parent done'], at);
  }],
  [20, 'cancel', async (soak, at) => {
    count(soak, 'cancel');
    const delayMs = soak.next() < 0.3 ? 0 : Math.floor(soak.next() * 30);
    const script = soak.next() < 0.5 ? 'sleep 1000 & wait' : 'trap "exit 1" TERM; sleep 1000 & wait';
    await openNursery(async (tn) => {
      const starting = tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', script], { env: soak.env, killGraceMs: KILL_GRACE_MS }, ctx)).catch(ignore);
      if (delayMs > 0) await sleep(delayMs);
      tn.cancel();
      await starting;
    }).catch((error: unknown) => assert.fail(`${at}: a cancelled child must not fail its nursery: ${String(error)}`));
  }],
  [7, 'signal', async (soak, at) => {
    count(soak, 'signal');
    const controller = new AbortController();
    const reason = new Cancelled(`soak ${at}`);
    const running = runProcess(['sleep', '1000'], { env: soak.env, signal: controller.signal, killGraceMs: KILL_GRACE_MS });
    await sleep(Math.floor(soak.next() * 20));
    controller.abort(reason);
    await assert.rejects(running, (error) => error === reason, at);
  }],
  [5, 'ready timeout', async (soak, at) => {
    count(soak, 'ready timeout');
    await openNursery(async (tn) => {
      const error = await tn
        .start((ctx) => superviseRunProcess(['sh', '-c', 'echo booting; exec sleep 1000'], { env: soak.env, readyWhen: /never/, readyTimeoutMs: 20, killGraceMs: KILL_GRACE_MS }, ctx))
        .catch((caught: unknown) => caught);
      assert.ok(error instanceof TooSlowError, `${at}: ${String(error)}`);
    });
  }],
  [10, 'nested', async (soak, at) => {
    // Nurseries in nurseries, a child each. Either one child fails after it is up, which cancels
    // its siblings and comes out (grouped twice) as its CalledProcessError, or the whole tree is
    // cancelled from outside at a random moment, which comes out as that reason.
    const children = 2 + Math.floor(soak.next() * 4);
    const failing = soak.next() < 0.5;
    const delayMs = Math.floor(soak.next() * 40);
    count(soak, 'nested', children);
    const outer = new AbortController();
    const result = await openNursery(
      async (tn) => {
        for (let i = 0; i < children; i++) {
          const script = failing && i === 0 ? 'echo ready; sleep 0.02; echo broken >&2; exit 7' : 'echo ready; exec sleep 1000';
          tn.startSoon(() =>
            openNursery(async (inner) => {
              await inner.start<Process>((ctx) => superviseRunProcess(['sh', '-c', script], { env: soak.env, killGraceMs: KILL_GRACE_MS, readyWhen: /ready/ }, ctx));
            }),
          );
        }
        if (!failing) {
          await sleep(delayMs);
          outer.abort(new Cancelled(`soak ${at}`));
        }
      },
      { signal: outer.signal },
    ).then(
      () => 'resolved',
      (caught: unknown) => caught,
    );
    if (failing) {
      const inner: unknown = result instanceof AggregateError ? result.errors[0] : undefined;
      const error: unknown = inner instanceof AggregateError ? inner.errors[0] : result;
      assert.ok(error instanceof CalledProcessError, `${at}: ${String(result)}`);
      assert.equal(error.returncode, 7, at);
      assert.equal(error.stderr?.toString(), 'broken\n', at);
    } else {
      assert.equal(result, outer.signal.reason, `${at}: ${String(result)}`);
    }
  }],
];

const totalWeight = jobs.reduce((sum, [weight]) => sum + weight, 0);

function pick(next: () => number): [string, Job] {
  let roll = next() * totalWeight;
  for (const [weight, name, job] of jobs) {
    roll -= weight;
    if (roll < 0) return [name, job];
  }
  const last = jobs[jobs.length - 1] as [number, string, Job];
  return [last[1], last[2]];
}

describe('soak', () => {
  before(async () => {
    await runProcess(['true']); // starts the watchdog, which keeps its pipe for good: baseline after it
  });

  test(`${CHILDREN} supervised children, seed ${SEED}: no leaked process, fd, listener, timer or zombie`, { timeout: Math.max(120_000, CHILDREN * 60) }, async (t) => {
    t.diagnostic(`seed ${SEED} (replay with SUBVISOR_SOAK_SEED=${SEED} SUBVISOR_SOAK=${CHILDREN})`);
    const tag = randomUUID();
    const next = random(SEED);
    const soak: Soak = { next, env: { ...process.env, SUBVISOR_TEST_TAG: tag }, spawned: 0, counts: {} };
    const baseline = resources();
    const startedAt = performance.now();
    let jobNumber = 0;
    try {
      await openNursery(async (tn) => {
        for (let worker = 0; worker < CONCURRENCY; worker++) {
          tn.startSoon(async () => {
            while (soak.spawned < CHILDREN) {
              const [name, job] = pick(next);
              const at = `seed ${SEED}, job ${jobNumber++} (${name})`;
              await job(soak, at);
            }
          });
        }
      }).catch((error: unknown) => {
        throw new Error(`the soak failed; replay with SUBVISOR_SOAK_SEED=${SEED} SUBVISOR_SOAK=${CHILDREN}\n${inspect(error, { depth: 6 })}`, { cause: error });
      });
      t.diagnostic(`${soak.spawned} children in ${((performance.now() - startedAt) / 1000).toFixed(1)} s: ${JSON.stringify(soak.counts)}`);
      const deadline = performance.now() + 2000;
      while (performance.now() < deadline && !isDeepStrictEqual(resources(), baseline)) await sleep(10);
      assert.deepEqual(resources(), baseline, `seed ${SEED}: fds, listeners, timers or zombies leaked`);
      await waitUntil(() => runningTagged(tag).length === 0, `seed ${SEED}: no tagged process left (found ${runningTagged(tag).join(' ')})`, 3000);
    } finally {
      killTagged(tag);
    }
  });
});
