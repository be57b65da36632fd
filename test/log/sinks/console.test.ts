import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shouldColor } from '../../../src/log/sinks/color.js';
import { createConsoleSink } from '../../../src/log/sinks/console.js';
import type { LogRecord } from '../../../src/log/record.js';
import { CaptureStream } from '../capture.js';

// Local time, since the console shows wall-clock time where the user is.
const NOON = new Date(2024, 0, 2, 12, 0, 1, 234).getTime();

function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return { time: NOON, level: 21, levelName: 'io', logger: 'subvisor', message: 'hello', ...overrides };
}

function write(records: LogRecord[], opts: { color?: boolean; raw?: boolean; isTTY?: boolean } = {}): string {
  const stream = new CaptureStream({ isTTY: opts.isTTY ?? false });
  const sink = createConsoleSink({ stream, color: opts.color, raw: opts.raw });
  for (const each of records) sink(each);
  return stream.text;
}

test('without colour, a line is time, padded level, [logger], message and key=value fields', () => {
  const text = write([record({ fields: { pid: 42, note: 'two words', ok: true, args: ['a', 1] } }), record({ level: 50, levelName: 'critical', message: 'down' })], { color: false });
  assert.equal(
    text,
    '12:00:01.234 io        [subvisor] hello pid=42 note="two words" ok=true args=[ \'a\', 1 ]\n' +
      '12:00:01.234 critical  [subvisor] down\n',
  );
});

test('with colour, the time is dim and the level coloured; the message is left as it was', () => {
  const coloured = write([record()], { color: true });
  assert.equal(coloured, '\x1b[2m12:00:01.234\x1b[0m \x1b[36mio       \x1b[0m [subvisor] hello\n');
  assert.ok(!write([record()], { color: false }).includes('\x1b')); // control: no colour, no ESC
});

test('a level between the named ones is coloured like the named level below it', () => {
  assert.ok(write([record({ level: 45, levelName: 'level45' })], { color: true }).includes(' \x1b[31;1mlevel45  \x1b[0m '));
  assert.ok(write([record({ level: 39, levelName: 'level39' })], { color: true }).includes(' \x1b[33;1mlevel39')); // control: below error
});

test('control sequences in the message and fields are neutralised unless raw', () => {
  const hostile = record({ message: 'x\x1b[2J\x1b]0;owned\x07y', fields: { line: 'a\rb' } });
  assert.equal(write([hostile], { color: false }), '12:00:01.234 io        [subvisor] x\\x1b[2J\\x1b]0;owned\\x07y line="a\\rb"\n');
  // Control: raw is the explicit opt-out and writes the bytes through.
  assert.ok(write([hostile], { color: false, raw: true }).includes('x\x1b[2J\x1b]0;owned\x07y'));
});

test('with colour, a message that keeps its own SGR colour is followed by a reset, so colour cannot bleed', () => {
  assert.ok(write([record({ message: '\x1b[8mhidden' })], { color: true }).endsWith(' [subvisor] \x1b[8mhidden\x1b[0m\n'));
  assert.ok(!write([record({ message: 'plain' })], { color: true }).endsWith('\x1b[0m\n')); // control
});

test('with color: false, the colour a message kept is taken out too', () => {
  assert.equal(write([record({ message: '\x1b[1;31mred\x1b[0m and \x1b[38:2::255:0:0mtrue\x1b[m' })], { color: false }), '12:00:01.234 io        [subvisor] red and true\n');
  // Control: raw writes it through.
  assert.ok(write([record({ message: '\x1b[1;31mred' })], { color: false, raw: true }).includes('\x1b[1;31mred'));
});

/** Runs `fn` with the colour variables of the environment as `env` says, then puts them back. */
function withColourEnvironment(env: { FORCE_COLOR?: string; NO_COLOR?: string; TERM?: string }, fn: () => void): void {
  const saved = { FORCE_COLOR: process.env.FORCE_COLOR, NO_COLOR: process.env.NO_COLOR, TERM: process.env.TERM };
  const set = (values: Record<string, string | undefined>): void => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = value;
    }
  };
  set({ FORCE_COLOR: undefined, NO_COLOR: undefined, TERM: undefined, ...env });
  try {
    fn();
  } finally {
    set(saved);
  }
}

test('colour is on by default for a TTY and off otherwise, when the environment says nothing', () => {
  withColourEnvironment({}, () => {
    assert.ok(write([record()], { isTTY: true }).includes('\x1b[36m'));
    assert.ok(!write([record()], { isTTY: false }).includes('\x1b[')); // control
  });
});

test('to a pipe or a file, a line keeps its own colours (SPEC §3.9), reset at its end; NO_COLOR, TERM=dumb and color: false take them out', () => {
  const hostile = record({ message: '[web:out] \x1b[31mred\x1b[0m\x1b[2J' });
  withColourEnvironment({}, () => {
    assert.equal(write([hostile]), '12:00:01.234 io        [subvisor] [web:out] \x1b[31mred\x1b[0m\\x1b[2J\x1b[0m\n');
    assert.equal(write([hostile], { color: false }), '12:00:01.234 io        [subvisor] [web:out] red\\x1b[2J\n');
  });
  for (const env of [{ NO_COLOR: '1' }, { TERM: 'dumb' }, { FORCE_COLOR: '0' }]) {
    withColourEnvironment(env, () => {
      assert.equal(write([hostile]), '12:00:01.234 io        [subvisor] [web:out] red\\x1b[2J\n', JSON.stringify(env));
    });
  }
});

test('FORCE_COLOR beats NO_COLOR, which beats the TTY check; empty NO_COLOR does not count', () => {
  const tty = new CaptureStream({ isTTY: true });
  const pipe = new CaptureStream();
  assert.equal(shouldColor(tty, {}), true);
  assert.equal(shouldColor(pipe, {}), false);
  assert.equal(shouldColor(tty, { NO_COLOR: '1' }), false);
  assert.equal(shouldColor(tty, { NO_COLOR: '' }), true);
  assert.equal(shouldColor(tty, { TERM: 'dumb' }), false);
  assert.equal(shouldColor(pipe, { FORCE_COLOR: '1' }), true);
  assert.equal(shouldColor(pipe, { FORCE_COLOR: '' }), true);
  assert.equal(shouldColor(tty, { FORCE_COLOR: '0' }), false);
  assert.equal(shouldColor(tty, { FORCE_COLOR: 'false' }), false);
  assert.equal(shouldColor(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }), true);
});
