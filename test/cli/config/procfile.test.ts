import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { NO_RESTART, parseProcfile } from '../../../src/cli/config/index.js';
import { configError, lines } from './support.js';

test('a Procfile gives one shell-string process per line, skipping blank lines and comments', () => {
  const text = ['# the app', '', 'web: node server.js --port $PORT', '  # indented comment', 'worker:bundle exec sidekiq', '\t', 'clock: ./clock.sh # not a comment', ''].join('\n');
  const config = parseProcfile(text, 'app/Procfile');
  const cwd = resolve('app');
  const defaults = { cwd, dependsOn: [], restart: NO_RESTART, task: false, main: false } as const;
  assert.deepEqual(config, {
    file: 'app/Procfile',
    processes: [
      { name: 'web', cmd: 'node server.js --port $PORT', ...defaults, source: { file: 'app/Procfile', line: 3, column: 1 } },
      { name: 'worker', cmd: 'bundle exec sidekiq', ...defaults, source: { file: 'app/Procfile', line: 5, column: 1 } },
      { name: 'clock', cmd: './clock.sh # not a comment', ...defaults, source: { file: 'app/Procfile', line: 7, column: 1 } },
    ],
  });
});

test('Windows line ends and trailing spaces do not end up in commands', () => {
  const config = parseProcfile('web: node server.js  \r\nworker: node w.js\r\n', 'Procfile');
  assert.deepEqual(
    config.processes.map((spec) => spec.cmd),
    ['node server.js', 'node w.js'],
  );
});

test('a leading byte order mark (an editor on Windows) is no part of the first line: names and columns are as shown', () => {
  assert.deepEqual(
    parseProcfile('\uFEFFweb: node server.js\n', 'Procfile').processes.map((spec) => [spec.name, spec.source]),
    [['web', { file: 'Procfile', line: 1, column: 1 }]],
  );
  assert.deepEqual(lines(configError(() => parseProcfile('\uFEFFweb:\n', 'Procfile'))), ["Procfile:1:5: 'web' has no command; write it after the colon"]);
  // Control: the same line without the mark.
  assert.deepEqual(lines(configError(() => parseProcfile('web:\n', 'Procfile'))), ["Procfile:1:5: 'web' has no command; write it after the colon"]);
});

test('a bad line is reported with its line number and column', () => {
  assert.doesNotThrow(() => parseProcfile('web: node server.js\n', 'Procfile')); // control
  const error = configError(() => parseProcfile('web: node server.js\n\n  this is not a process\n', 'Procfile'));
  assert.equal(error.message, 'Procfile:3:3: expected `name: command` (a name of ASCII letters, digits, _ and -, a colon, then the command)');
  assert.deepEqual([error.line, error.column], [3, 3]);
});

test('a blank between the name and the colon is named as the problem, at the blank', () => {
  assert.doesNotThrow(() => parseProcfile('web: node server.js\n', 'Procfile')); // control
  const error = configError(() => parseProcfile('web : node server.js\n  worker\t:node w.js\n', 'Procfile'));
  assert.deepEqual(lines(error), [
    "Procfile:1:4: no blank may come between the name and the colon: write 'web:'",
    "Procfile:2:9: no blank may come between the name and the colon: write 'worker:'",
  ]);
  assert.deepEqual(
    error.problems.map((problem) => problem.process),
    ['web', 'worker'],
  );
});

test('every bad line is reported at once: bad names, missing commands, duplicates', () => {
  const text = ['web: node a.js', 'my web: x', '_hidden: x', 'worker:', 'web: node b.js', ''].join('\n');
  const error = configError(() => parseProcfile(text, 'Procfile'));
  assert.deepEqual(lines(error), [
    'Procfile:2:1: expected `name: command` (a name of ASCII letters, digits, _ and -, a colon, then the command)',
    "Procfile:3:1: invalid process name '_hidden': a Procfile's process name must start with a letter or digit and use only ASCII letters, digits, _ and -",
    "Procfile:4:8: 'worker' has no command; write it after the colon",
    "Procfile:5:1: process 'web' is already defined on line 1; names must be unique",
  ]);
  assert.deepEqual(
    error.problems.map((problem) => problem.process),
    [undefined, '_hidden', 'worker', 'web'],
  );
});

test("a name with a dot, and overmind's -f line, are each named as the problem, with what to write", () => {
  const error = configError(() => parseProcfile('web: node a.js\n  web.api: node api.js\n-f Procfile.workers\n', 'Procfile'));
  assert.deepEqual(lines(error), [
    "Procfile:2:3: invalid process name 'web.api': a Procfile's process name must start with a letter or digit and use only ASCII letters, digits, _ and - (foreman and overmind skip such a line, so it never ran there either); write 'web-api:'",
    "Procfile:3:1: `-f Procfile.workers` is overmind's, reading another Procfile's lines in; a Procfile here reads no other: copy its lines here",
  ]);
  assert.deepEqual(
    error.problems.map((problem) => problem.process),
    ['web.api', undefined],
  );
  // Controls: a dot in the command is the command's; a line with no colon stays the plain problem.
  assert.deepEqual(parseProcfile('web: node web.api.js -f x\n', 'Procfile').processes.map((spec) => spec.cmd), ['node web.api.js -f x']);
  assert.deepEqual(lines(configError(() => parseProcfile('web.api node api.js\n', 'Procfile'))), ['Procfile:1:1: expected `name: command` (a name of ASCII letters, digits, _ and -, a colon, then the command)']);
});

test('a name with a letter outside ASCII is told that only ASCII letters are taken (foreman skips such a line)', () => {
  assert.deepEqual(lines(configError(() => parseProcfile('wéb: node web.js\n', 'Procfile'))), ['Procfile:1:1: expected `name: command` (a name of ASCII letters, digits, _ and -, a colon, then the command)']);
});

test('a Procfile with no processes is refused', () => {
  const error = configError(() => parseProcfile('# nothing yet\n\n', 'Procfile'));
  assert.equal(error.message, 'Procfile: no processes; add lines like `web: node server.js`');
});

test('a command no spawn can carry (a NUL byte) is refused at its line and column', () => {
  assert.doesNotThrow(() => parseProcfile('web: node server.js\n', 'Procfile')); // control
  const error = configError(() => parseProcfile('web: node\0 server.js\n', 'Procfile'));
  assert.deepEqual(lines(error), ['Procfile:1:6: the command contains a NUL byte, which no command, argument, directory or environment value can hold; remove it']);
  assert.equal(error.process, 'web');
});
