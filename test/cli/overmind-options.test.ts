// Someone moving from overmind (or hivemind) types its `start` options to `subvisor up` first. Each
// is refused before anything starts, with what to write instead, built from what they typed; a
// letter overmind shares with foreman or concurrently (-c, -r, -s) is told apart by its value.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { foreignOptionInstead } from '../../src/cli/foreign-options.js';
import { runCli } from './cli.js';

const CAN_DIE = 'a process that exits 0 ends alone already, and the others run on; one whose failure must not end the run either is a task its dependents wait for as completed, in subvisor.yaml';

const INSTEAD: [name: string, value: string | undefined, instead: string][] = [
  ['-l', 'web,worker', "overmind's -l: the processes to run are words after up: subvisor up web worker"],
  ['--processes', 'web', "overmind's --processes: the processes to run are words after up: subvisor up web"],
  ['-x', 'worker', "overmind's -x: up runs the processes named after it (and what they depend on), or every one: subvisor up NAME..."],
  ['-N', undefined, "overmind's -N: subvisor up --no-port"],
  ['-P', '10', "overmind's -P: PORT steps by 100 per Procfile entry and 1 per copy, as foreman's; a process that needs another sets it in its command: web: PORT=3000 node server.js"],
  ['-D', undefined, "overmind's -D: up runs in the foreground, and ps, logs, stop and restart reach it from another terminal; to run the processes as a service: subvisor export systemd"],
  ['--can-die', 'worker', `overmind's --can-die: ${CAN_DIE}: worker: { task: true }, and NAME: { dependsOn: { worker: completed } }`],
  ['-c', 'worker,assets', `overmind's -c: ${CAN_DIE}: worker: { task: true }, and NAME: { dependsOn: { worker: completed } }`],
  ['-r', 'web,worker', "overmind's -r: restarts are per process, in subvisor.yaml: web: { restart: { policy: always } }"],
  ['--auto-restart', 'web', "overmind's --auto-restart: restarts are per process, in subvisor.yaml: web: { restart: { policy: always } }"],
  ['-s', './.overmind.sock', "overmind's -s: the control socket is --socket: subvisor up --socket ./.overmind.sock"],
];

test("overmind's start options are answered with subvisor's way, built from their values", () => {
  for (const [name, value, instead] of INSTEAD) assert.equal(foreignOptionInstead('up', name, value), instead, `${name} ${value ?? ''}`);
});

test('the letters overmind shares are still the others\' with the others\' values; under run, overmind has no options', () => {
  // Controls: chalk names after -c are concurrently's; a formation honcho's.
  assert.match(foreignOptionInstead('up', '-c', 'web=2') ?? '', /^honcho's -c: /);
  assert.match(foreignOptionInstead('up', '-c', 'red,bgBlue.bold') ?? '', /^concurrently's -c: /);
  assert.match(foreignOptionInstead('up', '-r', undefined) ?? '', /^concurrently's -r: /);
  assert.match(foreignOptionInstead('up', '-s', 'build') ?? '', /^npm-run-all's -s: /);
  assert.match(foreignOptionInstead('up', '-s', 'first') ?? '', /^concurrently's -s: /);
  // overmind's start is up: run has no counterpart.
  assert.equal(foreignOptionInstead('run', '-l', 'web,worker'), undefined);
  assert.equal(foreignOptionInstead('run', '-s', './.overmind.sock'), undefined);
});

const dir = mkdtempSync(join(tmpdir(), 'subvisor-overmind-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('up -l web,worker, as overmind start takes it, is refused before anything starts', { timeout: 30_000 }, async () => {
  writeFileSync(join(dir, 'Procfile'), 'web: echo started\nworker: echo started\n');
  const run = await runCli(['up', '-l', 'web,worker'], { cwd: dir });
  assert.deepEqual([run.code, run.stderr.split('\n')[0]], [2, "subvisor: overmind's -l: the processes to run are words after up: subvisor up web worker"]);
  assert.doesNotMatch(run.stdout, /started/);
});

test(".overmind.env (overmind's defaults) is not read: what it sets of what runs that the command line does not is warned of, with what to write; the run goes on", { timeout: 30_000 }, async () => {
  const project = mkdtempSync(join(dir, 'dot-overmind-env-'));
  writeFileSync(join(project, 'Procfile'), 'web: echo started web\nworker: echo started worker\n');
  writeFileSync(join(project, 'Procfile.dev'), 'web: echo started dev\n');
  // OVERMIND_COLORS changes only how the output looks; OVERMIND_NO_PORT=0 is what up does anyway.
  writeFileSync(join(project, '.overmind.env'), 'OVERMIND_PROCFILE=Procfile.dev\nOVERMIND_PORT=3000\nOVERMIND_CAN_DIE=worker\nOVERMIND_NO_PORT=0\nOVERMIND_COLORS=1,2\n');
  const warnings = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('subvisor: warning: .overmind.env')).sort();
  const run = await runCli(['up'], { cwd: project, env: { PORT: '' } });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(warnings(run.stderr), [
    `subvisor: warning: .overmind.env: OVERMIND_CAN_DIE: overmind's defaults are not read; ${CAN_DIE}: worker: { task: true }, and NAME: { dependsOn: { worker: completed } }`,
    "subvisor: warning: .overmind.env: OVERMIND_PORT: overmind's defaults are not read; the first PORT is the environment's: PORT=3000 subvisor up",
    "subvisor: warning: .overmind.env: OVERMIND_PROCFILE: overmind's defaults are not read; the config is given with -f: subvisor up -f Procfile.dev",
  ]);
  assert.match(run.stdout, /started web/, 'the run goes on, with the Procfile up reads');
  // What the command line gives is not warned of: -f is the Procfile, PORT the port.
  const given = await runCli(['up', '-f', 'Procfile.dev'], { cwd: project, env: { PORT: '3000' } });
  assert.equal(given.code, 0, given.stderr);
  assert.deepEqual(warnings(given.stderr).map((line) => line.split(':')[3]), [' OVERMIND_CAN_DIE']);
});

test("up -c NAME keeps the name in foreman's answer (its -c is a flag, the name the process to run) and gives overmind's can-die too", () => {
  assert.equal(
    foreignOptionInstead('up', '-c', 'worker'),
    `foreman's -c: colour is on for a terminal; to force it, FORCE_COLOR=1 subvisor up worker; overmind's -c worker (the processes that can die): ${CAN_DIE}: worker: { task: true }, and NAME: { dependsOn: { worker: completed } }`,
  );
  // Control: a colour is concurrently's, and foreman's colour setting names no process.
  assert.match(foreignOptionInstead('up', '-c', 'red') ?? '', /^concurrently's -c: /);
});

test('-s a,b, scripts joined by commas, is answered with a process per script, each started once the one before succeeded', () => {
  assert.equal(
    foreignOptionInstead('up', '-s', 'lint,build,start'),
    "npm-run-all's -s: up starts a process once what it dependsOn has succeeded, in subvisor.yaml: processes: { lint: { cmd: npm run lint, task: true }, build: { cmd: npm run build, task: true, dependsOn: { lint: succeeded } }, start: { cmd: npm run start, dependsOn: { build: succeeded } } }",
  );
});

test('up -r NAME is overmind\'s auto-restart of that process, not concurrently\'s raw flag alone, which would drop the name', () => {
  assert.equal(
    foreignOptionInstead('up', '-r', 'web'),
    "overmind's -r: restarts are per process, in subvisor.yaml: web: { restart: { policy: always } }; concurrently's -r (raw output) takes no name: each line starts with its process's name; a program reads --json, one record per line with the line as it was: subvisor up --json",
  );
});
