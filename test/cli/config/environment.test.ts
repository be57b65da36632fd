// The environment of SPEC §9 as the config reads it: .env, envFile, interpolation. Real files in a
// temporary directory; the parent environment is passed in, so the one the tests run in is never read.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig, type ConfigOptions, type ProcessSpec } from '../../../src/cli/config/index.js';
import { configError, lines, positionOf } from './support.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-environment-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;

/** A fresh directory holding `files` (name to content); returns its path. */
function directory(files: Record<string, string>): string {
  const dir = join(scratch, `d${dirs++}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const SECRET = 'hunter2-secret';
const noEnv: ConfigOptions = { env: {} };

/** Loads `subvisor.yaml` of `files`; returns its processes by name. */
function load(files: Record<string, string>, options: ConfigOptions = noEnv): Record<string, ProcessSpec> {
  const dir = directory(files);
  return Object.fromEntries(loadConfig(join(dir, 'subvisor.yaml'), options).processes.map((spec) => [spec.name, spec]));
}

/** The one problem of loading `files`, asserting it is at `needle` in `subvisor.yaml` and shows no secret. */
function problemAt(files: Record<string, string>, needle: string, options: ConfigOptions = noEnv, from?: string): string {
  const dir = directory(files);
  const file = join(dir, 'subvisor.yaml');
  const error = configError(() => loadConfig(file, options));
  assert.equal(error.problems.length, 1, error.message);
  const { line, column } = positionOf(files['subvisor.yaml'] ?? '', needle, from);
  assert.ok(error.message.startsWith(`${file}:${line}:${column}: `), `expected ${line}:${column}, got: ${error.message}`);
  assert.doesNotMatch(error.message, /hunter2/, 'a value is shown');
  return error.message.slice(file.length);
}

test('.env beside the config is read by default; a missing one is fine', () => {
  const { web } = load({ '.env': 'PORT=8080\n', 'subvisor.yaml': 'processes:\n  web: { cmd: node web.js }\n' });
  assert.deepEqual(web?.envFromFiles, { PORT: '8080' });
  assert.equal(web.envFiles?.length, 1);
  assert.match(web.envFiles[0] ?? '', /\/d\d+\/\.env$/);
  const without = load({ 'subvisor.yaml': 'processes:\n  web: { cmd: node web.js }\n' }).web;
  assert.ok(without !== undefined);
  assert.equal(without.envFromFiles, undefined);
  assert.equal(without.envFiles, undefined);
});

test('envFile: false turns .env off', () => {
  const { web } = load({ '.env': 'PORT=8080\n', 'subvisor.yaml': 'envFile: false\nprocesses:\n  web: { cmd: node web.js }\n' });
  assert.equal(web?.envFromFiles, undefined);
});

test('the env files merge lowest first: .env, top-level envFile, the process\'s envFile; paths from the config\'s directory', () => {
  const dir = directory({
    '.env': 'WHO=dotenv\nDOTENV=1\n',
    'shared.env': 'WHO=shared\nSHARED=1\n',
    'conf/local.env': 'WHO=local\nLOCAL=1\n',
    'conf/web.env': 'WHO=web\nOWN=1\n',
  });
  writeFileSync(join(dir, 'conf/.env'), 'WHO=conf-dotenv\nDOTENV=conf\n');
  const yaml = 'envFile: [../shared.env, local.env]\nprocesses:\n  web: { cmd: x, envFile: web.env }\n  worker: { cmd: y }\n';
  writeFileSync(join(dir, 'conf/subvisor.yaml'), yaml);
  const [web, worker] = loadConfig(join(dir, 'conf/subvisor.yaml'), noEnv).processes;
  assert.deepEqual(web?.envFromFiles, { WHO: 'web', DOTENV: 'conf', SHARED: '1', LOCAL: '1', OWN: '1' });
  assert.deepEqual(web.envFiles, [join(dir, 'conf/.env'), join(dir, 'shared.env'), join(dir, 'conf/local.env'), join(dir, 'conf/web.env')]);
  assert.deepEqual(worker?.envFromFiles, { WHO: 'local', DOTENV: 'conf', SHARED: '1', LOCAL: '1' }, 'a process\'s envFile is its own');
});

test('a process\'s envFile takes a list too, and a file listed again counts at its last place', () => {
  const { web } = load({ 'a.env': 'X=a\n', 'b.env': 'X=b\n', 'subvisor.yaml': 'envFile: a.env\nprocesses:\n  web: { cmd: x, envFile: [b.env, a.env] }\n' });
  assert.deepEqual(web?.envFromFiles, { X: 'a' });
  assert.deepEqual(web.envFiles?.map((path) => path.split('/').at(-1)), ['b.env', 'a.env']);
});

test('env values stay where they are: the process\'s own env is not merged into envFromFiles', () => {
  const { web } = load({ '.env': 'A=file\n', 'subvisor.yaml': 'processes:\n  web: { cmd: x, env: { A: own } }\n' });
  assert.deepEqual([web?.env, web?.envFromFiles], [{ A: 'own' }, { A: 'file' }]);
});

test('interpolation reads .env, the env files and the parent environment, the parent over the files', () => {
  const files = {
    '.env': 'A=dotenv\nB=dotenv\nC=dotenv\nD=dotenv\n',
    'top.env': 'B=top\nC=top\nD=top\n',
    'web.env': 'C=web\nD=web\n',
    'subvisor.yaml': 'envFile: top.env\nprocesses:\n  web:\n    cmd: [echo, "${A}", "${B}", "${C}", "${D}", "${E:-none}"]\n    envFile: web.env\n  other:\n    cmd: [echo, "${C}"]\n',
  };
  assert.deepEqual(load(files).web?.cmd, ['echo', 'dotenv', 'top', 'web', 'web', 'none']);
  assert.deepEqual(load(files, { env: { D: 'parent', E: 'parent' } }).web?.cmd, ['echo', 'dotenv', 'top', 'web', 'parent', 'parent']);
  assert.deepEqual(load(files).other?.cmd, ['echo', 'top'], 'another process\'s envFile is not read for this one');
});

test('a process\'s envFile feeds its values wherever it is written, and so does the top-level one', () => {
  const { web } = load({ 'web.env': 'PORT=9000\n', 'top.env': 'HOST=h\n', 'subvisor.yaml': 'processes:\n  web:\n    cmd: serve ${HOST}:${PORT}\n    envFile: web.env\nenvFile: top.env\n' });
  assert.equal(web?.cmd, 'serve h:9000');
});

test('cmd, each argv item, cwd and env values are interpolated; $$, $VAR and $${ are left to the shell', () => {
  const yaml = [
    'processes:',
    '  web:',
    '    cmd: echo ${GREETING:-hi} $$ $PORT $${HOME} "$1"',
    '    cwd: ${APP_DIR}/srv',
    '    env: { URL: "http://${HOST:-localhost}:${PORT}", LITERAL: "$${NOT}", SHELL_STYLE: "$PORT" }',
    '  db:',
    '    cmd: [postgres, -D, "${DATA_DIR}", -k, "${DATA_DIR}", "$${x}"]',
    '',
  ].join('\n');
  const { web, db } = load({ 'subvisor.yaml': yaml }, { env: { PORT: '8080', APP_DIR: '/opt/my app', DATA_DIR: '/var/lib/pg data' } });
  assert.equal(web?.cmd, 'echo hi $$ $PORT ${HOME} "$1"');
  assert.equal(web.cwd, '/opt/my app/srv');
  assert.deepEqual(web.env, { URL: 'http://localhost:8080', LITERAL: '${NOT}', SHELL_STYLE: '$PORT' });
  assert.deepEqual(db?.cmd, ['postgres', '-D', '/var/lib/pg data', '-k', '/var/lib/pg data', '${x}']);
});

test('any other ${...}, and a ${ never closed, is kept as written in cmd, argv, cwd and env values', () => {
  const yaml = [
    'processes:',
    '  loop:',
    '    cmd: for f in *; do echo ${f%.txt} ${#f}; done',
    '    cwd: "${APP_DIR"',
    '    env: { X: "${X-default}" }',
    '  argv:',
    '    cmd: [echo, "${1}", "${PORT:+x}"]',
    '',
  ].join('\n');
  const { loop, argv } = load({ 'subvisor.yaml': yaml }, { env: { PORT: '8080' } });
  assert.equal(loop?.cmd, 'for f in *; do echo ${f%.txt} ${#f}; done');
  assert.ok(loop.cwd?.endsWith('/${APP_DIR'), loop.cwd);
  assert.deepEqual(loop.env, { X: '${X-default}' });
  assert.deepEqual(argv?.cmd, ['echo', '${1}', '${PORT:+x}']);
});

test('a ${VAR} in a key that is not interpolated (logs.dir, user, envFile, watch...) is refused at its place, never taken as a name', () => {
  const expanded = 'subvisor expands variables only in cmd, cwd, env values and probes; write the value itself';
  const cases: [yaml: string, needle: string, said: string][] = [
    ['logs: { dir: "${LOG_DIR}/x" }\nprocesses:\n  web: { cmd: x }\n', '"${LOG_DIR}', `logs.dir: \${LOG_DIR} is not expanded in \`dir\``],
    ['processes:\n  web: { cmd: x, user: "${APP_USER}" }\n', '"${APP_USER}', `processes.web.user: \${APP_USER} is not expanded in \`user\``],
    ['envFile: ["${STAGE}.env"]\nprocesses:\n  web: { cmd: x }\n', '"${STAGE}', `envFile[0]: \${STAGE} is not expanded in \`envFile\``],
    ['processes:\n  web: { cmd: x, envFile: "${STAGE}.env" }\n', '"${STAGE}', `processes.web.envFile: \${STAGE} is not expanded in \`envFile\``],
    ['processes:\n  web: { cmd: x, watch: { paths: [src, "${SRC}"] } }\n', '"${SRC}', `processes.web.watch.paths[1]: \${SRC} is not expanded in \`paths\``],
    ['processes:\n  web: { cmd: x, watch: { paths: [src], ignore: "${IGNORED" } }\n', '"${IGNORED', `processes.web.watch.ignore: \${IGNORED is not expanded in \`ignore\``],
    ['processes:\n  web: { cmd: x, grace: "${GRACE}" }\n', '"${GRACE}', `processes.web.grace: \${GRACE} is not expanded in \`grace\``],
    ['processes:\n  web: { cmd: x, ready: { http: "http://h/", interval: "${EVERY}" } }\n', '"${EVERY}', `processes.web.ready.interval: \${EVERY} is not expanded in \`interval\``],
  ];
  for (const [yaml, needle, said] of cases) {
    const variables = `LOG_DIR=${SECRET}\nAPP_USER=${SECRET}\nSTAGE=${SECRET}\nSRC=${SECRET}\nGRACE=${SECRET}\nEVERY=${SECRET}\n`;
    assert.equal(problemAt({ 'subvisor.yaml': yaml, '.env': variables }, needle).replace(/^:\d+:\d+: /, ''), `${said}: ${expanded}`);
  }
  // `$${`, SPEC's literal `${`, is an escape only where variables are expanded: said so, not called a variable.
  assert.equal(
    problemAt({ 'subvisor.yaml': 'processes:\n  web: { cmd: x, watch: { paths: [src], ignore: ["$${x}"] } }\n' }, '"$${x}').replace(/^:\d+:\d+: /, ''),
    'processes.web.watch.ignore[0]: $${x} in `ignore`: `$${` stands for a literal `${` only where variables are expanded (cmd, cwd, env values and probes); `ignore` cannot hold a `${`, so write it without one',
  );
  // Control: the keys that are interpolated still are, and the ones that are not take text with no `${` as ever.
  const { web } = load({ 'subvisor.yaml': 'logs: { dir: logs }\nprocesses:\n  web: { cmd: "echo ${A}", cwd: "${A}", env: { A: "${A}" }, ready: { http: "http://${A}/" }, grace: 1s }\n' }, { env: { A: 'a' } });
  assert.equal(web?.cmd, 'echo a');
  assert.deepEqual(web.env, { A: 'a' });
});

