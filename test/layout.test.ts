import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as subvisor from '../src/index.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file));
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((match) => match[1]!);
}

test('core/ imports nothing of ours outside itself (cli → process → core, never back)', () => {
  const offenders = sourceFiles('src/core').flatMap((file) =>
    importsOf(file)
      .filter((spec) => spec.startsWith('.') && !spec.startsWith('./'))
      .map((spec) => `${file} imports ${spec}`),
  );
  assert.deepEqual(offenders, []);
  // Control: the probe does find relative imports (nursery.ts imports ./errors.js).
  assert.ok(importsOf('src/core/nursery.ts').includes('./errors.js'));
});

test('the public API is exactly the pinned list of names', () => {
  assert.deepEqual(Object.keys(subvisor).sort(), [
    'Cancelled',
    'ErrorGroup',
    'TooSlowError',
    'collapseErrorGroup',
    'failAfter',
    'moveOnAfter',
    'openNursery',
  ]);
});

test('index.ts names every export (no export *)', () => {
  assert.doesNotMatch(readFileSync('src/index.ts', 'utf8'), /export \*/);
});
