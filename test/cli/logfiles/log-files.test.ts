import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LogFiles } from '../../../src/cli/logfiles/log-files.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-logfiles-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;

function logDir(): string {
  return join(scratch, `d${dirs++}`, 'logs');
}

/** The texts of a log file's lines, without time and stream. */
function texts(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(' ').slice(2).join(' '));
}

test('a line longer than maxSize gets a file of its own; the lines around it are not lost', () => {
  const dir = logDir();
  const files = new LogFiles({ dir, maxSizeBytes: 100, keep: 5 }, ['web']);
  files.open();
  try {
    files.line('web', 'stdout', 'before');
    files.line('web', 'stdout', 'x'.repeat(300));
    files.line('web', 'stderr', 'after');
    files.flush();
  } finally {
    files.close();
  }
  const path = join(dir, 'web.log');
  assert.deepEqual(texts(`${path}.2`), ['before']);
  assert.deepEqual(texts(`${path}.1`), ['x'.repeat(300)]);
  assert.deepEqual(texts(path), ['after']);
});

test('a file already past maxSize (from an earlier run) is rotated at the first line', () => {
  const dir = logDir();
  opened(new LogFiles({ dir, maxSizeBytes: 1024, keep: 1 }, ['web'])).close(); // makes the directory
  writeFileSync(join(dir, 'web.log'), 'old line\n'.repeat(200));
  const files = new LogFiles({ dir, maxSizeBytes: 1024, keep: 1 }, ['web']);
  files.open();
  files.line('web', 'stdout', 'new');
  files.close();
  assert.deepEqual(texts(join(dir, 'web.log')), ['new']);
  assert.equal(readFileSync(join(dir, 'web.log.1'), 'utf8'), 'old line\n'.repeat(200));
  assert.deepEqual(readdirSync(dir).sort(), ['web.log', 'web.log.1']);
});

test('nothing is written before flush, everything after it', () => {
  const dir = logDir();
  const files = new LogFiles({ dir, maxSizeBytes: 1024 * 1024, keep: 1 }, ['web']);
  files.open();
  try {
    files.line('web', 'stdout', 'one');
    assert.equal(readFileSync(join(dir, 'web.log'), 'utf8'), '');
    files.flush();
    assert.deepEqual(texts(join(dir, 'web.log')), ['one']);
  } finally {
    files.close();
  }
});

test('a file that cannot be written is given up with one warning; the other files go on', () => {
  const dir = logDir();
  opened(new LogFiles({ dir, maxSizeBytes: 1024, keep: 1 }, [])).close(); // makes the directory
  symlinkSync('/dev/full', join(dir, 'full.log')); // every write fails with ENOSPC
  const warnings: string[] = [];
  const files = new LogFiles({ dir, maxSizeBytes: 1024, keep: 1 }, ['full', 'fine'], (message) => warnings.push(message));
  files.open();
  try {
    for (let i = 0; i < 3; i++) {
      files.line('full', 'stdout', `lost ${i}`);
      files.line('fine', 'stdout', `kept ${i}`);
      files.flush();
    }
  } finally {
    files.close();
  }
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0] ?? '', /^cannot write .*full\.log \(ENOSPC: no space left on device, write\); full's lines go on to the output, not to its log file$/);
  assert.deepEqual(texts(join(dir, 'fine.log')), ['kept 0', 'kept 1', 'kept 2']);
});

function opened(files: LogFiles): LogFiles {
  files.open();
  return files;
}
