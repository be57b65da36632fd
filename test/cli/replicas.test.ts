import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, type CliRun } from './cli.js';
import { configDir, interrupt, rawConnection, socketOf, up, waitForState } from './control/support.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-replicas-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let configs = 0;

/** Writes `text` as `name` into a fresh directory; returns the file's path. */
function config(text: string, name = 'subvisor.yaml'): string {
  const dir = join(scratch, `c${configs++}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The texts of `name`'s output lines, in order. */
function linesOf(stdout: string, name: string): string[] {
  const prefix = new RegExp(`^${name.replaceAll('.', '\\.')} +\\| (.*)$`);
  return stdout.split('\n').flatMap((line) => prefix.exec(line)?.[1] ?? []);
}

// The env of the test runner must not leak into what the children print.
const ENV = { SUBVISOR_REPLICA: undefined, PORT: undefined };

const COPIES = 200;
const manyCopies = `processes:
  web:
    cmd: exec sleep 30
    replicas: ${COPIES}
`;

/** Asks the run in `dir` for `ps` over one connection, each time it answers, until `enough` holds for the count of copies started; returns the counts seen. */
async function startedCopiesUntil(dir: string, enough: (count: number) => boolean): Promise<number[]> {
  const connection = await rawConnection(socketOf(dir));
  try {
    const counts: number[] = [];
    for (let id = 1; counts.length === 0 || !enough(counts.at(-1) ?? 0); id++) {
      connection.send(`${JSON.stringify({ v: 2, id, command: 'ps' })}\n`);
      const reply = await connection.next();
      const rows = reply.processes as { pid: number | null }[];
      counts.push(rows.filter((row) => row.pid !== null).length);
    }
    return counts;
  } finally {
    connection.destroy();
  }
}

/** A config of `replicas` copies of `web` running `cmd`, ready at `up`, and a main `test` that depends on them. */
function mainAfterCopies(cmd: string, replicas: number): string {
  return `processes:
  web:
    cmd: ${JSON.stringify(cmd)}
    ready: "^up"
    replicas: ${replicas}
  test:
    cmd: echo go
    dependsOn: [web]
    main: true
`;
}

describe('replicas: N in subvisor.yaml', () => {
  test('runs web.1 ... web.N, each with SUBVISOR_REPLICA; a process without replicas has none', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  web:
    cmd: echo replica $SUBVISOR_REPLICA
    replicas: 3
  single:
    cmd: printenv SUBVISOR_REPLICA || echo unset
  one:
    cmd: printenv SUBVISOR_REPLICA || echo unset
    replicas: 1
`);
    const run = await runCli(['up', '-f', file], { env: ENV });
    assert.equal(run.code, 0, run.stderr);
    for (const index of [1, 2, 3]) assert.deepEqual(linesOf(run.stdout, `web.${index}`), [`replica ${index}`]);
    assert.deepEqual(linesOf(run.stdout, 'web'), [], 'no process is named plain web');
    assert.deepEqual(linesOf(run.stdout, 'single'), ['unset']);
    assert.deepEqual(linesOf(run.stdout, 'one'), ['unset'], 'replicas: 1 is one plain process');
    for (const name of ['web.1', 'web.2', 'web.3', 'single', 'one']) assert.match(run.stderr, new RegExp(`^${name.replace('.', '\\.')} +\\d+ +exited 0 `, 'm'), `${name} in the summary`);
  });

  test("a SUBVISOR_REPLICA in subvisor's own environment (itself run as a copy) reaches no process but as each copy's own", { timeout: 30_000 }, async () => {
    const file = config(`processes:
  web:
    cmd: echo replica $SUBVISOR_REPLICA
    replicas: 2
  single:
    cmd: printenv SUBVISOR_REPLICA || echo unset
`);
    const run = await runCli(['up', '-f', file], { env: { ...ENV, SUBVISOR_REPLICA: '7' } });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(linesOf(run.stdout, 'single'), ['unset']);
    for (const index of [1, 2]) assert.deepEqual(linesOf(run.stdout, `web.${index}`), [`replica ${index}`]);
  });

  test('what depends on a process with replicas waits until every copy is ready', { timeout: 30_000 }, async () => {
    // Copy N is ready after N * 300 ms: the last one decides.
    const file = config(mainAfterCopies('sleep 0.$((SUBVISOR_REPLICA * 3)); echo up $SUBVISOR_REPLICA; exec sleep 30', 3));
    const run = await runCli(['up', '-f', file], { env: ENV });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    const at = (pattern: RegExp): number => {
      const index = lines.findIndex((line) => pattern.test(line));
      assert.ok(index >= 0, `no line matches ${String(pattern)} in\n${run.stdout}`);
      return index;
    };
    const started = at(/^test +\* starting \(pid/);
    for (const index of [1, 2, 3]) assert.ok(at(new RegExp(`^web\\.${index} +\\* ready after`)) < started, `test starts after web.${index} is ready`);
    assert.ok(at(/^web\.1 +\* ready after/) < at(/^web\.3 +\* ready after/), 'the copies were ready at different times (control)');
    assert.match(run.stdout, /^test +\* waiting for web\.1 to be ready, web\.2 to be ready, web\.3 to be ready$/m);
  });

  test('what depends on many copies names the process and its count once, and the last few copies by name: a bounded number of short waiting lines', { timeout: 60_000 }, async () => {
    // 200 copies ready at five different times: before, the dependent said a line at each, every
    // line naming each copy still awaited (up to 200 names, some 3 KB a line).
    const file = config(mainAfterCopies('sleep 0.$((SUBVISOR_REPLICA % 5 * 2)); echo up; exec sleep 30', 200));
    const run = await runCli(['up', '-f', file], { env: ENV });
    assert.equal(run.code, 0, run.stderr);
    const waiting = run.stdout.split('\n').filter((line) => /^test +\* waiting for /.test(line));
    assert.match(waiting[0] ?? '', /^test +\* waiting for web \(200 copies\) to be ready$/);
    assert.ok(waiting.length <= 4, `said ${waiting.length} times:\n${waiting.join('\n').slice(0, 2000)}`);
    for (const line of waiting.slice(1)) assert.match(line, /^test +\* waiting for web\.\d+ to be ready(, web\.\d+ to be ready){0,2}$/);
    assert.match(run.stdout, /^test +\| go$/m);
  });

  test('the ps state of what depends on many copies names the process and its count', { timeout: 60_000 }, async () => {
    const dir = configDir(() => `processes:
  web:
    cmd: exec sleep 30
    ready: never
    replicas: 200
  test:
    cmd: exec sleep 30
    dependsOn: [web]
`);
    const run = await up(dir, [], undefined, { env: ENV });
    try {
      // Before: `not started: waiting for web.1, web.2, ..., web.200`.
      await waitForState(dir, 'test', 'not started: waiting for web (200 copies)');
    } finally {
      await interrupt(run);
    }
  });

  test('a run starting 200 copies answers ps between their starts, not only once the last has started', { timeout: 120_000 }, async () => {
    // Before, every copy spawned in one run of the event loop (15 s on a loaded machine), so the
    // request waited for the last, and `ps` said the run was suspended or stuck. An order, not a
    // time: some answer shows a copy started and another not yet.
    const dir = configDir(() => manyCopies);
    const run = await up(dir, [], undefined, { env: ENV });
    try {
      const counts = await startedCopiesUntil(dir, (count) => count === COPIES);
      assert.ok(counts.some((count) => count > 0 && count < COPIES), `started copies at each answer: ${counts.join(', ')}`);
    } finally {
      await interrupt(run);
    }
  });

  test('a Ctrl-C while 200 copies start stops the start: the copies not yet started never start', { timeout: 120_000 }, async () => {
    // Before, the Ctrl-C was handled only once every copy had spawned, and then each was stopped.
    const dir = configDir(() => manyCopies);
    const run = await up(dir, [], undefined, { env: ENV });
    let ended: CliRun | undefined;
    try {
      await startedCopiesUntil(dir, (count) => count > 0);
      ended = await interrupt(run);
    } finally {
      if (ended === undefined) await interrupt(run);
    }
    assert.equal(ended.code, 130, ended.stderr);
    assert.match(ended.stderr, /^web\.\d+ +- +not started /m);
  });

  test('up NAME selects every copy of it', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  web:
    cmd: echo web $SUBVISOR_REPLICA
    replicas: 2
  other:
    cmd: echo other
`);
    const run = await runCli(['up', '-f', file, 'web'], { env: ENV });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(linesOf(run.stdout, 'web.1'), ['web 1']);
    assert.deepEqual(linesOf(run.stdout, 'web.2'), ['web 2']);
    assert.deepEqual(linesOf(run.stdout, 'other'), []);
  });

  test('NAME=N on the command line takes the place of replicas; NAME=1 is one plain process; no PORT is given', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  web:
    cmd: echo web $SUBVISOR_REPLICA $(printenv PORT || echo noport)
    replicas: 2
  worker:
    cmd: echo worker $(printenv SUBVISOR_REPLICA || echo unset)
    replicas: 2
  other:
    cmd: echo other
`);
    const run = await runCli(['up', '-f', file, 'web=3', 'worker=1'], { env: ENV });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual([1, 2, 3].map((index) => linesOf(run.stdout, `web.${index}`)), [['web 1 noport'], ['web 2 noport'], ['web 3 noport']]);
    assert.deepEqual(linesOf(run.stdout, 'worker'), ['worker unset']);
    assert.deepEqual(linesOf(run.stdout, 'other'), [], 'only the named processes run');
  });

  test('bad replicas are config errors at their line and column, before anything starts', { timeout: 30_000 }, async () => {
    const cases: [string, RegExp][] = [
      ['replicas: 0', /:3:15: processes\.web\.replicas: must be a positive whole number of copies, found number 0; e\.g\. `replicas: 2` runs NAME\.1 and NAME\.2$/m],
      ['replicas: 1.5', /:3:15: processes\.web\.replicas: must be a positive whole number of copies, found number 1\.5/m],
      ['replicas: two', /:3:15: processes\.web\.replicas: must be a positive whole number of copies, found a string/m],
      // A count the machine could not hold ran it out of memory before anything started.
      ['replicas: 100000000', /:3:15: processes\.web\.replicas: at most 1000 copies of a process, not 100000000; each copy is a process of its own$/m],
      // Digits past a double (read as Infinity): past the cap as well, shown as written, not "found number".
      ['replicas: 1e400', /:3:15: processes\.web\.replicas: at most 1000 copies of a process, not 1e400; each copy is a process of its own$/m],
      ['replicas: 2\n    main: true', /:3:15: processes\.web\.replicas: a main process cannot have replicas: the run ends when the main process exits/m],
    ];
    for (const [line, expected] of cases) {
      const file = config(`processes:\n  web:\n    ${line}\n    cmd: touch started\n`);
      const run = await runCli(['up', '-f', file], { env: ENV });
      assert.equal(run.code, 2, line);
      assert.match(run.stderr, expected, line);
      assert.doesNotMatch(run.stdout, /started/, line);
    }
  });

  test('a process named like a copy of another is refused', { timeout: 30_000 }, async () => {
    const file = config('processes:\n  web:\n    cmd: echo a\n    replicas: 2\n  web.2:\n    cmd: echo b\n');
    const run = await runCli(['up', '-f', file], { env: ENV });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /:5:3: processes\.web\.2: the name 'web\.2' is taken by a copy of 'web' \(replicas: 2\); rename this process$/m);
  });

  test('a main process given copies on the command line is refused', { timeout: 30_000 }, async () => {
    const file = config('processes:\n  web:\n    cmd: echo a\n    main: true\n');
    const run = await runCli(['up', '-f', file, 'web=2'], { env: ENV });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /:2:3: web=2: a main process cannot have replicas/);
  });
});
