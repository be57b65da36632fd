import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { duplicateKeyErrors } from '../../../src/cli/config/yaml/duplicate-keys.js';

// Documents whose keys the parser's own check (each key against every one before it) and ours
// must judge alike: what counts as the same key, where the error is, and in what order.
const DOCUMENTS = [
  'a: 1\na: 2\n',
  'a: 1\nb: 2\n',
  '{a: 1, a: 2}\n',
  'x:\n  a: 1\n  b: [ {c: 1, c: 2} ]\n  a: 3\n',
  '<<: {a: 1}\n<<: {b: 2}\n',
  '&k a: 1\na: 2\n',
  '? [1]\n: 1\n? [1]\n: 2\n',
  ': 1\n: 2\n',
  '1: a\n"1": b\n',
  'true: 1\n"true": 2\n',
  'a: 1\n!!str a: 2\n',
  'x: &m {a: 1}\ny: *m\nz:\n  <<: *m\n  a: 2\n',
  '1: a\n1.0: b\n',
  'null: 1\n~: 2\n',
  // NaN is no key's equal, not even its own (the parser compares with ===; a Set would find it twice).
  '.nan: 1\n.NaN: 2\n',
  'a: [\nb: 1\nb: 2\n',
  'processes:\n  web:\n    cmd: a\n    cmd: b\n  web:\n    cmd: c\n',
];

/** Each DUPLICATE_KEY error as `start-end`, in order. */
function places(errors: readonly { code: string; pos: [number, number] }[]): string[] {
  return errors.filter((error) => error.code === 'DUPLICATE_KEY').map((error) => error.pos.join('-'));
}

test("keys given twice are found where, and in the order, the parser's own check finds them", () => {
  for (const text of DOCUMENTS) {
    const expected = places(parseDocument(text, { merge: true }).errors);
    const document = parseDocument(text, { merge: true, uniqueKeys: false });
    assert.deepEqual(places(document.errors), [], `the parser's check is off for ${JSON.stringify(text)}`);
    assert.deepEqual(places(duplicateKeyErrors(document)), expected, JSON.stringify(text));
  }
});
