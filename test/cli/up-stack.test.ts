// `subvisor up` running a real stack (SPEC §9): conditions, tasks, restarts, probes, liveness,
// stopping in order, per-process stop signal and grace, --timestamps. The built CLI, YAML files,
// real processes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isRunning, killQuietly } from '../support/processes.js';
import { runCli, startCli } from './cli.js';
import { freePort } from '../support/network.js';
import { stamps } from '../support/stamps.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-up-stack-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let configs = 0;
const BOUNDED = { timeout: 60_000 };

/** Writes `text(dir)` as subvisor.yaml into a fresh directory; returns the file and the directory. */
function config(text: (dir: string) => string): { file: string; dir: string } {
  const dir = join(scratch, `c${configs++}`);
  mkdirSync(dir);
  const file = join(dir, 'subvisor.yaml');
  writeFileSync(file, text(dir));
  return { file, dir };
}

/** The index of the first stdout line that matches; fails the test when none does. */
function lineIndex(stdout: string, pattern: RegExp): number {
  const index = stdout.split('\n').findIndex((line) => pattern.test(line));
  assert.ok(index >= 0, `no line matches ${String(pattern)} in:\n${stdout}`);
  return index;
}


/** A process that writes `NAME-term` when SIGTERM comes and `NAME-exit` once it is done, `cleanup` seconds later. */
function trapping(name: string, file: string, cleanup = 0): string {
  return `"trap 'echo ${name}-term $(date +%s%N) >> ${file}; sleep ${cleanup}; echo ${name}-exit $(date +%s%N) >> ${file}; exit 0' TERM; echo ${name} up; while :; do sleep 0.05; done"`;
}

describe('conditions and tasks', () => {
  test('started, ready, succeeded and completed each let a dependent start at their moment; a task that succeeds does not end the run', BOUNDED, async () => {
    const { file } = config(
      () => `processes:
  migrate: { cmd: "sleep 0.2; echo migrated", task: true }
  seed: { cmd: "sleep 0.2; echo no seed data >&2; exit 5", task: true }
  db: { cmd: "echo booting; sleep 0.5; echo accepting connections; exec sleep 30", ready: "accepting connections" }
  watcher: { cmd: "echo watching; exec sleep 30", dependsOn: { db: started } }
  web:
    cmd: "echo web serving; sleep 0.3; echo web done"
    dependsOn: { db: ready, migrate: succeeded, seed: completed }
    main: true
`,
    );
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stderr);
    const at = (pattern: RegExp): number => lineIndex(run.stdout, pattern);
    assert.ok(at(/^watcher +\* starting \(pid/) < at(/^db +\* ready after/), 'started: before db is ready');
    const webStarted = at(/^web +\* starting \(pid/);
    assert.ok(at(/^db +\* ready after/) < webStarted, 'ready');
    assert.ok(at(/^migrate +\* exited with status 0/) < webStarted, 'succeeded');
    assert.ok(at(/^seed +\* exited with status 5/) < webStarted, 'completed, whatever the status');
    assert.match(run.stdout, /^seed +\* exited with status 5$/m);
    assert.match(run.stdout, /^seed +\* its failure ends nothing: what depends on seed waits only for it to complete; the run goes on$/m);
    assert.ok(at(/^web +\| web done/) > at(/^migrate +\* exited/), 'the run went on after the task succeeded');
    assert.match(run.stderr, /^migrate +\d+ +exited 0 /m);
    // In --json, the task's failure is one `failed` record; the note that it ends nothing is `tolerated`.
    const json = await runCli(['up', '--json', '-f', file]);
    assert.equal(json.code, 0, json.stderr);
    const seedEvents = json.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { name: string; event?: string })
      .filter((record) => record.name === 'seed' && (record.event === 'failed' || record.event === 'tolerated'))
      .map((record) => record.event);
    assert.deepEqual(seedEvents, ['failed', 'tolerated']);
  });

  test('a process whose condition is met by the exit that ends the run is not started, not started and killed', BOUNDED, async () => {
    // The build failing meets `cleanup`'s condition and ends the run in the same moment (web waits
    // for it to succeed, so its failure is the run's): cleanup must not be spawned only to be
    // stopped half done (it was, in 4 runs of 5). (On the main process, `completed` is refused.)
    const { file, dir } = config(
      (dir) => `processes:
  build: { cmd: "echo building; sleep 0.2; exit 3", task: true }
  web: { cmd: "exec sleep 30", dependsOn: { build: succeeded } }
  cleanup: { cmd: "echo cleaning > ${dir}/ran; sleep 2", dependsOn: { build: completed } }
  early: { cmd: "echo early > ${dir}/early; sleep 2", dependsOn: { quick: started } }
  quick: { cmd: "exit 0", task: true }
`,
    );
    for (let round = 0; round < 3; round++) {
      const run = await runCli(['up', '-f', file]);
      assert.equal(run.code, 3, run.stderr);
      assert.doesNotMatch(run.stdout, /^cleanup +\* starting/m, run.stdout);
      assert.equal(existsSync(join(dir, 'ran')), false, 'cleanup never ran');
      assert.match(run.stderr, /^cleanup +- +not started /m);
      assert.ok(existsSync(join(dir, 'early')), 'a condition met while the run goes on still starts the dependent');
    }
  });

  test('a task that fails ends the run with its status; its dependent is reported not started, with the stderr tail', BOUNDED, async () => {
    const { file, dir } = config(
      (dir) => `processes:
  db: { cmd: "echo db pid $$; exec sleep 30" }
  migrate:
    cmd: "echo 'applying 0042_users' >&2; echo 'ERROR: relation users already exists' >&2; exit 3"
    task: true
  web: { cmd: "touch ${dir}/web-ran", dependsOn: { migrate: succeeded, db: ready } }
`,
    );
    const run = await runCli(['up', '-f', file, '--grace', '2s']);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /^subvisor: migrate failed: exited with status 3$/m);
    assert.match(run.stderr, /\|_\.stderr of migrate \(last 2 lines\):\n {4}applying 0042_users\n {4}ERROR: relation users already exists\n/);
    assert.match(run.stderr, /^web +not started: migrate failed \(status 3\)$/m);
    assert.match(run.stderr, /^web +- +not started: migrate failed \(status 3\) +- +0$/m, 'the summary row');
    assert.match(run.stdout, /^web +\* not started: migrate failed \(status 3\)$/m, 'and a state line');
    assert.throws(() => readFileSync(join(dir, 'web-ran')), 'web never ran');
    const db = Number(/db +\| db pid (\d+)/.exec(run.stdout)?.[1]);
    assert.equal(isRunning(db), false);
  });

  test('each succeeded dependent of a failed task is reported as SPEC writes it, NAME  not started: TASK failed (status N), whatever the lengths of the names', BOUNDED, async () => {
    const { file } = config(
      () => `processes:
  migrate: { cmd: "exit 3", task: true }
  web: { cmd: "sleep 30", dependsOn: { migrate: succeeded } }
  background-worker: { cmd: "sleep 30", dependsOn: { migrate: succeeded } }
`,
    );
    const run = await runCli(['up', '-f', file, '--grace', '2s']);
    assert.equal(run.code, 3, run.stderr);
    // Two spaces, not padding to the longest name: the summary table below is the aligned view.
    assert.match(run.stderr, /^web {2}not started: migrate failed \(status 3\)$/m);
    assert.match(run.stderr, /^background-worker {2}not started: migrate failed \(status 3\)$/m);
  });
});

