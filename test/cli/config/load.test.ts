import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isProcfile, loadConfig } from '../../../src/cli/config/index.js';
import { configError } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('loadConfig reads subvisor.yaml as YAML, resolving cwd against the file', () => {
  const file = join(dir, 'subvisor.yaml');
  writeFileSync(file, 'processes:\n  web:\n    cmd: [node, server.js]\n    cwd: app\n');
  const config = loadConfig(file);
  assert.equal(config.file, file);
  const [web] = config.processes;
  assert.deepEqual(web?.cmd, ['node', 'server.js']);
  assert.equal(web.cwd, join(dir, 'app'));
});

test('loadConfig reads Procfile and Procfile.* as Procfiles, and anything else as YAML', () => {
  const text = 'web: node server.js\n';
  mkdirSync(join(dir, 'procs'), { recursive: true });
  for (const name of ['Procfile', 'Procfile.dev']) {
    const file = join(dir, 'procs', name);
    writeFileSync(file, text);
    assert.deepEqual(loadConfig(file).processes.map((spec) => [spec.name, spec.cmd]), [['web', 'node server.js']], name);
  }
  // Control: the same text under another name is YAML, where it lacks `processes`.
  const other = join(dir, 'procs', 'my.Procfile');
  writeFileSync(other, text);
  assert.match(configError(() => loadConfig(other)).message, /unknown key/);
  assert.deepEqual(
    ['Procfile', 'a/Procfile.dev', 'Procfile.yaml', 'subvisor.yaml', 'Procfiles', 'procfile'].map(isProcfile),
    [true, true, true, false, false, false],
  );
});

test('a missing config file is a ConfigError that keeps the fs error as its cause', () => {
  const file = join(dir, 'nope.yaml');
  const error = configError(() => loadConfig(file));
  assert.equal(error.message, `${file}: cannot read the config file: no such file; pass the right one with -f FILE (subvisor.yaml or a Procfile)`);
  assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOENT');
  assert.match(configError(() => loadConfig(dir)).message, /cannot read the config file: it is a directory/);
});
