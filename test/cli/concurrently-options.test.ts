// Someone moving from concurrently (or npm-run-all) types its options to `subvisor up` or
// `subvisor run`, and its quoted commands (or script names) where up takes process names. Each is refused before anything starts, with
// subvisor's way of saying the same, built from what they typed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-concurrently-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'Procfile'), 'web: echo started\nworker: echo started\n');

const UP: [string[], string][] = [
  [['--kill-others'], "concurrently's --kill-others: up stops every process at the first failure; to have one process's exit, 0 too, stop the others, make it main: true in subvisor.yaml"],
  [['-k'], "concurrently's -k: up stops every process at the first failure; to have one process's exit, 0 too, stop the others, make it main: true in subvisor.yaml"],
  [['--kill-others-on-fail'], "concurrently's --kill-others-on-fail: up stops every process at the first failure already: subvisor up"],
  [['--success', 'command-web'], "concurrently's --success: the run ends with the exit of its main process, and its status: make web main: true in subvisor.yaml"],
  [['-s', 'all'], "concurrently's -s: up exits 0 when every process ended well, and with the status of the first that failed: subvisor up"],
  [['-n', 'api,web'], "concurrently's -n: a process's name is its key under processes: in subvisor.yaml (api: { cmd: ... }), or in a Procfile (api: CMD)"],
  [['-c', 'red,bgBlue.bold'], "concurrently's -c: each process's prefix has a colour of its own, chosen by up; colour is on for a terminal; to force it, FORCE_COLOR=1 subvisor up"],
  [['--raw'], "concurrently's --raw: each line starts with its process's name; a program reads --json, one record per line with the line as it was: subvisor up --json"],
  [['--restart-tries', '2'], "concurrently's --restart-tries: restarts are per process, in subvisor.yaml: restart: { policy: on-failure, max: 2 }"],
  [['--restart-after=1000'], "concurrently's --restart-after: restarts are per process, in subvisor.yaml, each waiting twice as long as the one before: restart: { policy: on-failure, backoff: 1000ms }"],
  [['-m', '2'], "concurrently's -m: up starts each process once what it dependsOn is ready, and the others at once; to start b once a has ended, in subvisor.yaml: b: { dependsOn: { a: completed } }"],
  [['-p', '{name}'], "concurrently's -p: each line starts with its process's name, padded to the longest; --timestamps adds the time: subvisor up --timestamps"],
  [['-t', 'HH:mm:ss'], "concurrently's -t: each line starts with the time (HH:MM:SS.mmm) with --timestamps: subvisor up --timestamps"],
  [['--kill-signal', 'SIGINT'], "concurrently's --kill-signal: the signal that stops a process is its stopSignal, in subvisor.yaml: stopSignal: SIGINT"],
  [['--kill-timeout', '3000'], "concurrently's --kill-timeout: the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace 3000ms"],
  [['--kill-timeout', '3s'], "concurrently's --kill-timeout: the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace 3s"],
  [['--kill-timeout', ' 3000 '], "concurrently's --kill-timeout: the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace 3000ms"],
  [['--kill-timeout', '3e3'], "concurrently's --kill-timeout: the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace 3000ms"],
  [['--no-color'], "concurrently's --no-color: colour is off where NO_COLOR is set: NO_COLOR=1 subvisor up"],
  [['--hide', 'web'], "concurrently's --hide: up shows every process's lines; a process's cmd can send those not wanted elsewhere, in subvisor.yaml: web: { cmd: CMD > /dev/null }"],
  [['-g'], "concurrently's -g: lines are shown as they come, each with its process's name; one process's lines alone, while up runs: subvisor logs NAME"],
  [['--timings'], "concurrently's --timings: up says how long each process ran as it ends, and shows every one's duration in its summary at the end: subvisor up"],
  [['-P'], "concurrently's -P: a command takes its arguments from the environment, in subvisor.yaml: cmd: npm test -- ${ARGS:-}, then: ARGS=--watch subvisor up"],
  [['--teardown', 'npm run clean'], "concurrently's --teardown: up runs nothing once its processes have stopped; run the cleanup after it: subvisor up; npm run clean"],
  [['-l', '10'], "concurrently's -l: each line starts with its process's name, padded to the longest; --timestamps adds the time: subvisor up --timestamps"],
  [['-l=10'], "concurrently's -l: each line starts with its process's name, padded to the longest; --timestamps adds the time: subvisor up --timestamps"],
  [['--pad-prefix'], "concurrently's --pad-prefix: each line starts with its process's name, padded to the longest; --timestamps adds the time: subvisor up --timestamps"],
  [['--name-separator', '|'], "concurrently's --name-separator: a process's name is its key under processes: in subvisor.yaml (web: { cmd: ... }), or in a Procfile (web: CMD)"],
  // Its commands, where up takes process names: no name has a blank or a `:`.
  [['npm run dev', 'npm run api'], "'npm run dev' is a command, as concurrently takes them; up runs the processes of a subvisor.yaml (or a Procfile), one per command: processes: { dev: { cmd: npm run dev } }; one command alone: subvisor run -- npm run dev"],
  [['npm:dev'], "'npm:dev' is a command, as concurrently takes them; up runs the processes of a subvisor.yaml (or a Procfile), one per command: processes: { dev: { cmd: npm run dev } }; one command alone: subvisor run -- npm run dev"],
  [['npm:watch-*'], "'npm:watch-*' is a command, as concurrently takes them; up runs the processes of a subvisor.yaml (or a Procfile), one per command: processes: { watch-NAME: { cmd: npm run watch-NAME }, ... }"],
  // npm-run-all's (run-p, run-s): a letter concurrently has too is told apart by its value.
  [['-p', 'watch:*'], "npm-run-all's -p: up runs the processes of a subvisor.yaml at once, one per script: processes: { watch-NAME: { cmd: npm run watch:NAME }, ... }"],
  [['-s', 'build'], "npm-run-all's -s: up starts a process once what it dependsOn has succeeded, in subvisor.yaml: processes: { build: { cmd: npm run build, task: true }, NAME: { cmd: npm run NAME, dependsOn: { build: succeeded } } }"],
  [['--race'], "npm-run-all's --race: to have one process's exit stop the others, make it main: true in subvisor.yaml"],
  [['--continue-on-error'], "npm-run-all's --continue-on-error: up stops every process at the first failure; a task may fail without ending the run when what depends on it waits for it to have completed, in subvisor.yaml: dependsOn: { NAME: completed }"],
  [['--aggregate-output'], "npm-run-all's --aggregate-output: lines are shown as they come, each with its process's name; one process's lines alone, while up runs: subvisor logs NAME"],
  [['--print-name'], "npm-run-all's --print-name: each line starts with its process's name, padded to the longest; --timestamps adds the time: subvisor up --timestamps"],
  [['--silent'], "npm-run-all's --silent: npm's own lines are left out by npm, in the process's cmd: cmd: npm run --silent NAME"],
  [['lint:js'], "'lint:js' names npm scripts, as npm-run-all takes them; up runs the processes of a subvisor.yaml, one per script: processes: { lint-js: { cmd: npm run lint:js } }"],
];