describe('restart policies', () => {
  test('on-failure: the delay doubles from backoff up to maxBackoff; each restart is a state line; the summary counts them', BOUNDED, async () => {
    const { file } = config(() => `processes:\n  flaky:\n    cmd: "exit 2"\n    restart: { policy: on-failure, max: 4, backoff: 20ms, maxBackoff: 50ms }\n`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 2);
    const delays = [...run.stdout.matchAll(/^flaky +\* restarting in (\d+) ms \(exited with status 2; restart \d of 4\)$/gm)].map((match) => Number(match[1]));
    assert.deepEqual(delays, [20, 40, 50, 50]);
    assert.match(run.stdout, /^flaky +\* exited with status 2; giving up: no restarts left \(4 of 4 used\)$/m);
    assert.match(run.stderr, /^flaky +\d+ +exited with status 2 +\S+ \S+ +4$/m);
  });

  test('--json: one exited or failed event per exit; the last one says the budget is spent', BOUNDED, async () => {
    const { file } = config(() => `processes:\n  flaky:\n    cmd: "exit 2"\n    restart: { policy: on-failure, max: 1, backoff: 10ms }\n`);
    const run = await runCli(['up', '--json', '-f', file]);
    assert.equal(run.code, 2, run.stderr);
    const records = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const exits = records.filter((record) => record.name === 'flaky' && (record.event === 'exited' || record.event === 'failed'));
    assert.deepEqual(
      exits.map(({ event, returncode, givingUp, max }) => ({ event, returncode, givingUp, max })),
      [
        { event: 'failed', returncode: 2, givingUp: undefined, max: undefined },
        { event: 'failed', returncode: 2, givingUp: true, max: 1 },
      ],
    );
  });

  test('always: exits 0 are restarted too; once the budget is spent its last exit (0) ends it well', BOUNDED, async () => {
    const { file } = config(() => `processes:\n  beat:\n    cmd: "echo beat"\n    restart: { policy: always, max: 2, backoff: 10ms }\n`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.match(/^beat +\| beat$/gm)?.length, 3);
    assert.match(run.stdout, /restarting in 10 ms \(exited with status 0; restart 1 of 2\)/);
    assert.match(run.stderr, /^beat +\d+ +exited 0 +\S+ \S+ +2$/m);
  });

  test('resetAfter: a process up longer than resetAfter before each crash keeps its restarts', BOUNDED, async () => {
    const { file } = config(
      (dir) => `processes:
  server:
    cmd: "n=$(ls ${dir}/runs 2>/dev/null | wc -l); mkdir -p ${dir}/runs; touch ${dir}/runs/$n; sleep 0.3; [ $n -ge 3 ] || exit 1"
    restart: { policy: on-failure, max: 1, backoff: 10ms, resetAfter: 150ms }
`,
    );
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.stdout.match(/restarting in 10 ms \(exited with status 1; restart 1 of 1\)/g)?.length, 3, 'the count starts again after each long run');
  });

  test('resetAfter counts healthy time: a process never ready, or failing its liveness from the start, runs out of restarts however long each try takes', BOUNDED, async () => {
    // Each try outlasts resetAfter; none is ever healthy, so none may start the count again.
    const neverReady = config(
      () => `processes:
  server:
    cmd: "exec sleep 30"
    ready: { exec: "exit 1", interval: 50ms }
    readyTimeout: 500ms
    restart: { policy: on-failure, max: 1, backoff: 10ms, resetAfter: 200ms }
`,
    );
    const neverAlive = config(
      () => `processes:
  server:
    cmd: "exec sleep 30"
    liveness: { exec: "exit 1", interval: 100ms, failures: 5 }
    restart: { policy: on-failure, max: 1, backoff: 10ms, resetAfter: 400ms }
`,
    );
    // Its liveness never passes, but the first try comes only after a start period longer than resetAfter.
    const neverAliveLate = config(
      () => `processes:
  server:
    cmd: "exec sleep 30"
    liveness: { exec: "exit 1", startPeriod: 500ms, interval: 100ms, failures: 2 }
    restart: { policy: on-failure, max: 1, backoff: 10ms, resetAfter: 400ms }
`,
    );
    for (const { file } of [neverReady, neverAlive, neverAliveLate]) {
      const cli = startCli(['up', '-f', file]);
      // A budget that never runs out would restart it for good: end that run, and fail below.
      const guard = setTimeout(() => cli.kill('SIGINT'), 15_000);
      const run = await cli.done.finally(() => clearTimeout(guard));
      assert.equal(run.stdout.match(/restart \d+ of 1\)$/gm)?.length, 1, run.stdout);
      assert.match(run.stdout, /giving up: no restarts left \(1 of 1 used\)$/m);
      assert.notEqual(run.code, 0);
      assert.notEqual(run.code, 130, 'it ended by itself, not by the guard');
    }
  });

  test('a liveness failure stops the process and restarts it; the restart line says liveness', BOUNDED, async () => {
    const { file } = config(
      (dir) => `processes:
  worker:
    cmd: "if [ -e ${dir}/first ]; then touch ${dir}/alive; sleep 0.5; echo healthy; else touch ${dir}/first; exec sleep 30; fi"
    liveness: { exec: "test -e ${dir}/alive || { echo no heartbeat; exit 1; }", interval: 50ms, failures: 2 }
    restart: { policy: on-failure, backoff: 20ms }
`,
    );
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^worker +\* failed its liveness probe 2 times in a row \(last: no heartbeat \(exit status 1\)\)$/m);
    assert.ok(lineIndex(run.stdout, /^worker +\* stopping \(failed its liveness probe 2 times in a row\): SIGTERM to its process group$/) < lineIndex(run.stdout, /^worker +\* failed its liveness/));
    const dead = config(() => `processes:\n  worker:\n    cmd: "exec sleep 30"\n    liveness: { exec: "exit 1", interval: 50ms, failures: 1 }\n`);
    const json = await runCli(['up', '-f', dead.file, '--json']);
    const stopping = json.stdout.split('\n').filter((line) => line.includes('"event":"stopping"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(stopping.map(({ reason, signal }) => ({ reason, signal })), [{ reason: 'liveness', signal: 'SIGTERM' }], json.stdout);
    assert.match(run.stdout, /^worker +\* restarting in 20 ms \(liveness: no heartbeat \(exit status 1\); restart 1 of 3\)$/m);
    assert.match(run.stdout, /^worker +\| healthy$/m);
    assert.match(run.stderr, /^worker +\d+ +exited 0 +\S+ \S+ +1$/m);
  });

  test("a probe's failure says how its last try exited (its status, or the signal that killed it): in the state line, the report and --json", BOUNDED, async () => {
    const { file } = config(() => `processes:\n  db:\n    cmd: "exec sleep 30"\n    liveness: { exec: "echo 'rejecting connections'; exit 3", interval: 50ms, failures: 1 }\n`);
    const human = await runCli(['up', '-f', file]);
    assert.equal(human.code, 1, human.stderr);
    // Before: `(last: rejecting connections)`, and the report's block the same: the status was lost.
    assert.match(human.stdout, /^db +\* failed its liveness probe 1 time in a row \(last: rejecting connections \(exit status 3\)\)$/m, human.stdout);
    assert.match(human.stderr, /\|_\.last output of its liveness probe \(last 2 lines\):\n {4}rejecting connections\n {4}\(exit status 3\)\n/, human.stderr);
    const json = await runCli(['up', '-f', file, '--json']);
    const records = json.stdout.split('\n').filter((line) => line.includes('"probeOutput"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      records.map(({ event, probeOutput, probeExit }) => ({ event, probeOutput, probeExit })),
      ['failed', 'failure'].map((event) => ({ event, probeOutput: 'rejecting connections', probeExit: { returncode: 3, signal: null } })),
      json.stdout,
    );
    // A silent ready probe killed by a signal: the signal is all there is to say, and it is said.
    // 4 s: a loaded machine must finish one try within the wait, or it ends 'still running'.
    const killed = config(() => `processes:\n  db:\n    cmd: "exec sleep 30"\n    ready: { exec: "kill -KILL $$", interval: 50ms }\n    readyTimeout: 4s\n`);
    const timedOut = await runCli(['up', '-f', killed.file, '--json']);
    assert.equal(timedOut.code, 124, timedOut.stderr);
    const failure = timedOut.stdout.split('\n').find((line) => line.includes('"event":"failure"')) ?? assert.fail(timedOut.stdout);
    assert.deepEqual((JSON.parse(failure) as Record<string, unknown>).probeExit, { returncode: -9, signal: 'SIGKILL' }, failure);
    const told = await runCli(['up', '-f', killed.file]);
    assert.match(told.stderr, /\|_\.last output of its ready probe \(last 1 line\):\n {4}died of SIGKILL\n/, told.stderr);
  });

  test("a liveness failure's last line, cut at 200 characters, never ends in half an emoji", BOUNDED, async () => {
    // 199 characters, then an emoji (two UTF-16 units) across the cut: the cut comes before it.
    const { file } = config(() => `processes:\n  worker:\n    cmd: "exec sleep 30"\n    liveness: { exec: "printf '%0199d\u{1f600}tail\\\\n' 0; exit 1", interval: 50ms, failures: 1 }\n`);
    const json = await runCli(['up', '-f', file, '--json']);
    const failed = json.stdout.split('\n').filter((line) => line.includes('"event":"failed"')).map((line) => JSON.parse(line) as { line: string });
    assert.deepEqual(failed.map(({ line }) => line), [`failed its liveness probe 1 time in a row (last: ${'0'.repeat(199)}... (exit status 1))`], json.stdout);
    const human = await runCli(['up', '-f', file]);
    assert.match(human.stdout, new RegExp(`^worker \\* failed its liveness probe 1 time in a row \\(last: 0{199}\\.\\.\\. \\(exit status 1\\)\\)$`, 'm'), human.stdout);
  });

  test("a liveness failure's last line, rewritten with \\r, says its last state: the error after the progress, not the progress cut at 200 characters", BOUNDED, async () => {
    const probe = `for i in $(seq 1 100); do printf 'check %3d%%\\r' $i; done; echo 'connection refused'; exit 1`;
    const { file } = config(() => `processes:\n  worker:\n    cmd: "exec sleep 30"\n    main: true\n    liveness: { exec: ${JSON.stringify(probe)}, interval: 50ms, failures: 1 }\n`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 1, run.stderr);
    const words = 'failed its liveness probe 1 time in a row (last: connection refused (exit status 1))';
    assert.ok(run.stdout.split('\n').includes(`worker * ${words}`), run.stdout.slice(-600));
    assert.ok(run.stderr.startsWith(`subvisor: worker failed: ${words}`), run.stderr.slice(0, 600));
  });
});

