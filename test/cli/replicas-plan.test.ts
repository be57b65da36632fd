import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, expandReplicas, parseProcfile, parseYamlConfig, planProcesses, type ProcessSpec } from '../../src/cli/config/index.js';

const FILE = 'conf/subvisor.yaml';

function yaml(text: string): ReturnType<typeof parseYamlConfig> {
  return parseYamlConfig(text, FILE, { env: {} });
}

function summary(specs: readonly ProcessSpec[]): string[] {
  return specs.map((spec) => `${spec.name}(${spec.dependsOn.map((dependency) => `${dependency.name}:${dependency.condition}`).join(',')})`);
}

test('copies replace their process in place; a dependency on it becomes one on every copy, with its condition', () => {
  const config = yaml(`processes:
  migrate:
    cmd: ./migrate
    task: true
    replicas: 2
  web:
    cmd: [node, web.js]
    env: { MODE: web }
    replicas: 2
    dependsOn: { migrate: succeeded }
  smoke:
    cmd: ./smoke
    dependsOn: { web: started }
`);
  const plan = planProcesses(config, { names: [] });
  assert.deepEqual(summary(plan), ['migrate.1()', 'migrate.2()', 'web.1(migrate.1:succeeded,migrate.2:succeeded)', 'web.2(migrate.1:succeeded,migrate.2:succeeded)', 'smoke(web.1:started,web.2:started)']);
  const [, , web1, web2, smoke] = plan;
  assert.ok(web1 !== undefined && web2 !== undefined && smoke !== undefined);
  assert.deepEqual(web2.env, { MODE: 'web', SUBVISOR_REPLICA: '2' }, 'a copy keeps its env, SUBVISOR_REPLICA on top');
  assert.deepEqual(web1.cmd, ['node', 'web.js']);
  assert.deepEqual(web1.replica, { of: 'web', index: 1 });
  assert.equal(web1.replicas, undefined);
  assert.equal(web1.source?.line, 6, 'a copy points at its process in the file');
  assert.equal(plan[0]?.task, true);
  assert.equal(smoke.env, undefined, 'a single process gets nothing');
});

test('a config without replicas plans to the same specs it holds', () => {
  const config = yaml('processes:\n  db:\n    cmd: db\n  web:\n    cmd: web\n    dependsOn: [db]\n');
  assert.deepEqual(planProcesses(config, { names: [] }), [...config.processes]);
  assert.deepEqual(expandReplicas(config.processes), [...config.processes]);
});

test('the formation selects its names (with what they depend on) and sets their counts', () => {
  const config = yaml('processes:\n  db:\n    cmd: db\n  web:\n    cmd: web\n    dependsOn: [db]\n  other:\n    cmd: other\n');
  assert.deepEqual(summary(planProcesses(config, { names: [], formation: new Map([['web', 2]]) })), ['db()', 'web.1(db:ready)', 'web.2(db:ready)']);
  assert.deepEqual(summary(planProcesses(config, { names: ['other'], formation: new Map([['db', 2]]) })), ['db.1()', 'db.2()', 'other()']);
});

test('a formation whose copy would take the name of another process is refused, as replicas: N is, whether that process runs or not', () => {
  const config = yaml('processes:\n  a:\n    cmd: a\n  a.1:\n    cmd: imposter\n');
  for (const names of [[], ['a.1']]) {
    assert.throws(
      () => planProcesses(config, { names, formation: new Map([['a', 2]]) }),
      (error: unknown) => error instanceof ConfigError && error.line === 4 && /the name 'a\.1' is taken by a copy of 'a' \(a=2\); rename this process$/.test(error.message),
    );
  }
  assert.deepEqual(summary(planProcesses(config, { names: [] })), ['a()', 'a.1()'], 'without copies, both names are free');
});

test('PORT only when asked, from the base the environment gives', () => {
  const config = parseProcfile('web: a\nworker: b\n', 'Procfile', { env: {} });
  const ports = (request: Parameters<typeof planProcesses>[1]): (string | undefined)[] => planProcesses(config, request).map((spec) => spec.env?.PORT);
  assert.deepEqual(ports({ names: [], assignPorts: true, env: {} }), ['5000', '5100']);
  assert.deepEqual(ports({ names: [], assignPorts: true, env: { PORT: '' } }), ['5000', '5100'], 'an empty PORT is none');
  assert.deepEqual(ports({ names: [], formation: new Map([['worker', 3]]), assignPorts: true, env: { PORT: '3000' } }), ['3100', '3101', '3102']);
  assert.deepEqual(ports({ names: [], assignPorts: false, env: { PORT: '3000' } }), [undefined, undefined]);
  assert.throws(() => planProcesses(config, { names: [], assignPorts: true, env: { PORT: '-1' } }), ConfigError);
});

test('replicas: 1000 copies are the most, and allowed; 1001 are refused', () => {
  assert.equal(yaml('processes:\n  web:\n    cmd: run\n    replicas: 1000\n').processes[0]?.replicas, 1000);
  assert.throws(() => yaml('processes:\n  web:\n    cmd: run\n    replicas: 1001\n'), /at most 1000 copies of a process, not 1001/);
});
