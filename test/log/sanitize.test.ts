import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { neutraliseControlSequences } from '../../src/log/sanitize.js';

const ESC = '\x1b';

// Each class of control the console sink must neutralise: [what it is, input, expected output].
// The expected output shows each control as the text \xNN, with what followed it left readable.
const NEUTRALISED: [string, string, string][] = [
  ['CSI cursor up', 'a\x1b[2Ab', 'a\\x1b[2Ab'],
  ['CSI cursor position', '\x1b[10;20Hx', '\\x1b[10;20Hx'],
  ['CSI erase screen', '\x1b[2Jx', '\\x1b[2Jx'],
  ['CSI erase line', 'x\x1b[K', 'x\\x1b[K'],
  ['CSI scroll region', '\x1b[1;10r', '\\x1b[1;10r'],
  ['CSI private mode (hide cursor)', '\x1b[?25l', '\\x1b[?25l'],
  ['CSI ending in m with a private marker', '\x1b[>4;2m', '\\x1b[>4;2m'],
  ['unterminated CSI at the end', 'x\x1b[31', 'x\\x1b[31'],
  ['OSC window title ended by BEL', '\x1b]0;owned\x07', '\\x1b]0;owned\\x07'],
  ['OSC 8 hyperlink ended by ST', '\x1b]8;;https://e.vil/\x1b\\click\x1b]8;;\x1b\\', '\\x1b]8;;https://e.vil/\\x1b\\click\\x1b]8;;\\x1b\\'],
  ['OSC 52 clipboard write', '\x1b]52;c;cm0gLXJmIH4=\x07', '\\x1b]52;c;cm0gLXJmIH4=\\x07'],
  ['DCS string', '\x1bP1$tx\x1b\\', '\\x1bP1$tx\\x1b\\'],
  ['APC string', '\x1b_payload\x1b\\', '\\x1b_payload\\x1b\\'],
  ['PM string', '\x1b^payload\x1b\\', '\\x1b^payload\\x1b\\'],
  ['SOS string', '\x1bXpayload\x1b\\', '\\x1bXpayload\\x1b\\'],
  ['single ESC c (full reset)', 'x\x1bcy', 'x\\x1bcy'],
  ['single ESC 7 (save cursor)', '\x1b7', '\\x1b7'],
  ['lone ESC at the end', 'x\x1b', 'x\\x1b'],
  ['8-bit CSI U+009B', '\u009b2J\u009b31m', '\\x9b2J\\x9b31m'],
  ['8-bit OSC U+009D ended by ST U+009C', '\u009d0;t\u009c', '\\x9d0;t\\x9c'],
  ['C1 NEL U+0085', 'a\u0085b', 'a\\x85b'],
  ['bare CR', 'progress 10%\rdone', 'progress 10%\\x0ddone'],
  ['CR at the end', 'abc\r', 'abc\\x0d'],
  ['backspace', 'ab\bc', 'ab\\x08c'],
  ['BEL', 'ding\x07', 'ding\\x07'],
  ['NUL, VT, FF', '\x00\x0b\x0c', '\\x00\\x0b\\x0c'],
  ['DEL', 'a\x7f', 'a\\x7f'],
];

for (const [what, input, expected] of NEUTRALISED) {
  test(`neutralises ${what} into visible text`, () => {
    const output = neutraliseControlSequences(input);
    assert.equal(output, expected);
    assert.notEqual(output, input); // control: the input itself would not pass
  });
}

test('keeps plain SGR colour sequences exactly', () => {
  for (const sgr of ['\x1b[31mred\x1b[0m', '\x1b[1;38;5;208mbold orange\x1b[m', '\x1b[38:2::255:0:0mtruecolour\x1b[39m', '\x1b[mreset']) {
    assert.equal(neutraliseControlSequences(sgr), sgr);
  }
  // Control: the same shape with a private marker is not SGR.
  assert.equal(neutraliseControlSequences('\x1b[?31m'), '\\x1b[?31m');
});

