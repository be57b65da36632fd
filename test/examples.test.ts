import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';

// The README points at these; a test runs each so they cannot rot.
for (const file of readdirSync('examples').filter((name) => name.endsWith('.ts'))) {
  test(`example ${file} runs to completion`, () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', `examples/${file}`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, `${file} failed:\n${run.stderr}`);
    assert.notEqual(run.stdout.trim(), '', `${file} printed nothing`);
  });
}
