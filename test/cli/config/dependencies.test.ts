import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_RESTART, parseYamlConfig, selectProcesses, startOrder, type ProcessSpec } from '../../../src/cli/config/index.js';
import { FILE, configError, firstProcess, problemAt, web } from './support.js';

/** A config of `db` (a server), `migrate` (a task) and `web`, whose dependsOn is `dependsOn`. */
const stack = (dependsOn: string, migrate = '    task: true\n'): string =>
  ['processes:', '  db:', '    cmd: postgres', '  migrate:', '    cmd: psql -f schema.sql', `${migrate}    dependsOn: [db]`, '  web:', '    cmd: node web.js', `    dependsOn: ${dependsOn}`, ''].join('\n');

const web3 = (text: string): ProcessSpec => parseYamlConfig(text, FILE, { env: {} }).processes[2]!;

test('task: true is read; the default is false', () => {
  assert.equal(firstProcess(web('    task: true\n')).task, true);
  assert.equal(firstProcess(web('    task: false\n')).task, false);
  assert.equal(firstProcess(web()).task, false);
  assert.match(problemAt(web('    task: yes\n'), 'yes'), /processes\.web\.task: expected true or false, found a string; write `task: true` for a process that is expected to exit/);
});

test('dependsOn: a list means each is ready; a mapping gives each its condition', () => {
  assert.deepEqual(web3(stack('[db, migrate]')).dependsOn, [
    { name: 'db', condition: 'ready' },
    { name: 'migrate', condition: 'ready' },
  ]);
  assert.deepEqual(web3(stack('{ db: ready, migrate: succeeded }')).dependsOn, [
    { name: 'db', condition: 'ready' },
    { name: 'migrate', condition: 'succeeded' },
  ]);
  assert.deepEqual(web3(stack('{ db: started, migrate: completed }')).dependsOn, [
    { name: 'db', condition: 'started' },
    { name: 'migrate', condition: 'completed' },
  ]);
  // A name listed twice is one dependency.
  assert.deepEqual(web3(stack('[db, db]')).dependsOn, [{ name: 'db', condition: 'ready' }]);
});

