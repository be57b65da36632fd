// After a second Ctrl-C the CLI exits 130 at once, but first gives its last words (what it killed,
// what output it drops) a moment to reach stderr (src/cli/last-words.ts). A signal in that moment
// (a third Ctrl-C, pressed by someone who sees nothing happen) must not change how it ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LAST_WORDS_MS } from '../../src/cli/last-words.js';
import { BIN } from './cli.js';
import { isRunning, killQuietly, signalPending, waitUntil, waitsToWrite } from '../support/processes.js';
import { reachedOr, untilReached } from '../support/reached.js';

// The case lasts the 1.5 s the words wait: a loaded machine may not get the third Ctrl-C delivered,
// or the reader back, within it. Such an attempt proves nothing and is run again; the test fails if
// none reaches it.
test('a third Ctrl-C while the last words wait for a reader that takes nothing: the CLI still exits 130, not killed by it, and the reader that comes back gets its words', { timeout: 180_000 }, () => untilReached(3, thirdCtrlCWhileWordsWait));

async function thirdCtrlCWhileWordsWait(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-last-words-'));
  // 829 KB, less than the CLI holds: `printed` once it is all read. Its stop lasts its grace: each
  // SIGTERM ends only the `sleep` (and says it came), the loop goes on.
  const shell = "trap 'touch stopping' TERM; echo $$ > flood.pid; seq 1 60000; touch printed; while :; do sleep 0.1; done";
  writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  flood: { cmd: "${shell}", grace: 30s }\n`);
  // stdout and stderr one pipe, read by nothing: the words wait for stdout's write under way, for good.
  const cli = spawn('sh', ['-c', 'exec "$@" 2>&1', 'sh', process.execPath, BIN, 'up'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
  const closed = once(cli, 'exit');
  let exitSeenAt = 0;
  cli.once('exit', () => (exitSeenAt = Date.now()));
  let floodPid: number | undefined;
  try {
    cli.stdout.pause();
    await waitUntil(() => existsSync(join(dir, 'printed')), 'the flood to be read', 30_000);
    floodPid = Number(readFileSync(join(dir, 'flood.pid'), 'utf8'));
    cli.kill('SIGINT');
    await waitUntil(() => existsSync(join(dir, 'stopping')), 'the stop to begin', 10_000);
    // Again until one counts as the second (one soon after the first is taken for its copy): the
    // flood is then SIGKILLed, and the CLI waits for its words.
    // The words' wait begins when one of these is taken: not before the first is sent.
    const secondSentAt = Date.now();
    await waitUntil(() => (cli.kill('SIGINT'), !isRunning(floodPid as number)), 'the second Ctrl-C to kill the flood', 10_000);
    const pid = cli.pid as number;
    // Not reached is an exit 130 that came first (the wait over); death by a Ctrl-C is the failure under test.
    const reachedOrExited = async (reached: boolean, what: string): Promise<void> => {
      if (reached) return;
      const [code, signal] = (await Promise.race([closed, sleep(10_000, undefined, { ref: false }).then(() => [null, null])])) as [number | null, NodeJS.Signals | null];
      assert.notEqual(signal, 'SIGINT', `${what}: the CLI died of a Ctrl-C while its words waited`);
      reachedOr(false, `${what}: ended ${JSON.stringify({ code, signal })}`);
    };
    // The case under test: the words wait (for stdout's write under way, which nobody reads) when
    // the third Ctrl-C comes, and it has been delivered (no longer pending) before anything is
    // read, and the CLI lives on. Its default action would have killed it on delivery. Words that
    // never waited, or a Ctrl-C that kills, fail every attempt.
    await reachedOrExited(isRunning(pid) && waitsToWrite(pid, 1), 'the CLI did not wait to write stdout after the second Ctrl-C');
    cli.kill('SIGINT');
    await waitUntil(() => !signalPending(pid, 'SIGINT'), 'the third Ctrl-C to be delivered', 10_000);
    await reachedOrExited(isRunning(pid) && waitsToWrite(pid, 1), 'the CLI did not still wait for its words once the third Ctrl-C was delivered');
    // What the wait is for: a reader that comes back within it still gets the words (an exit that
    // did not wait would have dropped them with the rest of the queue).
    let output = '';
    cli.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const readToEnd = once(cli.stdout, 'end');
    cli.stdout.resume();
    const bound = (what: string): Promise<never> => sleep(20_000, undefined, { ref: false }).then(() => assert.fail(what));
    const [code, signal] = (await Promise.race([closed, bound('the CLI still runs 20 s after its reader came back')])) as [number | null, NodeJS.Signals | null];
    // Its exit can come before the last of its output is read: the words are the last of it.
    await Promise.race([readToEnd, bound('the CLI\'s stdout still open 20 s after it exited')]);
    assert.deepEqual({ code, signal }, { code: 130, signal: null });
    const words = /^subvisor: .*\d+ bytes of output not yet written are dropped$/m;
    // Words missing from an exit seen LAST_WORDS_MS or more after the second Ctrl-C was sent may be
    // the wait's own end (its timer began no sooner): a reader that a loaded machine brought back
    // late, which proves nothing either way. Missing sooner, no timer ended the wait: a failure.
    const lived = exitSeenAt - secondSentAt;
    reachedOr(words.test(output) || lived < LAST_WORDS_MS, `the words' wait may have run out before the reader came back: the exit came ${lived} ms after the second Ctrl-C`);
    assert.match(output, words, output.slice(-500));
  } finally {
    killQuietly(cli.pid, floodPid);
    cli.stdout.destroy(); // paused, it would hold the pipe open past an attempt that did not reach the case
    rmSync(dir, { recursive: true, force: true });
  }
}
