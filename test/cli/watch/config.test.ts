// The `watch` key of subvisor.yaml (SPEC §10): its shapes, defaults, and the problems reported at
// their place before anything starts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_WATCH_DEBOUNCE_MS } from '../../../src/cli/config/spec.js';
import { parseYamlConfig } from '../../../src/cli/config/index.js';
import { FILE, firstProcess, problemAt, web } from '../config/support.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-watch-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'src'));
mkdirSync(join(dir, 'lib'));
writeFileSync(join(dir, 'package.json'), '{}');
/** A process whose cwd is the scratch directory, with `watch` as given (the cwd written after it). */
const watching = (watch: string): string => web(`    watch: ${watch}\n    cwd: ${dir}\n`);

test('watch: a list, one path, or a mapping; paths resolved against the process\'s cwd; the defaults filled in', () => {
  assert.deepEqual(firstProcess(watching('[src, package.json]')).watch, { paths: [join(dir, 'src'), join(dir, 'package.json')], ignore: [], debounceMs: 200 });
  assert.deepEqual(firstProcess(watching('src')).watch, { paths: [join(dir, 'src')], ignore: [], debounceMs: DEFAULT_WATCH_DEBOUNCE_MS });
  assert.deepEqual(firstProcess(watching('{ paths: [src, lib], ignore: ["**/*.test.ts", "*.log"], debounce: 1s }')).watch, {
    paths: [join(dir, 'src'), join(dir, 'lib')],
    ignore: ['**/*.test.ts', '*.log'],
    debounceMs: 1000,
  });
  assert.deepEqual(firstProcess(watching('{ paths: src, ignore: dist }')).watch, { paths: [join(dir, 'src')], ignore: ['dist'], debounceMs: 200 });
  assert.equal(firstProcess(web()).watch, undefined);
});

test('watch: without a cwd, paths are relative to the config file\'s directory', () => {
  const config = parseYamlConfig(web('    watch: [src]\n'), join(dir, 'subvisor.yaml'), { env: {} });
  assert.deepEqual(config.processes[0]?.watch?.paths, [join(dir, 'src')]);
});

test('watch: a path that does not exist yet is kept, with a warning at its place naming it; one under a file is refused', () => {
  const config = parseYamlConfig(watching('[src, nope/deeper]'), FILE, { env: {} });
  assert.deepEqual(config.processes[0]?.watch?.paths, [join(dir, 'src'), join(dir, 'nope/deeper')]);
  assert.deepEqual(
    config.warnings?.map((warning) => [warning.path, warning.line, warning.message]),
    [['processes.web.watch[1]', 4, `nope/deeper does not exist yet; it is watched for, and restarts the process once it appears (if the path is a typo, fix it; relative paths are from the process's cwd, ${dir})`]],
  );
  assert.match(problemAt(watching('{ paths: package.json/x }'), 'package.json/x'), /processes\.web\.watch\.paths: cannot watch package\.json\/x: package\.json is not a directory; fix the path/);
});

test("watch: a path under a cwd a variable made is named from the cwd as written, ${APP_DIR}, never by its value (.env's secret)", () => {
  const options = { env: { APP_DIR: dir } };
  for (const path of ['nope', '../nope']) {
    const config = parseYamlConfig(web(`    watch: [${path}]\n    cwd: "\${APP_DIR}/src"\n`), FILE, options);
    const [warning] = config.warnings ?? [];
    assert.equal(warning?.message, `${path} does not exist yet; it is watched for, and restarts the process once it appears (if the path is a typo, fix it; relative paths are from the process's cwd, \${APP_DIR}/src)`);
  }
  // A file on the way above the cwd: named from the written cwd, not as the absolute path it is.
  writeFileSync(join(dir, 'plain-file'), '');
  const message = problemAt(web('    watch: [../plain-file/x]\n    cwd: "${APP_DIR}/src"\n'), '../plain-file/x', options);
  assert.match(message, /cannot watch \.\.\/plain-file\/x: \$\{APP_DIR\}\/src\/\.\.\/plain-file is not a directory; fix the path/);
  assert.ok(!message.includes(dir), message);
});

test('watch: empty lists and paths, bad debounces and unknown keys are refused at their place', () => {
  assert.match(problemAt(watching('[]'), '[]'), /processes\.web\.watch: is an empty list; give a path or a list of paths/);
  assert.match(problemAt(watching('{ paths: [] }'), '[]'), /processes\.web\.watch\.paths: is an empty list/);
  assert.match(problemAt(watching('[src, ""]'), '""'), /processes\.web\.watch\[1\]: is empty/);
  assert.match(problemAt(watching('{ paths: [src], debounce: soon }'), 'soon'), /processes\.web\.watch\.debounce: invalid duration 'soon'/);
  assert.match(problemAt(watching('{ paths: [src], debounce: -5 }'), '-5'), /processes\.web\.watch\.debounce: invalid duration -5/);
  assert.match(problemAt(watching('true'), 'true'), /processes\.web\.watch: expected a path, a list of paths, or a mapping/);
  assert.match(problemAt(watching('{ ignore: ["*.log"] }'), 'watch'), /processes\.web\.watch: missing `paths`/);
  assert.match(problemAt(watching('{ paths: [src], exclude: ["*.log"] }'), 'exclude'), /processes\.web\.watch\.exclude: unknown key; did you mean 'ignore'\?/);
  assert.match(problemAt(watching('{ paths: [src], ignore: ["*.log", " "] }'), '" "'), /processes\.web\.watch\.ignore\[1\]: is an empty glob/);
  assert.match(problemAt(web('    wacth: [src]\n'), 'wacth'), /did you mean 'watch'\?/);
});
