import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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

/** Every relative import of the files under `dir` that lands outside `allowed` folders. */
function importsLeaving(dir: string, allowed: string[]): string[] {
  return sourceFiles(dir).flatMap((file) =>
    importsOf(file)
      .filter((spec) => spec.startsWith('.'))
      .filter((spec) => {
        const target = relative('.', resolve(dirname(file), spec));
        return !allowed.some((folder) => target.startsWith(`${folder}/`));
      })
      .map((spec) => `${file} imports ${spec}`),
  );
}

test('core/ imports nothing of ours outside itself (cli → process → core, never back)', () => {
  assert.deepEqual(importsLeaving('src/core', ['src/core']), []);
  // Control: the probe does flag an import that leaves the folder.
  assert.deepEqual(importsLeaving('src/process', ['src/process']).length > 0, true);
});

test('log/ imports only itself; process/ imports core/ and log/, never cli/', () => {
  assert.deepEqual(importsLeaving('src/log', ['src/log']), []);
  assert.deepEqual(importsLeaving('src/process', ['src/process', 'src/core', 'src/log']), []);
});

test('the public API is exactly the pinned list of names', () => {
  assert.deepEqual(Object.keys(subvisor).sort(), [
    'CalledProcessError',
    'Cancelled',
    'DEFAULT_MAX_LINE_BYTES',
    'ErrorGroup',
    'ExitedBeforeReadyError',
    'LEVELS',
    'LineSplitter',
    'MissingLevelMethodError',
    'OutputLimitError',
    'Process',
    'SpawnError',
    'TooSlowError',
    'UnknownLevelError',
    'collapseErrorGroup',
    'configureLogging',
    'createConsoleSink',
    'createNdjsonSink',
    'failAfter',
    'getLogger',
    'moveOnAfter',
    'neutraliseControlSequences',
    'openNursery',
    'resolveLevelMethod',
    'runProcess',
    'superviseRunProcess',
  ]);
});

test('index.ts names every export (no export *)', () => {
  assert.doesNotMatch(readFileSync('src/index.ts', 'utf8'), /export \*/);
});