test('the process\'s own env is not a source for interpolation (SPEC: .env, env files, parent)', () => {
  const { web } = load({ 'subvisor.yaml': 'processes:\n  web: { cmd: "echo [${A}]", env: { A: own } }\n' });
  assert.equal(web?.cmd, 'echo []');
});

test('an unset ${VAR:?message} is refused at its value with the message, never a value', () => {
  const yaml = 'processes:\n  initdb:\n    cmd: initdb -D ${DATA_DIR:?set DATA_DIR} --token ${TOKEN}\n    task: true\n';
  const options = { env: { TOKEN: SECRET } };
  assert.equal(problemAt({ 'subvisor.yaml': yaml, '.env': `OTHER=${SECRET}\n` }, 'initdb -D', options), ':3:10: processes.initdb.cmd: DATA_DIR is not set (or is empty): set DATA_DIR');
  // An empty value counts as unset (POSIX :?).
  assert.match(problemAt({ 'subvisor.yaml': yaml, '.env': 'DATA_DIR=\n' }, 'initdb -D', options), /DATA_DIR is not set \(or is empty\)/);
  // Control: set, it passes.
  assert.equal(load({ 'subvisor.yaml': yaml, '.env': 'DATA_DIR=/d\n' }, options).initdb?.cmd, `initdb -D /d --token ${SECRET}`);
});