test("concurrently's and npm-run-all's options and commands given to up are refused before anything starts, each with what to write instead", { timeout: 90_000 }, async () => {
  for (const [args, instead] of UP) {
    const run = await runCli(['up', ...args], { cwd: dir });
    assert.equal(run.code, 2, args.join(' '));
    assert.equal(run.stderr.split('\n')[0], `subvisor: ${instead}`, args.join(' '));
    assert.doesNotMatch(run.stdout, /started/, 'nothing started');
  }
  // The control: the letters foreman's start shares are still foreman's when the value is foreman's.
  const port = await runCli(['up', '-p', '3000'], { cwd: dir });
  assert.equal(port.stderr.split('\n')[0], "subvisor: foreman's -p: the first PORT is the environment's: PORT=3000 subvisor up");
  const formation = await runCli(['up', '-m', 'web=2'], { cwd: dir });
  assert.equal(formation.stderr.split('\n')[0], "subvisor: foreman's -m: the formation is words after up: subvisor up web=2");
});

const RUN: [string[], string][] = [
  // The value typed after an option run does not have is read as such, not as the command.
  [['--kill-timeout', '2000', '--', 'echo', 'started'], "concurrently's --kill-timeout: the time to stop before SIGKILL is --grace, with a unit: subvisor run --grace 2000ms -- CMD"],
  [['-n', 'web', 'echo', 'started'], "concurrently's -n: the prefix of the command's lines is its label: subvisor run --label web -- CMD"],
  [['--kill-signal', 'SIGINT', '--', 'echo', 'started'], "concurrently's --kill-signal: the signal that stops the command is --stop-signal: subvisor run --stop-signal SIGINT -- CMD"],
  [['-P', '--', 'echo', 'started'], "concurrently's -P: run passes every word after -- to the command: subvisor run -- CMD ARGS"],
  [['--teardown', 'npm run clean', '--', 'echo', 'started'], "concurrently's --teardown: run runs nothing once its command has stopped; run the cleanup after it: subvisor run -- CMD; npm run clean"],
  [['--timings', '--', 'echo', 'started'], "concurrently's --timings: run says how long the command ran as it ends: subvisor run -- CMD"],
  [['--silent', '--', 'npm', 'run', 'build'], "npm-run-all's --silent: npm's own lines are left out by npm: subvisor run -- npm run --silent NAME"],
  [['-r', '--', 'echo', 'started'], "concurrently's -r: each line starts with the label; a program reads --json, one record per line with the line as it was: subvisor run --json -- CMD"],
  [['-k', '--', 'echo', 'started'], "concurrently's -k: run supervises one command, and up several, the processes of a subvisor.yaml: up stops every process at the first failure; to have one process's exit, 0 too, stop the others, make it main: true in subvisor.yaml"],
  // Its several quoted commands: run would look for a program named `echo started`.
  [['echo started', 'echo started again'], "concurrently's commands: run supervises one command; several are the processes of a subvisor.yaml, run by subvisor up: processes: { started: { cmd: echo started }, again: { cmd: echo started again } }"],
];

