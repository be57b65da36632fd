// An error nothing caught while the CLI already exits at once (after a second internal error, or a
// second Ctrl-C) and waits for its last words: the exit stays as decided, and the user is told of
// the error in a line, not left with a status and nothing said, nor told twice what is dropped.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { isRunning, killQuietly, signalPending, waitUntil } from '../support/processes.js';
import { BIN } from './cli.js';

const THROWER = resolve('test/cli/fixtures/throw-on-trigger.mjs');

test('a third internal error, while the exit at once waits for stderr, is said in one line, and the status stays 70', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-uncaught-exiting-'));
  const trigger = join(dir, 'trigger');
  const pidFile = join(dir, 'pid');
  // The process ignores SIGTERM and has a long grace: the second error comes during the stop.
  const args = ['run', '--grace', '30s', '--', 'sh', '-c', `trap '' TERM; echo $$ > ${pidFile}; exec sleep 30`];
  const cli = spawn(process.execPath, ['--import', THROWER, BIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', SUBVISOR_TEST_TRIGGER: trigger, SUBVISOR_TEST_HOW: 'thrice' },
  });
  const ending = once(cli, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    await waitUntil(() => existsSync(pidFile), 'the process to start', 15_000);
    writeFileSync(trigger, '');
    // Nothing reads stderr until the third error: the first one's megabyte holds it, and with it
    // the exit the second one began, which waits (at most 1.5 s) for stderr to take its words.
    await waitUntil(() => existsSync(`${trigger}.third`), 'the third error', 15_000);
    let stderr = '';
    cli.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = await ending;
    // All but the megabyte's line (and its stack).
    const said = stderr.split('\n').filter((line) => line.length < 1000).join('\n');
    assert.equal(code, 70, said);
    // The control: the exit at once was under way when the third came.
    assert.match(said, /^subvisor: another internal error while stopping: Error: injected failure again$/m);
    assert.match(said, /^subvisor: an internal error while exiting with status 70: Error: injected failure while exiting$/m);
  } finally {
    killQuietly(cli.pid, existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an internal error, then a Ctrl-C, while a second Ctrl-C\'s exit waits for its last words: said in a line, what is dropped said once, and the status stays 130', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-uncaught-exiting-'));
  const trigger = join(dir, 'trigger');
  const pidFile = join(dir, 'pid');
  const printed = join(dir, 'printed');
  // stdout and stderr one pipe, which nothing reads yet: the words of the exit at once wait for
  // stdout's write under way (see Output.abandon), and so does the exit, for up to 1.5 s.
  // The process ignores SIGTERM, and outlives the first Ctrl-C's stop: it dies of the second's SIGKILL.
  const cliArgs = ['--import', THROWER, BIN, 'run', '--label', 'flood', '--grace', '30s', '--', 'sh', '-c', `trap '' TERM; echo $$ > ${pidFile}; seq 1 60000; touch ${printed}; exec sleep 30`];
  const cli = spawn('sh', ['-c', 'exec "$@" 2>&1', 'sh', process.execPath, ...cliArgs], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, NO_COLOR: '1', SUBVISOR_TEST_TRIGGER: trigger },
  });
  const ending = once(cli, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    await waitUntil(() => existsSync(pidFile), 'the process to start', 15_000);
    // The flood printed: all but a pipe's worth of it is in the CLI's queue, behind the pipe it fills.
    await waitUntil(() => existsSync(printed), 'the flood to be read', 15_000);
    const floodPid = Number(readFileSync(pidFile, 'utf8'));
    cli.kill('SIGINT');
    // Again until one counts as the second (one taken within 100 ms of the first, as two signals
    // read in one turn of a loaded CLI are, is its copy): the exit at once kills the process (its
    // words wait).
    await waitUntil(() => (cli.kill('SIGINT'), !isRunning(floodPid)), 'the second Ctrl-C to kill the process', 10_000);
    writeFileSync(trigger, '');
    await waitUntil(() => existsSync(`${trigger}.thrown`), 'the internal error', 1000);
    cli.kill('SIGINT');
    // The CLI takes the signal before its words are read: its handler ran, or its default action.
    await waitUntil(() => !signalPending(cli.pid ?? 0, 'SIGINT'), 'the third Ctrl-C to be delivered', 10_000);
    let output = '';
    cli.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const [code] = await ending;
    const said = output.split('\n').filter((line) => line.startsWith('subvisor: '));
    assert.equal(code, 130, said.join('\n'));
    assert.equal(said.filter((line) => line.endsWith('bytes of output not yet written are dropped')).length, 1, said.join('\n'));
    assert.ok(said.includes('subvisor: an internal error while exiting with status 130: Error: injected failure'), said.join('\n'));
  } finally {
    killQuietly(cli.pid, existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an error String() cannot convert (an object without a prototype), while the exit at once waits for its last words: the status stays as decided, and a line is said', { timeout: 30_000 }, async () => {
  // exitOnceSaid itself, in a process of its own (it exits it): the last words settle after the
  // throw, and the exit waits for them.
  const code = [
    `import { exitOnceSaid } from ${JSON.stringify(resolve('src/cli/last-words.ts'))};`,
    `import { Terminals } from ${JSON.stringify(resolve('src/cli/terminal.ts'))};`,
    "exitOnceSaid(130, new Promise((settle) => setTimeout(settle, 200)), { terminals: new Terminals([]), signal: 'SIGINT' });",
    'setTimeout(() => { throw Object.create(null); }, 50);',
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
  const ending = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    const [status] = await ending;
    // Node's own end for an error thrown inside an 'uncaughtException' listener is 7.
    assert.equal(status, 130, stderr);
    assert.match(stderr, /^subvisor: an internal error while exiting with status 130: \S/m);
  } finally {
    killQuietly(child.pid);
  }
});
