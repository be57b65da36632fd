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
 * The codes of the CLI's own errors, which it says by their message alone (`subvisor: no run is
 * up ...`): no user meets them as a code. (Not `up`'s refusals: `up --json` carries their code,
 * `ERR_SUBVISOR_CONFIG`, `ERR_SUBVISOR_SOCKET_IN_USE`, ..., in its failure record.) Every other code in src/ is one a user can meet (a
 * library error's, a control reply's, a `--json` failure's) and must be in the README; a code
 * added anywhere is listed there or here, by a choice, not missed because its file was not looked in.
 */
const SAID_BY_MESSAGE_ONLY = new Set([
  'ERR_SUBVISOR_BAD_REPLY',
  'ERR_SUBVISOR_CONNECT',
  'ERR_SUBVISOR_CONNECTION_DROPPED',
  'ERR_SUBVISOR_CONNECTION_LOST',
  'ERR_SUBVISOR_INVALID_SIZE',
  'ERR_SUBVISOR_LOG_FILE_REPLACED',
  'ERR_SUBVISOR_NO_ANSWER',
  'ERR_SUBVISOR_NO_RUN',
  'ERR_SUBVISOR_PERMISSION_DENIED',
  'ERR_SUBVISOR_REPLY_TOO_LARGE',
  'ERR_SUBVISOR_RUN_ENDED',
  'ERR_SUBVISOR_UNSAFE_LOG_DIRECTORY',
]);

test('every stable error code a user can meet is listed in the README, for a switch over them', () => {
  const files = readdirSync('src', { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join('src', file));
  const codes = new Set(files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\b(ERR_SUBVISOR_[A-Z_]*[A-Z])\b/g)].map((match) => match[1] as string)));
  // Control: the sources do hold the codes, the library's, the protocol's and the CLI's own.
  assert.ok(codes.has('ERR_SUBVISOR_CALLED_PROCESS') && codes.has('ERR_SUBVISOR_UNKNOWN_PROCESS') && codes.has('ERR_SUBVISOR_NO_RUN'), [...codes].join(' '));
  assert.deepEqual([...SAID_BY_MESSAGE_ONLY].filter((code) => !codes.has(code)), [], 'a code said by its message only that is gone from src/');
  assert.deepEqual([...codes].filter((code) => !SAID_BY_MESSAGE_ONLY.has(code) && !readme.includes(`\`${code}\``)), []);
});

test("every process warning's code (process.emitWarning's `code`) is listed in the README, for a listener that tells them apart", () => {
  const files = readdirSync('src', { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join('src', file));
  const codes = new Set(files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\bcode: '(SUBVISOR_[A-Z_]*[A-Z])'/g)].map((match) => match[1] as string)));
  // Control: the sources do hold the warnings' codes.
  assert.ok(codes.has('SUBVISOR_LOG_LEVEL_INVALID') && codes.has('SUBVISOR_LOG_SINK_FAILED'), [...codes].join(' '));
  assert.deepEqual([...codes].filter((code) => !readme.includes(`\`${code}\``)), []);
});
