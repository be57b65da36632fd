import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_DIR } from '../data.js';
import { expectEqual, timeRatioTarget, type Implementation, type Scenario } from '../harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * S5: what importing the library adds to a cold `node` start. Each run is a fresh
 * `node --input-type=module -e 'await import(lib)'`, timed from spawn to exit, against `node -e 0`.
 * Bare specifiers, resolved from the repository root as a user's code would: `subvisor` resolves
 * to the BUILT package (dist/index.js, through package.json's exports), since users import compiled
 * JavaScript; the peers resolve from node_modules. Two floors are shown too: importing an empty
 * module file (what the ESM loader costs for any file, before a line of library code) and importing
 * `node:child_process` (what any library that spawns must load).
 */
export function coldImport(quick: boolean): Scenario {
  const importing = (name: string, specifier: string, exportsSomething = true): Implementation =>
    nodeRun(name, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(specifier)});${exportsSomething ? ' if (Object.keys(m).length === 0) process.exit(3);' : ''}`]);
  mkdirSync(DATA_DIR, { recursive: true });
  const emptyModule = join(DATA_DIR, 'empty.mjs');
  writeFileSync(emptyModule, 'export {};\n');
  return {
    id: 'S5',
    title: 'cold import: node -e \'await import(lib)\' against node -e 0',
    baseline: 'node -e 0',
    rounds: quick ? 9 : 21,
    warmupRounds: quick ? 2 : 3,
    implementations: [
      nodeRun('node -e 0', ['-e', '0']),
      importing('floor: an empty module file', emptyModule, false),
      importing('floor: node:child_process', 'node:child_process'),
      importing('subvisor', 'subvisor'),
      importing('execa', 'execa'),
      importing('tinyexec', 'tinyexec'),
      importing('nano-spawn', 'nano-spawn'),
    ],
    targets: [timeRatioTarget('subvisor', 'node -e 0', 1.1)],
  };
}

function nodeRun(name: string, args: string[]): Implementation {
  return {
    name,
    run: async () => {
      const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
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
  const entry = join(ROOT, 'dist/index.js');
  const newestSource = newestMtimeMs(join(ROOT, 'src'));
  let builtMs = 0;
  try {
    builtMs = statSync(entry).mtimeMs;
  } catch {
    // not built yet
  }
  if (builtMs >= newestSource) return 'dist/ is up to date with src/';
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  let after = 0;
  try {
    after = statSync(entry).mtimeMs;
  } catch {
    // the build wrote nothing
  }
  if (after < newestSource) throw new Error(`bench: npm run build did not produce a fresh dist/index.js:\n${result.stdout}${result.stderr}`);
  // tsc emits even with type errors (work in progress elsewhere in src/); say so rather than hide it.
  return result.status === 0 ? 'dist/ was stale: rebuilt with npm run build' : `dist/ was stale: rebuilt with npm run build, which reported type errors (status ${String(result.status)}); the emitted JavaScript is measured`;
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}
