import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration, parseSize, parseYamlConfig } from '../../../src/cli/config/index.js';
import { FILE, problemAt, web } from './support.js';

/** The reason an amount is refused with, or `accepted`. */
function reason(parse: (input: string) => number, input: string): string {
  try {
    parse(input);
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    return message.slice(message.indexOf(': ') + 2);
  }
  return 'accepted';
}

test('an amount refused for its sign or its exponent is told to write only what would be taken', () => {
  // Before: `+0` as a size was told "write 0" (under a byte), `+1e400` "write 1e400" (too long, too large),
  // `1e25s` "write 1e+25s" (an exponent with a unit again), `1e7s` "write 10000000s" (too long), `1e-4KB` "write 0KB".
  const parsers: [string, (input: string) => number][] = [
    ['duration', parseDuration],
    ['size', parseSize],
  ];
  const inputs = ['+0', '+0.5', '+0KB', '+0s', '+5', '+1e3', '+1e400', '+10MB', '+5s', '1e3s', '1e7s', '1e21s', '1e25s', '1e-4s', '5e-1ms', '1e3KB', '1e-4KB', '1e-3KB', '1e20KB', '1e25KB', '2.5e-1 MB'];
  let advised = 0;
  for (const [kind, parse] of parsers) {
    for (const input of inputs) {
      const write = /: write (\S+)$/.exec(reason(parse, input))?.[1];
      if (write === undefined) continue;
      advised += 1;
      assert.equal(reason(parse, write), 'accepted', `${kind} ${input}: told to write ${write}`);
    }
  }
  assert.ok(advised >= 10, `advice is still given where it is taken (${advised} times)`);
  // Where the amount is refused whatever its spelling, what is wrong with it is said instead.
  assert.equal(reason(parseSize, '+0'), 'must be at least 1 byte; e.g. 10MB');
  assert.equal(reason(parseSize, '1e-4KB'), 'must be at least 1 byte; e.g. 10MB');
  assert.equal(reason(parseSize, '1e25KB'), 'too large; give at most a few GB');
  assert.match(reason(parseDuration, '1e7s'), /^longer than the longest a timer can wait/);
  assert.match(reason(parseDuration, '+1e400'), /^longer than the longest a timer can wait/);
  // Controls: taken amounts keep their advice.
  assert.equal(reason(parseSize, '+10MB'), 'a size takes no sign: write 10MB');
  assert.equal(reason(parseDuration, '+0'), 'a duration takes no sign: write 0');
  assert.equal(reason(parseDuration, '1e3s'), 'a number with an exponent takes no unit after it: write 1000s');
  assert.equal(reason(parseSize, '1e-3KB'), 'a number with an exponent takes no unit after it: write 0.001KB');
  // In a config as in the parser: YAML's `+0` is refused for being under a byte, not told to write 0.
  assert.throws(() => parseYamlConfig('logs: { maxSize: +0 }\nprocesses:\n  web:\n    cmd: x\n', FILE, { env: {} }), /logs\.maxSize: invalid size \+0: must be at least 1 byte/);
  assert.ok(problemAt(web('    grace: +1e400\n'), '+1e400').endsWith('processes.web.grace: invalid duration +1e400: longer than the longest a timer can wait, 2147483647 ms (596h31m23.647s, about 24.8 days); use a shorter one'));
});