test('interpolation problems are placed at the very value: argv item, cwd, env value', () => {
  const item = 'processes:\n  db:\n    cmd: [postgres, -D, "${DATA_DIR:?where the data lives}"]\n';
  assert.equal(problemAt({ 'subvisor.yaml': item }, '"${DATA'), ':3:25: processes.db.cmd[2]: DATA_DIR is not set (or is empty): where the data lives');
  const env = 'processes:\n  db:\n    cmd: x\n    env: { URL: "${HOST:?}:${PORT}" }\n';
  assert.match(problemAt({ 'subvisor.yaml': env }, '"${HOST', { env: { PORT: SECRET } }), /^:4:17: processes\.db\.env\.URL: HOST is not set \(or is empty\); set it in the environment, in \.env or in an envFile$/);
});

test('a command that only variables make up must not come out empty', () => {
  assert.match(problemAt({ 'subvisor.yaml': 'processes:\n  web:\n    cmd: "${CMD}"\n' }, '"${CMD'), /processes\.web\.cmd: is empty once its variables are expanded/);
  assert.match(problemAt({ 'subvisor.yaml': 'processes:\n  web:\n    cmd: ["${PROGRAM}", x]\n' }, '"${PROGRAM'), /processes\.web\.cmd\[0\]: the program name is empty once its variables are expanded/);
});

