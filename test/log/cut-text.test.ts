import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cutText, wholeCharactersUpTo } from '../../src/log/cut-text.js';

const EMOJI = '😀'; // two UTF-16 units

test('cutText keeps text that fits whole and cuts longer text at maxChars units with …', () => {
  assert.equal(cutText('k'.repeat(80), 80), 'k'.repeat(80));
  assert.equal(cutText('k'.repeat(81), 80), `${'k'.repeat(80)}…`);
});

test('a cut between the halves of an emoji leaves the emoji out whole', () => {
  assert.equal(cutText(`${'k'.repeat(79)}${EMOJI}`, 80), `${'k'.repeat(79)}…`);
  assert.equal(wholeCharactersUpTo(`k${EMOJI}`, 2), 'k');
});

test('a cut just after a whole emoji keeps it: only its first half ending the cut is a broken character', () => {
  const kept = cutText(`${'k'.repeat(78)}${EMOJI}zz`, 80);
  assert.equal(kept, `${'k'.repeat(78)}${EMOJI}…`);
  assert.equal(wholeCharactersUpTo(`k${EMOJI}z`, 3), `k${EMOJI}`);
  // No lone half is left at the cut, whichever unit it falls after.
  for (let units = 1; units <= 6; units++) {
    const cut = wholeCharactersUpTo(`${EMOJI}k${EMOJI}${EMOJI}`, units);
    assert.doesNotMatch(cut, /[\uD800-\uDBFF]$/, `cut at ${units}`);
  }
});