describe('probes at runtime', () => {
  test('a log ready pattern matches the line as shown: a child that colours its ready line is ready for a pattern written from what was seen', BOUNDED, async () => {
    const { file } = config(
      () => `processes:
  db: { cmd: "printf '\\\\033[32mstarted\\\\033[0m\\\\n'; exec sleep 30", ready: "^started$", readyTimeout: 5s }
  web: { cmd: "echo web up", dependsOn: [db], main: true }
`,
    );
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^db +\* ready after \d+ ms$/m);
    assert.match(run.stdout, /^web +\| web up$/m);
  });

  test('http: a dependent starts once a real HTTP server child answers 200', BOUNDED, async () => {
    const port = await freePort();
    const server = `setTimeout(() => require('http').createServer((q, r) => { r.statusCode = q.url === '/health' ? 200 : 404; r.end(); }).listen(process.env.PORT, '127.0.0.1'), 400)`;
    const client = `require('http').get('http://127.0.0.1:' + process.env.PORT + '/health', (r) => { console.log('got ' + r.statusCode); process.exit(r.statusCode === 200 ? 0 : 1); }).on('error', (e) => { console.log(e.message); process.exit(9); })`;
    const { file } = config(
      () => `processes:
  web:
    cmd: [node, -e, ${JSON.stringify(server)}]
    ready: { http: "http://127.0.0.1:\${PORT}/health", status: 200, interval: 50ms }
    readyTimeout: 10s
  client:
    cmd: [node, -e, ${JSON.stringify(client)}]
    dependsOn: [web]
    main: true
`,
    );
    const run = await runCli(['up', '-f', file], { env: { PORT: String(port) } });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^client +\| got 200$/m);
    assert.ok(lineIndex(run.stdout, /^web +\* ready after \d+ ms$/) < lineIndex(run.stdout, /^client +\* starting \(pid/));
  });

  test('exec: the probe runs in the process directory; the dependent waits for it', BOUNDED, async () => {
    const { file } = config(
      (dir) => `processes:
  db:
    cmd: "sleep 0.3; touch ready.flag; exec sleep 30"
    ready: { exec: "test -e ready.flag", interval: 50ms }
  web: { cmd: [test, -e, ${dir}/ready.flag], dependsOn: [db], main: true }
`,
    );
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok(lineIndex(run.stdout, /^db +\* ready after/) < lineIndex(run.stdout, /^web +\* starting \(pid/));
  });

  test("the report shows a child's control sequences as text, as its relayed lines do", BOUNDED, async () => {
    const { file } = config(() => `processes:\n  a:\n    cmd: [sh, -c, 'printf "bad\\033[2J\\033]0;pwned\\007 end\\n" >&2; exit 3']\n    main: true\n`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /\|_\.stderr of a \(last 1 line\):\n {4}bad\\x1b\[2J\\x1b\]0;pwned\\x07 end\n/);
    assert.ok(!run.stderr.includes('\x1b') && !run.stderr.includes('\x07'), JSON.stringify(run.stderr));
  });

  test("the report drops a line's one trailing \\r, as the relay does (a CRLF line is not shown ending in \\x0d)", BOUNDED, async () => {
    const { file } = config(() => `processes:\n  a:\n    cmd: [sh, -c, 'printf "fatal: config missing\\r\\nnext\\r\\n" >&2; exit 3']\n    main: true\n`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /\|_\.stderr of a \(last 2 lines\):\n {4}fatal: config missing\n {4}next\n/);
  });

  test("the report drops the \\r that ends a last line without a newline, as the relay does (a progress line's, at exit)", BOUNDED, async () => {
    const { file } = config(() => `processes:\n  a:\n    cmd: [sh, -c, 'printf "fetching 10%%\\rfetching 100%%\\r\\nfailed\\r" >&2; exit 3']\n    main: true\n`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stdout, /^a \| failed$/m, 'the relay drops it');
    // The report shows a rewritten line's last state, as a terminal left it (the relay keeps every state).
    assert.match(run.stderr, /\|_\.stderr of a \(last 2 lines\):\n {4}fetching 100%\n {4}failed\n/);
    const json = await runCli(['up', '--json', '-f', file]);
    const failure = json.stdout.split('\n').find((line) => line.includes('"event":"failure"'));
    assert.equal((JSON.parse(failure ?? '{}') as { stderrTail?: string }).stderrTail, 'fetching 10%\rfetching 100%\r\nfailed\r', '--json keeps the tail as written');
  });

  test("the report shows a line rewritten with \\r (ffmpeg's progress) as its last state, the error written over it, not every state before", BOUNDED, async () => {
    const progress = `for i in $(seq 1 3000); do printf 'frame=%5d fps=25 q=28.0 size=  1024kB\\r' $i >&2; done; echo 'Conversion failed!' >&2; exit 1`;
    const { file } = config(() => `processes:\n  a:\n    cmd: ${JSON.stringify(progress)}\n    main: true\n`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /\|_\.stderr of a \(last 1 line\):\n {4}Conversion failed!\n(?! )/);
    assert.ok(!run.stderr.includes('frame='), run.stderr.slice(0, 400));
  });

  test('the report cuts a very long stderr line to its end, saying how much was cut', BOUNDED, async () => {
    const { file } = config(() => `processes:\n  a:\n    cmd: "head -c 10000 /dev/zero | tr '\\\\0' x >&2; echo ' error: at the end' >&2; exit 3"\n    main: true\n`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 3, run.stderr);
    const shown = /\|_\.stderr of a \(last 1 line\):\n {4}(.*)\n/.exec(run.stderr)?.[1];
    assert.ok(shown !== undefined, run.stderr.slice(0, 400));
    assert.match(shown, /^\(\d+ characters cut\) …x+ error: at the end$/);
    const cut = Number(/^\((\d+)/.exec(shown)?.[1]);
    assert.equal(cut + shown.length - shown.indexOf('…') - 1, 10000 + ' error: at the end'.length, 'what is cut and what is shown add up to the line');
    assert.ok(shown.length < 1000, `${shown.length} characters shown`);
  });

  test('a readiness timeout fails with 124 and a report that shows what the probe said last', BOUNDED, async () => {
    const { file } = config(
      () => `processes:
  db:
    cmd: "echo 'could not bind: address in use' >&2; exec sleep 30"
    ready: { exec: "echo 'connection refused'; echo 'is the server running?' >&2; exit 2", interval: 50ms }
    readyTimeout: 500ms
`,
    );
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 124, run.stderr);
    assert.match(run.stderr, /^subvisor: db failed: was not ready within 500 ms \(its ready probe never passed\) \(exit status 124\)$/m);
    assert.ok(lineIndex(run.stdout, /^db +\* stopping \(not ready within 500 ms\): SIGTERM to its process group$/) < lineIndex(run.stdout, /^db +\* was not ready within 500 ms/));
    assert.match(run.stderr, /\|_\.stderr of db \(last 1 line\):\n {4}could not bind: address in use\n/);
    // The last line says how the last try ended: its exit status, or, for one the timeout cut short, that.
    assert.match(run.stderr, /\|_\.last output of its ready probe \(last 3 lines\):\n {4}connection refused\n {4}is the server running\?\n {4}\((exit status 2|still running when the wait ended)\)\n(?! )/);
  });

  test('a probe that ignores SIGTERM when its wait ends: its SIGKILL is said in the probe\'s report, not as a library warning', BOUNDED, async () => {
    const { file } = config(() => `processes:\n  db:\n    cmd: "exec sleep 30"\n    ready: { exec: "trap '' TERM; echo checking; sleep 30", timeout: 10s }\n    readyTimeout: 500ms\n`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 124, run.stderr);
    assert.doesNotMatch(run.stderr, /killGraceMs|\[subvisor\]/);
    assert.match(run.stderr, /\|_\.last output of its ready probe \(last 3 lines\):\n {4}checking\n {4}\(the probe was still running 500 ms after its stop signal: SIGKILL to its process group\)\n/);
  });
});

