// subvisor up: a value a variable gives (.env's secret) is never shown: what cannot start, or is not ready, is named as the config writes it.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freePort } from '../../support/network.js';
import { runCli } from '../cli.js';
import { config } from './support.js';

describe('subvisor up', () => {
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
});
