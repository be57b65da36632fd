import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationOption } from '../../../src/cli/args.js';
import { InvalidDurationError, MAX_DURATION_MS, NO_RESTART, parseDuration, restartDelayMs } from '../../../src/cli/config/index.js';
import { firstProcess, onlyProblem, problemAt, web } from './support.js';

test('parseDuration reads ms, s, m and h, fractions and combinations into whole milliseconds', () => {
  const cases: [string | number, number][] = [
    ['250ms', 250],
    ['1.5s', 1500],
    ['.5s', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h0m5s10ms', 3_605_010],
    ['1.1s', 1100], // 1.1 * 1000 is 1100.0000000000002 in floating point: rounded
    ['0.4ms', 0],
    ['  30s  ', 30_000],
    ['0', 0],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, String(text));
});

test('parseDuration reads a bare number, string or JS number, as milliseconds', () => {
  assert.equal(parseDuration('500'), 500);
  assert.equal(parseDuration('2.5'), 3);
  assert.equal(parseDuration(500), 500);
  assert.equal(parseDuration(0), 0);
});

test('a duration with a + is told the sign is what is wrong, not the shape', () => {
  // Before: `--grace +5` was told "expected a number with a unit ... a bare number means milliseconds", which 5 is.
  for (const [text, bare] of [['+5', '5'], ['+5s', '5s'], [' +1m30s', '1m30s'], ['+1e3', '1e3']] as const) {
    assert.throws(() => parseDuration(text), (error: unknown) => error instanceof InvalidDurationError && error.message === `invalid duration '${text}': a duration takes no sign: write ${bare}`, text);
  }
  assert.throws(() => parseDuration('+soon'), /expected a number with a unit/, 'a + before what is no duration either is told the shape');
});

test('every duration key refuses a + as the flags do, in the same words: YAML reading +5 as the number 5 does not make it 5 ms', () => {
  // Before: `grace: +5` was 5 ms (YAML's number), while `--grace +5` was refused: "a duration takes no sign: write 5".
  const flag = (() => {
    try {
      durationOption('--grace', '+5');
    } catch (error) {
      return error instanceof Error ? error.message : '';
    }
    return 'accepted';
  })();
  assert.equal(flag, "--grace: invalid duration '+5': a duration takes no sign: write 5");
  const keys: [string, string][] = [
    ['    grace: +5\n', 'processes.web.grace'],
    ['    ready: up\n    readyTimeout: +5\n', 'processes.web.readyTimeout'],
    ['    restart: { policy: always, backoff: +5 }\n', 'processes.web.restart.backoff'],
    ['    restart: { policy: always, maxBackoff: +5 }\n', 'processes.web.restart.maxBackoff'],
    ['    restart: { policy: always, resetAfter: +5 }\n', 'processes.web.restart.resetAfter'],
    ['    ready: { tcp: "127.0.0.1:5432", interval: +5 }\n', 'processes.web.ready.interval'],
    ['    ready: { tcp: "127.0.0.1:5432", timeout: +5 }\n', 'processes.web.ready.timeout'],
    ['    ready: { tcp: "127.0.0.1:5432", startPeriod: +5 }\n', 'processes.web.ready.startPeriod'],
    ['    liveness: { tcp: "127.0.0.1:5432", interval: +5 }\n', 'processes.web.liveness.interval'],
    ['    watch: { paths: [src], debounce: +5 }\n', 'processes.web.watch.debounce'],
  ];
  for (const [extra, path] of keys) {
    assert.ok(problemAt(web(extra), '+5').endsWith(`${path}: invalid duration +5: a duration takes no sign: write 5`), extra);
  }
  // The same with a unit or an exponent, and quoted (text, as the flag's): the sign is what is wrong.
  assert.ok(problemAt(web('    grace: +1e3\n'), '+1e3').endsWith('processes.web.grace: invalid duration +1e3: a duration takes no sign: write 1e3'));
  assert.ok(problemAt(web('    grace: +5s\n'), '+5s').endsWith("processes.web.grace: invalid duration '+5s': a duration takes no sign: write 5s"));
  assert.ok(problemAt(web('    grace: "+5"\n'), '"+5"').endsWith("processes.web.grace: invalid duration '+5': a duration takes no sign: write 5"));
  // Controls: unsigned, and YAML's other spellings of a number, are taken as before.
  assert.equal(firstProcess(web('    grace: 5\n')).grace, 5);
  assert.equal(firstProcess(web('    grace: 0x10\n')).grace, 16);
});

test('parseDuration refuses junk with an InvalidDurationError that says what it accepts', () => {
  assert.equal(parseDuration('5s'), 5000); // control: the same shape with a known unit passes
  for (const junk of ['', 'soon', '5 s', '5S', '--5s', '5d', '5sec', 's', '1e', '5s ms', '1..5s', 'ms5', '5s5']) {
    assert.throws(
      () => parseDuration(junk),
      (error: unknown) => {
        assert.ok(error instanceof InvalidDurationError, junk);
        assert.ok(error instanceof RangeError);
        assert.equal(error.input, junk);
        assert.match(error.message, /^invalid duration '.*': expected a number with a unit \(ms, s, m or h\)/);
        return true;
      },
      junk,
    );
  }
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => parseDuration(bad), InvalidDurationError, String(bad));
});

