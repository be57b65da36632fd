// Where other users' processes may not be looked at (/proc mounted with hidepid=1, a common
// hardening of shared hosts), /proc lists every pid but refuses (EPERM) to open another user's stat.
// What left a child's group (setsid) is found all the same: each lookup passes over the processes it
// may not read instead of giving up on all. Staged as root: subvisor runs as uid 65534 in a mount
// namespace of its own, whose /proc is a new one mounted hidepid=1, so root's processes are refused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRunning, killQuietly, waitUntil } from '../support/processes.js';
import { startCli } from './cli.js';

const HIDEPID = ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount -t proc -o hidepid=1 proc /proc && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$0" "$@"'];
const BOUNDED = { timeout: 30_000 };
/** The child ignores SIGTERM and waits; what it started leads a session of its own and says its pid. */
const SCRIPT = 'cat /proc/1/stat >/dev/null 2>&1 || echo refused; trap "" TERM; setsid sh -c \'echo "escapee $$"; exec sleep 1000\' & wait';

async function startWithEscapee(): Promise<{ cli: ReturnType<typeof startCli>; child: number; escapee: number }> {
  const cli = startCli(['run', '--label', 'd', '--grace', '500ms', '--', 'sh', '-c', SCRIPT], { execVia: HIDEPID });
  await cli.waitForOutput(/^d \| escapee \d+$/m);
  const out = cli.stdoutSoFar();
  assert.match(out, /^d \| refused$/m, 'staged: root\'s process (pid 1) may not be read');
  return { cli, child: Number(/^d \* starting \(pid (\d+)\)/m.exec(out)?.[1]), escapee: Number(/^d \| escapee (\d+)$/m.exec(out)?.[1]) };
}

describe('hidepid=1: what a child started in a session of its own is stopped though other users\' processes may not be read', () => {
  const cases = [
    { title: 'a stop\'s SIGKILL at the grace\'s end reaches it, and the run ends', signal: 'SIGTERM', by: 'with the group', withinMs: 2000 },
    { title: 'after subvisor\'s SIGKILL, the watchdog reaches it at the grace\'s end', signal: 'SIGKILL', by: 'by the watchdog', withinMs: 3000 },
  ] as const;
  for (const { title, signal, by, withinMs } of cases) {
    test(title, BOUNDED, async (t) => {
      if (process.getuid?.() !== 0) {
        assert.notEqual(process.env.CI, 'true', 'CI runs as root, which this test needs');
        return t.skip('staged as root only (a mount of /proc, then setpriv)');
      }
      const { cli, child, escapee } = await startWithEscapee();
      try {
        cli.kill(signal);
        await cli.done;
        await waitUntil(() => !isRunning(escapee), `the escapee (pid ${escapee}) to be SIGKILLed ${by}`, withinMs);
      } finally {
        killQuietly(child, escapee);
      }
    });
  }
});
