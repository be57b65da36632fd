// Someone moving from pm2 or overmind types their commands to subvisor first: each is refused
// (status 2, nothing on stdout) with subvisor's way, built from the names typed after it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-pm2-commands-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("pm2's and overmind's commands are answered with subvisor's, naming the processes typed after them", { timeout: 60_000 }, async () => {
  const cases: [args: string[], answer: string][] = [
    [['list'], "pm2's list: the processes of the run started with `up` here: subvisor ps"],
    [['ls'], "pm2's ls: the processes of the run started with `up` here: subvisor ps"],
    [['jlist'], "pm2's jlist: the processes of the run, as JSON: subvisor ps --json"],
    [['status'], "overmind's status: the processes of the run started with `up` here: subvisor ps"],
    [['monit'], "pm2's monit: the states of the processes: subvisor ps; their output: subvisor logs -f"],
    [['delete', 'web'], "pm2's delete: a process is one of the config: subvisor stop web stops it (start runs it again); to delete it, remove it from the config"],
    [['reload', 'web', 'api'], "pm2's reload: subvisor restart web api stops it (and what depends on it), then starts them again; there is no cluster to reload one copy at a time"],
    [['scale', 'web', '4'], "pm2's scale: copies of a process are `replicas: 4` in subvisor.yaml, or `subvisor up web=4` for a Procfile"],
    [['save'], "pm2's save: the config file is the list of processes already; to start them at boot: subvisor export systemd"],
    [['startup'], "pm2's startup: to start the processes at boot, as systemd units: subvisor export systemd"],
    [['kill'], "overmind's kill: the run ends with Ctrl-C where `subvisor up` runs (or SIGINT or SIGTERM to it); `subvisor stop NAME` stops one process"],
    [['connect', 'web'], "overmind's connect: a process here has no terminal (it reads /dev/null); to follow its output: subvisor logs -f web"],
    [['echo'], "overmind's echo: to follow every process's output: subvisor logs -f"],
  ];
  for (const [args, answer] of cases) {
    const run = await runCli(args);
    assert.deepEqual(run, { code: 2, signal: null, stdout: '', stderr: `subvisor: unknown command '${args[0]}'; ${answer}\n(see subvisor --help)\n` }, args.join(' '));
  }
  // Control: a word no tool has as a command is still unknown, with the one most likely meant.
  const misspelt = await runCli(['stauts']);
  assert.equal(misspelt.stderr, "subvisor: unknown command 'stauts'; did you mean 'ps'?\n(see subvisor --help)\n");
});

test("start SCRIPT, pm2's, with no run to ask, is answered with run or up rather than 'start one with up'", { timeout: 30_000 }, async () => {
  const script = "pm2's start app.js: subvisor start NAME starts a stopped process of a running stack; to supervise one command: subvisor run -- node app.js; several: the processes of a subvisor.yaml, run by subvisor up";
  const noConfig = mkdtempSync(join(dir, 'no-config-'));
  const withProcfile = mkdtempSync(join(dir, 'procfile-'));
  writeFileSync(join(withProcfile, 'Procfile'), 'web: sleep 1\n');
  // No config here (no file to find the run by), and a config but no run (no socket).
  for (const cwd of [noConfig, withProcfile]) {
    const run = await runCli(['start', 'app.js'], { cwd });
    assert.deepEqual([run.code, run.stderr], [2, `subvisor: ${script}\n(see subvisor start --help)\n`], cwd);
  }
  const ecosystem = await runCli(['start', 'ecosystem.config.js'], { cwd: noConfig });
  assert.equal(ecosystem.stderr.split('\n')[0], "subvisor: pm2's start ecosystem.config.js: the processes of a config file run with up: subvisor up -f ecosystem.config.js");
  const path = await runCli(['start', './bin/www'], { cwd: withProcfile });
  assert.match(path.stderr, /^subvisor: pm2's start \.\/bin\/www: .*subvisor run -- \.\/bin\/www;/);
  // Control: a process name is told what it was before.
  const name = await runCli(['start', 'web'], { cwd: withProcfile });
  assert.deepEqual([name.code, name.stderr.split('\n')[0]], [1, `subvisor: no run is listening on ${join(withProcfile, '.subvisor', 'control.sock')}: start one with \`subvisor up\`, or reach a run started with --socket PATH by the same --socket PATH`]);
});

test("start NAME where the config names a process like a script (server.js) and no run is up is told there is no run, not pm2's way", { timeout: 30_000 }, async () => {
  const project = mkdtempSync(join(dir, 'start-named-'));
  writeFileSync(join(project, 'subvisor.yaml'), 'processes:\n  server.js: { cmd: sleep 1 }\n');
  const named = await runCli(['start', 'server.js'], { cwd: project });
  assert.deepEqual([named.code, named.stderr.split('\n')[0]], [1, `subvisor: no run is listening on ${join(project, '.subvisor', 'control.sock')}: start one with \`subvisor up\`, or reach a run started with --socket PATH by the same --socket PATH`]);
  // Control: a script the config does not name is still pm2's.
  const script = await runCli(['start', 'app.js'], { cwd: project });
  assert.match(script.stderr, /^subvisor: pm2's start app\.js: /);
});

test('a config file given as a word (up dev.yaml, start app.json) is told up -f, never run -- as a script', { timeout: 30_000 }, async () => {
  const project = mkdtempSync(join(dir, 'config-words-'));
  writeFileSync(join(project, 'subvisor.yaml'), 'processes:\n  web: { cmd: echo started web }\n');
  for (const word of ['dev.yaml', 'config/dev.yml', 'app.json', 'DEV.YAML']) {
    const up = await runCli(['up', word], { cwd: project });
    assert.deepEqual([up.code, up.stderr.split('\n')[0]], [2, `subvisor: '${word}' is a config file, as pm2's start takes it; up reads one with -f: subvisor up -f ${word}`], word);
    const start = await runCli(['start', word], { cwd: project });
    assert.equal(start.stderr.split('\n')[0], `subvisor: pm2's start ${word}: the processes of a config file run with up: subvisor up -f ${word}`, word);
  }
});

test("up SCRIPT or up ECOSYSTEM-FILE, as pm2's start takes them, is told run or up -f; a process named like a script still runs", { timeout: 30_000 }, async () => {
  const project = mkdtempSync(join(dir, 'up-words-'));
  writeFileSync(join(project, 'subvisor.yaml'), 'processes:\n  server.js: { cmd: echo started server }\n  web: { cmd: echo started web }\n');
  const ecosystem = await runCli(['up', 'ecosystem.config.js'], { cwd: project });
  assert.deepEqual([ecosystem.code, ecosystem.stderr.split('\n')[0]], [2, "subvisor: 'ecosystem.config.js' is a config file, as pm2's start takes it; up reads one with -f: subvisor up -f ecosystem.config.js"]);
  const script = await runCli(['up', 'web', 'app.js'], { cwd: project });
  assert.deepEqual(
    [script.code, script.stderr.split('\n')[0]],
    [2, "subvisor: 'app.js' is a script, as pm2's start takes it; up runs the processes of a config: to supervise it alone, subvisor run -- node app.js; several: the processes of a subvisor.yaml"],
  );
  assert.doesNotMatch(script.stdout, /started/, 'nothing started');
  // Control: the config's own process of that shape is a name.
  const named = await runCli(['up', 'server.js'], { cwd: project });
  assert.equal(named.code, 0, named.stderr);
  assert.match(named.stdout, /started server/);
});
