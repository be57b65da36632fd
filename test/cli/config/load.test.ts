import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { configFormat, loadConfig } from '../../../src/cli/config/index.js';
import { configError } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('loadConfig reads subvisor.yaml as YAML, resolving cwd against the file', () => {
  const file = join(dir, 'subvisor.yaml');
  writeFileSync(file, 'processes:\n  web:\n    cmd: [node, server.js]\n    cwd: app\n');
  const config = loadConfig(file);
  assert.equal(config.file, file);
  const [web] = config.processes;
  assert.deepEqual(web?.cmd, ['node', 'server.js']);
  assert.equal(web.cwd, join(dir, 'app'));
});

test('a file not named *.yaml or *.yml is read by its content: a Procfile unless it has a top-level processes key', () => {
  mkdirSync(join(dir, 'procs'), { recursive: true });
  const procfile = '# the app\nweb: node server.js\n';
  // node-foreman's fixtures are named like procfile-comment.Procfile; foreman reads whatever -f names.
  for (const name of ['Procfile', 'Procfile.dev', 'dev.Procfile', 'procfile-comment.Procfile', 'stack.conf']) {
    const file = join(dir, 'procs', name);
    writeFileSync(file, procfile);
    assert.deepEqual(loadConfig(file).processes.map((spec) => [spec.name, spec.cmd]), [['web', 'node server.js']], name);
  }
  const yaml = 'processes:  # the app\r\n  web: { cmd: [node, server.js] }\r\n';
  for (const name of ['Procfile', 'stack.conf', 'subvisor.yml', 'Procfile.yaml']) {
    const file = join(dir, 'procs', name);
    writeFileSync(file, yaml);
    assert.deepEqual(loadConfig(file).processes.map((spec) => [spec.name, spec.cmd]), [['web', ['node', 'server.js']]], name);
  }
});

test('the rule, case by case: the name when it ends in .yaml, .yml or .json, else a top-level processes key', () => {
  const cases: [file: string, text: string, kind: 'yaml' | 'procfile'][] = [
    ['ecosystem.json', '{\n  "apps": []\n}\n', 'yaml'], // JSON is YAML: never lines of a Procfile
    ['subvisor.JSON', '{ "processes": { "web": { "cmd": "x" } } }\n', 'yaml'],
    ['a.yaml', 'web: node server.js\n', 'yaml'], // the name decides: a broken config stays YAML
    ['a.YML', '', 'yaml'],
    ['a', 'processes:\n', 'yaml'],
    ['a', 'processes: # all of them\n', 'yaml'],
    ['a', 'processes: { web: { cmd: x } }\n', 'yaml'],
    ['a', 'processes: &all\n', 'yaml'],
    ['a', '\uFEFFprocesses:\n', 'yaml'], // a byte order mark before it (an editor on Windows)
    ['a', 'processes: ./run-all.sh\n', 'procfile'], // a process named processes
    ['a', '  processes:\n', 'procfile'], // not at the top level
    ['a', 'procesess:\n', 'procfile'],
    ['a', '', 'procfile'],
  ];
  for (const [file, text, kind] of cases) assert.equal(configFormat(file, text).kind, kind, `${file}: ${JSON.stringify(text)}`);
});

test('an error in a file read by its content says how it was read and why', () => {
  const misspelt = join(dir, 'stack.conf');
  writeFileSync(misspelt, 'procesess:\n  web:\n    cmd: node server.js\n');
  assert.deepEqual(configError(() => loadConfig(misspelt)).message.split('\n').at(-1), `${misspelt}: read as a Procfile (\`name: command\` lines) because it has no top-level \`processes:\` key and its name does not end in .yaml, .yml or .json; a subvisor YAML config starts with \`processes:\`, or is named *.yaml`);
  const yaml = join(dir, 'Procfile');
  writeFileSync(yaml, 'processes:\n  web: { comand: x }\n');
  const error = configError(() => loadConfig(yaml));
  assert.match(error.message, /:2:10: processes\.web\.comand: unknown key; did you mean 'cmd'\?/);
  assert.equal(error.note, `${yaml}: read as subvisor YAML because it has a top-level \`processes:\` key; a Procfile has no \`processes:\` line`);
  assert.deepEqual([error.line, error.column], [2, 3], 'the fields are still the first problem\'s (web misses cmd)');
  // Control: when the name decided, there is nothing to explain.
  const named = join(dir, 'named.yaml');
  writeFileSync(named, 'processes:\n  web: { comand: x }\n');
  assert.equal(configError(() => loadConfig(named)).note, undefined);
});

test('how a file was read is said only when the problem is in that file, not in the .env beside it', () => {
  const project = join(dir, 'dotenv-problem');
  mkdirSync(project);
  const procfile = join(project, 'Procfile');
  // Control: a bad line of the Procfile itself gets the note.
  writeFileSync(procfile, 'web node server.js\n');
  assert.match(configError(() => loadConfig(procfile)).note ?? '', /read as a Procfile/);
  // A .env that cannot be read would be read the same whatever the file was taken for.
  writeFileSync(procfile, 'web: node server.js\n');
  mkdirSync(join(project, '.env'));
  const error = configError(() => loadConfig(procfile));
  assert.match(error.message, /\.env: cannot read it: it is a directory/);
  assert.equal(error.note, undefined);
});

test("a JavaScript config (pm2's ecosystem file) is refused unread, with the command that prints it as JSON", () => {
  for (const name of ['ecosystem.config.js', 'ecosystem.config.cjs', 'ecosystem.mjs']) {
    // A directory by that name: reading it would fail otherwise, so the answer proves it is not read.
    const file = join(dir, name);
    mkdirSync(file, { recursive: true });
    const json = file.replace(/\.[cm]?js$/, '.json');
    const { message } = configError(() => loadConfig(file));
    assert.equal(message, `${file}: is JavaScript (pm2's ecosystem file?), which subvisor does not run to read a config; print what it exports as JSON, node -e 'import(require("node:url").pathToFileURL(process.argv[1]).href).then((m) => console.log(JSON.stringify(m.default, null, 2)))' ${file} > ${json}, then \`subvisor up -f ${json}\` says what each of its apps becomes in a subvisor.yaml`);
  }
});

test('a missing config file is a ConfigError that keeps the fs error as its cause', () => {
  const file = join(dir, 'nope.yaml');
  const error = configError(() => loadConfig(file));
  assert.equal(error.message, `${file}: cannot read the config file: no such file; pass the right one with --file FILE (subvisor.yaml or a Procfile)`);
  assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOENT');
  assert.match(configError(() => loadConfig(dir)).message, /cannot read the config file: it is a directory/);
});