test('parseDuration says a duration written with a minus sign is negative, not of the wrong shape', () => {
  // Before: "expected a number with a unit ...; a bare number means milliseconds" for `--grace=-1`, a bare number.
  for (const negative of ['-1', '-5s', '-1m30s', ' -.5s ']) {
    assert.throws(() => parseDuration(negative), (error: unknown) => error instanceof InvalidDurationError && error.message === `invalid duration '${negative}': expected a non-negative duration, like 0, 500ms or 2m`, negative);
  }
});

test('-0 is zero, as text as well as a number: a config and a flag take it as 0', () => {
  // Before: `grace: "-0"` and `--grace -0` were "expected a non-negative duration", while YAML's number -0 passed.
  for (const zero of ['-0', '-0s', ' -0.0 ', '-0m0s', '-.0ms', '-0e5']) assert.equal(Object.is(parseDuration(zero), 0), true, zero);
  assert.equal(Object.is(parseDuration(-0), 0), true); // never -0, which would be written back as -0 nowhere, but is not 0 to Object.is
  for (const written of ['"-0"', '-0', "'-0s'"]) assert.equal(firstProcess(`processes:\n  web: { cmd: x, grace: ${written} }\n`).grace, 0, written);
  // Controls: a negative duration that is not zero is refused still, a tiny one too.
  for (const negative of ['-0.4ms', '-0.1', '-0m1s']) assert.throws(() => parseDuration(negative), /expected a non-negative duration/, negative);
});

test('a bare number with an exponent is the same duration as text as YAML reads it as a number: 1e400 is too long in both, in the same words', () => {
  // Before: `--grace 1e400` was "expected a number with a unit ...", `grace: 1e400` "longer than the longest a timer can wait".
  assert.equal(parseDuration('1e3'), 1000);
  assert.equal(parseDuration('1.5E2'), 150);
  // With a unit, the plain digits to write: as a size is told (`1e3KB`).
  assert.throws(() => parseDuration('1e3s'), (error: unknown) => error instanceof InvalidDurationError && error.message === "invalid duration '1e3s': a number with an exponent takes no unit after it: write 1000s");
  assert.throws(() => parseDuration('1e400s'), /expected a number with a unit/, 'no plain digits to write: the general answer');
  assert.equal(firstProcess('processes:\n  web: { cmd: x, grace: 1e3 }\n').grace, 1000); // control: YAML's number
  const reason = (message: string): string => message.slice(message.indexOf(': ', message.indexOf('invalid duration')) + 2);
  const yaml = onlyProblem('processes:\n  web: { cmd: x, grace: 1e400 }\n', 2, 25);
  const flag = (() => {
    try {
      parseDuration('1e400');
    } catch (error) {
      return error instanceof InvalidDurationError ? error.message : '';
    }
    return 'accepted';
  })();
  assert.match(yaml, /longer than the longest a timer can wait/);
  assert.equal(reason(flag), reason(yaml));
});

