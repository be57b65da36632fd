import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countNewlines } from '../../src/cli/count-newlines.js';

test('countNewlines counts every newline, those side by side (empty lines) too', () => {
  assert.equal(countNewlines(Buffer.from('')), 0);
  assert.equal(countNewlines(Buffer.from('no newline')), 0);
  assert.equal(countNewlines(Buffer.from('a\nb\n')), 2); // control: lines apart
  assert.equal(countNewlines(Buffer.from('\n\n\n')), 3);
  assert.equal(countNewlines(Buffer.from('a\n\nb\n\n')), 4);
});
