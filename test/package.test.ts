// What `npm pack` ships, as an installed user gets it: the built library and CLI, their licenses,
// no runtime dependency, and an entry that `import` and (where Node can) `require` both reach.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { packedForThisFile } from './support/packed.js';

const ROOT = resolve(import.meta.dirname, '..');

/** The files `npm pack` would put in the tarball (without running prepare: the suite built dist already). */
function packedFiles(): string[] {
  const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const [pack] = JSON.parse(json) as [{ files: { path: string }[] }];
  return pack.files.map((file) => file.path);
}

test('the tarball holds the built library, the CLI, README and licenses; nothing of the repo besides', { timeout: 60_000 }, () => {
  const files = packedFiles();
  for (const wanted of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/cli/THIRD-PARTY-NOTICES.txt']) {
    assert.ok(files.includes(wanted), `${wanted} is shipped`);
  }
  const outside = files.filter((file) => !file.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(file));
  assert.deepEqual(outside, []);
  // The CLI is not importable, so its declarations would be dead weight.
  assert.deepEqual(
    files.filter((file) => file.startsWith('dist/cli/') && file.endsWith('.d.ts')),
    [],
  );
  assert.match(readFileSync(join(ROOT, 'dist/cli/THIRD-PARTY-NOTICES.txt'), 'utf8'), /yaml[\s\S]*Permission to use, copy, modify/);
});

test('the bin path is as npm writes it, so `npm publish` has nothing to auto-correct (and warn about)', () => {
  const { bin } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  // npm strips a leading `./` from bin targets at publish, warning that the "script name was invalid and removed".
  assert.deepEqual(bin, { subvisor: 'dist/cli/main.js' });
});

test('npm ci (and an install from git) builds dist: the prepare script is the build', () => {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(scripts.prepare, 'node scripts/build.mjs');
  assert.equal(scripts.build, scripts.prepare);
});

test('no runtime dependency: package.json declares none, and nothing built imports a package', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(manifest.dependencies, undefined);
  const built = readdirSync(join(ROOT, 'dist'), { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.js'));
  assert.ok(built.includes('index.js') && built.includes(join('cli', 'main.js')));
  const packages = built.flatMap((file) => {
    const text = readFileSync(join(ROOT, 'dist', file), 'utf8');
    const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"']+)["']/g)].map((match) => match[1]!);
    return specifiers.filter((spec) => !spec.startsWith('.') && !isBuiltin(spec)).map((spec) => `${file}: ${spec}`);
  });
  assert.deepEqual(packages, []);
});

/** The install made for this file's tests. */
const install = packedForThisFile();

test('npm installs a copy of the package: the CLI, its chunks and the declarations, with nothing of the repository around it', () => {
  const { installed } = install();
  assert.equal(lstatSync(installed).isSymbolicLink(), false);
  const files = readdirSync(installed, { recursive: true }).map(String);
  assert.ok(files.some((file) => file.startsWith(join('dist', 'cli', 'chunks'))), 'the chunks the CLI loads on demand are installed');
  assert.deepEqual(files.filter((file) => file === 'src' || file === 'node_modules' || file === 'test'), []);
});

test('the installed bin runs as a program: its #! and executable bit, `run`, and `up` with the bundled YAML parser', { timeout: 30_000 }, () => {
  const { app } = install();
  const bin = join(app, 'node_modules', '.bin', 'subvisor');
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  // Run as a program, not through node: the kernel reads the #! line, and needs the x bit.
  const asked = spawnSync(bin, ['--version'], { cwd: app, encoding: 'utf8', timeout: 10_000 });
  assert.equal(asked.stdout, `${version}\n`, asked.stderr);
  const run = spawnSync(bin, ['run', '--label', 'hello', '--', 'sh', '-c', 'echo from run'], { cwd: app, encoding: 'utf8', timeout: 10_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^hello \| from run$/m);
  writeFileSync(join(app, 'subvisor.yaml'), 'processes:\n  hello:\n    cmd: echo from up\n    main: true\n');
  const up = spawnSync(bin, ['up'], { cwd: app, encoding: 'utf8', timeout: 10_000 });
  assert.equal(up.status, 0, up.stderr);
  assert.match(up.stdout, /^hello \| from up$/m);
});

test('the installed package is reached by import, and by require where Node loads ES modules with it', { timeout: 30_000 }, () => {
  const { app } = install();
  writeFileSync(join(app, 'esm.mjs'), "import { superviseRunProcess, openNursery } from 'subvisor'; console.log(typeof superviseRunProcess, typeof openNursery);\n");
  writeFileSync(join(app, 'cjs.cjs'), "const subvisor = require('subvisor'); console.log(typeof subvisor.superviseRunProcess, typeof subvisor.openNursery);\n");
  const esm = spawnSync(process.execPath, ['esm.mjs'], { cwd: app, encoding: 'utf8', timeout: 20_000 });
  assert.equal(esm.stdout, 'function function\n', esm.stderr);
  const cjs = spawnSync(process.execPath, ['cjs.cjs'], { cwd: app, encoding: 'utf8', timeout: 20_000 });
  // Node >= 20.19 requires ES modules; older ones refuse with ERR_REQUIRE_ESM, never with a
  // missing export condition.
  if (process.features.require_module) assert.equal(cjs.stdout, 'function function\n', cjs.stderr);
  else assert.match(cjs.stderr, /ERR_REQUIRE_ESM/);
  assert.doesNotMatch(cjs.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
});

test('CommonJS code reaches the package by import() on every Node it supports, and require and import() hand it one module: its errors pass instanceof', { timeout: 30_000 }, () => {
  const { app } = install();
  // require() of an ES module is Node >= 20.19's; import() is CommonJS's way on 20.16 to 20.18.
  writeFileSync(join(app, 'dynamic.cjs'), [
    "const required = process.features.require_module ? require('subvisor') : undefined;",
    "import('subvisor').then(async (imported) => {",
    "  const error = await imported.runProcess(['false']).catch((caught) => caught);",
    "  console.log(error instanceof imported.CalledProcessError, required === undefined || error instanceof required.CalledProcessError, error.code);",
    '});',
    '',
  ].join('\n'));
  const run = spawnSync(process.execPath, ['dynamic.cjs'], { cwd: app, encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.stdout, 'true true ERR_SUBVISOR_CALLED_PROCESS\n', run.stderr);
});
