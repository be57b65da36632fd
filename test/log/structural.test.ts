import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { getLogger } from '../../src/log/logger.js';
import { MissingLevelMethodError, resolveLevelMethod, type LevelMethodLogger } from '../../src/log/structural.js';
import { CaptureStream, captureRecords } from './capture.js';

function pinoWithIo(): { logger: pino.Logger<'io'>; records: () => { level: number; msg: string }[] } {
  const stream = new CaptureStream();
  const logger = pino({ customLevels: { io: 21 }, level: 'io' }, stream);
  const records = (): { level: number; msg: string }[] => stream.chunks.map((chunk) => JSON.parse(chunk) as { level: number; msg: string });
  return { logger, records };
}

test('a real pino logger with a custom io level works: the line becomes a pino record of level 21', () => {
  const { logger, records } = pinoWithIo();
  const typed: LevelMethodLogger = logger; // it type-checks as a structural logger too
  resolveLevelMethod(typed, 'io')('[web:out] listening on 8080');
  resolveLevelMethod(logger, 'info')('control'); // control: another level gives another number
  assert.deepEqual(records().map(({ level, msg }) => [level, msg]), [[21, '[web:out] listening on 8080'], [30, 'control']]);
});

test('the hint for io works as given: a pino logger at its default level with customLevels { io: 31 } keeps the relayed lines', () => {
  const stream = new CaptureStream();
  resolveLevelMethod(pino({ customLevels: { io: 31 } }, stream), 'io')('[web:out] listening on 8080');
  assert.deepEqual(stream.chunks.map((chunk) => (JSON.parse(chunk) as { msg: string }).msg), ['[web:out] listening on 8080']);
});

test('a missing level method is a TypeError naming the level and the methods there are', () => {
  const lines: string[] = [];
  const capture = { info: (line: string) => lines.push(line) };
  assert.throws(
    () => resolveLevelMethod(capture, 'io'),
    (error: unknown) => {
      assert.ok(error instanceof MissingLevelMethodError);
      assert.ok(error instanceof TypeError);
      assert.equal(error.level, 'io');
      assert.deepEqual(error.availableLevels, ['info']);
      assert.match(error.message, /no "io" method \(its level methods: info\)/);
      return true;
    },
  );
  resolveLevelMethod(capture, 'info')('control: an existing method resolves');
  assert.deepEqual(lines, ['control: an existing method resolves']);
});

test('the error says how to add the level to pino: io just above its info (31), another at a free number, none for a level pino has', () => {
  const messageFor = (level: string): string => new MissingLevelMethodError(level, ['info']).message;
  assert.ok(messageFor('io').endsWith('or pass a logger with a method named "io" (for pino: customLevels: { "io": 31 }, just above its info)'), messageFor('io'));
  assert.ok(messageFor('verbose').endsWith('(for pino: customLevels: { "verbose": N }, N a level number it does not use yet)'), messageFor('verbose'));
  assert.ok(messageFor('debug').endsWith('or pass a logger with a method named "debug"'), messageFor('debug'));
});

test('for a pino logger without the level, the error lists its levels, custom ones included', () => {
  const logger = pino({ customLevels: { relay: 25 } }, new CaptureStream());
  assert.throws(() => resolveLevelMethod(logger, 'io'), /its level methods: debug, info, error, trace, warn, fatal, relay\)/);
});

test('methods every object inherits do not count as level methods', () => {
  assert.throws(() => resolveLevelMethod({}, 'toString'), MissingLevelMethodError);
  assert.throws(() => resolveLevelMethod({}, 'constructor'), MissingLevelMethodError);
  assert.throws(() => resolveLevelMethod(() => undefined, 'call'), MissingLevelMethodError);
  // Control: a method of that name that the logger defines itself does count.
  const lines: string[] = [];
  resolveLevelMethod({ toString: (line: string) => lines.push(line) }, 'toString')('own');
  assert.deepEqual(lines, ['own']);
});

test('the method is called with the logger as this', () => {
  class Capture {
    readonly lines: string[] = [];
    io(line: string): void {
      this.lines.push(line);
    }
  }
  const capture = new Capture();
  const relay = resolveLevelMethod(capture, 'io');
  relay('one');
  assert.deepEqual(capture.lines, ['one']);
});

test('a subvisor Logger is a structural logger', () => {
  const records = captureRecords('info', () => {
    const structural: LevelMethodLogger = getLogger('relay');
    resolveLevelMethod(structural, 'io')('[db:err] ready');
    resolveLevelMethod(structural, 'runtime')('below the threshold'); // control: filtered as usual
  });
  assert.deepEqual(records.map((record) => [record.logger, record.levelName, record.message]), [['relay', 'io', '[db:err] ready']]);
});

test('a logger that is not an object is refused with a TypeError', () => {
  assert.throws(() => resolveLevelMethod(null as unknown as object, 'io'), /a logger must be an object with a method per level .*got null/);
});

test('a logger with no level method at all is told so, not sent to "one of those levels" of none', () => {
  assert.throws(
    () => resolveLevelMethod(process.stdout, 'io'),
    (error: unknown) => {
      assert.ok(error instanceof MissingLevelMethodError);
      assert.deepEqual(error.availableLevels, []);
      assert.match(error.message, /^the logger has no "io" method \(it has no level method at all, such as info or error: is it a logger\?\); pass a logger with a method named "io"/);
      assert.doesNotMatch(error.message, /one of those levels/);
      return true;
    },
  );
  // Control: with level methods to choose from, the error still offers them.
  assert.match(new MissingLevelMethodError('io', ['info']).message, /\(its level methods: info\); log at one of those levels instead, or pass a logger/);
});
