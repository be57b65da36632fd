// Someone moving from pm2 runs `subvisor up -f ecosystem.config.js` first: the file is not run,
// the error says how to print it as JSON, and `up -f` on that JSON answers with the subvisor.yaml
// its apps become.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, runCli } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-pm2-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('up -f ecosystem.config.js runs none of it, and the command it gives makes the JSON that up -f answers key by key', { timeout: 30_000 }, async () => {
  // Were the file run, it would leave this mark behind.
  const ran = join(dir, 'ran');
  writeFileSync(
    join(dir, 'ecosystem.config.js'),
    `require('node:fs').writeFileSync(${JSON.stringify(ran)}, '');\nmodule.exports = { apps: [{ name: 'api', script: 'api.js', instances: 2, kill_timeout: 1600 }] };\n`,
  );
  const refused = await runCli(['up', '-f', 'ecosystem.config.js'], { cwd: dir });
  assert.equal(refused.code, 2);
  assert.equal(existsSync(ran), false, 'up must not run the ecosystem file');
  const command = /print what it exports as JSON, (node -e .*) > (ecosystem\.config\.json), then `subvisor up -f ecosystem\.config\.json` says/.exec(refused.stderr);
  assert.ok(command?.[1] !== undefined && command[2] !== undefined, refused.stderr);
  // The user's step, as the message gives it to a shell.
  execFileSync('sh', ['-c', `${command[1]} > ${command[2]}`], { cwd: dir, timeout: 10_000 });
  const answered = await runCli(['up', '-f', command[2]], { cwd: dir });
  assert.equal(answered.code, 2);
  assert.match(answered.stderr, /^subvisor: ecosystem\.config\.json:2:3: apps: is pm2's; its apps, in a subvisor\.yaml:\n {4}processes:\n {6}api:\n {8}cmd: node api\.js\n {8}replicas: 2\n {8}restart: \{ policy: always, max: 16, backoff: 0ms, resetAfter: 1s \}\n {8}stopSignal: SIGINT\n {8}grace: 1600ms\n/);
});

test('with no config file here but an ecosystem file, the error names it, as it names a compose file', { timeout: 30_000 }, async () => {
  const project = mkdtempSync(join(dir, 'project-'));
  for (const name of ['ecosystem.config.js', 'ecosystem.config.cjs', 'ecosystem.json', 'ecosystem.js.bak']) writeFileSync(join(project, name), '');
  const run = await runCli(['up'], { cwd: project });
  assert.equal(run.code, 2);
  assert.equal(
    run.stderr.split('\n')[0],
    'subvisor: no config file here (looked for subvisor.yaml, subvisor.yml, Procfile); pass one with --file FILE (here: ecosystem.config.cjs, ecosystem.config.js, ecosystem.json)',
  );
});

test('the command that prints an ecosystem file as JSON works for a path with quotes, blanks, $ and URL characters in it', { timeout: 30_000 }, async () => {
  // Each breaks a naive command: ' and " its quoting, a blank and $ the shell's words, # ? % the path read as a URL.
  const odd = `it's "odd" $HOME #1 ?x %41`;
  mkdirSync(join(dir, odd));
  writeFileSync(join(dir, odd, 'ecosystem.config.js'), "module.exports = { apps: [{ name: 'api', script: 'api.js' }] };\n");
  const refused = await runCli(['up', '-f', join(odd, 'ecosystem.config.js')], { cwd: dir });
  assert.equal(refused.code, 2);
  const command = /print what it exports as JSON, (node -e .*), then `subvisor up -f /.exec(refused.stderr)?.[1];
  assert.ok(command !== undefined, refused.stderr);
  execFileSync('sh', ['-c', command], { cwd: dir, timeout: 10_000 });
  const json = join(odd, 'ecosystem.config.json');
  assert.deepEqual(JSON.parse(readFileSync(join(dir, json), 'utf8')), { apps: [{ name: 'api', script: 'api.js' }] });
  const answered = await runCli(['up', '-f', json], { cwd: dir });
  assert.match(answered.stderr, /its apps, in a subvisor\.yaml:\n {4}processes:\n {6}api:\n {8}cmd: node api\.js\n/);
});

test('for a file whose name starts with -, the up -f it gives reads the JSON, not an option', { timeout: 30_000 }, async () => {
  writeFileSync(join(dir, '-dash.config.js'), "module.exports = { apps: [{ name: 'api', script: 'api.js' }] };\n");
  const refused = await runCli(['up', '--file=-dash.config.js'], { cwd: dir });
  const [, printing, reading] = /print what it exports as JSON, (node -e .*), then `subvisor (up -f .*)` says/.exec(refused.stderr) ?? [];
  assert.ok(printing !== undefined && reading !== undefined, refused.stderr);
  // The user's two steps, as the message gives them to a shell.
  execFileSync('sh', ['-c', printing], { cwd: dir, timeout: 10_000 });
  const answered = spawnSync('sh', ['-c', `"$0" "$1" ${reading}`, process.execPath, BIN], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  assert.match(answered.stderr, /its apps, in a subvisor\.yaml:\n {4}processes:\n {6}api:\n/);
});
