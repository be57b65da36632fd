// The config as `subvisor up` sees it: the built CLI, real files, real processes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../cli.js';
import { interrupt, up } from '../control/support.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-up-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let configs = 0;

/** Writes `text` as `name` into a fresh directory; returns its path and a marker path beside it. */
function config(text: (marker: string) => string, name = 'subvisor.yaml'): { file: string; marker: string } {
  const dir = join(scratch, `c${configs++}`);
  mkdirSync(dir, { recursive: true });
  const marker = join(dir, 'started');
  const file = join(dir, name);
  writeFileSync(file, text(marker));
  return { file, marker };
}

describe('a value no spawn can carry is refused before anything starts', () => {
  // `first` starts before `second` (file order): with the value reaching the spawn, `first` ran
  // and the spawn error showed the env value.
  const cases: [what: string, second: string, where: RegExp][] = [
    ['a NUL byte in an env value', '{ cmd: "true", env: { TOKEN: "hunter2\\0x" } }', /subvisor\.yaml:3:40: processes\.second\.env\.TOKEN: contains a NUL byte/],
    ['a NUL byte in an argument', '{ cmd: [echo, "hunter2\\0x"] }', /subvisor\.yaml:3:25: processes\.second\.cmd\[1\]: contains a NUL byte/],
    ['a NUL byte in cwd', '{ cmd: "true", cwd: "hunter2\\0x" }', /subvisor\.yaml:3:31: processes\.second\.cwd: contains a NUL byte/],
    ['an env name with =', '{ cmd: "true", env: { "A=B": hunter2 } }', /subvisor\.yaml:3:33: processes\.second\.env\.A=B: is not a usable variable name/],
  ];
  for (const [what, second, where] of cases) {
    test(what, { timeout: 30_000 }, async () => {
      const { file, marker } = config((marker) => `processes:\n  first: { cmd: "touch '${marker}'; sleep 5" }\n  second: ${second}\n`);
      const run = await runCli(['up', '-f', file]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, where);
      assert.doesNotMatch(run.stderr, /hunter2/, 'the value is not shown');
      assert.equal(existsSync(marker), false, 'nothing may start');
    });
  }
});

describe('-f FILE is read by its content when its name is not *.yaml or *.yml', () => {
  test('up -f dev.Procfile runs the Procfile (node-foreman names its fixtures so)', { timeout: 30_000 }, async () => {
    const { file } = config(() => '# comment line\nhello: echo hello from the procfile\nbye: echo bye\n', 'procfile-comment.Procfile');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^hello +\| hello from the procfile$/m);
    assert.match(run.stdout, /^bye +\| bye$/m);
  });

  test('up -f stack.conf with a top-level processes key runs it as subvisor YAML', { timeout: 30_000 }, async () => {
    const { file } = config(() => 'processes:\n  hello: { cmd: [echo, hello from yaml] }\n', 'stack.conf');
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^hello +\| hello from yaml$/m);
  });
});

