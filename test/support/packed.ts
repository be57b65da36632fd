// The package as `npm install subvisor` gives it to a user: the tarball `npm pack` makes of the
// built tree, installed by npm into a project of its own. A copy, not a link to the repository:
// through a link, the repository's src/ and node_modules/ answer for whatever the tarball lacks
// (a declaration importing a file left out, a chunk the CLI loads on demand, a dependency).
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');

/** Where {@link installPacked} put things: remove `dir` when done. */
export interface PackedInstall {
  /** The temporary directory holding the tarball and the project. */
  readonly dir: string;
  /** The project (`"type": "module"`) with subvisor in its node_modules. */
  readonly app: string;
  /** The installed package's own directory. */
  readonly installed: string;
}

/** Packs the built tree and installs the tarball, as a user's `npm install` would, into a fresh project. */
export function installPacked(): PackedInstall {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-packed-'));
  // --ignore-scripts: the suite has built dist/ already, and `prepare` would build it again.
  const packed = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const [{ filename }] = JSON.parse(packed) as [{ filename: string }];
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true, "type": "module" }\n');
  // --offline: the package depends on nothing, so nothing is fetched; an install that needed to would fail here.
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(dir, filename)], { cwd: app, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { dir, app, installed: join(app, 'node_modules', 'subvisor') };
}

/**
 * One install for the tests of the calling file (packing and installing costs a few seconds), made
 * before them and removed after: call at the file's top level, and the returned function gives it.
 */
export function packedForThisFile(): () => PackedInstall {
  let packed: PackedInstall | undefined;
  before(() => {
    packed = installPacked();
  }, { timeout: 120_000 });
  after(() => {
    if (packed !== undefined) rmSync(packed.dir, { recursive: true, force: true });
  });
  return () => {
    assert.ok(packed, 'the tarball was installed');
    return packed;
  };
}
