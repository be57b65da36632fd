// pm2's ecosystem file, given to `up -f ecosystem.json` or its `apps` copied into subvisor.yaml:
// refused at `apps` with the subvisor.yaml its apps become, and a word on each key without a twin.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseYamlConfig } from '../../../src/cli/config/index.js';
import { onlyProblem } from './support.js';

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
  assert.deepEqual([web.restart.policy, web.restart.max, web.restart.backoffMs], ['always', 10, 4000]);
  assert.equal(web.grace, 3000);
  assert.equal(web.readyTimeoutMs, undefined, 'readyTimeout needs a ready, which wait_ready cannot give: it is said in the note');
  assert.match(answer, /\n {2}- wait_ready: subvisor reads no process\.send\('ready'\): write `ready`, .* with `readyTimeout: 8000ms`\n/);
  assert.doesNotMatch(answer, /- listen_timeout/);
  assert.deepEqual([worker?.name, worker?.cmd, worker?.restart.policy], ['worker', 'bin/worker.sh', 'no'], 'named after its script, as pm2 does; autorestart: false is no');
  for (const key of ['exec_mode', 'env_production', 'max_memory_restart', 'wait_ready', 'out_file', 'cron_restart']) {
    assert.match(answer, new RegExp(`\\n  - ${key}: `), key);
  }
  assert.match(answer, /env_production: `pm2 start --env production` has no twin/);
});

test('apps is not taken for processes: no "did you mean", and no second problem for a missing processes', () => {
  const answer = onlyProblem('apps:\n  - name: web\n    script: npm\n    args: start\n', 1, 1);
  assert.doesNotMatch(answer, /did you mean/);
  assert.match(answer, /\n {4}processes:\n {6}web:\n {8}cmd: npm start\n {8}restart:\n {10}policy: always$/);
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