describe('stopping', () => {
  for (const how of ['main exits', 'SIGINT'] as const) {
    test(`in reverse dependency order when ${how}: db gets SIGTERM only after web has exited`, BOUNDED, async () => {
      const { file, dir } = config(
        (dir) => `processes:
  db: { cmd: ${trapping('db', `${dir}/stamps`)}, ready: "db up" }
  web: { cmd: ${trapping('web', `${dir}/stamps`, 0.3)}, ready: "web up", dependsOn: [db] }
  smoke: { cmd: "${how === 'main exits' ? 'sleep 0.2' : 'echo smoke done; exec sleep 30'}", dependsOn: [web], main: true }
`,
      );
      const cli = startCli(['up', '-f', file, '--grace', '5s']);
      if (how === 'SIGINT') {
        await cli.waitForOutput('smoke | smoke done');
        cli.kill('SIGINT');
      }
      const run = await cli.done;
      assert.equal(run.code, how === 'SIGINT' ? 130 : 0, run.stderr);
      const events = stamps(join(dir, 'stamps'));
      const webExit = events.get('web-exit') ?? 0n;
      const dbTerm = events.get('db-term') ?? 0n;
      assert.ok(webExit > 0n && dbTerm > 0n && webExit < dbTerm, `web-exit ${webExit}, db-term ${dbTerm}`);
      assert.ok(lineIndex(run.stdout, /^web +\* stopped$/) < lineIndex(run.stdout, /^db +\* stopping/));
      const why = how === 'SIGINT' ? 'SIGINT' : 'smoke exited';
      assert.match(run.stdout, new RegExp(`^web +\\* stopping \\(${why}\\): SIGTERM to its process group$`, 'm'), 'why the run stops, then what the process gets');
    });
  }

  test('a failure that ends the run is named in the others\' stopping lines', BOUNDED, async () => {
    const { file } = config(() => 'processes:\n  db: { cmd: "exec sleep 30" }\n  worker: { cmd: "sleep 0.3; exit 3" }\n');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stdout, /^db +\* stopping \(worker failed\): SIGTERM to its process group$/m);
  });

  test('a process that failed on its own while a leftover held its pipes is not called stopped when the run then stops it', BOUNDED, async () => {
    const { file } = config(() => 'processes:\n  b: { cmd: "echo b-broke >&2; (exec sleep 30) & exit 4" }\n  a: { cmd: "sleep 0.6; echo a-broke >&2; exit 3" }\n');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stdout, /^b +\* exited with status 4$/m);
    assert.doesNotMatch(run.stdout, /^b +\* stopped$/m);
    assert.match(run.stderr, /^b +\d+ +exited with status 4 /m, 'the summary row');
  });

  test('a process that exited 0 on its own while a leftover held its pipes is not called stopped when the run then stops it', BOUNDED, async () => {
    const { file } = config(() => 'processes:\n  b: { cmd: "echo b-done; (exec sleep 30) & exit 0" }\n  a: { cmd: "sleep 0.6; echo a-broke >&2; exit 3" }\n');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stdout, /^b +\* exited with status 0 after .+$/m);
    assert.doesNotMatch(run.stdout, /^b +\* stopped$/m);
    assert.match(run.stderr, /^b +\d+ +exited 0 /m, 'the summary row');
  });

  test('a task that exited leaving a process in its group: the stop of what it left says why', BOUNDED, async () => {
    const { file } = config(() => 'processes:\n  init: { cmd: "(exec sleep 30) & echo done", task: true }\n  web: { cmd: "echo web started", dependsOn: { init: succeeded } }\n');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(lineIndex(run.stdout, /^init \* stopping \(it exited, leaving processes in its group\): SIGTERM to its process group$/) < lineIndex(run.stdout, /^web +\* starting/), run.stdout);
  });

  test('a task that exited while what left its group holds its output: the stop says so, and what holds it is stopped', BOUNDED, async () => {
    // In a session of its own, as a PostgreSQL backend is: no member of the task's group is left.
    const { file } = config(() => 'processes:\n  init: { cmd: "setsid sh -c \'exec sleep 30\' & echo holder $!; sleep 0.2", task: true }\n  web: { cmd: "echo web started", dependsOn: { init: succeeded } }\n');
    const run = await runCli(['up', '-f', file]);
    const holder = Number(/^init +\| holder (\d+)$/m.exec(run.stdout)?.[1]);
    try {
      assert.equal(run.code, 0, run.stderr);
      assert.ok(holder > 0, run.stdout);
      // Before: "leaving processes in its group", of a group with nobody in it.
      assert.ok(lineIndex(run.stdout, /^init \* stopping \(it exited, leaving processes that hold its output\): SIGTERM to its process group$/) < lineIndex(run.stdout, /^web +\* starting/), run.stdout);
      assert.equal(isRunning(holder), false, 'what held the output was stopped');
    } finally {
      killQuietly(holder);
    }
  });

  test('a child whose spawn is announced after the stop began gets its stopping line too: no stopped without stopping', BOUNDED, async () => {
    // A crash loop spawns every few ms, so a Ctrl-C often lands while a spawn is under way (about
    // one run in two without the fix): ten runs.
    const { file } = config(() => `processes:\n  a:\n    cmd: "exit 1"\n    restart: { policy: always, backoff: 1ms, maxBackoff: 1ms, max: 100000 }\n  b:\n    cmd: "exec sleep 30"\n`);
    for (let run = 0; run < 10; run++) {
      const cli = startCli(['up', '-f', file]);
      await cli.waitForOutput(new RegExp(`restart ${3 + run} of`));
      cli.kill('SIGINT');
      const ended = await cli.done;
      assert.equal(ended.code, 130, ended.stderr);
      // Since a's last start: a stopped line (not one in a backoff) needs a stopping line before it.
      const lines = ended.stdout.split('\n').filter((line) => /^a +\* /.test(line));
      const lastStart = lines.findLastIndex((line) => /^a +\* starting/.test(line));
      const since = lines.slice(lastStart);
      if (since.some((line) => /^a +\* stopped$/.test(line))) assert.ok(since.some((line) => /^a +\* stopping \(SIGINT\): SIGTERM to its process group$/.test(line)), since.join('\n'));
    }
  });

  test('a child whose leader has exited while its group lives on gets its stopping line before the SIGKILL line, and its end is its own exit', BOUNDED, async () => {
    const { file } = config(() => `processes:\n  a: { cmd: "sh -c 'trap \\"\\" TERM; echo held; exec sleep 10' & exit 1", grace: 300ms }\n  b: { cmd: "exec sleep 30" }\n`);
    const cli = startCli(['up', '-f', file]);
    await cli.waitForOutput('a | held');
    await cli.waitForOutput(/b +\* starting/);
    cli.kill('SIGINT');
    const ended = await cli.done;
    assert.equal(ended.code, 130, ended.stderr);
    const at = (pattern: RegExp): number => lineIndex(ended.stdout, pattern);
    assert.ok(at(/^a +\* stopping \(SIGINT\): SIGTERM to its process group$/) < at(/^a +\* still running 300 ms after its stop signal: SIGKILL to its process group$/), ended.stdout);
    // The leader exited 1 before the stop began: that is its end, said once its group is gone, not `stopped`.
    assert.ok(at(/^a +\* still running/) < at(/^a +\* exited with status 1$/), ended.stdout);
    assert.doesNotMatch(ended.stdout, /^a +\* stopped$/m);
  });

  for (const [kind, stopping, failure, status] of [
    ['readiness timeout', 'not ready within 300 ms', 'was not ready within 300 ms (its ready probe never passed)', 124],
    ['liveness failure', 'failed its liveness probe 1 time in a row', 'failed its liveness probe 1 time in a row (last: exit status 1)', 1],
  ] as const) {
    test(`a Ctrl-C while a ${kind} stops the process joins that stop, and the failure stands: status ${status}, with its report`, BOUNDED, async () => {
      const probes = kind === 'readiness timeout' ? 'ready: { exec: "false", interval: 50ms }, readyTimeout: 300ms' : 'liveness: { exec: "false", interval: 100ms, failures: 1 }';
      const { file } = config(() => `processes:\n  web: { cmd: "trap '' TERM; while :; do sleep 0.1; done", ${probes}, grace: 1500ms }\n`);
      const cli = startCli(['up', '-f', file]);
      await cli.waitForOutput(new RegExp(`^web +\\* stopping \\(${stopping}\\)`, 'm'));
      cli.kill('SIGINT');
      const ended = await cli.done;
      assert.equal(ended.stdout.match(/^web +\* stopping/gm)?.length, 1, ended.stdout);
      // Before: 130, and no report, as if the Ctrl-C had come first.
      assert.equal(ended.code, status, ended.stderr);
      assert.ok(ended.stderr.includes(`subvisor: web failed: ${failure} (exit status ${status})`), ended.stderr);
    });
  }

  test('a failure its restart policy would retry is no failure of the run: a Ctrl-C during its stop ends the run with 130; a main that ends meanwhile, with 0', BOUNDED, async () => {
    const web = `web: { cmd: "trap '' TERM; while :; do sleep 0.1; done", ready: { exec: "false", interval: 50ms }, readyTimeout: 300ms, grace: 1500ms, restart: { policy: on-failure, max: 5 } }`;
    const interrupted = startCli(['up', '-f', config(() => `processes:\n  ${web}\n`).file]);
    await interrupted.waitForOutput(/^web +\* stopping \(not ready within 300 ms\)/m);
    interrupted.kill('SIGINT');
    const byCtrlC = await interrupted.done;
    assert.equal(byCtrlC.code, 130, byCtrlC.stderr);
    assert.doesNotMatch(byCtrlC.stderr, /web failed/);
    const withMain = await runCli(['up', '-f', config(() => `processes:\n  ${web}\n  job: { cmd: "sleep 0.8", main: true }\n`).file]);
    assert.equal(withMain.code, 0, withMain.stderr);
  });

  for (const probe of ['ready', 'liveness'] as const) {
    test(`its ${probe} probe is not tried again once its stop begins, through the stop's grace`, BOUNDED, async () => {
      // The exec probe counts its tries; the process ignores SIGTERM, so its stop takes the whole grace.
      const { file, dir } = config(
        (dir) => `processes:
  slow:
    cmd: "trap '' TERM; echo up; while :; do sleep 0.05; done"
    ${probe}: { exec: "echo try >> ${dir}/tries; ${probe === 'ready' ? 'exit 1' : 'exit 0'}", interval: 30ms }
    grace: 1500ms
`,
      );
      const tries = (): number => (existsSync(join(dir, 'tries')) ? readFileSync(join(dir, 'tries'), 'utf8').split('\n').length - 1 : 0);
      const cli = startCli(['up', '-f', file]);
      await cli.waitForOutput('slow | up');
      while (tries() < 3) await new Promise((resolve) => setTimeout(resolve, 20));
      cli.kill('SIGINT');
      await cli.waitForOutput(/slow +\* stopping \(SIGINT\)/);
      const atStop = tries();
      const run = await cli.done;
      assert.equal(run.code, 130, run.stderr);
      assert.match(run.stdout, /^slow +\* still running 1\.5 s after its stop signal: SIGKILL to its process group$/m);
      // A try under way when the stop began may still land; none starts after it.
      assert.ok(tries() - atStop <= 1, `${tries() - atStop} tries during the stop's 1.5 s grace`);
      assert.doesNotMatch(run.stdout, /liveness|not ready/);
    });
  }

  test("a process SIGKILLed after its grace reads so in the summary table; --json keeps its result 'stopped', beside killedAfterGraceMs", BOUNDED, async () => {
    // `polite` is the control: it goes at its stop signal, and its result stays `stopped`. `main`
    // waits for stubborn's trap (its ready line): a stop before it, on a loaded machine, would end
    // stubborn at its SIGTERM.
    const { file } = config(
      () => `processes:
  polite: { cmd: "exec sleep 30" }
  stubborn: { cmd: "trap '' TERM; echo trapped; while :; do sleep 0.05; done", grace: 300ms, ready: trapped }
  main: { cmd: "sleep 0.3", main: true, dependsOn: [stubborn] }
`,
    );
    const human = await runCli(['up', '-f', file]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stderr, /^polite +\d+ +stopped +\S+ \S+ +0$/m, human.stderr);
    assert.match(human.stderr, /^stubborn +\d+ +stopped \(SIGKILL after its 300 ms grace\) +\S+ \S+ +0$/m, human.stderr);
    const json = await runCli(['up', '-f', file, '--json']);
    const summary = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event?: string; processes?: { name: string; result: string; killedAfterGraceMs?: number }[] })
      .find(({ event }) => event === 'summary');
    const rows = new Map(summary?.processes?.map((row) => [row.name, row]));
    assert.equal(rows.get('stubborn')?.result, 'stopped', 'the record keeps the result as data; killedAfterGraceMs says the kill');
    assert.equal(rows.get('stubborn')?.killedAfterGraceMs, 300);
    assert.equal(rows.get('polite')?.result, 'stopped');
    assert.equal(rows.get('polite')?.killedAfterGraceMs, undefined);
  });

  test('each process its own stopSignal and grace', BOUNDED, async () => {
    const { file, dir } = config(
      (dir) => `processes:
  pg:
    cmd: "trap 'echo got INT > ${dir}/pg; exit 0' INT; trap 'echo got TERM > ${dir}/pg; exit 0' TERM; echo up; while :; do sleep 0.05; done"
    ready: up
    stopSignal: SIGINT
  stubborn:
    cmd: "trap '' TERM; echo pid $$; while :; do sleep 0.05; done"
    grace: 300ms
  main: { cmd: "sleep 0.3", dependsOn: [pg], main: true }
`,
    );
    const started = performance.now();
    const run = await runCli(['up', '-f', file, '--grace', '30s'], { env: { SUBVISOR_LOG_LEVEL: 'runtime' } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(readFileSync(join(dir, 'pg'), 'utf8'), 'got INT\n');
    // The library's own lifecycle records are still there when asked for; only the SIGKILL became the run's line.
    assert.match(run.stderr, / runtime +\[subvisor\] stubborn: spawned \(pid \d+\)/);
    assert.match(run.stdout, /^pg +\* stopping.*: SIGINT to its process group$/m, 'the line names the signal pg gets');
    assert.ok(performance.now() - started < 15_000, 'the stubborn process was killed after its own 300 ms, not the 30 s --grace');
    // The SIGKILL is a state line of the run's own, between stopping and stopped; not a library warning.
    const at = (pattern: RegExp): number => lineIndex(run.stdout, pattern);
    assert.ok(at(/^stubborn +\* stopping/) < at(/^stubborn +\* still running 300 ms after its stop signal: SIGKILL to its process group$/));
    assert.ok(at(/^stubborn +\* still running/) < at(/^stubborn +\* stopped$/));
    assert.doesNotMatch(run.stdout + run.stderr, /killGraceMs|warning/);
    const pid = Number(/stubborn +\| pid (\d+)/.exec(run.stdout)?.[1]);
    try {
      assert.equal(isRunning(pid), false);
    } finally {
      killQuietly(pid);
    }
  });
});

