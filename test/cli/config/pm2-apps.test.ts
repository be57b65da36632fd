// pm2's ecosystem file, given to `up -f ecosystem.json` or its `apps` copied into subvisor.yaml:
// refused at `apps` with the subvisor.yaml its apps become, and a word on each key without a twin.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseYamlConfig, type ProcessSpec } from '../../../src/cli/config/index.js';
import { configError, onlyProblem } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-pm2-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ECOSYSTEM = {
  apps: [
    {
      name: 'web',
      script: 'server.js',
      args: '--port 3000',
      cwd: 'app',
      instances: 2,
      exec_mode: 'cluster',
      env: { NODE_ENV: 'development' },
      env_production: { NODE_ENV: 'production' },
      max_memory_restart: '300M',
      max_restarts: 10,
      restart_delay: 4000,
      kill_timeout: 3000,
      wait_ready: true,
      listen_timeout: 8000,
      watch: ['src'],
      ignore_watch: ['node_modules'],
      out_file: 'out.log',
      cron_restart: '0 3 * * *',
    },
    { script: 'bin/worker.sh', autorestart: false },
  ],
};

/** The subvisor.yaml the answer holds: its indented lines after the first, up to the notes. */
function suggestedYaml(answer: string): string {
  const lines = answer.split('\n').slice(1);
  const end = lines.findIndex((line) => !line.startsWith('    '));
  return lines.slice(0, end === -1 ? undefined : end).map((line) => line.slice(4)).join('\n');
}

