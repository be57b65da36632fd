import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

// Every ```ts block of the README is a whole program; each runs against the source as a user's
// code would run against the package. A `// → text` comment promises a line of output: each such
// line must be printed, in the order the comments appear.
const readme = readFileSync('README.md', 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
const PROMISE = '// → ';

function promisedLines(block: string): string[] {
  return block.split('\n').flatMap((line) => {
    const at = line.indexOf(PROMISE);
    return at === -1 ? [] : [line.slice(at + PROMISE.length)];
  });
}

/** The promised lines that are not printed, each after the one before it. */
function missingLines(promised: readonly string[], stdout: string): string[] {
  const printed = stdout.split('\n').map((line) => line.trimEnd());
  let from = 0;
  return promised.filter((line) => {
    const at = printed.indexOf(line.trimEnd(), from);
    if (at === -1) return true;
    from = at + 1;
    return false;
  });
}

test('the README has runnable examples that promise their output', () => {
  assert.ok(blocks.length >= 5, `found only ${blocks.length} ts blocks`);
  assert.ok(blocks.flatMap(promisedLines).length >= 10, 'the examples say what they print');
  // Control: the matcher does catch a line that is missing, or printed out of order.
  assert.deepEqual(missingLines(['a', 'b'], 'a\nb\n'), []);
  assert.deepEqual(missingLines(['a', 'c'], 'a\nb\n'), ['c']);
  assert.deepEqual(missingLines(['b', 'a'], 'a\nb\n'), ['a']);
});

const entry = resolve('src/index.ts');
blocks.forEach((block, index) => {
  const firstLine = block.split('\n').find((line) => line.trim() !== '' && !line.startsWith('import')) ?? '';
  test(`README example ${index + 1} runs and prints what it promises: ${firstLine.slice(0, 50)}`, () => {
    const dir = mkdtempSync(join(resolve('.'), '.readme-example-'));
    try {
      const file = join(dir, 'example.ts');
      writeFileSync(file, block.replaceAll("from 'subvisor'", `from '${entry}'`));
      const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 0, `example ${index + 1} failed:\n${run.stderr}`);
      assert.deepEqual(missingLines(promisedLines(block), run.stdout), [], `example ${index + 1} printed:\n${run.stdout}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Where the codes a user can meet are made: the library's error classes, the control protocol's
 * error replies, and the failures of `--json` records.
 */
const CODE_SOURCES = ['src/core', 'src/process', 'src/log', 'src/cli/control/protocol.ts', 'src/cli/control/handler.ts', 'src/cli/stack/stack.ts', 'src/cli/stack/failures.ts'];

test('every stable error code a user can meet is listed in the README, for a switch over them', () => {
  const files = CODE_SOURCES.flatMap((source) =>
    source.endsWith('.ts')
      ? [source]
      : readdirSync(source, { recursive: true })
          .map(String)
          .filter((file) => file.endsWith('.ts'))
          .map((file) => join(source, file)),
  );
  const codes = new Set(files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/'(ERR_SUBVISOR_[A-Z_]*[A-Z])'/g)].map((match) => match[1] as string)));
  // Control: the sources do hold the codes, the library's and the protocol's.
  assert.ok(codes.has('ERR_SUBVISOR_CALLED_PROCESS') && codes.has('ERR_SUBVISOR_UNKNOWN_PROCESS'), [...codes].join(' '));
  assert.deepEqual([...codes].filter((code) => !readme.includes(`\`${code}\``)), []);
});
