// Someone who has used `subvisor run` types its way of giving a command to `subvisor up` next:
// `up -- npm run dev`. up takes process names, so each word would be looked up as one ("no process
// named 'npm'", or, with no config here, "no config file"). Each such command line is refused
// before anything starts, with the run command and the process to write for it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-run-habits-'));
const empty = mkdtempSync(join(tmpdir(), 'subvisor-run-habits-empty-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});
writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  web: { cmd: echo started }\n  worker: { cmd: echo started }\n');

const SLEEP = "up takes process names, and after -- it was given a command, as run takes one (sleep 1): to supervise it alone, subvisor run -- sleep 1; to run it with others, make it a process of a subvisor.yaml (or a Procfile): processes: { sleep: { cmd: sleep 1 } }";

test("a command after up -- (run's way) is told to be run -- CMD or a process of the config, with a config and without one", { timeout: 60_000 }, async () => {
  for (const cwd of [dir, empty]) {
    const refused = await runCli(['up', '--', 'sleep', '1'], { cwd });
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.stderr.split('\n')[0], `subvisor: ${SLEEP}`, cwd);
    assert.doesNotMatch(refused.stdout, /started/, 'nothing started');
    // A process name before -- (up web -- sleep 1) does not make its words names.
    const afterName = await runCli(['up', 'web', '--', 'sleep', '1'], { cwd });
    assert.equal(afterName.code, 2, afterName.stderr);
    assert.equal(afterName.stderr.split('\n')[0], `subvisor: ${SLEEP}`, cwd);
  }
  // A process name after -- first (up -- web sleep 1): the words from the first one that is no
  // name but a program are the command, not names each ("no process named 'sleep'").
  for (const names of [['web'], ['web', 'worker=2']]) {
    const afterNames = await runCli(['up', '--', ...names, 'sleep', '1'], { cwd: dir });
    assert.equal(afterNames.code, 2, afterNames.stderr);
    assert.equal(afterNames.stderr.split('\n')[0], `subvisor: ${SLEEP}`, names.join(' '));
    assert.doesNotMatch(afterNames.stdout, /started/, 'nothing started');
  }
  // Whether or not its program is installed here: a word far from every name, with words after it
  // that are not all names, is a command's program (split, run -- says if it is missing).
  const missing = 'subvisor-no-such-tool';
  for (const words of [['web', missing, 'run', 'dev'], [missing, 'run', 'dev']]) {
    const uninstalled = await runCli(['up', '--', ...words], { cwd: dir });
    assert.equal(uninstalled.code, 2, uninstalled.stderr);
    assert.match(uninstalled.stderr, new RegExp(`^subvisor: up takes process names, and after -- it was given a command, as run takes one \\(${missing} run dev\\): to supervise it alone, subvisor run -- ${missing} run dev;`), words.join(' '));
  }
  // A program that is not installed could be misspelt names too (xyzzy api): the message says why
  // it read them as a command, and the names there are, in case names were meant. A word that
  // begins with a whole name and goes on (webpack for web) is a program's name, not a slip of it.
  for (const words of [['web', 'xyzzy', 'api'], ['web', 'webpack-no-such-tool', 'serve']]) {
    const [, program = '', ...args] = words;
    const shown = [program, ...args].join(' ');
    const either = await runCli(['up', '--', ...words], { cwd: dir });
    assert.equal(either.code, 2, either.stderr);
    assert.equal(
      either.stderr.split('\n')[0],
      `subvisor: up takes process names, and after -- it was given a command, as run takes one (${shown}): to supervise it alone, subvisor run -- ${shown}; to run it with others, make it a process of a subvisor.yaml (or a Procfile): processes: { ${program}: { cmd: ${shown} } }` +
        ` (read as a command: ${program} names no process and the words after it are not all names; ${program} is no program here either, so if names were meant, they are web, worker)`,
      words.join(' '),
    );
  }
  // So is a word close to a name (a server named after its process: redis-server for redis) when a
  // word that no process can be named follows it (--port): no did-you-mean for a program's options.
  const optioned = await runCli(['up', '--', 'web', 'worker-no-such-tool', '--port', '6380'], { cwd: dir });
  assert.equal(optioned.code, 2, optioned.stderr);
  assert.match(optioned.stderr, /^subvisor: up takes process names, and after -- it was given a command, as run takes one \(worker-no-such-tool --port 6380\)/);
  // Its words are shown as a shell reads them, so the suggestion can be pasted.
  const quoted = await runCli(['up', '--', 'sh', '-c', 'echo hi'], { cwd: dir });
  assert.match(quoted.stderr, /^subvisor: .*\(sh -c 'echo hi'\): to supervise it alone, subvisor run -- sh -c 'echo hi';/);
  const json = await runCli(['up', '--json', '--', 'sleep', '1'], { cwd: dir });
  assert.equal(json.code, 2);
  assert.equal((JSON.parse(json.stdout.trim()) as { line: string }).line, SLEEP);
});

test('process names after up -- are still names, and a single word that names no program is still told the names there are', { timeout: 60_000 }, async () => {
  const names = await runCli(['up', '--', 'web', 'worker'], { cwd: dir });
  assert.equal(names.code, 0, names.stderr);
  assert.match(names.stdout, /^web +\| started$/m);
  assert.match(names.stdout, /^worker +\| started$/m);
  const misspelt = await runCli(['up', '--', 'wbe'], { cwd: dir });
  assert.equal(misspelt.code, 2);
  assert.match(misspelt.stderr, /^subvisor: subvisor\.yaml: no process named 'wbe' \(known: web, worker\)/);
  // After a name, a word that names no program is a misspelt name too, however many follow.
  const misspeltAfterName = await runCli(['up', '--', 'web', 'wrker', 'api'], { cwd: dir });
  assert.equal(misspeltAfterName.code, 2);
  assert.match(misspeltAfterName.stderr, /^subvisor: subvisor\.yaml: no process named 'wrker' \(known: web, worker\)/);
  // Misspelt names with no name before them, and a word followed only by names, are names too.
  for (const words of [['wbe', 'wrker'], ['web', 'wbr', 'worker'], ['xyzzy', 'web']]) {
    const misspeltNames = await runCli(['up', '--', ...words], { cwd: dir });
    assert.equal(misspeltNames.code, 2, words.join(' '));
    assert.match(misspeltNames.stderr, /^subvisor: subvisor\.yaml: no process named '(wbe|wbr|xyzzy)' \(known: web, worker\)/, words.join(' '));
  }
});

test('a slip of a name that begins with another whole name (api-gatewy where api and api-gateway are names) is still a misspelt name, not a command', { timeout: 60_000 }, async () => {
  // Did-you-mean takes api for api-gatewy (it begins with the whole of api); that a word going on
  // past api is no slip of api must not make it a program's name when it is a slip of api-gateway.
  const named = mkdtempSync(join(tmpdir(), 'subvisor-run-habits-prefixed-'));
  try {
    writeFileSync(join(named, 'subvisor.yaml'), 'processes:\n  api: { cmd: echo started }\n  api-gateway: { cmd: echo started }\n  web: { cmd: echo started }\n');
    for (const slip of ['api-gatewy', 'apigateways']) {
      const words = ['web', slip, 'subvisor-no-such-name'];
      const misspelt = await runCli(['up', '--', ...words], { cwd: named });
      assert.equal(misspelt.code, 2, words.join(' '));
      assert.match(misspelt.stderr, new RegExp(`^subvisor: subvisor\\.yaml: no process named '${slip}' \\(known: api, api-gateway, web\\)`), words.join(' '));
    }
    // The control: a word going on past a whole name and close to no other is a program's name.
    const command = await runCli(['up', '--', 'web', 'apixyzzy', 'serve'], { cwd: named });
    assert.equal(command.code, 2, command.stderr);
    assert.match(command.stderr, /^subvisor: up takes process names, and after -- it was given a command, as run takes one \(apixyzzy serve\)/);
  } finally {
    rmSync(named, { recursive: true, force: true });
  }
});

test("a word going on past a whole name, followed only by names (up -- webpack worker), is no process, and no slip of the name it begins with: no 'did you mean web'", { timeout: 60_000 }, async () => {
  for (const words of [['webpack', 'worker'], ['webpack']]) {
    const refused = await runCli(['up', '--', ...words], { cwd: dir });
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.stderr.split('\n')[0], "subvisor: subvisor.yaml: no process named 'webpack' (known: web, worker)", words.join(' '));
    assert.doesNotMatch(refused.stdout, /started/, 'nothing started');
  }
  // The control: a slip of a letter or two is still a slip of web.
  const slip = await runCli(['up', '--', 'webb', 'worker'], { cwd: dir });
  assert.equal(slip.code, 2, slip.stderr);
  assert.equal(slip.stderr.split('\n')[0], "subvisor: subvisor.yaml: no process named 'webb' (known: web, worker); did you mean 'web'?");
});