test("an ecosystem file's apps are answered with the subvisor.yaml they become, which reads as a config", () => {
  const answer = onlyProblem(JSON.stringify(ECOSYSTEM, null, 2), 2, 3);
  assert.match(answer.split('\n')[0] ?? '', /^conf\/subvisor\.yaml:2:3: apps: is pm2's; its apps, in a subvisor\.yaml:$/);
  const yaml = suggestedYaml(answer);
  // Read where the app's cwd and what it watches exist, as they would beside the ecosystem file.
  mkdirSync(join(dir, 'app', 'src'), { recursive: true });
  const [web, worker] = parseYamlConfig(yaml, join(dir, 'subvisor.yaml'), { env: {} }).processes;
  assert.equal(web?.cmd, 'node server.js --port 3000', 'a .js script runs under node, its args after it');
  assert.equal(web.replicas, 2);
  assert.deepEqual(web.env, { NODE_ENV: 'development' });
  assert.deepEqual([web.restart.policy, web.restart.max, web.restart.backoffMs, web.restart.maxBackoffMs], ['always', 10, 4000, 4000], "pm2's restart_delay is the same each time");
  assert.equal(web.grace, 3000);
  assert.equal(web.readyTimeoutMs, undefined, 'readyTimeout needs a ready, which wait_ready cannot give: it is said in the note');
  assert.match(answer, /\n {2}- wait_ready: subvisor reads no process\.send\('ready'\): write `ready`, .* with `readyTimeout: 8000ms`\n/);
  assert.doesNotMatch(answer, /- listen_timeout/);
  assert.deepEqual([worker?.name, worker?.cmd, worker?.restart.policy], ['worker', 'bash bin/worker.sh', 'no'], 'named after its script, and a .sh run by bash, as pm2 does; autorestart: false is no');
  for (const key of ['exec_mode', 'env_production', 'max_memory_restart', 'wait_ready', 'out_file', 'cron_restart']) {
    assert.match(answer, new RegExp(`\\n  - ${key}: `), key);
  }
  assert.match(answer, /env_production: `pm2 start --env production` has no twin/);
});

test('apps is not taken for processes: no "did you mean", and no second problem for a missing processes', () => {
  const answer = onlyProblem('apps:\n  - name: web\n    script: npm\n    args: start\n', 1, 1);
  assert.doesNotMatch(answer, /did you mean/);
  assert.match(answer, /\n {4}processes:\n {6}web:\n {8}cmd: npm start\n {8}restart: \{ policy: always, max: 16, backoff: 0ms, resetAfter: 1s \}\n {8}stopSignal: SIGINT$/);
  // Control: a file with neither is still told to write processes.
  assert.match(onlyProblem('envFile: []\n', 1, 1), /missing `processes`/);
});

test('every app becomes a process of a name subvisor takes, and its args array keeps its words', () => {
  const apps = {
    apps: [
      { script: 'index.js', cwd: 'a' },
      { script: 'index.js', cwd: 'b' },
      { name: 'API Server', script: 'srv.js', args: ['--name', 'hello world', '$HOME', '${HOME}'], env: { GREETING: 'hi ${USER}', PORT: 3000 } },
    ],
  };
  mkdirSync(join(dir, 'a'), { recursive: true });
  mkdirSync(join(dir, 'b'), { recursive: true });
  const yaml = suggestedYaml(onlyProblem(JSON.stringify(apps), 1, 2));
  const processes = parseYamlConfig(yaml, join(dir, 'subvisor.yaml'), { env: {} }).processes;
  // pm2 runs two apps of one name both: neither may vanish.
  assert.deepEqual(processes.map((spec) => [spec.name, spec.cwd]), [['index', join(dir, 'a')], ['index-2', join(dir, 'b')], ['API-Server', dir]]);
  // pm2 passes an args array as argv, unexpanded: the shell string quotes each word.
  // Nor does it expand ${NAME} where subvisor would: written as $${ for subvisor to leave it as it is.
  assert.equal(processes[2]?.cmd, "node srv.js --name 'hello world' '$HOME' '${HOME}'");
  assert.deepEqual(processes[2].env, { GREETING: 'hi ${USER}', PORT: '3000' });
});

test("the apps' order is kept, also for an app named like an integer (2), which a plain object would put first", () => {
  const apps = { apps: [{ name: 'web', script: 'web.js' }, { name: '2', script: 'two.js' }, { name: 'worker', script: 'worker.js' }] };
  const yaml = suggestedYaml(onlyProblem(JSON.stringify(apps), 1, 2));
  assert.deepEqual(parseYamlConfig(yaml, join(dir, 'subvisor.yaml'), { env: {} }).processes.map((spec) => spec.name), ['web', '2', 'worker']);
});

/** The answer for an ecosystem file of `apps` beside the test's directory, where their scripts are. */
function answerFor(apps: readonly object[], env: NodeJS.ProcessEnv = {}): string {
  return configError(() => parseYamlConfig(JSON.stringify({ apps }), join(dir, 'ecosystem.json'), { env })).message;
}

/** The processes of the subvisor.yaml the answer for `apps` suggests, read beside them. */
function suggestedProcesses(apps: readonly object[], env: NodeJS.ProcessEnv = {}): ProcessSpec[] {
  return [...parseYamlConfig(suggestedYaml(answerFor(apps, env)), join(dir, 'subvisor.yaml'), { env: {} }).processes];
}

test("an app that says nothing of restarts keeps pm2's: 16 quick ones at once, a run past min_uptime not counted, stopped with SIGINT", () => {
  const [plain, tuned, growing, zero, none, unbounded, unboundedWritten] = suggestedProcesses([
    { name: 'plain', script: 'a.js' },
    { name: 'tuned', script: 'a.js', max_restarts: 4, min_uptime: '5s', restart_delay: 2000, stop_exit_codes: [0] },
    { name: 'growing', script: 'a.js', exp_backoff_restart_delay: 100 },
    { name: 'zero', script: 'a.js', max_restarts: 0 },
    { name: 'none', script: 'a.js', autorestart: false },
    { name: 'unbounded', script: 'a.js', min_uptime: 0 },
    { name: 'unboundedWritten', script: 'a.js', min_uptime: '0s' },
  ]);
  // subvisor's own default is 3 restarts, forgotten after 60s up: a pm2 app that crashes now and then would end the run.
  assert.deepEqual(plain?.restart, { policy: 'always', max: 16, backoffMs: 0, maxBackoffMs: 30_000, resetAfterMs: 1000 });
  assert.equal(plain.stopSignal, 'SIGINT', "pm2's KILL_SIGNAL, which a graceful node app listens for");
  assert.deepEqual(tuned?.restart, { policy: 'on-failure', max: 4, backoffMs: 2000, maxBackoffMs: 2000, resetAfterMs: 5000 }, 'stop_exit_codes: [0] is on-failure');
  assert.deepEqual([growing?.restart.backoffMs, growing?.restart.maxBackoffMs], [100, 15_000], "pm2's exponential delay stops growing at 15s");
  assert.equal(zero?.restart.policy, 'no', 'max_restarts: 0 is spent at the first exit');
  assert.equal(none?.restart.policy, 'no');
  // pm2 counts no run as unstable under min_uptime: 0; resetAfter takes no 0, so the suggestion must still read.
  assert.deepEqual([unbounded?.restart.resetAfterMs, unboundedWritten?.restart.resetAfterMs], [1, 1], 'min_uptime: 0 forgets every run');
});

test("exp_backoff_restart_delay: subvisor's waits double where pm2's grow 1.5 times, and the answer says so with the first waits of each", () => {
  const answer = answerFor([{ name: 'growing', script: 'a.js', exp_backoff_restart_delay: 100 }]);
  assert.match(answer, /\n {2}- exp_backoff_restart_delay: subvisor's restart waits double \(100ms, 200ms, 400ms, 800ms \.\.\. up to `maxBackoff`\) and grow by no other factor, where pm2's grow 1\.5 times \(100ms, 150ms, 225ms, 337ms \.\.\. up to 15s\)/);
  // The control: no wait at all is the same under both: nothing to say.
  assert.doesNotMatch(answerFor([{ name: 'growing', script: 'a.js', exp_backoff_restart_delay: 0 }]), /- exp_backoff_restart_delay:/);
});

test("exp_backoff_restart_delay: waits the same under both are not said to differ, and ones that differ from 15s on are said; so is when each starts again (pm2's after 30s up, subvisor's after resetAfter)", () => {
  const waitsOf = (ms: number): string => answerFor([{ name: 'growing', script: 'a.js', exp_backoff_restart_delay: ms }]);
  // From 10s, both reach 15s at the second wait: the same waits, told as they differ they read as a contradiction.
  assert.doesNotMatch(waitsOf(10_000), /grow 1\.5 times/);
  // From 20s, subvisor waits 20s each time (maxBackoff: 20000ms), where pm2 waits 20s, then 15s.
  assert.match(waitsOf(20_000), /subvisor's restart waits double \(20000ms, 20000ms, 20000ms, 20000ms \.\.\. up to `maxBackoff`\) and grow by no other factor, where pm2's grow 1\.5 times \(20000ms, 15000ms, 15000ms, 15000ms \.\.\. up to 15s\)/);
  // pm2 (lib/Worker.js) starts the waits again once the app has been up 30s; subvisor once it has stayed up resetAfter (min_uptime).
  for (const ms of [100, 10_000, 20_000]) {
    assert.match(waitsOf(ms), new RegExp(`subvisor's restart waits start again from ${ms}ms once the process has stayed up \`resetAfter\` \\(1s, pm2's min_uptime\\), where pm2's do only once it has been up 30s`), String(ms));
  }
});

/** Every key of a pm2 app, as pm2 7 documents them (lib/API/schema.json, aliases too). */
const PM2_KEYS = [
  'script', 'exec', 'name', 'name_prefix', 'filter_env', 'namespace', 'install_url', 'cwd', 'args', 'exec_interpreter', 'interpreter', 'node_args', 'interpreterArgs', 'interpreter_args',
  'out_file', 'out', 'output', 'out_log', 'error_file', 'error', 'err', 'err_file', 'err_log', 'log_file', 'log', 'disable_logs', 'log_type', 'log_date_format', 'time', 'env', 'env_production',
  'max_memory_restart', 'pid_file', 'pid', 'restart_delay', 'exp_backoff_restart_delay', 'source_map_support', 'disable_source_map_support', 'wait_ready', 'instances', 'kill_timeout',
  'shutdown_with_message', 'listen_timeout', 'cron_restart', 'cron', 'merge_logs', 'combine_logs', 'vizion', 'autostart', 'autorestart', 'stop_exit_codes', 'watch_delay', 'watch', 'ignore_watch',
  'watch_options', 'min_uptime', 'max_restarts', 'execute_command', 'exec_mode', 'force', 'append_env_to_name', 'post_update', 'trace', 'disable_trace', 'v8', 'event_loop_inspector',
  'deep_monitoring', 'increment_var', 'instance_var', 'pmx', 'automation', 'treekill', 'port', 'username', 'uid', 'user', 'gid', 'windowsHide', 'kill_retry_time', 'write', 'io',
];

test('no key of a pm2 app is left out unsaid: each becomes a key of its process, or is named with what to do instead', () => {
  mkdirSync(join(dir, 'src'), { recursive: true });
  // Values where a key maps only in part: instances 'max', exec_mode cluster, stop_exit_codes other than 0, autostart and treekill off.
  const app: Record<string, unknown> = Object.fromEntries(PM2_KEYS.map((key) => [key, 1]));
  Object.assign(app, { script: 'srv.js', exec: 'srv.js', name: 'web', cwd: '.', env: { A: 'b' }, env_production: { A: 'c' }, instances: 'max', exec_mode: 'cluster', watch: ['src'], ignore_watch: ['x'] });
  Object.assign(app, { interpreter: 'node', exec_interpreter: 'node', args: '--x', node_args: '--inspect', interpreterArgs: '--inspect', interpreter_args: '--inspect', uid: 'root', user: 'root' });
  Object.assign(app, { stop_exit_codes: [0, 3], autostart: false, treekill: false, autorestart: true, wait_ready: true, min_uptime: 'soon', undocumented_key: true });
  const answer = answerFor([app]);
  const notes = new Set([...answer.matchAll(/\n {2}- ([^:]+): /g)].map((match) => match[1]));
  // Written into the process; the rest must each be named.
  const written: Record<string, RegExp> = {
    script: /cmd: node --inspect srv\.js --x/, exec: /cmd: node/, name: /\n {6}web:/, cwd: /cwd: \./, env: /env:\n {10}A: b\n {10}PORT: "1"/, port: /PORT: "1"/,
    interpreter: /cmd: node/, exec_interpreter: /cmd: node/, args: /--x/, node_args: /--inspect/, interpreterArgs: /--inspect/, interpreter_args: /--inspect/, uid: /user: root/, user: /user: root/,
    watch: /watch: \{ paths: \[ src \]/, ignore_watch: /ignore: \[ x \]/, watch_delay: /debounce: 1ms/, autorestart: /policy: always/, max_restarts: /max: 1,/,
    exp_backoff_restart_delay: /backoff: 1ms/, kill_timeout: /grace: 1ms/, listen_timeout: /- wait_ready: .* with `readyTimeout: 1ms`/,
    // node maps no stack trace unless told to: nothing to say.
    disable_source_map_support: /./,
  };
  for (const key of [...PM2_KEYS, 'undocumented_key']) {
    const pattern = written[key];
    if (pattern === undefined) assert.ok(notes.has(key), `${key} is neither written nor named:\n${answer}`);
    else assert.match(answer, pattern, key);
  }
  assert.match(answer, /\n {2}- undocumented_key: not a key pm2 documents; left out/);
  assert.match(answer, /\n {2}- stop_exit_codes: .*\[0,3\]/);
});

test("a script pm2 runs under node without a .js name (express's bin/www) runs under node here; a program as it is, a .sh under bash", () => {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'bin', 'www'), "#!/usr/bin/env node\nrequire('../app');\n");
  // A program has a NUL in its first bytes (ELF's header), as pm2 tells one.
  writeFileSync(join(dir, 'bin', 'server'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]));
  writeFileSync(join(dir, 'server'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]));
  const cmds = suggestedProcesses([
    { name: 'www', script: './bin/www' },
    { name: 'program', script: 'bin/server' },
    { name: 'here', script: 'server' },
    { name: 'sh', script: 'run.sh', args: ['a'] },
    { name: 'py', script: 'app.py' },
    { name: 'npm', script: 'npm', args: 'start' },
    { name: 'shell', script: 'npm run start -- --port 3', args: 'ignored' },
    { name: 'none', script: './bin/www', interpreter: 'none' },
    { name: 'missing', script: './bin/gone' },
  ]).map((spec) => spec.cmd);
  assert.match(answerFor([{ script: 'npm run start', args: '--port 3' }]), /\n {2}- args: pm2 runs a script with a blank in it as `bash -c SCRIPT` and passes no args/);
  assert.deepEqual(cmds, ['node ./bin/www', 'bin/server', './server', 'bash run.sh a', 'python app.py', 'npm start', 'npm run start -- --port 3', './bin/www', 'node ./bin/gone']);
});

