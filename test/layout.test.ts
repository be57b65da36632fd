import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { isBuiltin } from 'node:module';
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

/** Every relative import of the files under `dir` that lands outside `allowed` folders and `files`. */
function importsLeaving(dir: string, allowed: string[], files: string[] = []): string[] {
  return sourceFiles(dir).flatMap((file) =>
    importsOf(file)
      .filter((spec) => spec.startsWith('.'))
      .filter((spec) => {
        const target = relative('.', resolve(dirname(file), spec));
        return !allowed.some((folder) => target.startsWith(`${folder}/`)) && !files.some((file) => target === file.replace(/\.ts$/, '.js'));
      })
      .map((spec) => `${file} imports ${spec}`),
  );
}

/** Every file reaches Node's builtins through src/builtins.ts, which imports nothing of ours. */
const BUILTINS = 'src/builtins.ts';
/** The caller's-mistake errors every layer throws (src/caller-errors.ts), which import nothing. */
const CALLER_ERRORS = 'src/caller-errors.ts';
/** The one reading of a thrown value's `code` (src/errno.ts), which imports nothing. */
const ERRNO = 'src/errno.ts';

test('core/ imports nothing of ours outside itself (cli → process → core, never back)', () => {
  assert.deepEqual(importsLeaving('src/core', ['src/core'], [BUILTINS, CALLER_ERRORS, ERRNO]), []);
  // Control: the probe does flag an import that leaves the folder.
  assert.deepEqual(importsLeaving('src/process', ['src/process']).length > 0, true);
});

test('log/ imports only itself; process/ imports core/ and log/, never cli/', () => {
  assert.deepEqual(importsLeaving('src/log', ['src/log'], [BUILTINS, CALLER_ERRORS, ERRNO]), []);
  assert.deepEqual(importsLeaving('src/process', ['src/process', 'src/core', 'src/log'], [BUILTINS, CALLER_ERRORS, ERRNO]), []);
});

/**
 * The Node builtins a file loads when it is evaluated: `import … from`, `export … from` and bare
 * `import '…'` of a builtin, named with or without `node:`. Type-only imports and exports are
 * erased by the compiler and do not count.
 */
function builtinValueImports(text: string): string[] {
  const statements = /^\s*(?:(import|export)\s+(type\s)?[^'";]*?from\s+|import\s+)['"]([^'"]+)['"]/gm;
  return [...text.matchAll(statements)]
    .filter((match) => match[2] === undefined && isBuiltin(match[3]!))
    .map((match) => match[3]!);
}

test('caller-errors.ts and errno.ts import nothing at all', () => {
  assert.deepEqual(importsOf(CALLER_ERRORS), []);
  assert.deepEqual(importsOf(ERRNO), []);
});

test('builtins.ts imports nothing of ours, and the library imports no Node builtin but through it', () => {
  assert.deepEqual(importsOf(BUILTINS).filter((spec) => spec.startsWith('.')), []);
  // A value import of a builtin is evaluated at `import('subvisor')` time, whether or not it is
  // used (and `node:fs` alone loads fs/promises, streams and readline): see builtins.ts. The CLI
  // is a program, not a library, and may import what it likes.
  const library = sourceFiles('src').filter((file) => !file.startsWith('src/cli/'));
  const loaded = library.flatMap((file) => builtinValueImports(readFileSync(file, 'utf8')).map((spec) => `${file} imports ${spec}`));
  assert.deepEqual(loaded, []);
  // Controls: the same probe sees each form, and lets type-only imports and our own modules pass.
  const probe = [
    "import { spawn } from 'node:child_process';",
    "import { join } from 'path';",
    "import 'node:events';",
    "export { once } from 'events';",
    "import * as fs from 'fs';",
    "import type { Writable } from 'node:stream';",
    "export type { Readable } from 'stream';",
    "import { node } from '../builtins.js';",
  ].join('\n');
  assert.deepEqual(builtinValueImports(probe), ['node:child_process', 'path', 'node:events', 'events', 'fs']);
});

test('the public API is exactly the pinned list of names', () => {
  assert.deepEqual(Object.keys(subvisor).sort(), [
    'CalledProcessError',
    'Cancelled',
    'CompletedProcess',
    'DEFAULT_MAX_LINE_BYTES',
    'ErrorGroup',
    'ExitedBeforeReadyError',
    'LEVELS',
    'LineSplitter',
    'MissingLevelMethodError',
    'NotStartedError',
    'OutputClosedBeforeReadyError',
    'OutputLimitError',
    'Process',
    'ReadyTimeoutError',
    'SpawnError',
    'StopDeniedError',
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
