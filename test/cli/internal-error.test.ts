// An error of subvisor's own that reaches the command line before any process runs (a defect in
// the config reader, in planning, in any command) ends it as one while a run goes on does (see
// ./output.test.ts): status 70, said once with its stack and a request to report it, not Node's
// raw crash (status 1, the source line and a caret) that a script cannot tell from a failed run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from './cli.js';

const THROWER = resolve('test/cli/fixtures/throw-in-env-file.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-internal-error-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
writeFileSync(join(scratch, 'subvisor.yaml'), 'processes:\n  hello:\n    cmd: echo hello\n');
writeFileSync(join(scratch, '.env'), 'GREETING=hello\n');

const COMMANDS = [['up'], ['export', 'compose']];

for (const command of COMMANDS) {
  test(`${command.join(' ')}: an internal error while the config is read exits 70 and asks for a report, with the stack`, { timeout: 30_000 }, async () => {
    const run = await runCli(command, { cwd: scratch, env: { NODE_OPTIONS: `--import ${THROWER}` } });
    assert.equal(run.code, 70, run.stderr);
    assert.match(run.stderr, /^subvisor: internal error: Error: injected failure in the config reader\n {4}at /);
    assert.match(run.stderr, /\nsubvisor: this is a bug in subvisor; please report it, with the stack above\n$/);
    assert.equal(run.stderr.match(/injected failure/g)?.length, 1, run.stderr);
    assert.equal(run.stdout, '');
  });

  test(`${command.join(' ')}: a value thrown that String() cannot convert (an object without a prototype) is said by its kind, still 70`, { timeout: 30_000 }, async () => {
    const run = await runCli(command, { cwd: scratch, env: { NODE_OPTIONS: `--import ${THROWER}`, SUBVISOR_TEST_HOW: 'nullproto' } });
    // Before: 7, converting it threw inside the CLI's own handler, and Node's crash said the rest.
    assert.equal(run.code, 70, run.stderr);
    assert.match(run.stderr, /^subvisor: internal error: \[object Object\]\nsubvisor: this is a bug in subvisor; please report it, with the stack above\n$/);
  });

  test(`${command.join(' ')}: the control: the same config, read without the defect, is fine`, { timeout: 30_000 }, async () => {
    const run = await runCli(command, { cwd: scratch });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /internal error/);
  });
}

// The same defect met in a callback after the command's promise has gone on (a socket's 'data'
// handler, a timer), with no run of this CLI to stop: before, Node's raw crash, status 1.
const TRIGGERED = resolve('test/cli/fixtures/throw-on-trigger.mjs');

/** A socket that takes connections and never answers: the command waits on it, and the trigger is made once it connects. */
async function silentRun(dir: string): Promise<{ socket: string; trigger: string; close: () => Promise<void> }> {
  const socket = join(dir, 'silent.sock');
  const trigger = join(dir, 'connected');
  const connections = new Set<Socket>();
  const server = createServer((connection) => {
    connections.add(connection);
    writeFileSync(trigger, '');
  });
  await new Promise<void>((listening) => server.listen(socket, listening));
  return {
    socket,
    trigger,
    close: () => {
      for (const connection of connections) connection.destroy();
      return new Promise<void>((closed) => server.close(() => closed()));
    },
  };
}

for (const command of [['ps'], ['logs', '-f'], ['stop', 'hello']]) {
  for (const how of ['throw', 'reject']) {
    test(`${command.join(' ')}: an internal error in a callback (${how === 'throw' ? 'thrown' : 'a rejection unhandled'}) while it waits on the run exits 70 and asks for a report, as one before it does`, { timeout: 30_000 }, async () => {
      const dir = mkdtempSync(join(scratch, 'silent-'));
      const run = await silentRun(dir);
      try {
        const cli = await runCli([...command, '--socket', run.socket], { cwd: scratch, env: { NODE_OPTIONS: `--import ${TRIGGERED}`, SUBVISOR_TEST_TRIGGER: run.trigger, SUBVISOR_TEST_HOW: how } });
        assert.equal(cli.code, 70, cli.stderr);
        assert.match(cli.stderr, /^subvisor: internal error: Error: injected (failure|rejection)\n {4}at /);
        assert.match(cli.stderr, /\nsubvisor: this is a bug in subvisor; please report it, with the stack above\n$/);
        assert.equal(cli.stderr.match(/injected/g)?.length, 1, cli.stderr);
      } finally {
        await run.close();
      }
    });
  }
}