test('a .py script runs under python3 where PATH has no python, as pm2 picks it', () => {
  const bin = join(dir, 'python3-only');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'python3'), '#!/bin/sh\n', { mode: 0o755 });
  const app = [{ name: 'py', script: 'app.py' }];
  assert.equal(suggestedProcesses(app, { PATH: bin })[0]?.cmd, 'python3 app.py');
  // Control: with a python on PATH, python it is.
  writeFileSync(join(bin, 'python'), '#!/bin/sh\n', { mode: 0o755 });
  assert.equal(suggestedProcesses(app, { PATH: bin })[0]?.cmd, 'python app.py');
});

test("an app under python gets PYTHONUNBUFFERED=1, as pm2 sets it: python holds a pipe's lines until it exits otherwise", () => {
  const [worker, venv, own, web, shell] = suggestedProcesses([
    { name: 'worker', script: 'worker.py', env: { QUEUE: 'high' } },
    { name: 'venv', script: 'tasks', interpreter: '/srv/venv/bin/python3' },
    { name: 'own', script: 'worker.py', env: { PYTHONUNBUFFERED: '' } },
    { name: 'web', script: 'server.js' },
    { name: 'shell', script: 'python worker.py' },
  ]);
  assert.deepEqual(worker?.env, { QUEUE: 'high', PYTHONUNBUFFERED: '1' });
  assert.deepEqual(venv?.env, { PYTHONUNBUFFERED: '1' }, 'any interpreter named python');
  assert.deepEqual(own?.env, { PYTHONUNBUFFERED: '1' }, "pm2 sets it over the app's own");
  // Controls: pm2 sets it for no other interpreter, nor for a shell command (bash runs it).
  assert.deepEqual([web?.env?.PYTHONUNBUFFERED, shell?.env?.PYTHONUNBUFFERED], [undefined, undefined]);
});

