// A terminal whose output is paused (Ctrl-S, XOFF: to read what scrolls by, or pressed by an
// editor's habit) holds back what `subvisor up` writes, as a paused `| less` does, on a real
// pseudo-terminal (./terminal.ts). It must not stop the run itself: Node writes to a terminal with
// blocking writes, so the first line written then stopped the whole event loop until Ctrl-Q, and
// with it every control request, signal, probe and restart.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { runCli } from './cli.js';
import { waitUntil } from '../support/processes.js';
import { startOnTerminal } from './terminal.js';

const CONFIG = `processes:
  chatty:
    cmd: "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.05; done"
`;

/** The numbers of the `tick N` lines the terminal shows, in order. */
function ticks(screen: string): number[] {
  return [...screen.matchAll(/chatty \| tick (\d+) *$/gm)].map((match) => Number(match[1]));
}

/**
 * Waits for the job's CLI (its pid put in `pids`) to show a few ticks, pauses the terminal
 * (Ctrl-S), and gives it long enough to be in the middle of a write, with lines the terminal did
 * not take (a tick every 50 ms); the ticks shown then.
 */
async function pausedWhileTicking(job: ReturnType<typeof startOnTerminal>, pids: number[]): Promise<number[]> {
  pids.push(await job.cliPid());
  await waitUntil(() => ticks(job.screen()).length >= 3, 'the first ticks on the terminal', 15_000);
  job.sendKeys('C-s');
  await sleep(1000);
  return ticks(job.screen());
}

test('a paused terminal (Ctrl-S) holds the output back, not the run: `ps` is answered meanwhile, and after Ctrl-Q every line is shown', { timeout: 60_000 }, async () => {
  const job = startOnTerminal(['up'], { hangup: 'shell', stderrToFile: true, files: { 'subvisor.yaml': CONFIG } });
  const pids: number[] = [];
  try {
    const shownWhenPaused = await pausedWhileTicking(job, pids);

    const ps = await runCli(['ps', '--json'], { cwd: job.dir });
    assert.equal(ps.code, 0, `ps was not answered while the terminal was paused:\n${ps.stderr}`);
    const [chatty] = JSON.parse(ps.stdout) as { name: string; state: string }[];
    assert.deepEqual({ name: chatty?.name, state: chatty?.state }, { name: 'chatty', state: 'running' });
    // The control: the terminal was paused all along (it showed no new line), so ps was asked of a
    // run whose output could not be written.
    assert.deepEqual(ticks(job.screen()), shownWhenPaused, 'the terminal showed new lines: it was not paused');

    job.sendKeys('C-q');
    const last = shownWhenPaused.at(-1) ?? 0;
    await waitUntil(() => (ticks(job.screen()).at(-1) ?? 0) > last + 20, 'the output to resume after Ctrl-Q', 15_000);
    const shown = ticks(job.screen());
    assert.deepEqual(shown, shown.map((_, index) => index + 1), 'a line was lost or repeated');

    // Not a Ctrl-C: it would reach the job fixture too (the foreground group), which reports the end.
    process.kill(pids[0] as number, 'SIGTERM');
    assert.deepEqual(await job.ended(), { code: 143, signal: null }, `stderr:\n${job.stderr()}`);
  } finally {
    job.dispose(pids);
  }
});

test('a SIGTERM ends the run while the terminal is paused (Ctrl-S): the CLI exits 143 without waiting for Ctrl-Q, and after it the screen holds whole lines', { timeout: 60_000 }, async () => {
  // stderr on the terminal too: the end's words (the summary, what is dropped) go to the paused terminal.
  const job = startOnTerminal(['up'], { hangup: 'shell', stderrToFile: false, keepTerminal: true, files: { 'subvisor.yaml': CONFIG } });
  const pids: number[] = [];
  try {
    const shownWhenPaused = await pausedWhileTicking(job, pids);

    process.kill(pids[0] as number, 'SIGTERM');
    assert.deepEqual(await job.ended(20_000), { code: 143, signal: null }, 'the CLI did not end while the terminal was paused');
    // The control: it ended while the terminal was still paused (it showed no new line).
    assert.deepEqual(ticks(job.screen()), shownWhenPaused, 'the terminal showed new lines: it was not paused');

    job.sendKeys('C-q');
    await waitUntil(() => job.screen().includes('job ended'), 'the shell to say the job ended, after Ctrl-Q', 15_000);
    // Whatever the CLI left for the terminal, it left whole lines: the shell's words start one of their own.
    const screen = job.screen();
    const lines = screen.split('\n').map((line) => line.trimEnd());
    assert.ok(lines.includes('job ended'), `a line was left unfinished:\n${screen}`);
    const torn = lines.filter((line) => line.includes('| tick') && !/^chatty \| tick \d+$/.test(line));
    assert.deepEqual(torn, [], `a line was written into another:\n${screen}`);
  } finally {
    job.dispose(pids);
  }
});

test('a run that fails while stdout is a paused terminal (Ctrl-S) and stderr is not: the line that says why it ended reaches stderr at once, and stays after a SIGTERM', { timeout: 60_000 }, async () => {
  const config = `${CONFIG}  bad:\n    cmd: "while [ ! -e fail ]; do sleep 0.05; done; echo boom >&2; exit 3"\n`;
  const job = startOnTerminal(['up'], { hangup: 'shell', stderrToFile: true, files: { 'subvisor.yaml': config } });
  const pids: number[] = [];
  try {
    pids.push(await job.cliPid());
    await waitUntil(() => ticks(job.screen()).length >= 3, 'the first ticks on the terminal', 15_000);
    job.sendKeys('C-s');
    await waitUntil(() => job.paused(), 'Ctrl-S to pause the terminal', 15_000);
    writeFileSync(join(job.dir, 'fail'), '');
    // Said while the run's lines wait for the terminal: stderr's reader is not the one paused.
    await waitUntil(() => job.stderr().includes('subvisor: bad failed: exited with status 3\n'), 'the failure on stderr', 15_000);
    assert.ok(job.paused(), 'control: the terminal was still paused when the failure was said');

    process.kill(pids[0] as number, 'SIGTERM');
    assert.deepEqual(await job.ended(20_000), { code: 143, signal: null }, `stderr:\n${job.stderr()}`);
    assert.match(job.stderr(), /^subvisor: bad failed: exited with status 3$/m);
  } finally {
    job.dispose(pids);
  }
});