test('parseDuration refuses durations longer than a timer can wait instead of firing at once', () => {
  assert.equal(parseDuration(MAX_DURATION_MS), MAX_DURATION_MS); // control: the limit itself passes
  assert.equal(parseDuration('596h'), 596 * 3_600_000);
  assert.throws(() => parseDuration('597h'), /longer than the longest a timer can wait, 2147483647 ms \(596h31m23\.647s/);
  assert.equal(parseDuration('596h31m23.647s'), MAX_DURATION_MS); // the maximum as the message writes it
  assert.throws(() => parseDuration('596h31m23.648s'), InvalidDurationError);
  assert.throws(() => parseDuration(MAX_DURATION_MS + 1), InvalidDurationError);
});

test('a config duration YAML reads as no finite number is refused as written, not as NaN or Infinity', () => {
  const grace = (written: string): string => onlyProblem(`processes:\n  web: { cmd: x, grace: ${written} }\n`, 2, 25);
  // Control: a negative number YAML reads as written is shown as written.
  assert.match(grace('-1'), /processes\.web\.grace: invalid duration -1: expected a non-negative duration, like 0, 500ms or 2m$/);
  for (const written of ['.nan', '.NaN', '.inf', '-.inf']) {
    const message = grace(written);
    assert.match(message, new RegExp(`processes\\.web\\.grace: expected a duration like 500ms, 30s or 2m, found number ${written.replace('.', '\\.')}$`), written);
    assert.doesNotMatch(message, /(?<!\.)NaN|Infinity/, written);
  }
  // A number past what a double holds (YAML reads it as Infinity) is too long, as the same digits
  // with a unit are, shown as written: 1e308 and 1e309 are the same kind of mistake. Bare, as
  // `-1` is (a number), not quoted as a string's text is ('9…9s').
  assert.match(grace('1e308'), /processes\.web\.grace: invalid duration 1e\+308: longer than the longest a timer can wait/); // control: within a double
  for (const written of ['1e400', '1E400', '9'.repeat(400)]) {
    assert.match(grace(written), new RegExp(`processes\\.web\\.grace: invalid duration ${written}: longer than the longest a timer can wait`), written.slice(0, 10));
  }
  assert.match(grace(`"${'9'.repeat(400)}s"`), /invalid duration '9+s': longer than the longest a timer can wait/);
  assert.match(grace('-1e400'), /processes\.web\.grace: invalid duration -1e400: expected a non-negative duration, like 0, 500ms or 2m$/);
  // An infinity is longer than any timer waits, not a negative number.
  assert.throws(() => parseDuration(Number.POSITIVE_INFINITY), /longer than the longest a timer can wait/);
});

test('parseDuration shows a number as its source wrote it when told (digits read as Infinity), keeping the number as input', () => {
  // The config reader passes the digits as data; it does not rewrite the parser's message.
  assert.throws(
    () => parseDuration(Number.POSITIVE_INFINITY, '1e400'),
    (error: unknown) => error instanceof InvalidDurationError && /^invalid duration 1e400: longer than the longest a timer can wait/.test(error.message) && error.input === Number.POSITIVE_INFINITY && error.written === '1e400',
  );
  assert.throws(() => parseDuration(Number.NEGATIVE_INFINITY, '-1e400'), /^InvalidDurationError: invalid duration -1e400: expected a non-negative duration, like 0, 500ms or 2m$/);
  // Control: untold, the number is shown as String() writes it.
  assert.throws(() => parseDuration(Number.POSITIVE_INFINITY), /^InvalidDurationError: invalid duration Infinity: longer/);
});

test('restart backoff doubles per restart up to maxBackoff, and never past what a timer can wait', () => {
  const restart = { ...NO_RESTART, policy: 'on-failure', max: 40, backoffMs: 1000, maxBackoffMs: 5000 } as const;
  assert.deepEqual([0, 1, 2, 3, 4].map((attempt) => restartDelayMs(restart, attempt)), [1000, 2000, 4000, 5000, 5000]);
  // A spec built in code may set a ceiling no config would pass: the timer's limit still holds.
  const unbounded = { ...restart, maxBackoffMs: Number.POSITIVE_INFINITY };
  // 1000 * 2^21 ms is within the limit; 2^22 is past it, where Node would fire the timer at once.
  assert.equal(restartDelayMs(unbounded, 21), 1000 * 2 ** 21);
  assert.equal(restartDelayMs(unbounded, 22), MAX_DURATION_MS);
  assert.equal(restartDelayMs(unbounded, 39), MAX_DURATION_MS);
  assert.equal(restartDelayMs({ ...restart, policy: 'always' }, 1), 2000);
  assert.equal(restartDelayMs(NO_RESTART, 3), 0);
  // Past 1023 restarts the factor is Infinity: `backoff: 0` stays 0 (0 * Infinity would be NaN), any other the ceiling.
  assert.equal(restartDelayMs({ ...restart, backoffMs: 0 }, 1024), 0);
  assert.equal(restartDelayMs(restart, 1024), 5000);
});