test("concurrently's options given to run are refused before the command starts, each with what to write instead; foreman's are not answered there", { timeout: 60_000 }, async () => {
  for (const [args, instead] of RUN) {
    const run = await runCli(['run', ...args], { cwd: dir });
    assert.equal(run.code, 2, args.join(' '));
    assert.equal(run.stderr.split('\n')[0], `subvisor: ${instead}`, args.join(' '));
    assert.doesNotMatch(run.stdout + run.stderr, / \* (?:starting|cannot start)/, 'nothing started');
  }
  // The control: foreman's start is up, so its -p means nothing to run.
  const port = await runCli(['run', '-p', '3000', '--', 'echo', 'started'], { cwd: dir });
  assert.equal(port.code, 2);
  assert.match(port.stderr, /^subvisor: unknown option '-p'; the options are --label/m);
  // And a program whose path has a blank, with an argument that has one, is one command, and runs.
  writeFileSync(join(dir, 'my tool'), '#!/bin/sh\necho "ran with $1"\n', { mode: 0o755 });
  const spaced = await runCli(['run', './my tool', 'an argument'], { cwd: dir });
  assert.equal(spaced.code, 0, spaced.stderr);
  assert.match(spaced.stdout, /\| ran with an argument$/m);
  // So is one found on PATH by its name with a blank, as exec finds it.
  const onPath = await runCli(['run', 'my tool', 'an argument'], { cwd: tmpdir(), env: { PATH: `${dir}:${process.env.PATH ?? ''}` } });
  assert.equal(onPath.code, 0, onPath.stderr);
  assert.match(onPath.stdout, /\| ran with an argument$/m);
});