test('keeps TAB and LF; a CR that ends a CRLF line is dropped', () => {
  assert.equal(neutraliseControlSequences('a\tb\nc'), 'a\tb\nc');
  // TAB is kept beside a control that is shown as text, not only in a line with none.
  assert.equal(neutraliseControlSequences('a\tb\x07\tc'), 'a\tb\\x07\tc');
  assert.equal(neutraliseControlSequences('one\r\ntwo\r\n'), 'one\ntwo\n');
  assert.equal(neutraliseControlSequences('one\r\r\ntwo'), 'one\\x0d\ntwo'); // control: only the CR right before LF goes
});

test('returns text without control characters unchanged', () => {
  for (const plain of ['', 'hello world', 'naïve — “quoted” 日本語 😀', 'literal \\x1b text', '\u00a0\u00ff\u2028']) {
    assert.equal(neutraliseControlSequences(plain), plain);
  }
});

test('stays linear on 1 MB adversarial inputs', { timeout: 10_000 }, () => {
  const cases: [string, number][] = [
    ['\x1b['.repeat(500_000), 500_000 * 5], // every ESC starts a CSI that never ends
    [`\x1b[${'1;'.repeat(500_000)}`, 1_000_000 + 5], // one CSI whose parameters never end
    [`\x1b[${'1;'.repeat(50)}`.repeat(10_000), 10_000 * (100 + 5)], // many long unterminated ones
    ['\x1b[1m'.repeat(250_000), 1_000_000], // a million characters of valid SGR, all kept
    ['\r'.repeat(1_000_000), 4_000_000],
    ['\u009b'.repeat(1_000_000), 4_000_000],
  ];
  for (const [input, expectedLength] of cases) {
    assert.equal(neutraliseControlSequences(input).length, expectedLength);
  }
});

/** A C0 control other than TAB and LF, DEL, or a C1 control. */
function isUnsafeControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f);
}

function hasUnsafeControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isUnsafeControl(text.charCodeAt(i))) return true;
  return false;
}

/** Pieces that make interesting sequences (whole introducers too, so they are common), plus any code point up to U+00FF. */
const terminalText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\x1b[', '\x1b]', '\x1b\\', '\x1b[?', '\x1b[>'),
    fc.constantFrom(ESC, '[', ']', '0', '1', '9', ';', ':', 'm', 'J', '?', '>', 'P', '\\', '\x07', '\u009b', '\u009c', '\r', '\n', '\t', '\b', 'a', ' '),
    fc.integer({ min: 0, max: 0xff }).map((code) => String.fromCharCode(code)),
  ),
  maxLength: 80,
});

// eslint-disable-next-line no-control-regex -- finding ESC is the point: it may only start an SGR sequence
const SGR_AT = /\x1b\[[0-9;:]*m/y;

test('property: output has no control but TAB and LF, and ESC only to start an SGR sequence', () => {
  // Control: the generator does produce what the property forbids.
  assert.ok(fc.sample(terminalText, 200).some(hasUnsafeControl));
  fc.assert(
    fc.property(terminalText, (input) => {
      const output = neutraliseControlSequences(input);
      for (let i = 0; i < output.length; i++) {
        const code = output.charCodeAt(i);
        if (code === 0x1b) {
          SGR_AT.lastIndex = i;
          assert.ok(SGR_AT.test(output), `ESC at ${i} does not start an SGR sequence: ${JSON.stringify(output)}`);
        } else {
          assert.ok(!isUnsafeControl(code), `control U+${code.toString(16)} at ${i}: ${JSON.stringify(output)}`);
        }
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: neutralising twice changes nothing more', () => {
  fc.assert(
    fc.property(terminalText, (input) => {
      const once = neutraliseControlSequences(input);
      assert.equal(neutraliseControlSequences(once), once);
    }),
    { numRuns: 1000 },
  );
});

test('property: text without controls comes back unchanged', () => {
  const plain = fc.string({ unit: 'binary', maxLength: 80 }).filter((text) => !hasUnsafeControl(text));
  fc.assert(fc.property(plain, (input) => neutraliseControlSequences(input) === input), { numRuns: 1000 });
});
