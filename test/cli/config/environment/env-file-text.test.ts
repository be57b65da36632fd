import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EnvFileText } from '../../../../src/cli/config/environment/env-file-text.js';
import { escapeRegExp } from '../../../../src/cli/config/regexp.js';

test('every place a line assigns a name is among its candidates, whatever the blanks, export and line ends', () => {
  const piece = fc.constantFrom('A', 'AB', 'export', 'export ', ' ', '\t', '=', '\n', '\r\n', '\r', '\u2028', '#', '"', 'x', '\u00a0');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 30 }), fc.constantFrom('A', 'AB', 'export'), (pieces, name) => {
      const text = pieces.join('');
      const candidates = new EnvFileText(text).candidateStarts(name);
      // The patterns readEnvFile confirms with: blanks as [ \t] and as \s, before and after the name.
      for (const blanks of ['[ \\t]*', '\\s*']) {
        const assignment = new RegExp(`^${blanks}(?:export )?${escapeRegExp(name)}${blanks}=`, 'gm');
        for (const match of text.matchAll(assignment)) {
          assert.ok(candidates.includes(match.index) || blanks === '\\s*', `${JSON.stringify(text)}: ${name} at ${match.index}`);
          // With \s the match may start before blanks holding line ends; the name is then on a later piece of the line.
          const nameAt = match.index + match[0].search(new RegExp(`(?:export )?${escapeRegExp(name)}\\s*=$`));
          assert.ok(
            candidates.some((start) => start <= nameAt && !/[\n\r\u2028\u2029]/.test(text.slice(start, nameAt))),
            `${JSON.stringify(text)}: ${name} at ${nameAt}`,
          );
        }
      }
    }),
  );
});

test('a name is looked up among the lines that begin with it, not across the file', () => {
  const lines = Array.from({ length: 4000 }, (_, i) => (i % 2 === 0 ? `V${i}=plain` : `export V${i} = "quoted"`));
  lines.push('V0=again', 'V10 =x\r', 'V1000', '');
  const file = new EnvFileText(lines.join('\n'));
  assert.deepEqual(file.candidateStarts('V0').map((start) => file.lineNumberAt(start)), [1, 4001]);
  assert.deepEqual(file.candidateStarts('V10').map((start) => file.lineNumberAt(start)), [11, 4002]);
  assert.deepEqual(file.candidateStarts('V1000').map((start) => file.lineNumberAt(start)), [1001, 4003]);
  assert.deepEqual(file.candidateStarts('V3').map((start) => file.lineNumberAt(start)), [4]);
  assert.deepEqual(file.candidateStarts('V1'), [file.lines.slice(0, 1).join('\n').length + 1]);
  assert.deepEqual(file.candidateStarts('MISSING'), []);
});

test('line numbers count \\n (and \\r\\n) line ends, as the lines are split', () => {
  const file = new EnvFileText('A=1\r\nB=2\rC=3\nD=4');
  assert.deepEqual(file.lines, ['A=1', 'B=2\rC=3', 'D=4']);
  assert.deepEqual([0, 3, 4, 5, 9, 13, 14, 16].map((offset) => file.lineNumberAt(offset)), [1, 1, 1, 2, 2, 3, 3, 3]);
  assert.deepEqual(file.candidateStarts('C').map((start) => file.lineNumberAt(start)), [2]);
});
