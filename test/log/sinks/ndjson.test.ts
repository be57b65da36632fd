import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNdjsonSink } from '../../../src/log/sinks/ndjson.js';
import type { LogRecord } from '../../../src/log/record.js';
import { CaptureStream } from '../capture.js';

const TIME = Date.UTC(2024, 0, 2, 12, 0, 1, 234);

function write(records: Partial<LogRecord>[]): { text: string; parsed: Record<string, unknown>[] } {
  const stream = new CaptureStream();
  const sink = createNdjsonSink({ stream });
  for (const each of records) sink({ time: TIME, level: 21, levelName: 'io', logger: 'subvisor', message: 'hello', ...each });
  const text = stream.text;
  return { text, parsed: text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

test('each record is one JSON line with ISO time, level, levelName, logger, message and the fields merged', () => {
  const { text, parsed } = write([{ fields: { pid: 4242, tags: ['a'] } }, { level: 30, levelName: 'warning', message: 'second' }]);
  assert.equal(text.split('\n').length, 3); // two lines and the final newline
  assert.deepEqual(parsed, [
    { time: '2024-01-02T12:00:01.234Z', level: 21, levelName: 'io', logger: 'subvisor', message: 'hello', pid: 4242, tags: ['a'] },
    { time: '2024-01-02T12:00:01.234Z', level: 30, levelName: 'warning', logger: 'subvisor', message: 'second' },
  ]);
});

test('a field named like a core key cannot overwrite it', () => {
  const [line] = write([{ fields: { message: 'forged', level: 50 } }]).parsed;
  assert.ok(line);
  assert.equal(line.message, 'hello');
  assert.equal(line.level, 21);
  assert.equal(line['fields.message'], 'forged'); // control: the field is kept, renamed
  assert.equal(line['fields.level'], 50);
});

test('control characters never appear raw in a line, and the message parses back exactly', () => {
  const message = 'a\x1b[2Jb\u009b31mc\x7fd\re\x07';
  const { text, parsed } = write([{ message }]);
  const body = text.slice(0, -1);
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    assert.ok(code >= 0x20 && !(code >= 0x7f && code <= 0x9f), `U+${code.toString(16)} at ${i} of ${JSON.stringify(body)}`);
  }
  assert.equal(parsed[0]?.message, message);
  // Control: JSON.stringify alone would let the 8-bit CSI through.
  assert.ok(JSON.stringify(message).includes('\u009b'));
});

test('bigints, errors and cycles in fields still produce a parseable record; a cycle makes only its own field text', () => {
  const cycle: Record<string, unknown> = { name: 'loop' };
  cycle.self = cycle;
  const failure = new Error('boom', { cause: new Error('root') });
  const [withValues, withCycle] = write([{ fields: { bytes: 2n ** 70n, failure } }, { fields: { cycle, pid: 7, name: 'x', bytes: 2n, failure } }]).parsed;
  assert.ok(withValues && withCycle);
  assert.equal(withValues.bytes, '1180591620717411303424');
  const shown = withValues.failure as { name: string; message: string; stack: string; cause: { message: string } };
  assert.equal(shown.name, 'Error');
  assert.equal(shown.message, 'boom');
  assert.match(shown.stack, /boom/);
  assert.equal(shown.cause.message, 'root');
  assert.equal(withCycle.message, 'hello');
  assert.match(String(withCycle.cycle), /<ref \*1>.*\[Circular \*1\]/);
  // Only the field that cannot be serialised is text; the others are written as they always are.
  assert.equal(withCycle.pid, 7);
  assert.equal(withCycle.name, 'x');
  assert.equal(withCycle.bytes, '2');
  assert.equal((withCycle.failure as { message: string }).message, 'boom');
});
