import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_LOG_KEEP, DEFAULT_LOG_MAX_SIZE_BYTES, InvalidSizeError, parseDuration, parseSize, parseYamlConfig } from '../../../src/cli/config/index.js';
import { FILE, onlyProblem } from '../config/support.js';

const PROCESSES = 'processes:\n  web:\n    cmd: node server.js\n';

test('sizes: KB, MB and GB are powers of 1024, in any case, KiB and K too; a bare number is bytes', () => {
  assert.equal(parseSize('1KB'), 1024);
  assert.equal(parseSize('10MB'), 10 * 1024 * 1024);
  assert.equal(parseSize('2GB'), 2 * 1024 ** 3);
  assert.equal(parseSize('1.5kb'), 1536);
  assert.equal(parseSize('3 MiB'), 3 * 1024 ** 2);
  assert.equal(parseSize('64k'), 65_536);
  assert.equal(parseSize('512'), 512);
  assert.equal(parseSize('512B'), 512);
  assert.equal(parseSize(4096), 4096);
  for (const bad of ['', 'MB', '10 apples', '-1KB', '0', '0.1', '1TB', '1e3KB', '+1KB']) {
    assert.throws(() => parseSize(bad), InvalidSizeError, bad);
  }
  assert.throws(() => parseSize(0), /must be at least 1 byte/);
  // Past 2^53 bytes a size is no longer a whole number that can be counted to exactly.
  assert.throws(() => parseSize('9000000GB'), /too large; give at most a few GB/);
  assert.throws(() => parseSize(2 ** 60), /too large/);
  assert.equal(parseSize(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
});

test('sizes take what durations take, and are refused in the same words: an exponent bare, no exponent with a unit, no sign', () => {
  // Before: parseSize('1e3') and `maxSize: "1e3"` were "expected a number of bytes or a number with a unit", while
  // `maxSize: 1e3` (YAML's number) and `grace: "1e3"` were taken; `maxSize: +5` was 5 bytes while `grace: +5` is refused.
  assert.equal(parseSize('1e3'), 1000);
  assert.equal(parseSize(' 1.5E3 '), 1500);
  const maxSize = (written: string): number | undefined => parseYamlConfig(`logs: { maxSize: ${written} }\n${PROCESSES}`, FILE, { env: {} }).logs?.maxSizeBytes;
  assert.equal(maxSize('"1e3"'), 1000);
  assert.equal(maxSize('1e3'), 1000); // control: YAML's number, as before
  const reason = (parse: () => unknown): string => {
    try {
      parse();
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      return message.slice(message.indexOf(': ') + 2);
    }
    return 'accepted';
  };
  // An exponent with a unit: the plain digits to write, as a duration is told.
  assert.equal(reason(() => parseSize('1e3KB')), 'a number with an exponent takes no unit after it: write 1000KB');
  assert.equal(reason(() => parseDuration('1e3s')), 'a number with an exponent takes no unit after it: write 1000s');
  assert.equal(reason(() => parseSize('2.5e-1 MB')), 'a number with an exponent takes no unit after it: write 0.25MB');
  // A sign: a + is what is wrong, as with a duration; a - is too small, as the number -1 is.
  assert.equal(reason(() => parseSize('+10MB')), 'a size takes no sign: write 10MB');
  assert.equal(reason(() => parseDuration('+10s')), 'a duration takes no sign: write 10s');
  assert.match(onlyProblem(`logs: { maxSize: +5 }\n${PROCESSES}`, 1, 18), /logs\.maxSize: invalid size \+5: a size takes no sign: write 5$/);
  assert.match(onlyProblem(`logs: { maxSize: "-10MB" }\n${PROCESSES}`, 1, 18), /logs\.maxSize: invalid size '-10MB': must be at least 1 byte; e\.g\. 10MB$/);
  assert.match(onlyProblem(`logs: { maxSize: -10 }\n${PROCESSES}`, 1, 18), /logs\.maxSize: invalid size -10: must be at least 1 byte; e\.g\. 10MB$/); // control
  // Junk keeps the general answer.
  assert.match(reason(() => parseSize('+apples')), /^expected a number of bytes or a number with a unit/);
  assert.match(reason(() => parseSize('1e3TB')), /^expected a number of bytes or a number with a unit/);
});

test('sizes: a fraction of a byte is rounded down, so one under a whole byte is refused; G and GiB are GB', () => {
  assert.equal(parseSize('1.9'), 1);
  assert.equal(parseSize('1.0009KB'), 1024); // 1024.92 bytes
  assert.throws(() => parseSize('0.6'), /must be at least 1 byte/);
  assert.equal(parseSize(1.9), 1);
  for (const unit of ['G', 'g', 'GiB', 'gb']) assert.equal(parseSize(`1${unit}`), 1024 ** 3, unit);
  assert.equal(parseSize('1M'), 1024 ** 2); // control: one step down is MB
});

test('logs: a maxSize YAML reads as no finite number is refused as written, not as NaN nor as too small', () => {
  // Control: a number YAML reads as it is written is shown as it is.
  assert.match(onlyProblem(`logs: { maxSize: 0 }\n${PROCESSES}`, 1, 18), /logs\.maxSize: invalid size 0: must be at least 1 byte/);
  for (const written of ['.nan', '.inf', '-.inf']) {
    const message = onlyProblem(`logs: { maxSize: ${written} }\n${PROCESSES}`, 1, 18);
    assert.match(message, new RegExp(`logs\\.maxSize: expected a size like 512KB or 10MB, found number ${written.replace('.', '\\.')}$`), written);
    assert.doesNotMatch(message, /(?<!\.)NaN|Infinity/, written);
  }
  // Digits past what a double holds are a number too large, in YAML or in text with a unit.
  const digits = '9'.repeat(400);
  assert.match(onlyProblem(`logs: { maxSize: "${digits}MB" }\n${PROCESSES}`, 1, 18), /logs\.maxSize: invalid size '9+MB': too large; give at most a few GB$/);
  // A YAML number past a double (which YAML reads as Infinity) is too large too, shown as written:
  // bare, as the 0 above, not quoted as the text with a unit is.
  for (const written of [digits, '1e400', '1E400']) {
    assert.match(onlyProblem(`logs: { maxSize: ${written} }\n${PROCESSES}`, 1, 18), new RegExp(`logs\\.maxSize: invalid size ${written}: too large; give at most a few GB$`), written.slice(0, 10));
  }
  assert.match(onlyProblem(`logs: { maxSize: -1e400 }\n${PROCESSES}`, 1, 18), /logs\.maxSize: invalid size -1e400: must be at least 1 byte/);
  assert.throws(() => parseSize(Number.POSITIVE_INFINITY), /too large/);
});

test('parseSize shows a number as its source wrote it when told (digits read as Infinity), keeping the number as input', () => {
  // The config reader passes the digits as data; it does not rewrite the parser's message.
  assert.throws(
    () => parseSize(Number.POSITIVE_INFINITY, '1e400'),
    (error: unknown) => error instanceof InvalidSizeError && error.message === 'invalid size 1e400: too large; give at most a few GB' && error.input === Number.POSITIVE_INFINITY && error.written === '1e400',
  );
  assert.throws(() => parseSize(Number.NEGATIVE_INFINITY, '-1e400'), /^InvalidSizeError: invalid size -1e400: must be at least 1 byte/);
  // Control: untold, the number is shown as String() writes it.
  assert.throws(() => parseSize(Number.POSITIVE_INFINITY), /^InvalidSizeError: invalid size Infinity: too large/);
});

test('logs: only a config with the key has log files; {} and true take every default, false none', () => {
  assert.equal(parseYamlConfig(PROCESSES, FILE).logs, undefined);
  assert.equal(parseYamlConfig(`logs: false\n${PROCESSES}`, FILE).logs, undefined);
  for (const written of ['logs: {}', 'logs: true']) {
    const logs = parseYamlConfig(`${written}\n${PROCESSES}`, FILE).logs;
    assert.deepEqual(logs, { dir: resolve('conf/.subvisor/logs'), maxSizeBytes: DEFAULT_LOG_MAX_SIZE_BYTES, keep: DEFAULT_LOG_KEEP, source: { file: FILE, line: 1, column: 1 } }, written);
  }
  assert.equal(DEFAULT_LOG_MAX_SIZE_BYTES, 10 * 1024 * 1024);
  assert.equal(DEFAULT_LOG_KEEP, 3);
});

test('logs: dir is relative to the config file; maxSize and keep as given', () => {
  const logs = parseYamlConfig(`logs: { dir: var/log, maxSize: 1KB, keep: 0 }\n${PROCESSES}`, FILE).logs;
  assert.ok(logs !== undefined);
  assert.equal(logs.dir, resolve('conf/var/log'));
  assert.equal(logs.maxSizeBytes, 1024);
  assert.equal(logs.keep, 0);
  assert.equal(parseYamlConfig(`logs: { dir: /var/log/app, maxSize: 2048 }\n${PROCESSES}`, FILE).logs?.dir, '/var/log/app');
});

test('logs: bad values are config errors at their line and column', () => {
  assert.match(onlyProblem(`logs: { maxSize: 10 apples }\n${PROCESSES}`, 1, 18), /logs\.maxSize: invalid size '10 apples': expected a number of bytes or a number with a unit \(KB, MB or GB/);
  assert.match(onlyProblem(`logs: { maxSize: 0 }\n${PROCESSES}`, 1, 18), /logs\.maxSize: invalid size 0: must be at least 1 byte/);
  assert.match(onlyProblem(`logs:\n  maxSize: [1]\n${PROCESSES}`, 2, 12), /logs\.maxSize: expected a size like 512KB or 10MB, found a list/);
  assert.match(onlyProblem(`logs: { keep: -1 }\n${PROCESSES}`, 1, 15), /logs\.keep: expected a whole number of rotated files from 0 to 1000, found number -1/);
  assert.match(onlyProblem(`logs: { keep: 1.5 }\n${PROCESSES}`, 1, 15), /logs\.keep: expected a whole number/);
  assert.match(onlyProblem(`logs: { dir: "" }\n${PROCESSES}`, 1, 14), /logs\.dir: is empty/);
  assert.match(onlyProblem(`logs: { maxsize: 1KB }\n${PROCESSES}`, 1, 9), /logs\.maxsize: unknown key; did you mean 'maxSize'\? \(known keys here: dir, maxSize, keep\)/);
  assert.match(onlyProblem(`logs: .subvisor/logs\n${PROCESSES}`, 1, 7), /logs: expected a mapping, found a string; e\.g\. `logs: \{ dir: \.subvisor\/logs, maxSize: 10MB, keep: 3 \}`/);
  assert.match(onlyProblem(`logging: {}\n${PROCESSES}`, 1, 1), /logging: unknown key; did you mean 'logs'\?/);
  // YAML 1.1's booleans, which this config reads as strings, are said to be so.
  assert.match(onlyProblem(`logs: off\n${PROCESSES}`, 1, 7), /logs: expected a mapping, found a string; YAML reads off as a string here, not false: write `false`; e\.g\. /);
});
