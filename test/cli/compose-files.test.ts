// Someone moving from docker compose or process-compose runs `subvisor up` beside their compose
// file first: the error names it, and `up -f` on it answers each key with what to write instead.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-compose-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('with no config file here but a compose file, the error names it, as it names a Procfile.dev', { timeout: 30_000 }, async () => {
  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'compose.yaml'), 'services:\n  web: { image: nginx }\n');
  writeFileSync(join(project, 'process-compose.yml'), 'processes:\n  web: { command: echo hi }\n');
  writeFileSync(join(project, 'notes.yaml'), 'a: 1\n');
  const run = await runCli(['up'], { cwd: project });
  assert.equal(run.code, 2);
  assert.equal(
    run.stderr.split('\n')[0],
    'subvisor: no config file here (looked for subvisor.yaml, subvisor.yml, Procfile); pass one with --file FILE (here: compose.yaml, process-compose.yml)',
  );
  // What the named file gets: each key answered, the file not run.
  const named = await runCli(['up', '-f', 'process-compose.yml'], { cwd: project });
  assert.equal(named.code, 2);
  assert.match(named.stderr, /process-compose\.yml:2:10: processes\.web\.command: unknown key; did you mean 'cmd'\?/);
});