test('an unknown condition is refused at the condition, with "did you mean" (compose words too)', () => {
  const cases: [string, string][] = [
    ['redy', 'ready'],
    ['service_healthy', 'ready'],
    ['service_completed_successfully', 'succeeded'],
    ['sucess', 'succeeded'],
  ];
  for (const [wrong, right] of cases) {
    const message = problemAt(stack(`{ db: ${wrong} }`), wrong);
    assert.ok(message.includes(`processes.web.dependsOn.db: unknown condition '${wrong}'; use started, ready (the default of a list), succeeded (exited 0) or completed (exited); did you mean '${right}'?`), message);
  }
  assert.match(problemAt(stack('{ db: }'), 'db: }', undefined, '  web:'), /processes\.web\.dependsOn\.db: has no condition; write `db: ready` \(or started, succeeded, completed\)/);
  assert.match(problemAt(stack('{ db: { condition: ready } }'), '{ condition'), /dependsOn\.db: expected one condition, found compose's long form; write `db: ready`$/);
  assert.match(problemAt(stack('[{ db: ready }]'), '{ db'), /dependsOn\[0\]: expected a process name, found a mapping; for conditions make `dependsOn` a mapping: `dependsOn: \{ db: ready, migrate: succeeded \}`/);
});

test('succeeded and completed may name any process (SPEC §9 allows it): one that exits on its own meets them', () => {
  for (const condition of ['succeeded', 'completed']) {
    const web = web3(stack(`{ db: ${condition} }`));
    assert.deepEqual(web.dependsOn, [{ name: 'db', condition }]);
  }
});

test('but not the main process: its exit ends the run, so what waits for it to exit would never start (refused at the condition)', () => {
  for (const [condition, verb] of [['succeeded', 'succeed'], ['completed', 'complete']] as const) {
    const text = ['processes:', '  m: { cmd: "sleep 1", main: true }', `  o: { cmd: x, dependsOn: { m: ${condition} } }`, ''].join('\n');
    assert.match(problemAt(text, condition), new RegExp(`processes\\.o\\.dependsOn\\.m: 'o' waits for m to ${verb}, but m is the main process: its exit ends the run, so 'o' would never start; wait for it to be started or ready, or make another process main$`));
  }
  // started and ready of the main process are met while it runs.
  for (const condition of ['started', 'ready']) {
    const text = ['processes:', '  m: { cmd: "sleep 1", main: true }', `  o: { cmd: x, dependsOn: { m: ${condition} } }`, ''].join('\n');
    assert.deepEqual(parseYamlConfig(text, FILE, { env: {} }).processes[1]?.dependsOn, [{ name: 'm', condition }]);
  }
});

test('the graph checks work on the mapping form: unknown names at the name, cycles, self', () => {
  const message = problemAt(stack('{ dbb: ready }'), 'dbb');
  assert.match(message, /processes\.web\.dependsOn\.dbb: unknown process 'dbb' \(known: db, migrate\); did you mean 'db'\?$/);
  const cycle = ['processes:', '  a: { cmd: x, dependsOn: { b: started } }', '  b: { cmd: y, task: true, dependsOn: { a: ready } }', ''].join('\n');
  assert.match(problemAt(cycle, 'b: started'), /processes\.a\.dependsOn\.b: dependency cycle a -> b -> a \(each depends on the next\); remove one of these dependencies$/);
  assert.match(problemAt(web('    dependsOn: { web: ready }\n'), 'web: ready'), /'web' depends on itself/);
});

test('startOrder and selectProcesses follow the mapping form, and refuse what the config refuses', () => {
  const config = parseYamlConfig(stack('{ db: ready, migrate: succeeded }'), FILE, { env: {} });
  assert.deepEqual(startOrder(config.processes).map((spec) => spec.name), ['db', 'migrate', 'web']);
  assert.deepEqual(selectProcesses(config, ['web']).map((spec) => spec.name), ['db', 'migrate', 'web']);
  assert.deepEqual(selectProcesses(config, ['migrate']).map((spec) => spec.name), ['db', 'migrate']);
  const server = (name: string): ProcessSpec => ({ name, cmd: 'x', dependsOn: [], restart: NO_RESTART, task: false, main: false });
  const waiting: ProcessSpec = { ...server('web'), dependsOn: [{ name: 'db', condition: 'succeeded' }] };
  assert.deepEqual(startOrder([waiting, server('db')]).map((spec) => spec.name), ['db', 'web']);
  const looping: ProcessSpec = { ...server('db'), dependsOn: [{ name: 'web', condition: 'completed' }] };
  assert.match(configError(() => startOrder([looping, waiting])).message, /dependency cycle/); // control: the graph is still checked
});

test("compose's and process-compose's long form { condition: X } is answered with the condition to write alone", () => {
  const cases: [string, string][] = [
    ['service_healthy', 'ready'],
    ['service_started', 'started'],
    ['service_completed_successfully', 'succeeded'],
    ['process_healthy', 'ready'],
    ['process_log_ready', 'ready'],
    ['process_started', 'started'],
    ['process_completed', 'completed'],
    ['process_completed_successfully', 'succeeded'],
  ];
  for (const [theirs, ours] of cases) {
    const message = problemAt(stack(`{ db: { condition: ${theirs} } }`), '{ condition');
    assert.ok(message.endsWith(`processes.web.dependsOn.db: expected one condition, found compose's long form; write \`db: ${ours}\``), message);
    // The short form with their word is led to the same condition.
    assert.ok(problemAt(stack(`{ db: ${theirs} }`), theirs).endsWith(`did you mean '${ours}'?`), theirs);
  }
  // The control: a mapping that is not the long form keeps the general answer.
  assert.match(problemAt(stack('{ db: { when: ready } }'), '{ when'), /dependsOn\.db: expected one condition, found a mapping; use started, ready/);
});