describe('environment', () => {
  test('.env, env files, the parent environment and env, lowest first; ${VAR} forms; other $ reach the shell', BOUNDED, async () => {
    const { file, dir } = config(
      () => `envFile: [shared.env]
processes:
  show:
    cmd: 'echo "A=$A B=$B C=$C D=$D E=$E F=$F" ; echo "greet=\${GREETING:-hi} literal=$\${NOT_EXPANDED} pid-is-number=$(test "$$" -gt 0 && echo yes)"'
    envFile: own.env
    env: { D: "\${FROM_PARENT} in env", E: "from env" }
`,
    );
    // Each variable is set at every level up to the one that must win.
    writeFileSync(join(dir, '.env'), 'A=dotenv\nB=dotenv\nC=dotenv\nD=dotenv\nE=dotenv\nF=dotenv\n');
    writeFileSync(join(dir, 'shared.env'), 'B=shared\nC=shared\nD=shared\nE=shared\nF=shared\n');
    writeFileSync(join(dir, 'own.env'), 'C=own\nD=own\nE=own\nF=own\n');
    const run = await runCli(['up', '-f', file], { env: { D: 'parent', E: 'parent', F: 'parent', FROM_PARENT: 'parent-value' } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^show \| A=dotenv B=shared C=own D=parent-value in env E=from env F=parent$/m);
    // `$${` reaches the shell as `${` (the shell then expands it, to nothing); `$$` stays the shell's.
    assert.match(run.stdout, /^show \* starting \(pid \d+\): .*literal=\$\{NOT_EXPANDED\} pid-is-number=\$\(test "\$\$"/m);
    assert.match(run.stdout, /^show \| greet=hi literal= pid-is-number=yes$/m);
  });

  test('any other ${...} reaches the shell whole: its own parameter expansions work', BOUNDED, async () => {
    const { file } = config(() => `processes:
  shell: { cmd: 'x=abc.txt; echo "\${#x} \${x%.txt} \${UNSET-default} \${x:+set} \${PORT:-none}"' }
`);
    const run = await runCli(['up', '-f', file], { env: { PORT: '8080' } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^shell \| 7 abc default set 8080$/m);
  });

  test('an unset ${VAR:?message} is a config error with its place, before anything starts, showing no value', BOUNDED, async () => {
    const marker = join(scratch, 'never-started');
    const { file } = config(() => `processes:
  first: { cmd: "touch ${marker}" }
  db: { cmd: "serve \${DATA_DIR:?set DATA_DIR to the data directory}" }
`);
    const run = await runCli(['up', '-f', file], { env: { SECRET_TOKEN: 'hunter2' } });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /subvisor\.yaml:3:\d+.*set DATA_DIR to the data directory/);
    assert.doesNotMatch(run.stderr + run.stdout, /hunter2/);
    assert.equal(existsSync(marker), false, 'nothing started');
  });
});

describe('--timestamps', () => {
  test('up and run start each line (the children\'s and the state lines) with the time', BOUNDED, async () => {
    const { file } = config(() => 'processes:\n  one: { cmd: "echo hello" }\n');
    const up = await runCli(['up', '-f', file, '--timestamps']);
    const run = await runCli(['run', '--timestamps', '--label', 'two', '--', 'echo', 'hi']);
    const time = String.raw`\d\d:\d\d:\d\d\.\d\d\d`;
    for (const [out, name, line] of [[up.stdout, 'one', 'hello'], [run.stdout, 'two', 'hi']] as const) {
      assert.match(out, new RegExp(`^${time} ${name} \\| ${line}$`, 'm'));
      assert.match(out, new RegExp(`^${time} ${name} \\* starting \\(pid`, 'm'));
      assert.ok(out.trim().split('\n').every((one) => new RegExp(`^${time} `).test(one)), out);
    }
    const plain = await runCli(['up', '-f', file]);
    assert.match(plain.stdout, /^one \| hello$/m, 'control: without the flag, no time');
  });
});