test('a listed env file that is missing is refused at its entry', () => {
  const dir = 'processes:\n  web: { cmd: x, envFile: [web.env, nope.env] }\n';
  assert.match(problemAt({ 'subvisor.yaml': dir, 'web.env': 'A=1\n' }, 'nope.env'), /^:2:37: processes\.web\.envFile\[1\]: env file not found: \/.*\/nope\.env; create it, or remove it from `envFile` \(relative paths are from the config file's directory\)$/);
  assert.match(problemAt({ 'subvisor.yaml': 'envFile: .env.local\nprocesses:\n  web: { cmd: x }\n' }, '.env.local'), /^:1:10: envFile: env file not found: .*\/\.env\.local;/);
  // An explicitly listed .env must be there, unlike the default one.
  assert.match(problemAt({ 'subvisor.yaml': 'envFile: [.env]\nprocesses:\n  web: { cmd: x }\n' }, '.env'), /envFile\[0\]: env file not found/);
});

test('envFile: no (or off), false in YAML 1.1, is said to be read as a file name, with what to write; a quoted one or another name is not', () => {
  const config = (value: string): string => `envFile: ${value}\nprocesses:\n  web: { cmd: x }\n`;
  assert.match(problemAt({ 'subvisor.yaml': config('no') }, 'no'), /: envFile: env file not found: \/.*\/no; create it, or remove it from `envFile` \(relative paths are from the config file's directory\); YAML reads no as a string here, not false: write `false`$/);
  // Only where `false` could be written instead: not in a list, not on a process, and never `true`, which adds nothing.
  assert.match(problemAt({ 'subvisor.yaml': config('[a.env, Off]'), 'a.env': '' }, 'Off'), /: envFile\[1\]: env file not found: .*directory\)$/);
  assert.match(problemAt({ 'subvisor.yaml': 'processes:\n  web: { cmd: x, envFile: no }\n' }, 'no'), /: processes\.web\.envFile: env file not found: .*directory\)$/);
  assert.match(problemAt({ 'subvisor.yaml': config('yes') }, 'yes'), /: envFile: env file not found: .*directory\)$/);
  assert.match(problemAt({ 'subvisor.yaml': config('"no"') }, '"no"'), /directory\)$/);
  assert.match(problemAt({ 'subvisor.yaml': config('nope') }, 'nope'), /directory\)$/);
});

