import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

// Every ```ts block of the README is a whole program; each runs against the source as a user's
// code would run against the package.
const readme = readFileSync('README.md', 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);

test('the README has runnable examples', () => {
  assert.ok(blocks.length >= 5, `found only ${blocks.length} ts blocks`);
});

const entry = resolve('src/index.ts');
blocks.forEach((block, index) => {
  const firstLine = block.split('\n').find((line) => line.trim() !== '' && !line.startsWith('import')) ?? '';
  test(`README example ${index + 1} runs: ${firstLine.slice(0, 60)}`, () => {
    const dir = mkdtempSync(join(resolve('.'), '.readme-example-'));
    try {
      const file = join(dir, 'example.ts');
      writeFileSync(file, block.replaceAll("from 'subvisor'", `from '${entry}'`));
      const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 0, `example ${index + 1} failed:\n${run.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