describe('an unset ${VAR} is read as empty, with a warning at its place (compose warns too)', () => {
  test('up warns on stderr before anything starts, names the variable and where it is read, and runs', { timeout: 30_000 }, async () => {
    const { file } = config(() => 'processes:\n  a:\n    cmd: [echo, "dir=${SUBVISOR_TEST_UNSET}", "${SUBVISOR_TEST_UNSET:-x}", "${SUBVISOR_TEST_SET}"]\n    env: { DIR: "${SUBVISOR_TEST_UNSET:-}" }\n');
    const run = await runCli(['up', '-f', file], { env: { SUBVISOR_TEST_SET: 'y' } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^a +\| dir= x y$/m);
    const warnings = run.stderr.split('\n').filter((line) => line.startsWith('subvisor: warning:'));
    assert.deepEqual(warnings, [
      `subvisor: warning: ${file}:3:17: processes.a.cmd[1]: \${SUBVISOR_TEST_UNSET} is not set, so it is read as empty; set it in subvisor's environment, .env or an envFile (a process's own \`env\` is not read here), or write \${SUBVISOR_TEST_UNSET:-} for empty on purpose`,
    ]);
    assert.ok(run.stderr.indexOf('subvisor: warning:') < run.stderr.indexOf('name '), 'said before the run, not after');
  });

  test('up --json gives the warning as a record on stdout, before the first process starts, and nothing on stderr', { timeout: 30_000 }, async () => {
    const { file } = config(() => 'processes:\n  a:\n    cmd: "echo dir=${SUBVISOR_TEST_UNSET}"\n');
    const run = await runCli(['up', '--json', '-f', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '', 'in JSON mode everything goes to stdout');
    const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const warning = records[0] ?? {};
    assert.deepEqual({ ...warning, time: typeof warning.time }, {
      time: 'string',
      name: 'subvisor',
      stream: 'report',
      event: 'warning',
      line: `${file}:3:10: processes.a.cmd: \${SUBVISOR_TEST_UNSET} is not set, so it is read as empty; set it in subvisor's environment, .env or an envFile (a process's own \`env\` is not read here), or write \${SUBVISOR_TEST_UNSET:-} for empty on purpose`,
      problem: { file, line: 3, column: 10, path: 'processes.a.cmd', process: 'a', message: String(warning.line).replace(/^.*?processes\.a\.cmd: /, '') },
    });
    assert.ok(records.some((record) => record.name === 'a' && record.line === 'dir='), 'the config is used all the same');
  });

  test('up --json gives the warnings first also when it then refuses the run (a name the config does not have): not dropped', { timeout: 30_000 }, async () => {
    const { file } = config(() => 'processes:\n  a:\n    cmd: "echo dir=${SUBVISOR_TEST_UNSET}"\n');
    const run = await runCli(['up', '--json', '-f', file, 'nosuch']);
    assert.equal(run.code, 2, run.stdout);
    assert.equal(run.stderr, '', 'in JSON mode everything goes to stdout');
    const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      records.map(({ event, reason }) => ({ event, reason })),
      [{ event: 'warning', reason: undefined }, { event: 'failure', reason: 'config' }],
    );
    // The control: without --json, the same refusal has its warning on stderr, before it.
    const plain = await runCli(['up', '-f', file, 'nosuch']);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /^subvisor: warning: .*\n^subvisor: .*no process named 'nosuch'/m);
  });

  test('up --json gives the warnings before the refusal of a second up, in the order they happened', { timeout: 60_000 }, async () => {
    const { file } = config(() => 'processes:\n  a:\n    cmd: "exec sleep 30 ${SUBVISOR_TEST_UNSET}"\n');
    const dir = join(file, '..');
    const first = await up(dir);
    try {
      const run = await runCli(['up', '--json', '-f', file]);
      assert.equal(run.code, 1, run.stdout);
      assert.equal(run.stderr, '');
      const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(
        records.map(({ event, reason }) => ({ event, reason })),
        [{ event: 'warning', reason: undefined }, { event: 'failure', reason: 'control' }],
      );
    } finally {
      await interrupt(first);
    }
  });

  test('export warns the same on stderr, and its output on stdout is untouched', { timeout: 30_000 }, async () => {
    const { file } = config(() => 'processes:\n  a:\n    cmd: "echo ${SUBVISOR_TEST_UNSET}"\n');
    const run = await runCli(['export', 'compose', '-f', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^subvisor: warning: \S+:3:10: processes\.a\.cmd: \$\{SUBVISOR_TEST_UNSET\} is not set/m);
    assert.doesNotMatch(run.stdout, /warning/);
  });
});

test('a form compose expands and subvisor does not (${PORT-3000}) in an env value is warned of, and reaches the process as written; a command\'s is left to the shell that may read it, without a word', { timeout: 30_000 }, async () => {
  const { file } = config(() => 'processes:\n  a:\n    cmd: [sh, -c, \'echo "$TOKEN"; echo ${SUBVISOR_TEST_UNSET-4000}\']\n    env: { TOKEN: "${SUBVISOR_TEST_UNSET-hunter2}" }\n');
  const run = await runCli(['up', '-f', file]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^a +\| \$\{SUBVISOR_TEST_UNSET-hunter2\}$/m);
  assert.match(run.stdout, /^a +\| 4000$/m, 'the shell reads its own form');
  const warnings = run.stderr.split('\n').filter((line) => line.startsWith('subvisor: warning:'));
  assert.deepEqual(warnings, [
    `subvisor: warning: ${file}:4:19: processes.a.env.TOKEN: \${SUBVISOR_TEST_UNSET-…} is passed on as written: subvisor expands only \${NAME}, \${NAME:-default} and \${NAME:?message}; write \${SUBVISOR_TEST_UNSET:-…} (its default is taken for an empty SUBVISOR_TEST_UNSET too), or $\${SUBVISOR_TEST_UNSET-…} to mean it as written`,
  ]);
  assert.doesNotMatch(run.stderr, /hunter2/, 'the default is not shown');
});

test("an env name that is no shell variable name (A-B, 1X) reaches a program started as argv without a word, as Node and Docker pass it; for a command sh runs, which (dash) drops it, it is warned of at its place", { timeout: 30_000 }, async () => {
  const { file } = config(() => `envFile: false
processes:
  argv: { cmd: [env], env: { "A-B": c, "1X": d } }
  shell: { cmd: 'env; echo done', env: { "A-B": c, FINE: e } }
`);
  const run = await runCli(['up', '-f', file]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^argv +\| A-B=c$/m);
  assert.match(run.stdout, /^argv +\| 1X=d$/m);
  assert.match(run.stdout, /^shell +\| FINE=e$/m);
  // The warning's claim, where /bin/sh is dash (Debian's, Ubuntu's): the variable never reaches `env`.
  if (basename(realpathSync('/bin/sh')) === 'dash') assert.doesNotMatch(run.stdout, /^shell +\| A-B=c$/m);
  const warnings = run.stderr.split('\n').filter((line) => line.startsWith('subvisor: warning:'));
  // Before, there was none: the variable was lost without a word.
  assert.deepEqual(warnings, [
    `subvisor: warning: ${file}:4:42: processes.shell.env.A-B: is no shell variable name (letters, digits and _, not starting with a digit), and cmd is one string, run by sh -c, which (as dash, Debian's and Ubuntu's sh) drops such a variable before the command runs; write cmd as a list (argv) to pass it, or rename it`,
  ]);
});

test('a Procfile\'s .env value cut at a # is warned of on stderr by up, and the run goes on with the value Node reads', { timeout: 30_000 }, async () => {
  const { file } = config(() => 'show: echo "pass=$PASS"\n', 'Procfile');
  writeFileSync(join(file, '..', '.env'), 'PASS=abc#123\n');
  const run = await runCli(['up', '-f', file]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^show +\| pass=abc$/m);
  assert.match(run.stderr, /^subvisor: warning: \S+\.env:1:1: PASS: its value ends before its `#`/m);
});

test("a .env value holding ${NAME} (foreman's dotenv expands it, Node does not) is warned of at its line by up, and the run goes on with it as written; a single-quoted one, literal in dotenv too, is not", { timeout: 30_000 }, async () => {
  const { file } = config(() => 'show: echo "url=$DATABASE_URL lit=$LITERAL"\n', 'Procfile');
  writeFileSync(join(file, '..', '.env'), "DB_NAME=shop\nexport DATABASE_URL=\"postgres://localhost/${DB_NAME}\"\nLITERAL='${DB_NAME}'\n");
  const run = await runCli(['up', '-f', file]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^show +\| url=postgres:\/\/localhost\/\$\{DB_NAME\} lit=\$\{DB_NAME\}$/m);
  const warnings = run.stderr.split('\n').filter((line) => line.includes('warning'));
  assert.deepEqual(warnings, [
    `subvisor: warning: ${join(file, '..', '.env')}:2:1: DATABASE_URL: its value holds \${DB_NAME}, which is passed on as written: an env file's values are taken literally, as Node's --env-file reads them (foreman's dotenv and docker compose would expand it); write the value out in full, or set it in a subvisor.yaml's env, where \${...} is expanded; single-quoted, it is kept as written without a word`,
  ]);
});

test('a process built of an x- anchor and a merge key (<<), as docker compose users write them, runs with what it merged', { timeout: 30_000 }, async () => {
  const text = 'x-env: &env { GREETING: hello, WHO: nobody }\nx-defaults: &defaults\n  cmd: echo "$GREETING $WHO"\n  env: *env\nprocesses:\n  greet:\n    <<: *defaults\n    env: { <<: *env, WHO: merged }\n';
  const { file } = config(() => text);
  const run = await runCli(['up', '-f', file]);
  assert.equal(run.code, 0, run.stderr);
  // A key written beside `<<` wins over the merged one (`env` whole: a merge is shallow, as in YAML).
  assert.match(run.stdout, /^greet +\| hello merged$/m);
});

test('a .env quote never closed, which takes the next lines\' variables into its value, is warned of by up at its line, and the run goes on as Node reads the file', { timeout: 30_000 }, async () => {
  const { file } = config(() => 'processes:\n  show: { cmd: echo "port=$PORT", main: true }\n');
  writeFileSync(join(file, '..', '.env'), 'SECRET="abc\nPORT=8080\nNAME="x"\n');
  const run = await runCli(['up', '-f', file]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^show +\| port=$/m);
  assert.match(run.stderr, /^subvisor: warning: \S+\.env:1:1: SECRET: its "-quoted value runs on to the " on line 3, so the lines that would set PORT, NAME are read into it instead: its closing " is missing/m);
  assert.doesNotMatch(run.stderr, /abc/, 'no value is shown');
});

test('envFile: no, false in YAML 1.1, is refused before anything starts with what to write instead, not only as a file to create', { timeout: 30_000 }, async () => {
  const { file, marker } = config((marker) => `envFile: no\nprocesses:\n  first: { cmd: "touch '${marker}'" }\n`);
  const run = await runCli(['up', '-f', file]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /subvisor\.yaml:1:10: envFile: env file not found: \S+\/no; .*; YAML reads no as a string here, not false: write `false`$/m);
  assert.equal(existsSync(marker), false, 'nothing may start');
});
