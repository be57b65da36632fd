// `subvisor up > up.log` with stderr still on a terminal paused with Ctrl-S: the run's words on
// stderr (its summary) wait for the terminal, on a real pseudo-terminal (./terminal.ts). A `kill`
// (SIGTERM: automation, which sends no second one) must still end the CLI, as it does when stdout
// is the paused terminal, rather than leave it waiting for a person to press Ctrl-Q.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from '../support/processes.js';
import { startOnTerminal } from './terminal.js';

const CONFIG = `processes:
  chatty:
    cmd: "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.05; done"
`;

test('a SIGTERM ends `up > file` while its stderr is a paused terminal (Ctrl-S): the CLI exits 143 without waiting for Ctrl-Q, and after it the screen holds whole lines', { timeout: 60_000 }, async () => {
  const job = startOnTerminal(['up'], { hangup: 'shell', stderrToFile: false, stdoutToFile: true, keepTerminal: true, files: { 'subvisor.yaml': CONFIG } });
  const pids: number[] = [];
  try {
    pids.push(await job.cliPid());
    await waitUntil(() => job.stdout().includes('chatty | tick 3\n'), 'the first ticks in the file', 15_000);
    assert.equal(job.paused(), false, 'control: the terminal takes output before Ctrl-S');
    job.sendKeys('C-s');
    // tmux hands the key to the terminal on its own time: the pause must be in place before the summary.
    await waitUntil(() => job.paused(), 'Ctrl-S to pause the terminal', 15_000);

    process.kill(pids[0] as number, 'SIGTERM');
    await waitUntil(() => job.stdout().includes('chatty * stopped'), 'the run to stop its process', 15_000);
    assert.deepEqual(await job.ended(20_000), { code: 143, signal: null }, 'the CLI did not end while the terminal was paused');
    // The control: the terminal was paused (the summary, written to it, is not shown).
    assert.doesNotMatch(job.screen(), /SIGTERM/, 'the summary was shown: the terminal was not paused');

    job.sendKeys('C-q');
    await waitUntil(() => job.screen().includes('job ended'), 'the shell to say the job ended, after Ctrl-Q', 15_000);
    // Whatever the CLI left for the terminal, it left whole lines: the shell's words start one of their own.
    const screen = job.screen();
    assert.ok(
      screen.split('\n').some((line) => line.trimEnd() === 'job ended'),
      `a line was left unfinished:\n${screen}`,
    );
  } finally {
    job.dispose(pids);
  }
});
