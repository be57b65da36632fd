import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBuildFresh } from '../../scripts/build-freshness.js';
import { DATA_DIR } from '../data.js';
import { expectEqual, timeRatioTarget, type Implementation, type Scenario } from '../harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * S5: what importing the library adds to a cold `node` start. Each run is a fresh
 * `node --input-type=module -e 'await import(lib)'`, timed from spawn to exit, against `node -e 0`.
 * Bare specifiers, resolved from the repository root as a user's code would: `subvisor` resolves
 * to the BUILT package (dist/index.js, through package.json's exports), since users import compiled
 * JavaScript; the peers resolve from node_modules. Three floors are shown too: importing an empty
 * module file by its path (what the ESM loader costs for any file, before a line of library code),
 * an empty package by its name from node_modules (what resolving any package adds: finding and
 * reading its package.json, its `exports`), and `node:child_process` (what any library that spawns
 * must load at some point).
 */
export function coldImport(quick: boolean): Scenario {
  const importing = (name: string, specifier: string, exportsSomething = true, cwd = ROOT): Implementation =>
    nodeRun(name, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(specifier)});${exportsSomething ? ' if (Object.keys(m).length === 0) process.exit(3);' : ''}`], cwd);
  mkdirSync(DATA_DIR, { recursive: true });
  const emptyModule = join(DATA_DIR, 'empty.mjs');
  writeFileSync(emptyModule, 'export {};\n');
  // An app whose only dependency is a package with nothing in it, laid out as npm would.
  const app = join(DATA_DIR, 'cold-import-app');
  const emptyPackage = join(app, 'node_modules', 'empty-package');
  mkdirSync(emptyPackage, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'cold-import-app', private: true, type: 'module', dependencies: { 'empty-package': '1.0.0' } }));
  writeFileSync(join(emptyPackage, 'package.json'), JSON.stringify({ name: 'empty-package', version: '1.0.0', type: 'module', exports: { '.': './index.js' } }));
  writeFileSync(join(emptyPackage, 'index.js'), 'export {};\n');
  return {
    id: 'S5',
    title: 'cold import: node -e \'await import(lib)\' against node -e 0',
    baseline: 'node -e 0',
    rounds: quick ? 9 : 21,
    warmupRounds: quick ? 2 : 3,
    implementations: [
      nodeRun('node -e 0', ['-e', '0']),
      importing('floor: an empty module file', emptyModule, false),
      importing('floor: an empty package', 'empty-package', false, app),
      importing('floor: node:child_process', 'node:child_process'),
      importing('subvisor', 'subvisor'),
      importing('execa', 'execa'),
      importing('tinyexec', 'tinyexec'),
      importing('nano-spawn', 'nano-spawn'),
      // What the import leaves for later: subvisor loads child_process at its first spawn, the
      // others when they are imported. Import, run /bin/true once, exit.
      firstChild('node:child_process', "const { spawn } = await import('node:child_process'); await new Promise((resolve, reject) => spawn('/bin/true', { stdio: 'ignore' }).on('exit', resolve).on('error', reject));"),
      firstChild('subvisor', "const { runProcess } = await import('subvisor'); await runProcess(['/bin/true']);"),
      firstChild('execa', "const { execa } = await import('execa'); await execa('/bin/true');"),
      firstChild('tinyexec', "const { x } = await import('tinyexec'); await x('/bin/true', [], { throwOnError: true });"),
      firstChild('nano-spawn', "const { default: spawn } = await import('nano-spawn'); await spawn('/bin/true');"),
    ],
    notes: ['first child: X = import X, run /bin/true once with it and await its exit; node:child_process is raw spawn by hand.'],
    targets: [
      timeRatioTarget('subvisor', 'node -e 0', 1.1),
      // The floor of the target: what importing a package with nothing in it costs by itself,
      // and what subvisor's own code adds on top of that.
      timeRatioTarget('floor: an empty package', 'node -e 0', 1.1, true),
      timeRatioTarget('subvisor', 'floor: an empty package', 1, true),
    ],
  };
}

function firstChild(library: string, script: string): Implementation {
  return nodeRun(`first child: ${library}`, ['--input-type=module', '-e', script]);
}

function nodeRun(name: string, args: string[], cwd = ROOT): Implementation {
  return {
    name,
    run: async () => {
      const result = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      expectEqual(result.status, 0, `${name}: exit status (stderr: ${result.stderr.trim().split('\n')[0] ?? ''})`);
      return undefined;
    },
  };
}

/**
 * Makes sure dist/ is the build of the current src/: rebuilt with `npm run build` when missing or
 * older than any source file. Returns what it did, for the report.
 */
export function ensureBuiltPackage(): string {
  if (isBuildFresh(ROOT)) return 'dist/ is up to date with src/';
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (!isBuildFresh(ROOT)) throw new Error(`bench: npm run build did not produce a fresh dist/index.js:\n${result.stdout}${result.stderr}`);
  // tsc emits even with type errors (work in progress elsewhere in src/); say so rather than hide it.
  return result.status === 0 ? 'dist/ was stale: rebuilt with npm run build' : `dist/ was stale: rebuilt with npm run build, which reported type errors (status ${String(result.status)}); the emitted JavaScript is measured`;
}
