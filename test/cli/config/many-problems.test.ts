// A config with more problems than a message can usefully list: the first ones in full, the rest counted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { parseYamlConfig, selectProcesses } from '../../../src/cli/config/index.js';
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

test('a did-you-mean is worked out for the problems shown, not for those only counted', () => {
  const processes = Array.from({ length: SHOWN_PROBLEMS + 10 }, (_, index) => `  p${index}:\n    cmd: x\n    comand: x\n`).join('');
  const error = configError(() => parseYamlConfig(`processes:\n${processes}`, FILE, { env: {} }));
  assert.equal(error.problems.length, SHOWN_PROBLEMS + 10);
  for (const line of lines(error).slice(0, -1)) assert.match(line, /: unknown key; did you mean 'cmd'\? \(known keys here: cmd, /);
  const counted = error.problems.at(-1);
  assert.match(counted?.message ?? '', /^unknown key \(known keys here: cmd, /);
  // The guess is still there to be had by one who asks for it.
  assert.match(counted?.guessed?.() ?? '', /^unknown key; did you mean 'cmd'\? \(known keys here: cmd, /);
});

test('5 000 processes each depending on a name misspelt: the guesses of the first are shown, and the rest are not measured against all names', () => {
  // In a child process cut off at 30 s, as yaml.test's linear-time tests: each guess measured the
  // name against all 5 000, for every problem, shown or not (minutes).
  const script = `
    import { parseYamlConfig } from './src/cli/config/index.js';
    const text = 'processes:\\n' + Array.from({ length: 5000 }, (_, index) => '  svc' + index + ': { cmd: x, dependsOn: [svc' + (index + 1) + 'x] }\\n').join('');
    try {
      parseYamlConfig(text, 'many.yaml', { env: {} });
    } catch (error) {
      console.log(JSON.stringify({ count: error.problems.length, first: error.message.split('\\n')[0], last: error.problems.at(-1).message }));
    }
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.signal, null, `still reading after 30 s ${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  const outcome = JSON.parse(run.stdout) as { count: number; first: string; last: string };
  assert.equal(outcome.count, 5000);
  assert.equal(outcome.first, "many.yaml:2:31: processes.svc0.dependsOn[0]: unknown process 'svc1x' (known: svc1, svc2, svc3, svc4, svc5, svc6, svc7, svc8, svc9, svc10, svc11, svc12, svc13, svc14, svc15, svc16, svc17, svc18, svc19, svc20 and 4979 more); did you mean 'svc1'?");
  assert.equal(outcome.last, "unknown process 'svc5000x' (known: svc0, svc1, svc2, svc3, svc4, svc5, svc6, svc7, svc8, svc9, svc10, svc11, svc12, svc13, svc14, svc15, svc16, svc17, svc18, svc19 and 4979 more)");
});

test("up's names that are no process: the guesses of those shown are worked out, those only counted are not", () => {
  const config = parseYamlConfig('processes:\n  worker: { cmd: x }\n', FILE, { env: {} });
  // One character more than worker each (worker0, ..., workera, ..., workerA, ...): near enough for a guess.
  const characters = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const names = Array.from({ length: SHOWN_PROBLEMS + 10 }, (_, index) => `worker${characters.charAt(index)}`);
  const error = configError(() => selectProcesses(config, names));
  assert.equal(error.problems.length, SHOWN_PROBLEMS + 10);
  for (const line of lines(error).slice(0, -1)) assert.match(line, /: no process named 'worker\w' \(known: worker\); did you mean 'worker'\?$/);
  assert.equal(lines(error).at(-1), '… and 10 more problems (fix these first)');
  const counted = error.problems.at(-1);
  const last = names.at(-1) ?? '';
  assert.equal(counted?.message, `no process named '${last}' (known: worker)`);
  // The guess is still there to be had by one who asks for it.
  assert.equal(counted.guessed?.(), `no process named '${last}' (known: worker); did you mean 'worker'?`);
});
