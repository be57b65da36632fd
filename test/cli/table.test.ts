import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatTable } from '../../src/cli/table.js';
import { displayWidth } from '../../src/cli/text-width.js';

describe('formatTable: columns lined up in terminal columns', () => {
  test('a wide or zero-width character does not push the rest of its row out of line', () => {
    const text = formatTable([
      ['NAME', 'STATE', 'PID'],
      ['db', 'unhealthy: 接続できません', '41'],
      ['web', 'unhealthy: 🚀 down', '42'],
      ['api', 'unhealthy: cafe\u0301 gone', '43'],
      ['cache', 'running', '44'],
    ]);
    const lines = text.trimEnd().split('\n');
    const pidColumn = (line: string): number => displayWidth(line.slice(0, line.search(/\S+$/)));
    assert.deepEqual(lines.map(pidColumn), Array(lines.length).fill(pidColumn(lines[0] ?? '')), text);
    assert.equal(lines[4], `cache  ${'running'.padEnd(displayWidth('unhealthy: 接続できません'))}  44`);
  });

  test('the last column is not padded, and every row ends in a newline', () => {
    assert.equal(formatTable([['a', 'long last'], ['bbb', 'x']]), 'a    long last\nbbb  x\n');
  });
});

describe('displayWidth', () => {
  test('counts what a terminal draws', () => {
    const cases: [string, number][] = [
      ['plain', 5],
      ['日本語', 6],
      ['한국어', 6],
      ['Ａ', 2], // fullwidth
      ['ｱ', 1], // halfwidth katakana
      ['e\u0301', 1], // a combining accent
      ['🚀', 2],
      ['👍🏽', 2], // with a skin tone
      ['👨\u200d👩\u200d👧', 2], // joined
      ['❤\ufe0f', 2], // asked to be drawn as an emoji
      ['★', 1],
      ['', 0],
    ];
    for (const [text, width] of cases) assert.equal(displayWidth(text), width, JSON.stringify(text));
  });
});
