import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../support/network.js';
import { isRunning, killQuietly, waitUntil } from '../support/processes.js';
import { runCli, startCli } from './cli.js';
import { displayWidth } from '../../src/cli/text-width.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-up-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let configs = 0;

/** Writes a config file into its own fresh directory and returns its path. */
function config(text: string, name = 'subvisor.yaml'): string {
  const dir = join(scratch, `c${configs++}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function linesOf(stdout: string, name: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith(`${name} `));
}

describe('subvisor up', () => {
  test('the demo: dependencies start only once what they depend on is ready; main ends the run cleanly', { timeout: 60_000 }, async () => {
    const run = await runCli(['up', '-f', resolve('examples/demo/subvisor.yaml')]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    const at = (pattern: RegExp): number => {
      const index = lines.findIndex((line) => pattern.test(line));
      assert.ok(index >= 0, `no line matches ${String(pattern)}`);
      return index;
    };
    assert.ok(at(/^db +\* ready after/) < at(/^web +\* starting \(pid/), 'web starts after db is ready');
    assert.ok(at(/^web +\* ready after/) < at(/^smoke +\* starting \(pid/), 'smoke starts after web is ready');
    assert.ok(at(/^smoke +\* exited with status 0/) < at(/^db +\| db: SIGTERM received/), 'db is stopped after the main process exits');
    assert.match(run.stdout, /^web +\| web: SIGTERM received/m);
    assert.match(run.stderr, /^name +pid +result +duration +restarts$/m);
    assert.match(run.stderr, /^smoke +\d+ +exited 0 /m);
    assert.match(run.stderr, /^db +\d+ +stopped /m);
  });

  test("--json: a main process that could never start ends the run with a failure record that says so: reason not-started and its code", { timeout: 30_000 }, async () => {
    const file = config('processes:\n  seed: { cmd: echo seeded, task: true, ready: never }\n  web: { cmd: echo web, main: true, dependsOn: { seed: ready } }\n');
    const run = await runCli(['up', '--json', '-f', file]);
    assert.equal(run.code, 1, run.stderr);
    const failure = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).find((record) => record.event === 'failure');
    // Before, `reason` was the catch-all `error`, though the record's own line says what it was.
    assert.deepEqual({ name: failure?.name, reason: failure?.reason, code: failure?.code, line: failure?.line }, { name: 'web', reason: 'not-started', code: 'ERR_SUBVISOR_MAIN_NOT_STARTED', line: 'not started: seed exited before it was ready' });
  });

  test('--json: the starting line names a variable a command reads, ${API_TOKEN}, rather than show its value, which may be .env\'s secret; the process gets the value', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  sh: { cmd: 'test "\${API_TOKEN}" = "$EXPECTED"', env: { EXPECTED: s3cr3t-from-dotenv }, task: true }
  argv: { cmd: [sh, -c, 'test "$1" = "$EXPECTED"', sh, "\${API_TOKEN}"], env: { EXPECTED: s3cr3t-from-dotenv }, task: true, dependsOn: { sh: succeeded }, main: true }
`);
    writeFileSync(join(file, '..', '.env'), 'API_TOKEN=s3cr3t-from-dotenv\n');
    const run = await runCli(['up', '--json', '-f', file]);
    assert.equal(run.code, 0, run.stderr);
    const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      records.filter((record) => record.event === 'starting').map((record) => [record.name, String(record.line).replace(/pid \d+/, 'pid N')]),
      [
        ['sh', 'starting (pid N): test "${API_TOKEN}" = "$EXPECTED"'],
        ['argv', `starting (pid N): sh -c 'test "$1" = "$EXPECTED"' sh '\${API_TOKEN}'`],
      ],
    );
    assert.doesNotMatch(run.stdout, /s3cr3t/);
  });

  test("a command that cannot start is named as the config writes it, ${API_TOKEN}, in its failure line, the report, the summary, --json and the library's runtime records: never with .env's secret", { timeout: 30_000 }, async () => {
    const file = config(`processes:
  api: { cmd: [./no-such-tool, --token, "\${API_TOKEN}"] }
  whole: { cmd: ["no-such-tool --token \${API_TOKEN}"], main: true }
`);
    writeFileSync(join(file, '..', '.env'), 'API_TOKEN=s3cr3t-from-dotenv\n');
    const env = { SUBVISOR_LOG_LEVEL: 'runtime' };
    // One after the other: a second run beside the first would be refused (one control socket per directory).
    const human = await runCli(['up', '-f', file], { env });
    const json = await runCli(['up', '--json', '-f', file], { env });
    assert.equal(human.code, 127, human.stdout + human.stderr);
    assert.match(human.stdout + human.stderr, /cannot start \.\/no-such-tool --token '\$\{API_TOKEN\}': /);
    // Before, every one of these lines read `cannot start ./no-such-tool --token s3cr3t-from-dotenv: ...`.
    assert.doesNotMatch(human.stdout + human.stderr, /s3cr3t/);
    assert.equal(json.code, 127, json.stdout + json.stderr);
    assert.match(json.stdout, /"line":"cannot start \.\/no-such-tool --token '\$\{API_TOKEN\}': /);
    assert.doesNotMatch(json.stdout + json.stderr, /s3cr3t/);
  });

  test("a readiness timeout names a log pattern made by a variable as the config writes it, /${API_TOKEN}/, in the failure line, the report, the summary, --json and the library's runtime records: never with .env's secret", { timeout: 30_000 }, async () => {
    const env = { SUBVISOR_LOG_LEVEL: 'runtime' };
    // One process a run: the first timeout ends the run, and another would be stopped before its own.
    const short = config(`processes:
  web: { cmd: "exec sleep 30", ready: "^\${API_TOKEN}$", readyTimeout: 300ms }
`);
    const long = config(`processes:
  web: { cmd: "exec sleep 30", ready: { log: "token \${API_TOKEN} ok" }, readyTimeout: 300ms }
`);
    for (const file of [short, long]) writeFileSync(join(file, '..', '.env'), 'API_TOKEN=s3cr3t-from-dotenv\n');
    const human = await runCli(['up', '-f', short], { env });
    const json = await runCli(['up', '--json', '-f', short], { env });
    const mapping = await runCli(['up', '-f', long], { env });
    assert.equal(human.code, 124, human.stdout + human.stderr);
    // Before, these read `(no output line matched /^s3cr3t-from-dotenv$/)`.
    assert.match(human.stderr, /^subvisor: web failed: was not ready within 300 ms \(no output line matched \/\^\$\{API_TOKEN\}\$\/\)/m);
    assert.doesNotMatch(human.stdout + human.stderr, /s3cr3t/);
    assert.equal(json.code, 124, json.stdout + json.stderr);
    assert.match(json.stdout, /no output line matched \/\^\$\{API_TOKEN\}\$\//);
    assert.doesNotMatch(json.stdout + json.stderr, /s3cr3t/);
    assert.equal(mapping.code, 124, mapping.stdout + mapping.stderr);
    assert.match(mapping.stderr, /^subvisor: web failed: was not ready within 300 ms \(no output line matched \/token \$\{API_TOKEN\} ok\/\)/m);
    assert.doesNotMatch(mapping.stdout + mapping.stderr, /s3cr3t/);
  });

  test("a program made by a variable that cannot start is not named by value; a reason that names no such value (an argument too big) is kept, as it says what to fix", { timeout: 30_000 }, async () => {
    const big = 'x'.repeat(200 * 1024);
    const file = config(`processes:
  missing: { cmd: ["\${TOOL_DIR}/no-such-tool"] }
  big: { cmd: ["\${BIN_DIR}/echo", "${big}"] }
`);
    writeFileSync(join(file, '..', '.env'), 'TOOL_DIR=/opt/s3cr3t-dir\nBIN_DIR=/bin\n');
    const run = await runCli(['up', '-f', file]);
    const said = run.stdout + run.stderr;
    assert.equal(run.code, 127, said.replaceAll(big, 'x...'));
    assert.match(said, /missing +\* cannot start '\$\{TOOL_DIR\}\/no-such-tool': its program, \$\{TOOL_DIR\}\/no-such-tool, could not be run \(ENOENT\)/);
    assert.doesNotMatch(said, /s3cr3t/);
    // Before, this read `its program, ${BIN_DIR}/echo, could not be run (E2BIG); ... check that value`.
    assert.match(said, /big +\* cannot start '\$\{BIN_DIR\}\/echo' x+… \(\d+ more characters\): argv\[1\] is 200 KiB, more than the 128 KiB Linux takes in one argument \(E2BIG\)/);
  });

  test("an exec probe that cannot start is named as the config writes it, ${API_TOKEN}, in the probe's last output of the report and --json: never with .env's secret", { timeout: 30_000 }, async () => {
    const file = config(`processes:
  api: { cmd: [sleep, '10'], ready: { exec: [./no-such-probe, "\${API_TOKEN}"], interval: 50ms }, readyTimeout: 500ms, main: true }
`);
    writeFileSync(join(file, '..', '.env'), 'API_TOKEN=s3cr3t-from-dotenv\n');
    const env = { SUBVISOR_LOG_LEVEL: 'runtime' };
    const human = await runCli(['up', '-f', file], { env });
    assert.equal(human.code, 124, human.stdout + human.stderr);
    assert.match(human.stderr, /cannot start \.\/no-such-probe '\$\{API_TOKEN\}': no such file/);
    assert.doesNotMatch(human.stdout + human.stderr, /s3cr3t/);
    const json = await runCli(['up', '--json', '-f', file], { env });
    assert.match(json.stdout, /"probeOutput":"cannot start \.\/no-such-probe '\$\{API_TOKEN\}': no such file/);
    assert.doesNotMatch(json.stdout + json.stderr, /s3cr3t/);
  });

  test("a process's spawned record at SUBVISOR_LOG_LEVEL=runtime names its command as its starting line does, ${API_TOKEN}, not with .env's secret", { timeout: 30_000 }, async () => {
    const file = config(`processes:
  api: { cmd: [sh, -c, 'test -n "$1"', sh, "\${API_TOKEN}"], main: true }
`);
    writeFileSync(join(file, '..', '.env'), 'API_TOKEN=s3cr3t-from-dotenv\n');
    const run = await runCli(['up', '-f', file], { env: { SUBVISOR_LOG_LEVEL: 'runtime' } });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    // Control: the record is there, so its absence of the value means something.
    assert.match(run.stderr, /api: spawned \(pid \d+\): sh -c .* sh '\$\{API_TOKEN\}'/);
    assert.doesNotMatch(run.stdout + run.stderr, /s3cr3t/);
  });

  test("a cwd that cannot be used is named as the config writes it, /nonexistent/${API_TOKEN}, in its failure line, the report, the summary and --json: never with .env's secret", { timeout: 30_000 }, async () => {
    const file = config(`processes:
  api: { cmd: echo hi, cwd: "/nonexistent-subvisor/\${API_TOKEN}", main: true }
`);
    writeFileSync(join(file, '..', '.env'), 'API_TOKEN=s3cr3t-from-dotenv\n');
    const env = { SUBVISOR_LOG_LEVEL: 'runtime' };
    const human = await runCli(['up', '-f', file], { env });
    assert.equal(human.code, 1, human.stdout + human.stderr);
    // Before, these lines read `the cwd /nonexistent-subvisor/s3cr3t-from-dotenv does not exist`.
    assert.match(human.stdout + human.stderr, /cannot start echo hi: the cwd \/nonexistent-subvisor\/\$\{API_TOKEN\} does not exist/);
    assert.doesNotMatch(human.stdout + human.stderr, /s3cr3t/);
    const json = await runCli(['up', '--json', '-f', file], { env });
    assert.match(json.stdout, /"line":"cannot start echo hi: the cwd \/nonexistent-subvisor\/\$\{API_TOKEN\} does not exist"/);
    assert.doesNotMatch(json.stdout + json.stderr, /s3cr3t/);
  });

  test("a program missing from a cwd a variable made is said to be missing, even when the variable's value (api) is also a piece of the program's name: the config's own words show no value", { timeout: 30_000 }, async () => {
    const file = config(`processes:
  api: { cmd: [./run-api.sh], cwd: "\${SERVICE}", main: true }
`);
    writeFileSync(join(file, '..', '.env'), 'SERVICE=api\n');
    mkdirSync(join(file, '..', 'api'));
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 127, run.stdout + run.stderr);
    // Before, the reason was hidden as if it showed the value, and blamed the cwd: `it could not be run in its cwd, .../${SERVICE} (ENOENT); the details would show ...`.
    assert.match(run.stdout + run.stderr, /cannot start \.\/run-api\.sh: no such file: \.\/run-api\.sh$/m);
    assert.doesNotMatch(run.stdout + run.stderr, /details would show/);
  });

  test("an exec probe whose cwd (the process's, made by a variable) is gone is named as the config writes it, ${API_TOKEN}, in the probe's last output: never with .env's secret", { timeout: 30_000 }, async () => {
    // The process starts in its cwd, then removes it: the probe's try, in the same cwd, cannot start.
    const file = config(`processes:
  api: { cmd: [sh, -c, 'rmdir "$PWD" && exec sleep 10'], cwd: "\${API_TOKEN}", ready: { exec: [true], interval: 50ms, startPeriod: 200ms }, readyTimeout: 1s, main: true }
`);
    writeFileSync(join(file, '..', '.env'), 'API_TOKEN=s3cr3t-from-dotenv\n');
    mkdirSync(join(file, '..', 's3cr3t-from-dotenv'));
    const json = await runCli(['up', '--json', '-f', file]);
    assert.equal(json.code, 124, json.stdout + json.stderr);
    assert.match(json.stdout, /"probeOutput":"cannot start true: the cwd [^"]*\/\$\{API_TOKEN\} does not exist/);
    assert.doesNotMatch(json.stdout + json.stderr, /s3cr3t/);
  });

  test("a tcp probe's output names its address as the config writes it, ${API_HOST}:${API_PORT}, in the report and --json: never with the values", { timeout: 30_000 }, async () => {
    const port = await freePort();
    // 3 s, not 500 ms: on a loaded machine the wait ended before one try had been answered ("no answer when the wait ended").
    const file = config(`processes:
  api: { cmd: [sleep, '10'], ready: { tcp: "\${API_HOST}:\${API_PORT}", interval: 50ms }, readyTimeout: 3s, main: true }
`);
    writeFileSync(join(file, '..', '.env'), `API_HOST=127.0.0.1\nAPI_PORT=${port}\n`);
    const json = await runCli(['up', '--json', '-f', file]);
    assert.equal(json.code, 124, json.stdout + json.stderr);
    // Before, it read `connect ECONNREFUSED 127.0.0.1:PORT`.
    assert.match(json.stdout, /"probeOutput":"connect ECONNREFUSED \$\{API_HOST\}:\$\{API_PORT\}"/);
    assert.doesNotMatch(json.stdout, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });

  test("a log pattern made by a variable that no line matched is named as the config writes it, /token ${API_TOKEN} ok/, in the state line, the report, the summary and --json: never with .env's secret", { timeout: 30_000 }, async () => {
    const file = config(`processes:
  api: { cmd: "echo hello; exec sleep 10", ready: "token \${API_TOKEN} ok", readyTimeout: 300ms, main: true }
`);
    writeFileSync(join(file, '..', '.env'), 'API_TOKEN=s3cr3t-from-dotenv\n');
    const human = await runCli(['up', '-f', file]);
    assert.equal(human.code, 124, human.stdout + human.stderr);
    assert.match(human.stdout, /^api \* was not ready within 300 ms \(no output line matched \/token \$\{API_TOKEN\} ok\/\)$/m);
    assert.doesNotMatch(human.stdout + human.stderr, /s3cr3t/);
    const json = await runCli(['up', '--json', '-f', file]);
    assert.match(json.stdout, /no output line matched \/token \$\{API_TOKEN\} ok\//);
    assert.doesNotMatch(json.stdout + json.stderr, /s3cr3t/);
  });

  test('a process whose cwd does not exist fails the run with 1, not 127 (the command was there; its directory was not)', { timeout: 30_000 }, async () => {
    const file = config('processes:\n  a:\n    cmd: echo hi\n    cwd: ./nodir\n');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout + run.stderr, /cannot start echo hi: the cwd \S*nodir does not exist/);
    // Control: a program that is missing is still 127.
    const missing = await runCli(['up', '-f', config('processes:\n  a:\n    cmd: [no-such-program-here]\n')]);
    assert.equal(missing.code, 127, missing.stdout + missing.stderr);
  });

  test('a long result (a failure naming a long command) is cut in the closing table, and said in full in its own line', { timeout: 30_000 }, async () => {
    const file = config(`processes:\n  big:\n    cmd: "echo ${'x'.repeat(140_000)}"\n  small:\n    cmd: "sleep 0.2"\n`);
    const run = await runCli(['up', '-f', file]);
    // 126: found and not runnable, as timeout(1) and bash say for an exec refused with E2BIG.
    assert.equal(run.code, 126, run.stderr.slice(0, 2000));
    assert.match(run.stderr, /^subvisor: big failed: cannot start echo x+… \(\d+ more characters\): argv\[2\] .* \(E2BIG\)/m);
    const table = run.stderr.slice(run.stderr.search(/^name +pid +result/m)).split('\n').filter((line) => line !== '');
    assert.deepEqual(table.map((line) => line.split(/ +/)[0]), ['name', 'big', 'small']);
    for (const line of table) assert.ok(line.length < 160, `a row of ${line.length} characters: ${line.slice(0, 200)}`);
    assert.match(table[1] ?? '', /^big +- +cannot start echo x+… \(\d+ more characters\) +- +0$/);
  });

  test('the closing table lines its columns up by what a terminal draws: a CJK result takes two columns a character', { timeout: 30_000 }, async () => {
    const file = config('processes:\n  wide:\n    cmd: [./日本語のコマンド]\n  narrow:\n    cmd: "sleep 0.2"\n');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 127, run.stderr);
    const table = run.stderr.slice(run.stderr.search(/^name +pid +result/m)).trimEnd().split('\n');
    assert.equal(table.length, 3, run.stderr);
    // The duration column starts in the same terminal column on every row.
    const durationColumn = (line: string): number => displayWidth(line.slice(0, line.search(/(?<= {2})(duration|-|\d+ ms) +\S+$/)));
    assert.deepEqual(table.map(durationColumn), Array(3).fill(durationColumn(table[0] ?? '')), table.join('\n'));
  });

  test('fail fast: an unexpected failure stops everything; the run exits with its status and shows its stderr tail', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  steady:
    cmd: "echo pid $$; exec sleep 30"
  broken:
    cmd: "sleep 0.3; echo 'disk quota exceeded' >&2; exit 3"
`);
    const run = await runCli(['up', '-f', file, '--grace', '1s']);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /subvisor: broken failed: exited with status 3/);
    assert.match(run.stderr, /\|_\.stderr of broken .*:\n {4}disk quota exceeded/);
    const pid = Number(/steady +\| pid (\d+)/.exec(run.stdout)?.[1]);
    assert.ok(pid > 0);
    assert.equal(isRunning(pid), false, 'the healthy process was stopped');
    assert.match(run.stderr, /^steady +\d+ +stopped/m);
  });

  test('without a main process the run ends when every process has exited', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  a: { cmd: "sleep 0.2; echo a done" }
  b: { cmd: "echo b done" }
`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^a +\| a done$/m);
    assert.match(run.stdout, /^b +\| b done$/m);
  });

  test('a main process that exits 0 before it is ready fails the run with 1, where run --ready exits 0', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  a: { cmd: "exit 0", ready: "never printed", main: true }
`);
    const up = await runCli(['up', '-f', file]);
    assert.equal(up.code, 1, up.stderr);
    assert.match(up.stdout, /^a \* exited with status 0 before it was ready$/m);
    // Control: run, a stack of one main process whose readiness is optional, reports the exit as it is.
    const run = await runCli(['run', '--ready', 'never printed', '--', 'sh', '-c', 'exit 0']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /exited with status 0 after .*, before it was ready$/m);
  });

  test('restart on-failure retries with backoff up to its bound, then fails', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  flaky:
    cmd: "echo attempt; exit 2"
    restart: { policy: on-failure, max: 2, backoff: 50ms }
`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 2);
    assert.equal(linesOf(run.stdout, 'flaky').filter((line) => line.endsWith('| attempt')).length, 3, 'the first run and two restarts');
    const restarts = linesOf(run.stdout, 'flaky').filter((line) => line.includes('restarting in'));
    // The delay doubles from the backoff: 50 ms, then 100 ms.
    assert.deepEqual(restarts.map((line) => /restarting in (\d+) ms/.exec(line)?.[1]), ['50', '100']);
    assert.match(run.stderr, /^flaky +\d+ +exited with status 2 +\S+ \S+ +2$/m);
  });

  test('restart recovers a process that fails once', { timeout: 30_000 }, async () => {
    const marker = join(scratch, 'flaky-once');
    const file = config(`processes:
  once:
    cmd: "if [ -e ${marker} ]; then echo recovered; else touch ${marker}; exit 1; fi"
    restart: { policy: on-failure, max: 3, backoff: 20ms }
`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /once +\| recovered/);
  });

  test('NAMEs select processes and what they depend on, nothing else', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  db: { cmd: "echo db ran" }
  web: { cmd: "echo web ran", dependsOn: [db] }
  worker: { cmd: "echo worker ran" }
`);
    const run = await runCli(['up', '-f', file, 'web']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /db ran/);
    assert.match(run.stdout, /web ran/);
    assert.doesNotMatch(run.stdout, /worker/);
  });

  test('a Procfile works: name: command per line', { timeout: 30_000 }, async () => {
    const file = config('# a foreman Procfile\nweb: echo web from procfile\n\nworker: echo worker from procfile\n', 'Procfile');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^web +\| web from procfile$/m);
    assert.match(run.stdout, /^worker +\| worker from procfile$/m);
  });

  test('a Procfile in the current directory is found without -f', { timeout: 30_000 }, async () => {
    const file = config('only: echo found it\n', 'Procfile');
    const run = await runCli(['up'], { cwd: resolve(file, '..') });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /found it/);
  });

  test("the summary: its duration is the one the exit line gives (same clock, same spawn), and pid and durationMs are null for a process that never spawned", { timeout: 30_000 }, async () => {
    const file = config(`processes:
  quick: { cmd: "true" }
  short: { cmd: "sleep 0.1" }
  failing: { cmd: "sleep 0.7; exit 3" }
  later: { cmd: "true", dependsOn: { failing: succeeded } }
`);
    const run = await runCli(['up', '-f', file, '--json']);
    assert.equal(run.code, 3, run.stderr);
    const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { name: string; event?: string; line: string; processes?: { name: string; durationMs: number | null }[] });
    const summary = records.find((record) => record.event === 'summary')?.processes ?? [];
    // Every row has every field, null where the process never spawned.
    assert.deepEqual(summary.find((row) => row.name === 'later'), { name: 'later', pid: null, result: 'not started: failing failed (status 3)', durationMs: null, restarts: 0, notStartedBecause: 'failing failed (status 3)' });
    for (const name of ['quick', 'short']) {
      const exitLine = records.find((record) => record.name === name && record.event === 'exited')?.line;
      const ms = summary.find((row) => row.name === name)?.durationMs ?? NaN;
      // As the line words it: ms below a second, else seconds (a loaded machine may take that long).
      assert.equal(exitLine, `exited with status 0 after ${ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`}`, JSON.stringify(summary));
    }
    // A failure's line gives no duration; its failure report does (the CalledProcessError's, the same clock's).
    const failed = summary.find((row) => row.name === 'failing')?.durationMs ?? 0;
    assert.ok(failed >= 700 && failed < 3000, `failing: ${failed} ms`);
    // The exit records carry it as a number too, the same as the summary's; and signal, both of them.
    const event = (name: string, kind: string): Record<string, unknown> | undefined => records.find((record) => record.name === name && record.event === kind);
    assert.deepEqual(pick(event('quick', 'exited'), ['returncode', 'signal', 'durationMs']), { returncode: 0, signal: null, durationMs: summary.find((row) => row.name === 'quick')?.durationMs });
    assert.deepEqual(pick(event('failing', 'failed'), ['returncode', 'signal', 'durationMs']), { returncode: 3, signal: null, durationMs: failed });
    // A process a failure kept from starting says why in a field, as the summary's row does.
    assert.equal(event('later', 'not-started')?.because, 'failing failed (status 3)');
  });

  test('--json: every line and state change as an object with name, stream and line', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  one: { cmd: "echo hello; echo oops >&2" }
`);
    const run = await runCli(['up', '-f', file, '--json']);
    assert.equal(run.code, 0);
    const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(records.some((record) => record.name === 'one' && record.stream === 'stdout' && record.line === 'hello'));
    assert.ok(records.some((record) => record.name === 'one' && record.stream === 'stderr' && record.line === 'oops'));
    assert.ok(records.some((record) => record.event === 'summary' && record.name === 'subvisor' && record.stream === 'report'));
    for (const record of records) assert.ok(typeof record.name === 'string' && typeof record.stream === 'string' && typeof record.line === 'string', JSON.stringify(record));
    assert.equal(run.stderr, '', 'in JSON mode everything goes to stdout');
  });

  describe('bad config is reported before anything starts', () => {
    const cases: [string, string, RegExp][] = [
      ['a YAML syntax error, with file, line and column', 'processes:\n  ok: { cmd: "touch MARKER" }\n  web:\n    cmd: [unclosed\n    ready: x\n', /subvisor\.yaml:\d+:\d+/],
      ['an unknown dependency, named', 'processes:\n  web:\n    cmd: "touch MARKER"\n    dependsOn: [dbb]\n', /subvisor\.yaml:4:\d+.*dbb/],
      ['a dependency cycle, named', 'processes:\n  a: { cmd: "touch MARKER", dependsOn: [b] }\n  b: { cmd: "true", dependsOn: [a] }\n', /a -> b -> a|b -> a -> b/],
      ['a missing cmd', 'processes:\n  web:\n    ready: x\n  other: { cmd: "touch MARKER" }\n', /subvisor\.yaml:2:\d+.*web.*cmd/],
      ['an unknown key, with a suggestion', 'processes:\n  web:\n    cmd: "touch MARKER"\n    depends_on: [x]\n', /subvisor\.yaml:4:\d+.*dependsOn/],
    ];
    for (const [what, text, expected] of cases) {
      test(what, { timeout: 30_000 }, async () => {
        const marker = join(scratch, `marker-${configs}`);
        const file = config(text.replace('MARKER', marker));
        const run = await runCli(['up', '-f', file]);
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, expected);
        assert.equal(existsSync(marker), false, 'nothing may start');
        assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      });
    }

    test('--json: a bad config is one failure record on stdout (reason config, its code, each problem located), with status 2 and nothing on stderr', { timeout: 30_000 }, async () => {
      const marker = join(scratch, `marker-${configs}`);
      const file = config(`processes:\n  web:\n    cmd: "touch ${marker}"\n    dependsOn: [dbb]\n  api:\n    dependsOn: [web]\n`);
      const run = await runCli(['up', '--json', '-f', file]);
      assert.equal(run.code, 2, run.stdout);
      assert.equal(run.stderr, '', 'in JSON mode everything goes to stdout');
      assert.equal(existsSync(marker), false, 'nothing may start');
      const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(records.length, 1, run.stdout);
      const [record] = records as [Record<string, unknown>];
      assert.deepEqual({ name: record.name, stream: record.stream, event: record.event, reason: record.reason, code: record.code, exitCode: record.exitCode }, { name: 'subvisor', stream: 'report', event: 'failure', reason: 'config', code: 'ERR_SUBVISOR_CONFIG', exitCode: 2 });
      assert.match(String(record.line), /subvisor\.yaml:4:\d+: processes\.web\.dependsOn\[0\]: unknown process 'dbb'/);
      const problems = record.problems as Record<string, unknown>[];
      assert.deepEqual(problems.map(({ line, path, process }) => ({ line, path, process })), [
        { line: 4, path: 'processes.web.dependsOn[0]', process: 'web' },
        { line: 5, path: 'processes.api', process: 'api' },
      ]);
      // The control: without --json, the same refusal is words on stderr, and stdout stays empty.
      const plain = await runCli(['up', '-f', file]);
      assert.equal(plain.code, 2);
      assert.equal(plain.stdout, '');
      assert.match(plain.stderr, /^subvisor: \S*subvisor\.yaml:4:\d+: processes\.web\.dependsOn\[0\]: unknown process 'dbb'/);
    });
  });

  test('--json: no config file here, or an option up cannot read, is one failure record on stdout too (reason usage), status 2, nothing on stderr', { timeout: 30_000 }, async () => {
    const procfile = join(scratch, 'usage-Procfile');
    writeFileSync(procfile, 'web: true\n');
    for (const args of [['up', '--json'], ['up', '--json', '-f', procfile, '--grace', 'soon']]) {
      const run = await runCli(args, { cwd: scratch });
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(run.stderr, '', `${args.join(' ')}: in JSON mode everything goes to stdout`);
      const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(records.length, 1, run.stdout);
      const [record] = records as [Record<string, unknown>];
      assert.deepEqual({ event: record.event, reason: record.reason, code: record.code, exitCode: record.exitCode }, { event: 'failure', reason: 'usage', code: 'ERR_SUBVISOR_USAGE', exitCode: 2 });
    }
    const [noFile, badGrace] = await Promise.all([runCli(['up', '--json'], { cwd: scratch }), runCli(['up', '--json', '-f', procfile, '--grace', 'soon'], { cwd: scratch })]);
    assert.match(noFile.stdout, /no config file here/);
    assert.match(badGrace.stdout, /--grace/);
  });

  test('--json: a command line up cannot parse (an unknown option, a missing value) is one failure record on stdout too (reason usage), status 2, nothing on stderr', { timeout: 30_000 }, async () => {
    const cases = [
      { args: ['up', '--json', '--grce', '5s'], says: /unknown option '--grce'; did you mean --grace\?/ },
      { args: ['up', '--json', '-f'], says: /^-f needs a value right after it, and got none \(the line ended there\): -f VALUE$/ },
    ];
    const runs = await Promise.all(cases.map(({ args }) => runCli(args, { cwd: scratch })));
    for (const [i, run] of runs.entries()) {
      const { args, says } = cases[i] as (typeof cases)[number];
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(run.stderr, '', `${args.join(' ')}: in JSON mode everything goes to stdout`);
      const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(records.length, 1, run.stdout);
      const [record] = records as [Record<string, unknown>];
      assert.deepEqual({ name: record.name, event: record.event, reason: record.reason, code: record.code, exitCode: record.exitCode }, { name: 'subvisor', event: 'failure', reason: 'usage', code: 'ERR_SUBVISOR_USAGE', exitCode: 2 });
      assert.match(String(record.line), says);
    }
    // The control: a --json after `--` is no option, so the mistake before it is told in words.
    const plain = await runCli(['up', '--grce', '5s', '--', '--json'], { cwd: scratch });
    assert.equal(plain.code, 2);
    assert.equal(plain.stdout, '');
    assert.match(plain.stderr, /^subvisor: unknown option '--grce'; did you mean --grace\?/);
  });

  test('a whole command in one word of an argv cmd fails with the way subvisor.yaml has a shell run it, not the library\'s shell: true', { timeout: 30_000 }, async () => {
    const file = config('processes:\n  list:\n    cmd: ["ls -l"]\n    main: true\n');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 127, run.stdout + run.stderr);
    assert.match(run.stdout, /list \* cannot start 'ls -l': ls -l is one word holding a whole command: give each word as an argument of its own, or have a shell read it \(sh -c '\.\.\.', or in subvisor\.yaml a cmd written as one string\)/);
    assert.doesNotMatch(run.stdout + run.stderr, /shell: true/);
    // The control: what the message says to write runs.
    const asString = await runCli(['up', '-f', config('processes:\n  list:\n    cmd: "ls -l"\n    main: true\n')]);
    assert.equal(asString.code, 0, asString.stdout + asString.stderr);
  });

  test("an exec probe whose argv is a whole command in one word says so in the command line's words, not the library's shell: true", { timeout: 30_000 }, async () => {
    const file = config('processes:\n  web:\n    cmd: exec sleep 30\n    readyTimeout: 1s\n    ready: { exec: ["test -d /"], interval: 100ms }\n');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 124, run.stdout + run.stderr);
    assert.match(run.stdout + run.stderr, /last output of its ready probe[^\n]*\n {4}cannot start 'test -d \/': test -d \/ is one word holding a whole command: .*\(sh -c '\.\.\.', or in subvisor\.yaml a cmd written as one string\)/);
    assert.doesNotMatch(run.stdout + run.stderr, /shell: true/);
  });

  test('no config file: a clear error, naming the flag every command that reads one takes', { timeout: 30_000 }, async () => {
    // `logs -f` is --follow, so the flag named is --file, which up, ps, logs and export all take.
    for (const args of [['up'], ['logs', '-f'], ['ps'], ['export', 'compose']]) {
      const run = await runCli(args, { cwd: scratch });
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /no config file here \(looked for subvisor\.yaml, subvisor\.yml, Procfile\); pass one with --file FILE/, args.join(' '));
    }
  });

  test('SIGINT stops every process and exits 130; nothing outlives the CLI', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  db:
    cmd: "sleep 30 & echo grandchild $!; echo ready; wait"
    ready: ready
  web:
    cmd: "echo pid $$; exec sleep 30"
    dependsOn: [db]
`);
    const cli = startCli(['up', '-f', file, '--grace', '2s']);
    await cli.waitForOutput(/web +\| pid \d+/);
    const out = cli.stdoutSoFar();
    const pids = [Number(/db +\* starting \(pid (\d+)\)/.exec(out)?.[1]), Number(/grandchild (\d+)/.exec(out)?.[1]), Number(/web +\| pid (\d+)/.exec(out)?.[1])];
    try {
      assert.ok(pids.every((pid) => pid > 0 && isRunning(pid)));
      cli.kill('SIGINT');
      const run = await cli.done;
      assert.equal(run.code, 130);
      for (const pid of pids) await waitUntil(() => !isRunning(pid), `pid ${pid} to be gone`, 2000);
    } finally {
      killQuietly(...pids);
    }
  });

  test('a second SIGINT SIGKILLs every process and grandchild at once, and exits 130', { timeout: 30_000 }, async () => {
    // Everything ignores SIGTERM, so only the second SIGINT can end this before the 30 s grace.
    const stubborn = (name: string): string => `trap '' TERM; sleep 60 & echo ${name}-grandchild $!; echo ${name} $$; while :; do sleep 0.05; done`;
    // c goes at its SIGTERM: stopped by the first SIGINT, it is not among those the second one kills.
    const file = config(`processes:\n  a: { cmd: "${stubborn('a')}" }\n  b: { cmd: "${stubborn('b')}" }\n  c: { cmd: "exec sleep 60" }\n`);
    // The watchdog off: the children must be killed by the CLI itself, not by the net behind it.
    const cli = startCli(['up', '-f', file, '--grace', '30s'], { env: { SUBVISOR_WATCHDOG: '0' } });
    await cli.waitForOutput(/a +\| a \d+[\s\S]*b +\| b \d+|b +\| b \d+[\s\S]*a +\| a \d+/);
    await cli.waitForOutput(/a-grandchild \d+[\s\S]*b-grandchild \d+|b-grandchild \d+[\s\S]*a-grandchild \d+/);
    const out = cli.stdoutSoFar();
    const pids = ['a', 'b', 'a-grandchild', 'b-grandchild'].map((name) => Number(new RegExp(`\\| ${name} (\\d+)`).exec(out)?.[1]));
    try {
      assert.ok(pids.every((pid) => pid > 0 && isRunning(pid)), out);
      cli.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await cli.waitForOutput(/^c +\* stopped$/m);
      assert.ok(pids.every(isRunning), 'control: the first SIGINT waits out the grace');
      const started = performance.now();
      cli.kill('SIGINT');
      const run = await cli.done;
      assert.equal(run.code, 130);
      assert.ok(performance.now() - started < 5000, 'the second SIGINT does not wait for the grace');
      await waitUntil(() => pids.every((pid) => !isRunning(pid)), `every process to be killed (still running: ${pids.filter(isRunning).join(' ')})`, 2000);
      // No summary follows (the CLI exits at once): the line names what it kills.
      assert.match(run.stderr, /^subvisor: second SIGINT: killing a, b at once$/m);
    } finally {
      killQuietly(...pids);
    }
  });

  test("a second SIGINT's line names the first five processes it kills and how many more; --json's processes has every one", { timeout: 60_000 }, async () => {
    const copies = 8;
    const names = Array.from({ length: copies }, (_, index) => `web.${index + 1}`);
    // Deaf to SIGTERM, so every copy is still up when the second SIGINT comes.
    const file = config(`processes:\n  web: { cmd: "trap '' TERM; echo up $$; while :; do sleep 0.05; done", replicas: ${copies} }\n`);
    for (const json of [false, true]) {
      const cli = startCli(['up', '-f', file, '--grace', '30s', ...(json ? ['--json'] : [])], { env: { SUBVISOR_WATCHDOG: '0' } });
      const pids = (): number[] => [...cli.stdoutSoFar().matchAll(/up (\d+)/g)].map((match) => Number(match[1]));
      try {
        await waitUntil(() => pids().length === copies, `${copies} copies to be up`, 20_000);
        cli.kill('SIGINT');
        await cli.waitForOutput(/stopping/);
        await sleep(300);
        cli.kill('SIGINT');
        const run = await cli.done;
        assert.equal(run.code, 130);
        if (json) {
          const killed = run.stdout.split('\n').filter((line) => line.includes('"killed"')).map((line) => JSON.parse(line) as { processes?: string[] });
          assert.deepEqual(killed.map((record) => record.processes), [names], run.stdout);
        } else {
          assert.match(run.stderr, /^subvisor: second SIGINT: killing web\.1, web\.2, web\.3, web\.4, web\.5 and 3 more at once$/m);
        }
      } finally {
        killQuietly(...pids());
      }
    }
  });

  // Neither is someone insisting: a terminal going away is often told twice (the shell passes its
  // SIGHUP on, the kernel sends another); GNU timeout sends its SIGTERM to the command and then to
  // its group, ms apart (apart enough here that the kernel cannot merge them, as it may).
  for (const { signal, apartMs, code, told } of [
    { signal: 'SIGHUP', apartMs: 300, code: 129, told: 'sent by a terminal going away' },
    { signal: 'SIGTERM', apartMs: 20, code: 143, told: 'sent at once (as by GNU timeout)' },
  ] as const) {
    test(`a second ${signal} ${told} does not hurry the stop`, { timeout: 30_000 }, async () => {
      const marker = join(scratch, `${signal}.stopped`);
      const slow = `trap 'sleep 0.5; echo > ${marker}; exit 0' TERM; echo pid $$; while :; do sleep 0.05; done`;
      const file = config(`processes:\n  slow: { cmd: "${slow}" }\n`);
      const cli = startCli(['up', '-f', file, '--grace', '10s']);
      await cli.waitForOutput(/slow +\| pid \d+/);
      const pid = Number(/slow +\| pid (\d+)/.exec(cli.stdoutSoFar())?.[1]);
      try {
        cli.kill(signal);
        await new Promise((resolve) => setTimeout(resolve, apartMs));
        cli.kill(signal);
        const run = await cli.done;
        assert.equal(run.code, code);
        assert.doesNotMatch(run.stderr, /second SIG/);
        assert.ok(existsSync(marker), 'the process finished its own SIGTERM handling');
        assert.equal(isRunning(pid), false);
      } finally {
        killQuietly(pid);
      }
    });
  }

  test('Ctrl-C while a process waits for readiness is an interruption (130), not a readiness failure', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  slow:
    cmd: "trap '' TERM; echo booting; while :; do sleep 0.05; done"
    ready: never
    readyTimeout: 1s
    grace: 3s
`);
    const cli = startCli(['up', '-f', file]);
    await cli.waitForOutput('slow | booting');
    cli.kill('SIGINT');
    const run = await cli.done;
    assert.equal(run.code, 130, run.stderr);
    assert.doesNotMatch(run.stderr, /failed/);
  });

  test('control for the Ctrl-Z case: a probe try slow to die at the deadline (deaf to SIGTERM) is no suspension, and earns no extra try', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  a:
    cmd: "sleep 30"
    ready: { exec: "trap '' TERM; sleep 3", interval: 100ms }
    readyTimeout: 1s
`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 124, run.stdout + run.stderr);
    assert.match(run.stdout, /^a +\* was not ready within 1000 ms/m);
    assert.doesNotMatch(run.stdout, /ready after/);
  });

  for (const kind of ['exec', 'tcp'] as const) {
    test(`${kind === 'exec' ? 'an' : 'a'} ${kind} ready probe is tried again when subvisor is continued after a Ctrl-Z past its readyTimeout: the process came up meanwhile`, { timeout: 30_000 }, async () => {
      const dir = mkdtempSync(join(scratch, 'tstp-'));
      const go = join(dir, 'go');
      const port = await freePort();
      const server = join(dir, 'server.js');
      writeFileSync(server, `require('net').createServer().listen(${port}, '127.0.0.1');`);
      const probe = kind === 'exec' ? `{ exec: "test -f ${join(dir, 'up')}", interval: 50ms }` : `{ tcp: "127.0.0.1:${port}", interval: 50ms }`;
      const file = config(`processes:
  app:
    cmd: "while [ ! -f ${go} ]; do sleep 0.02; done; touch ${join(dir, 'up')}; echo up; exec node ${server}"
    ready: ${probe}
    readyTimeout: 1s
`);
      const cli = startCli(['up', '-f', file]);
      try {
        await cli.waitForOutput(/^app +\* starting \(pid \d+\)/m);
        process.kill(cli.pid, 'SIGSTOP');
        writeFileSync(go, '');
        await sleep(1500);
        process.kill(cli.pid, 'SIGCONT');
        await cli.waitForOutput(/^app +\* ready after \d+ ms/m);
        assert.doesNotMatch(cli.stdoutSoFar(), /not ready within/);
      } finally {
        cli.kill('SIGCONT');
        cli.kill('SIGINT');
      }
      assert.equal((await cli.done).code, 130);
    });
  }

  for (const { hangs, what } of [
    { hangs: false, what: 'a liveness try that answered in time, seen only after a Ctrl-Z past its timeout, is not counted: the process runs on' },
    { hangs: true, what: 'control: a liveness try that hangs past its timeout after that Ctrl-Z still fails the process, one try later' },
  ]) {
    test(what, { timeout: 30_000 }, async () => {
      const dir = mkdtempSync(join(scratch, 'tstp-live-'));
      const trying = join(dir, 'trying');
      const hang = join(dir, 'hang');
      const file = config(`processes:
  web:
    cmd: "echo up; exec sleep 1000"
    liveness: { exec: "touch ${trying}; sleep 0.4; rm -f ${trying}; while [ -f ${hang} ]; do sleep 0.05; done", interval: 100ms, timeout: 1s, failures: 1 }
`);
      const cli = startCli(['up', '-f', file]);
      try {
        await cli.waitForOutput(/^web +\| up$/m);
        await waitUntil(() => existsSync(trying), 'a liveness try to begin', 5000);
        process.kill(cli.pid, 'SIGSTOP');
        if (hangs) writeFileSync(hang, '');
        // The try answers 0.4 s in (or, with `hang`, goes on), while subvisor, suspended, sees
        // nothing until well past its 1 s timeout.
        await waitUntil(() => !existsSync(trying), 'the try to answer', 5000);
        await sleep(1200);
        process.kill(cli.pid, 'SIGCONT');
        if (hangs) {
          await cli.waitForOutput(/^web +\* failed its liveness probe 1 time in a row \(last: no answer within 1000 ms/m);
        } else {
          // Two more tries, each seen through, pass (unless the process was stopped instead: said below).
          const stopped = (): boolean => /liveness/.test(cli.stdoutSoFar());
          for (let tries = 0; tries < 2 && !stopped(); tries += 1) {
            await waitUntil(() => existsSync(trying) || stopped(), 'the next try to begin', 5000);
            await waitUntil(() => !existsSync(trying), 'the next try to answer', 5000);
          }
          await sleep(200);
          assert.doesNotMatch(cli.stdoutSoFar(), /liveness|stopping/);
        }
      } finally {
        cli.kill('SIGCONT');
        cli.kill('SIGINT');
        rmSync(hang, { force: true });
      }
      assert.equal((await cli.done).code, hangs ? 1 : 130, cli.stdoutSoFar());
    });
  }

  test('two Ctrl-Zs back to back, each past a liveness try\'s timeout, count neither try: the process runs on', { timeout: 30_000 }, async () => {
    // The control is the `hangs` case above: a late cut with no suspension behind it counts.
    const dir = mkdtempSync(join(scratch, 'tstp-twice-'));
    const trying = join(dir, 'trying');
    const answer = join(dir, 'answer');
    const answered = join(dir, 'answered');
    // A try answers only once told to, and the test tells it only while subvisor is suspended: so
    // each suspended try is one subvisor sees answered only after its timeout, however late the
    // test is to suspend it (a try that answered before the SIGSTOP would prove nothing).
    const file = config(`processes:
  web:
    cmd: "echo up; exec sleep 1000"
    liveness: { exec: "touch ${trying}; while [ ! -f ${answer} ]; do sleep 0.02; done; rm -f ${trying}; echo >> ${answered}", interval: 100ms, timeout: 2s, failures: 1 }
`);
    const cli = startCli(['up', '-f', file]);
    const answers = (): number => (existsSync(answered) ? readFileSync(answered, 'utf8').length : 0);
    try {
      await cli.waitForOutput(/^web +\| up$/m);
      for (let suspension = 0; suspension < 2; suspension += 1) {
        await waitUntil(() => existsSync(trying), 'a liveness try to begin', 5000);
        process.kill(cli.pid, 'SIGSTOP');
        writeFileSync(answer, '');
        await waitUntil(() => !existsSync(trying), 'the try to answer', 5000);
        rmSync(answer);
        // Past the try's 2 s timeout, and well past it counted from the answer: a late cut.
        await sleep(2800);
        process.kill(cli.pid, 'SIGCONT');
      }
      // Two more tries seen through: neither suspended try was a verdict (it comes before the next try).
      writeFileSync(answer, '');
      const stopped = (): boolean => /liveness/.test(cli.stdoutSoFar());
      await waitUntil(() => answers() >= 4 || stopped(), 'two more tries to answer', 10_000);
      assert.doesNotMatch(cli.stdoutSoFar(), /liveness|stopping/);
    } finally {
      cli.kill('SIGCONT');
      cli.kill('SIGINT');
    }
    assert.equal((await cli.done).code, 130, cli.stdoutSoFar());
  });

  test('Ctrl-Z during the stop, past the grace: a process that obeyed its SIGTERM meanwhile is `stopped`, with no SIGKILL claimed', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(scratch, 'tstp-grace-'));
    const gone = join(dir, 'gone');
    const file = config(`processes:
  web:
    cmd: "trap 'sleep 0.3; touch ${gone}; exit 0' TERM; echo up; while :; do sleep 0.05; done"
    ready: "up"
    grace: 1s
`);
    const cli = startCli(['up', '-f', file]);
    try {
      await cli.waitForOutput(/^web +\* ready/m);
      cli.kill('SIGINT');
      await cli.waitForOutput(/^web +\* stopping \(SIGINT\)/m);
      process.kill(cli.pid, 'SIGSTOP');
      // web ends 0.3 s into its 1 s grace; subvisor sees it only when continued, well past the grace.
      await waitUntil(() => existsSync(gone), 'web to obey its SIGTERM', 5000);
      await sleep(1500);
      process.kill(cli.pid, 'SIGCONT');
    } finally {
      cli.kill('SIGCONT');
    }
    const ended = await cli.done;
    assert.equal(ended.code, 130, cli.stdoutSoFar());
    assert.doesNotMatch(cli.stdoutSoFar(), /still running|SIGKILL/);
    assert.match(cli.stdoutSoFar(), /^web +\* stopped$/m);
  });

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

/** The `keys` of `record`, in that order. */
function pick(record: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, record?.[key]]));
}