test('a kill timeout longer than --grace takes (a habit for "never SIGKILL") is answered with the longest --grace takes, which --grace then takes', { timeout: 60_000 }, async () => {
  const typed: [string, string[]][] = [
    ['up', ['-t', '99999999']],
    ['up', ['--kill-timeout', '99999999999']],
    ['run', ['--kill-timeout', '99999999999', '--', 'true']],
  ];
  for (const [command, args] of typed) {
    const refused = await runCli([command, ...args], { cwd: dir });
    assert.equal(refused.code, 2, args.join(' '));
    assert.match(refused.stderr, /--grace, with a unit, at most 596h: subvisor (?:up|run) --grace 596h\b/, args.join(' '));
    const grace = /--grace (\S+)/.exec(refused.stderr.split('\n')[0] ?? '')?.[1] ?? '';
    const suggested = await runCli(command === 'up' ? ['up', '--grace', grace] : ['run', '--grace', grace, '--', 'true'], { cwd: dir });
    assert.equal(suggested.code, 0, `the suggestion works: ${suggested.stderr}`);
  }
  // The control: one --grace takes is suggested as it was typed, with no word of a longest.
  const fits = await runCli(['up', '-t', '99999'], { cwd: dir });
  assert.equal(fits.stderr.split('\n')[0], "subvisor: foreman's -t: the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace 99999s");
});

test("process names quoted together (up \"$SERVICES\") are told to be separate words, not read as a command; a word with a name the config lacks is still one", { timeout: 60_000 }, async () => {
  const quoted = await runCli(['up', 'web worker'], { cwd: dir });
  assert.equal(quoted.code, 2);
  assert.equal(quoted.stderr.split('\n')[0], "subvisor: 'web worker' is 2 process names in one word; names are separate words: subvisor up web worker");
  assert.doesNotMatch(quoted.stdout, /started/, 'nothing started');
  const formation = await runCli(['up', 'web=2 worker'], { cwd: dir });
  assert.equal(formation.stderr.split('\n')[0], "subvisor: 'web=2 worker' is 2 process names in one word; names are separate words: subvisor up web=2 worker");
  const json = await runCli(['up', '--json', 'web worker'], { cwd: dir });
  assert.equal(json.code, 2);
  assert.equal((JSON.parse(json.stdout.trim()) as { line: string }).line, "'web worker' is 2 process names in one word; names are separate words: subvisor up web worker");
  // The controls: a word with a part the config does not name is a command, as is any where no config is.
  const command = await runCli(['up', 'web server'], { cwd: dir });
  assert.match(command.stderr, /^subvisor: 'web server' is a command, as concurrently takes them;/);
  const empty = mkdtempSync(join(tmpdir(), 'subvisor-concurrently-no-config-'));
  try {
    const noConfig = await runCli(['up', 'npm run dev'], { cwd: empty });
    assert.equal(noConfig.code, 2);
    assert.match(noConfig.stderr, /^subvisor: 'npm run dev' is a command, as concurrently takes them;/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  // A config with a mistake names no processes to tell names from a command: its problem is told, not a guess.
  const broken = mkdtempSync(join(tmpdir(), 'subvisor-concurrently-broken-'));
  try {
    writeFileSync(join(broken, 'subvisor.yaml'), 'processes:\n  web: { cmd: "echo started", bogus: 1 }\n  worker: { cmd: "echo started" }\n');
    const withMistake = await runCli(['up', 'web worker'], { cwd: broken });
    assert.equal(withMistake.code, 2);
    assert.match(withMistake.stderr, /^subvisor: subvisor\.yaml:2:\d+: processes\.web\.bogus: unknown key/);
    assert.doesNotMatch(withMistake.stderr, /is a command/);
  } finally {
    rmSync(broken, { recursive: true, force: true });
  }
});
