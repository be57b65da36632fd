// subvisor up: colour, a stable one per process, and a child's control sequences shown as text.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from '../cli.js';
import { config } from './support.js';

describe('subvisor up', () => {
  test('colour: a stable colour per process when forced, none with NO_COLOR', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  first: { cmd: "echo one" }
  second: { cmd: "echo two" }
`);
    const coloured = await runCli(['up', '-f', file], { env: { FORCE_COLOR: '1' } });
    const ESC = '\x1b';
    assert.ok(coloured.stdout.includes(`${ESC}[36mfirst  |${ESC}[0m one`), coloured.stdout);
    assert.ok(coloured.stdout.includes(`${ESC}[33msecond |${ESC}[0m two`), coloured.stdout);
    const again = await runCli(['up', '-f', file], { env: { FORCE_COLOR: '1' } });
    assert.ok(again.stdout.includes(`${ESC}[36mfirst  |`), 'the same colour on the next run');
    const plain = await runCli(['up', '-f', file], { env: { FORCE_COLOR: undefined, NO_COLOR: '1' } });
    assert.ok(!plain.stdout.includes('\x1b'));
  });

  test('colour: a state line that repeats what a child said (a liveness probe\'s output) shows its control sequences as text, as the child\'s own lines do', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  web:
    cmd: "echo up; exec sleep 30"
    ready: up
    liveness: { exec: "printf 'probe \\\\033]0;PWNED\\\\007 \\\\033[2J\\\\n'; exit 1", interval: 100ms, failures: 1 }
    main: true
`);
    const run = await runCli(['up', '-f', file], { env: { FORCE_COLOR: '1' } });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /failed its liveness probe 1 time in a row \(last: probe \\x1b\]0;PWNED\\x07 \\x1b\[2J \(exit status 1\)\)/, run.stdout);
    // eslint-disable-next-line no-control-regex -- raw control characters are what must not be there
    assert.doesNotMatch(run.stdout, /\x1b\]|\x07|\x1b\[2J/, 'no raw OSC, BEL or screen clear');
  });

  test('colour: a process keeps its colour whichever processes are selected, and in whatever order they are named', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  alpha: { cmd: "echo a" }
  beta: { cmd: "echo b" }
  gamma: { cmd: "echo c" }
`);
    const ESC = '\x1b';
    const colourOf = (stdout: string, name: string): string | undefined => new RegExp(`${ESC}\\[(\\d+)m${name} *\\|`).exec(stdout)?.[1];
    const all = await runCli(['up', '-f', file], { env: { FORCE_COLOR: '1' } });
    assert.deepEqual(['alpha', 'beta', 'gamma'].map((name) => colourOf(all.stdout, name)), ['36', '33', '32'], all.stdout);
    const some = await runCli(['up', '-f', file, 'gamma', 'beta'], { env: { FORCE_COLOR: '1' } });
    assert.equal(some.code, 0, some.stderr);
    assert.deepEqual(['beta', 'gamma'].map((name) => colourOf(some.stdout, name)), ['33', '32'], some.stdout);
  });
});