test("env_production is answered with what does pick pm2's other set: a value from subvisor's environment, env's its default (an envFile never wins over env)", () => {
  const answer = answerFor([{ name: 'web', script: 'a.js', env: { NODE_ENV: 'development', PORT: 3000 }, env_production: { PORT: 3000, NODE_ENV: 'production' } }]);
  const [, written, started] = /\n {2}- env_production: .*write `(NODE_ENV: "[^`]*")` in `env`.*start with `NODE_ENV=(\S+) subvisor up`$/m.exec(answer) ?? [];
  assert.ok(written !== undefined && started !== undefined, answer);
  // The advice, followed: the value it says to write, read with and without the variable it says to start with.
  const yaml = `processes:\n  web:\n    cmd: node a.js\n    env:\n      ${written}\n`;
  const read = (env: NodeJS.ProcessEnv): unknown => parseYamlConfig(yaml, join(dir, 'subvisor.yaml'), { env }).processes[0]?.env?.NODE_ENV;
  assert.deepEqual([read({ NODE_ENV: started }), read({})], ['production', 'development']);
});

test("instances below 1 are said as pm2 reads them: 0 and max one per CPU, -1 the CPUs less one", () => {
  const answer = answerFor([{ name: 'a', script: 'a.js', instances: 'max' }, { name: 'b', script: 'a.js', instances: -1 }]);
  assert.match(answer, /instances: max \(one per CPU\) has no twin/);
  assert.match(answer, /instances: -1 \(the CPUs less 1\) has no twin/);
});

