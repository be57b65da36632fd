// A mix of everything a supervised child's life can be: success, failure, a spawn error,
// cancellations at several moments, a readiness timeout, a capture over its limit, a flood, a
// leftover holding the pipe, a daemonised leftover. Used by the hygiene test in-process and by
// test/fixtures/hardening/event-loop.ts in a parent of its own. The graces are long on purpose:
// a timer left behind would keep a process alive for a minute.
import { setTimeout as sleep } from 'node:timers/promises';
import { failAfter, openNursery, runProcess, superviseRunProcess, type Process } from '../../../src/index.js';

const LONG_MS = 60_000;

export async function runMix(tag: string): Promise<void> {
  const env = { ...process.env, SUBVISOR_TEST_TAG: tag };
  const base = { env, killGraceMs: 300, drainGraceMs: LONG_MS };
  const swallow = (): undefined => undefined;
  await runProcess(['true'], base);
  await runProcess(['sh', '-c', 'echo out; echo err >&2; exit 3'], { ...base, captureStdout: true, captureStderr: true }).catch(swallow);
  await runProcess(['/nonexistent/program'], base).catch(swallow);
  await runProcess(['sh', '-c', 'yes'], { ...base, captureStdout: true, maxCaptureBytes: 100_000 }).catch(swallow);
  await superviseRunProcess(['sh', '-c', 'head -c 2000000 /dev/zero | tr "\\0" "x"; echo'], { ...base, relayStdout: true, logger: { io: swallow } });
  await superviseRunProcess(['sh', '-c', 'echo boom >&2; exit 1'], base).catch(swallow);
  // A leftover holding the pipe, and one that let go of it: both stopped, the first after a short drain grace.
  await superviseRunProcess(['sh', '-c', '(exec sleep 1000) & echo done'], { ...base, drainGraceMs: 100, relayStdout: true, logger: { io: swallow } });
  await superviseRunProcess(['sh', '-c', 'sleep 1000 >/dev/null 2>&1 &'], base);
  await failAfter(200, () => runProcess(['sleep', '1000'], base)).catch(swallow);
  await openNursery(async (tn) => {
    tn.startSoon(() => superviseRunProcess(['sh', '-c', 'sleep 1000 & wait'], base));
    await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo ready; exec sleep 1000'], { ...base, readyWhen: /ready/ }, ctx));
    const starting = tn.start((ctx) => superviseRunProcess(['sleep', '1000'], base, ctx)).catch(swallow);
    tn.cancel();
    await starting;
  });
  await openNursery(async (tn) => {
    await tn.start((ctx) => superviseRunProcess(['sleep', '1000'], { ...base, readyWhen: /never/, readyTimeoutMs: 100 }, ctx)).catch(swallow);
    tn.startSoon(async (ctx) => {
      await sleep(20, undefined, { signal: ctx.signal }).catch(swallow);
      await runProcess(['sleep', '1000'], base).catch(swallow);
    });
    await sleep(50);
    tn.cancel();
  });
}
