import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { guardBrokenPipe } from '../../../src/log/sinks/write.js';
import { CaptureStream } from '../capture.js';
import { REPO_ROOT, cleanEnv } from '../fixtures/run.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/write-after-stderr-closed.ts', import.meta.url));

/** Runs the fixture, closes our end of its stderr once it is up, and lets it log 200 more lines. */
async function logAfterStderrCloses(writer: 'logger' | 'bare'): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, writer], { cwd: REPO_ROOT, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const closed = once(child, 'close');
  await once(child.stderr, 'data');
  child.stderr.destroy();
  child.stdin.end('go\n');
  const [code] = (await closed) as [number | null];
  return { code, stdout };
}

test('logging to a stderr whose reader has gone does not crash the process', { timeout: 30_000 }, async () => {
  assert.deepEqual(await logAfterStderrCloses('logger'), { code: 0, stdout: 'survived\n' });
});

test('control: a bare process.stderr.write in the same situation dies of EPIPE', { timeout: 30_000 }, async () => {
  const { code, stdout } = await logAfterStderrCloses('bare');
  assert.notEqual(code, 0);
  assert.equal(stdout, '');
});

test('the guard ignores EPIPE and EIO (a closed terminal) but still raises other stream errors', () => {
  const stream = new CaptureStream();
  guardBrokenPipe(stream);
  guardBrokenPipe(stream);
  assert.equal(stream.listenerCount('error'), 1); // one guard per stream, however many sinks
  const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
  const eio = Object.assign(new Error('write EIO'), { code: 'EIO' });
  const enospc = Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' });
  assert.doesNotThrow(() => stream.emit('error', epipe));
  assert.doesNotThrow(() => stream.emit('error', eio));
  assert.throws(() => stream.emit('error', enospc), enospc); // control: not every error is swallowed
});