test("an app's cwd is taken as pm2 takes it, with a ${ unexpanded (written $${), as its cmd and env are", () => {
  const yaml = suggestedYaml(answerFor([{ name: 'web', script: 'index.js', cwd: 'c${STAGE}' }]));
  const [web] = parseYamlConfig(yaml, join(dir, 'subvisor.yaml'), { env: { STAGE: 'prod' } }).processes;
  assert.equal(web?.cwd, join(dir, 'c${STAGE}'));
  // Control: a cwd with no ${ is written as it is.
  assert.equal(suggestedProcesses([{ name: 'web', script: 'index.js', cwd: 'c' }])[0]?.cwd, join(dir, 'c'));
});

test("the suggested env keeps the ecosystem file's order, integer-like names too, with PORT after", () => {
  // Before: the app's JSON object put "10" first (a Record's order), not where the file writes it.
  const ecosystem = '{ "apps": [{ "name": "web", "script": "srv.js", "port": 3000, "env": { "X_Y": "1", "10": "ten", "A": "2", "2": "two" } }] }';
  const yaml = suggestedYaml(configError(() => parseYamlConfig(ecosystem, join(dir, 'ecosystem.json'), { env: {} })).message);
  assert.match(yaml, /\n {4}env:\n {6}X_Y: "1"\n {6}"10": ten\n {6}A: "2"\n {6}"2": two\n {6}PORT: "3000"\n/);
  const [web] = parseYamlConfig(yaml, join(dir, 'subvisor.yaml'), { env: {} }).processes;
  assert.deepEqual(web?.envNames, ['X_Y', '10', 'A', '2', 'PORT']);
  // The same in YAML, an ecosystem's apps copied into a subvisor.yaml.
  const copied = configError(() => parseYamlConfig('apps:\n  - name: web\n    script: srv.js\n    env: { B: b, 7: seven }\n', join(dir, 'subvisor.yaml'), { env: {} })).message;
  assert.match(suggestedYaml(copied), /\n {4}env:\n {6}B: b\n {6}"7": seven\n/);
});

test("an app's env given by an alias or an app given by a << merge is read as the file reads it, not as an alias's name or a crash", () => {
  // Before: `env: *base` was suggested as `env: { source: base }` (the alias's own toJSON), and `- <<: *defaults`
  // ended in "internal error: Merge sources must be maps or map aliases".
  // The anchors' own keys are problems too (unknown keys); the answer at `apps` is what is read here.
  const atApps = (text: string): string => {
    const message = configError(() => parseYamlConfig(text, join(dir, 'subvisor.yaml'), { env: {} })).message;
    return suggestedYaml(message.slice(message.indexOf('apps: is pm2')));
  };
  const aliased = 'base: &base { B: b, "10": ten }\napps:\n  - name: web\n    script: srv.js\n    env: *base\n';
  assert.match(atApps(aliased), /\n {4}env:\n {6}B: b\n {6}"10": ten\n/);
  const merged = 'defaults: &defaults\n  script: srv.js\n  env: { B: b }\napps:\n  - <<: *defaults\n    name: web\n';
  assert.match(atApps(merged), /\n {2}web:\n {4}cmd: node srv\.js\n {4}env:\n {6}B: b\n/);
});
