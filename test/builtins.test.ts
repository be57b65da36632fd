import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isBuildFresh } from '../scripts/build-freshness.js';

// What `import('subvisor')` costs every program that uses it is decided by the built module, so
// these tests run dist/index.js (`npm test` builds it first) in a fresh `node`, and read Node's own
// record of the modules it has loaded.
const DIST = join(process.cwd(), 'dist/index.js');

function assertBuildIsFresh(): void {
  assert.ok(isBuildFresh(process.cwd()), 'dist/index.js is missing or older than src/: run `npm run build` (npm test does)');
}

/** Runs an ES module script in a fresh node (10 s bound) and returns what it printed as JSON. */
function runScript(script: string): unknown {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(result.status, 0, `the script failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

test('importing subvisor loads no Node module beyond what importing any ES module loads', (t) => {
  assertBuildIsFresh();
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-builtins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const empty = join(dir, 'empty.mjs');
  writeFileSync(empty, 'export {};\n');
  const loaded = runScript(`
    const since = (before) => process.moduleLoadList.filter((name) => !before.has(name));
    await import(${JSON.stringify(pathToFileURL(empty).href)});
    const beforeImport = new Set(process.moduleLoadList);
    const subvisor = await import(${JSON.stringify(pathToFileURL(DIST).href)});
    const byImport = since(beforeImport);
    const beforeSpawn = new Set(process.moduleLoadList);
    await subvisor.runProcess(['true']);
    console.log(JSON.stringify({ byImport, bySpawn: since(beforeSpawn) }));
  `) as { byImport: string[]; bySpawn: string[] };
  assert.deepEqual(loaded.byImport, []);
  // Control: the record does show a module the library loads, once it is used.
  assert.ok(loaded.bySpawn.includes('NativeModule child_process'), loaded.bySpawn.join(', '));
});

test('on a Node without process.getBuiltinModule (before 20.16; 21 and 22.0-22.2), importing subvisor fails at once and says what to do', () => {
  assertBuildIsFresh();
  const outcome = runScript(`
    delete process.getBuiltinModule;
    const outcome = await import(${JSON.stringify(pathToFileURL(DIST).href)}).then(() => 'imported', (error) => error.message);
    console.log(JSON.stringify(outcome));
  `);
  assert.match(String(outcome), /^subvisor needs Node 20\.16 or newer, and 22\.3 or newer past Node 20 .*this is Node v\d+.*: upgrade Node$/);
});

test('the built module has no top-level await, so CommonJS bundlers and require() can load it', async (t) => {
  assertBuildIsFresh();
  // A top-level await anywhere in the module, even one never reached, makes it async: esbuild then
  // refuses a CommonJS bundle and require() of it throws ERR_REQUIRE_ASYNC_MODULE.
  const { build } = await import('esbuild');
  const bundled = await build({
    stdin: { contents: `const subvisor = require(${JSON.stringify(DIST)}); console.log(JSON.stringify(Object.keys(subvisor).length));`, resolveDir: process.cwd() },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    write: false,
    logLevel: 'silent',
  });
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-cjs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const app = join(dir, 'app.cjs');
  writeFileSync(app, bundled.outputFiles[0]!.text);
  const result = spawnSync(process.execPath, [app], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(Number(result.stdout), Object.keys(await import('../src/index.js')).length);
});

test('`subvisor run` loads no HTTP, TLS or crypto module: only a probe needs them', (t) => {
  assertBuildIsFresh();
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-cli-builtins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const record = join(dir, 'loaded.json');
  const preload = join(dir, 'record.cjs');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.moduleLoadList)));\n`);
  const cli = join(process.cwd(), 'dist/cli/main.js');
  const run = spawnSync(process.execPath, ['--require', preload, cli, 'run', '--', 'true'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(run.status, 0, run.stderr);
  const loaded = JSON.parse(readFileSync(record, 'utf8')) as string[];
  const unwanted = loaded.filter((name) => /^NativeModule (https?|_http_\w+|tls|_tls_\w+|crypto|internal\/crypto\/\w+)$/.test(name));
  assert.deepEqual(unwanted, []);
  // Control: the record has what a run does load.
  assert.ok(loaded.includes('NativeModule child_process'), loaded.join(', '));
});

/** The sources (as the source maps name them) of `entry` and every built file it imports statically. */
function bundledSources(entry: string): Set<string> {
  const sources = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
    for (const source of map.sources) sources.add(source.replace(/^(\.\.\/)+/, ''));
    const text = readFileSync(file, 'utf8');
    for (const [, imported] of text.matchAll(/^import\s(?:[^;]*?\sfrom\s*)?"(\.{1,2}\/[^"]+)"/gm)) visit(join(dirname(file), imported!));
  };
  visit(entry);
  return sources;
}

test('`subvisor run` loads neither the YAML parser nor the file watcher: they are up\'s alone', () => {
  assertBuildIsFresh();
  const cli = join(process.cwd(), 'dist/cli');
  const runChunk = readdirSync(join(cli, 'chunks')).find((name) => /^run-\w+\.js$/.test(name));
  assert.ok(runChunk, 'the build has a chunk of its own for run');
  const loaded = new Set([...bundledSources(join(cli, 'main.js')), ...bundledSources(join(cli, 'chunks', runChunk))]);
  // Control: the walk does reach run's own code and what it shares with up.
  assert.ok(loaded.has('src/cli/commands/run.ts') && loaded.has('src/cli/stack/stack.ts'), [...loaded].join(', '));
  // Before: the failure kinds named WatchError from watch/tree.ts, and run loaded the watcher with it.
  const unwanted = [...loaded].filter((source) => source.includes('node_modules/yaml/') || (source.startsWith('src/cli/watch/') && source !== 'src/cli/watch/errors.ts'));
  assert.deepEqual(unwanted, []);
});