test('envFile values that mean nothing are refused: true, false on a process, an empty path, a mapping', () => {
  assert.match(problemAt({ 'subvisor.yaml': 'envFile: true\nprocesses:\n  web: { cmd: x }\n' }, 'true'), /envFile: `true` adds nothing: \.env beside the config loads by default; give a path or a list of paths .*, or `false` to turn \.env off$/);
  assert.match(problemAt({ 'subvisor.yaml': 'processes:\n  web: { cmd: x, envFile: false }\n' }, 'false'), /processes\.web\.envFile: expected a path or a list of paths .*, found boolean false; `envFile: false` \(no \.env\) belongs at the top level/);
  assert.match(problemAt({ 'subvisor.yaml': 'envFile: [""]\nprocesses:\n  web: { cmd: x }\n' }, '""'), /envFile\[0\]: is empty; give a path/);
  assert.match(problemAt({ 'subvisor.yaml': 'envFile: { a: b }\nprocesses:\n  web: { cmd: x }\n' }, '{ a'), /envFile: expected a path or a list of paths .*, found a mapping/);
  assert.match(problemAt({ 'subvisor.yaml': 'env_file: a.env\nprocesses:\n  web: { cmd: x }\n' }, 'env_file'), /env_file: unknown key; did you mean 'envFile'\?/);
});

test('what is wrong inside an env file is reported at its line, by name, without the value, once', () => {
  const dir = directory({
    'shared.env': `GOOD=1\nTOKEN="${SECRET}\0x"\n`,
    'subvisor.yaml': 'envFile: shared.env\nprocesses:\n  a: { cmd: x, envFile: shared.env }\n  b: { cmd: y }\n',
  });
  const file = join(dir, 'subvisor.yaml');
  const error = configError(() => loadConfig(file, noEnv));
  assert.deepEqual(lines(error), [`${join(dir, 'shared.env')}:2:1: TOKEN: its value contains a NUL byte, which no environment value can hold; remove it`]);
  assert.doesNotMatch(error.message, /hunter2/);
});

test('a .env that cannot be read is refused, with the way to turn it off', () => {
  const dir = directory({ 'subvisor.yaml': 'processes:\n  web: { cmd: x }\n' });
  mkdirSync(join(dir, '.env'));
  const error = configError(() => loadConfig(join(dir, 'subvisor.yaml'), noEnv));
  assert.equal(error.message, `${join(dir, '.env')}: cannot read it: it is a directory; fix it, or write \`envFile: false\` at the top of the config to load no .env`);
  // Control: envFile: false does turn it off.
  writeFileSync(join(dir, 'subvisor.yaml'), 'envFile: false\nprocesses:\n  web: { cmd: x }\n');
  assert.doesNotThrow(() => loadConfig(join(dir, 'subvisor.yaml'), noEnv));
});

test('a .env beside a Procfile that cannot be read is refused with a way out a Procfile has', () => {
  const dir = directory({ Procfile: 'web: node server.js\n' });
  assert.doesNotThrow(() => loadConfig(join(dir, 'Procfile'), noEnv)); // control: no .env is fine
  mkdirSync(join(dir, '.env'));
  const error = configError(() => loadConfig(join(dir, 'Procfile'), noEnv));
  // A Procfile has no top level to write `envFile: false` at: the only way out is the file itself.
  assert.equal(lines(error)[0], `${join(dir, '.env')}: cannot read it: it is a directory; fix it, or move it away: a Procfile reads the .env beside it, as foreman does, and cannot turn that off`);
});