const RUN_OPTIONS: [string[], string][] = [
  [['--ready', 'listening on \\d+'], 'run\'s --ready: up waits for each process\'s ready, in subvisor.yaml: ready: "listening on \\\\d+"'],
  [['--ready-timeout', '30s'], "run's --ready-timeout: how long each process's ready may take is its readyTimeout, in subvisor.yaml: readyTimeout: 30s"],
  [['--stop-signal', 'INT'], "run's --stop-signal: the signal that stops a process is its stopSignal, in subvisor.yaml: stopSignal: INT"],
  [['--label', 'api'], "run's --label: a process's name is its key under processes: in subvisor.yaml (api: { cmd: ... }), or in a Procfile (api: CMD)"],
];

test("run's own options given to up are each told as the key of subvisor.yaml that says the same, before anything starts", { timeout: 60_000 }, async () => {
  for (const [args, instead] of RUN_OPTIONS) {
    const refused = await runCli(['up', ...args], { cwd: dir });
    assert.equal(refused.code, 2, args.join(' '));
    assert.equal(refused.stderr.split('\n')[0], `subvisor: ${instead}`, args.join(' '));
    assert.doesNotMatch(refused.stdout, /started/, 'nothing started');
  }
  // The control: an option neither command has is still answered with up's own options.
  const unknown = await runCli(['up', '--zzzzzz'], { cwd: dir });
  assert.match(unknown.stderr, /^subvisor: unknown option '--zzzzzz'; the options are --file,/);
});
