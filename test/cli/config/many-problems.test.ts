// A config with more problems than a message can usefully list: the first ones in full, the rest counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseYamlConfig } from '../../../src/cli/config/index.js';
import { SHOWN_PROBLEMS } from '../../../src/cli/config/errors.js';
import { FILE, configError, lines } from './support.js';

/** A process with `count` keys it does not have (`k0`, `k1`...): one problem each. */
function unknownKeys(count: number): string {
  const keys = Array.from({ length: count }, (_, index) => `    k${index}: 1\n`).join('');
  return `processes:\n  web:\n    cmd: x\n${keys}`;
}

/** The problem line for unknown key `k<index>`, which is on line `index + 4`. */
const unknownKeyLine = (index: number): RegExp => new RegExp(`^${FILE}:${index + 4}:5: processes\\.web\\.k${index}: unknown key`);

test('past the problems a message shows, it lists the first ones in file order and then counts the rest exactly', () => {
  const error = configError(() => parseYamlConfig(unknownKeys(SHOWN_PROBLEMS + 10), FILE, { env: {} }));
  const shown = lines(error);
  assert.equal(shown.length, SHOWN_PROBLEMS + 1, error.message);
  for (const [index, line] of shown.slice(0, -1).entries()) assert.match(line, unknownKeyLine(index));
  assert.equal(shown.at(-1), '… and 10 more problems (fix these first)');
  assert.equal(error.problems.length, SHOWN_PROBLEMS + 10, 'problems holds them all');
  assert.deepEqual(error.shownProblems, error.problems.slice(0, SHOWN_PROBLEMS));
});

test('as many problems as a message shows are listed as they were, with no count; one more is counted in the singular', () => {
  const all = configError(() => parseYamlConfig(unknownKeys(SHOWN_PROBLEMS), FILE, { env: {} }));
  assert.equal(lines(all).length, SHOWN_PROBLEMS);
  for (const [index, line] of lines(all).entries()) assert.match(line, unknownKeyLine(index));
  assert.deepEqual(all.shownProblems, all.problems);
  const oneMore = configError(() => parseYamlConfig(unknownKeys(SHOWN_PROBLEMS + 1), FILE, { env: {} }));
  assert.equal(lines(oneMore).at(-1), '… and 1 more problem (fix these first)');
  assert.equal(lines(oneMore).length, SHOWN_PROBLEMS + 1);
});

test('600 keys given twice: the first ones are worked out in full (the key, where it was first), the other 550 counted', () => {
  // V0..V9 given 61 times each: 600 given again.
  const env = Array.from({ length: 610 }, (_, index) => `      V${index % 10}: "y"\n`).join('');
  const error = configError(() => parseYamlConfig(`processes:\n  a:\n    cmd: x\n    env:\n${env}`, FILE, { env: {} }));
  const shown = lines(error);
  assert.equal(shown.length, SHOWN_PROBLEMS + 1, shown.slice(0, 3).join('\n'));
  for (const [index, line] of shown.slice(0, -1).entries()) {
    const at = index + 15; // the first given again is V0 on line 15, first at line 5
    assert.equal(line, `${FILE}:${at}:7: processes.a.env.V${index % 10}: YAML syntax: the key is given twice (first at line ${5 + (index % 10)}); a mapping's keys must be unique: remove or rename one`);
  }
  assert.equal(shown.at(-1), '… and 550 more problems (fix these first)');
  assert.equal(error.problems.length, 600);
  // Those only counted are not worked out (a walk of the document each): the parser's place and words.
  const last = error.problems.at(-1);
  assert.deepEqual([last?.line, last?.column, last?.path], [614, 7, undefined]);
  assert.doesNotMatch(last?.message ?? '', /given twice/);
});

test('a [ opened on each of 600 lines and never closed: the problems shown, then one line counting the rest', () => {
  const error = configError(() => parseYamlConfig(`processes:\n${'[\n'.repeat(600)}`, FILE, { env: {} }));
  const shown = lines(error);
  assert.equal(shown.length, SHOWN_PROBLEMS + 1);
  assert.match(shown[1] ?? '', new RegExp(`^${FILE}:2:1: YAML syntax: the \\[ that opens here is never closed`));
  assert.equal(shown.at(-1), `… and ${error.problems.length - SHOWN_PROBLEMS} more problems (fix these first)`);
  assert.ok(error.problems.length > 600, `each line's [ is a problem or more: ${error.problems.length}`);
});

test('a [ never closed, noticed past the problems shown, is where it opens: listed first, before the problems inside it', () => {
  // The parser notices the [ opened on line 3 only at `b:`, after 55 keys given twice inside it.
  const inside = '      {k: 1, k: 2},\n'.repeat(SHOWN_PROBLEMS + 5);
  const error = configError(() => parseYamlConfig(`processes:\n  a:\n    cmd: [sleep, '1',\n${inside}  b:\n    cmd: x\n`, FILE, { env: {} }));
  const shown = lines(error);
  assert.match(shown[0] ?? '', new RegExp(`^${FILE}:3:10: processes\\.a\\.cmd: YAML syntax: the \\[ that opens here is never closed`), shown.slice(0, 2).join('\n'));
  assert.equal(shown.at(-1), '… and 6 more problems (fix these first)');
  assert.deepEqual(error.shownProblems, error.problems.slice(0, SHOWN_PROBLEMS));
});