test('a Procfile reads the .env beside it too, and leaves its commands to the shell', () => {
  const dir = directory({ '.env': 'PORT=5000\n', Procfile: 'web: node server.js --port ${PORT:-3000} $PORT\n' });
  const [web] = loadConfig(join(dir, 'Procfile'), { env: { PORT: '1' } }).processes;
  assert.equal(web?.cmd, 'node server.js --port ${PORT:-3000} $PORT');
  assert.deepEqual(web.envFromFiles, { PORT: '5000' });
  assert.deepEqual(web.envFiles, [join(dir, '.env')]);
  const bare = directory({ Procfile: 'web: node server.js\n' });
  assert.equal(loadConfig(join(bare, 'Procfile'), noEnv).processes[0]?.envFromFiles, undefined);
});

test('the parent environment defaults to process.env', () => {
  const dir = directory({ 'subvisor.yaml': 'processes:\n  web: { cmd: "echo ${SUBVISOR_CONFIG_TEST_VARIABLE}" }\n' });
  process.env.SUBVISOR_CONFIG_TEST_VARIABLE = 'from-process-env';
  try {
    assert.equal(loadConfig(join(dir, 'subvisor.yaml')).processes[0]?.cmd, 'echo from-process-env');
    assert.equal(loadConfig(join(dir, 'subvisor.yaml'), noEnv).processes[0]?.cmd, 'echo ', 'control: an explicit env replaces it');
  } finally {
    delete process.env.SUBVISOR_CONFIG_TEST_VARIABLE;
  }
});

test('the problems of an env file are listed together, apart from the config\'s, each file in line order', () => {
  const dir = directory({
    'a.env': 'A=0\nX="1\0"\nB=1\nC=2\nY="2\0"\n', // lines 2 and 5, around the config's 3 and 4
    'subvisor.yaml': 'processes:\n  web: { cmd: x, envFile: a.env }\n  db: { cmd: y, restart: sometimes }\n  z: { cmd: z, grace: soon }\n',
  });
  const error = configError(() => loadConfig(join(dir, 'subvisor.yaml'), noEnv));
  assert.deepEqual(
    lines(error).map((line) => line.slice(dir.length + 1).replace(/:.*?: /, ' ')),
    ['a.env X: its value contains a NUL byte, which no environment value can hold; remove it', 'a.env Y: its value contains a NUL byte, which no environment value can hold; remove it'].concat([
      "subvisor.yaml processes.db.restart: unknown restart policy 'sometimes'; use `no`, `on-failure` or `always`",
      "subvisor.yaml processes.z.grace: invalid duration 'soon': expected a number with a unit (ms, s, m or h) like 500ms, 1.5s, 2m or 1m30s; a bare number means milliseconds",
    ]),
  );
});

test("envFile entries in compose's long form ({ path, required }) are answered with the path alone; the other entries are read as ever", () => {
  const config = 'processes:\n  web:\n    cmd: x\n    envFile:\n      - path: ./web.env\n        required: false\n      - nope.env\n';
  const error = configError(() => loadConfig(join(directory({ 'subvisor.yaml': config }), 'subvisor.yaml'), noEnv));
  const [longForm, missing, ...rest] = lines(error);
  assert.deepEqual(rest, []);
  assert.match(longForm ?? '', /:5:9: processes\.web\.envFile\[0\]: is docker compose's long form; write the path alone, `- \.\/web\.env`: an env file listed here must exist \(compose's required: false has no twin; only \.env beside the config may be missing\)$/);
  assert.match(missing ?? '', /:7:9: processes\.web\.envFile\[1\]: env file not found/, 'the control: the next entry is still read');
  const required = 'envFile:\n  - { path: shared.env }\nprocesses:\n  web: { cmd: x }\n';
  assert.match(lines(configError(() => loadConfig(join(directory({ 'subvisor.yaml': required, 'shared.env': 'A=1\n' }), 'subvisor.yaml'), noEnv)))[0] ?? '', /envFile\[0\]: is docker compose's long form; write the path alone, `- shared\.env`$/);
});
