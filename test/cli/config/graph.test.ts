import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, NO_RESTART, parseYamlConfig, selectProcesses, startOrder, type Config, type ProcessSpec } from '../../../src/cli/config/index.js';
import { configError } from './support.js';

function spec(name: string, dependsOn: string[] = []): ProcessSpec {
  return { name, cmd: `run ${name}`, dependsOn: dependsOn.map((dependency) => ({ name: dependency, condition: 'ready' })), restart: NO_RESTART, task: false, main: false };
}

/** The names a spec depends on. */
const dependencyNames = (one: ProcessSpec): string[] => one.dependsOn.map((dependency) => dependency.name);

const names = (specs: readonly ProcessSpec[]): string[] => specs.map((one) => one.name);

/** The SPEC.md §5 example's graph, plus a process nobody needs. */
const config: Config = {
  file: 'subvisor.yaml',
  processes: [spec('test', ['web']), spec('web', ['db']), spec('db'), spec('docs')],
};

test('startOrder puts each process after its dependencies', () => {
  assert.deepEqual(names(startOrder(config.processes)), ['db', 'web', 'test', 'docs']);
});

test('startOrder keeps file order among processes free to start (it is stable)', () => {
  const independent = [spec('c'), spec('a'), spec('b')];
  assert.deepEqual(names(startOrder(independent)), ['c', 'a', 'b']);
  // b waits for a; c and d stay in file order around it.
  assert.deepEqual(names(startOrder([spec('b', ['a']), spec('c'), spec('a'), spec('d')])), ['c', 'a', 'b', 'd']);
  // Control: the order does change when a dependency demands it.
  assert.deepEqual(names(startOrder([spec('c', ['b']), spec('a'), spec('b')])), ['a', 'b', 'c']);
});

test('startOrder refuses an unknown dependency, a duplicate name and a cycle', () => {
  assert.match(configError(() => startOrder([spec('web', ['dbb']), spec('db')])).message, /^<processes>: processes\.web\.dependsOn: unknown process 'dbb' \(known: db\); did you mean 'db'\?$/);
  // A one-letter name is one edit from every other one-letter name: nothing in common, no guess.
  assert.match(configError(() => startOrder([spec('b', ['c']), spec('a')])).message, /unknown process 'c' \(known: a\)$/);
  assert.match(configError(() => startOrder([spec('web', ['dv']), spec('db')])).message, /unknown process 'dv' \(known: db\); did you mean 'db'\?$/);
  // The only process depends on one that is not there: nothing to list, so say what to do.
  assert.match(configError(() => startOrder([spec('web', ['db'])])).message, /unknown process 'db' \(no other process is defined; add 'db' under processes or remove it from dependsOn\)$/);
  assert.match(configError(() => startOrder([spec('web'), spec('web')])).message, /process 'web' is defined twice/);
  assert.equal(
    configError(() => startOrder([spec('db', ['web']), spec('web', ['db']), spec('x')])).message,
    '<processes>: processes.db.dependsOn: dependency cycle db -> web -> db (each depends on the next); remove one of these dependencies',
  );
  assert.match(configError(() => startOrder([spec('a', ['a'])])).message, /processes\.a\.dependsOn: 'a' depends on itself; remove it from its own dependsOn/);
});

test('startOrder points a cycle at the source of the specs when they have one', () => {
  const located = (name: string, dependsOn: string[], line: number): ProcessSpec => ({ ...spec(name, dependsOn), source: { file: 'subvisor.yaml', line, column: 3 } });
  const error = configError(() => startOrder([located('db', ['web'], 2), located('web', ['db'], 5)]));
  assert.deepEqual([error.file, error.line, error.column, error.process], ['subvisor.yaml', 2, 3, 'db']);
  assert.match(error.message, /^subvisor\.yaml:2:3: processes\.db\.dependsOn: dependency cycle db -> web -> db/);
});

test('selectProcesses pulls in what the named processes depend on, transitively', () => {
  // test depends on web only; db comes in through web.
  assert.deepEqual(names(selectProcesses(config, ['test'])), ['db', 'web', 'test']);
  assert.deepEqual(names(selectProcesses(config, ['web'])), ['db', 'web']);
  assert.deepEqual(names(selectProcesses(config, ['docs', 'db'])), ['db', 'docs']);
  assert.deepEqual(names(selectProcesses(config, ['web', 'web', 'db'])), ['db', 'web']);
});

test('selectProcesses with no names selects every process, in start order', () => {
  assert.deepEqual(names(selectProcesses(config, [])), ['db', 'web', 'test', 'docs']);
});

test('selectProcesses refuses unknown names, listing the known ones and a suggestion', () => {
  assert.doesNotThrow(() => selectProcesses(config, ['web'])); // control
  const error = configError(() => selectProcesses(config, ['wbe', 'web', 'cache']));
  assert.equal(
    error.message,
    [
      "subvisor.yaml: no process named 'wbe' (known: test, web, db, docs); did you mean 'web'?",
      "subvisor.yaml: no process named 'cache' (known: test, web, db, docs)",
    ].join('\n'),
  );
  assert.equal(error.process, 'wbe');
  // A name cut short, as on a command line (`up wrk`), is guessed too.
  const workers: Config = { file: 'subvisor.yaml', processes: [spec('web'), spec('worker')] };
  assert.match(configError(() => selectProcesses(workers, ['wrk'])).message, /^subvisor\.yaml: no process named 'wrk' \(known: web, worker\); did you mean 'worker'\?$/);
  // A word going on past a whole name is another thing's name, not a slip of it: no guess of web
  // for webpack (4 edits, but it begins with web), here nor in a dependsOn; a letter on is a slip.
  assert.match(configError(() => selectProcesses(workers, ['webpack'])).message, /^subvisor\.yaml: no process named 'webpack' \(known: web, worker\)$/);
  assert.match(configError(() => startOrder([spec('worker', ['webpack']), spec('web')])).message, /unknown process 'webpack' \(known: web\)$/);
  assert.match(configError(() => selectProcesses(workers, ['webs'])).message, /no process named 'webs' \(known: web, worker\); did you mean 'web'\?$/);
});

test('a config of thousands of processes lists the first 20 as known and counts the rest, on each line; the guess still looks at them all', () => {
  const many = Array.from({ length: 5000 }, (_, index) => spec(`p${index}`));
  const first20 = many.slice(0, 20).map((each) => each.name).join(', ');
  assert.equal(configError(() => selectProcesses({ file: 'subvisor.yaml', processes: many }, ['p49999'])).message, `subvisor.yaml: no process named 'p49999' (known: ${first20} and 4980 more); did you mean 'p4999'?`);
  const message = configError(() => startOrder([spec('web', ['zz']), ...many])).message;
  assert.equal(message, `<processes>: processes.web.dependsOn: unknown process 'zz' (known: ${first20} and 4980 more)`);
  // The control: 21 processes are one more than listed.
  assert.match(configError(() => startOrder([spec('web', ['zz']), ...many.slice(0, 21)])).message, /\(known: p0, .*, p19 and 1 more\)$/);
});

/** A random DAG over `size` processes: each may depend on processes with a smaller number. */
const dagOf = (minSize: number) =>
  fc
    .integer({ min: minSize, max: 12 })
    .chain((size) =>
      fc.record({
        size: fc.constant(size),
        edges: fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { maxLength: 30 }),
        fileOrder: fc.shuffledSubarray([...Array(size).keys()], { minLength: size, maxLength: size }),
      }),
    )
    .map(({ size, edges, fileOrder }) => {
      // Repeated edges are kept: a name listed twice in dependsOn must not confuse the ordering.
      const dependsOn: string[][] = Array.from({ length: size }, () => []);
      for (const [a, b] of edges) if (a !== b) dependsOn[Math.max(a, b)]!.push(`p${Math.min(a, b)}`);
      return { inTopologicalOrder: dependsOn.map((deps, i) => spec(`p${i}`, deps)), fileOrder };
    });
const dag = dagOf(1);

function assertRespectsDependencies(order: readonly ProcessSpec[]): void {
  const position = new Map(order.map((one, i) => [one.name, i]));
  for (const one of order) {
    for (const dependency of dependencyNames(one)) {
      assert.ok(position.get(dependency)! < position.get(one.name)!, `${one.name} starts before its dependency ${dependency}`);
    }
  }
}

test('for random DAGs, startOrder puts every process after all its dependencies', { timeout: 30_000 }, () => {
  // Control: the checker does catch a process placed before its dependency.
  assert.throws(() => assertRespectsDependencies([spec('b', ['a']), spec('a')]), /b starts before its dependency a/);
  fc.assert(
    fc.property(dag, ({ inTopologicalOrder, fileOrder }) => {
      const processes = fileOrder.map((i) => inTopologicalOrder[i]!);
      const order = startOrder(processes);
      assert.deepEqual([...names(order)].sort(), [...names(processes)].sort());
      assertRespectsDependencies(order);
      // The YAML path accepts the same graph.
      assert.doesNotThrow(() => parseYamlConfig(toYaml(processes), 'subvisor.yaml'));
    }),
    { numRuns: 300 },
  );
});

test('for random DAGs already in a valid order, startOrder keeps file order', { timeout: 30_000 }, () => {
  fc.assert(
    fc.property(dag, ({ inTopologicalOrder }) => {
      assert.deepEqual(names(startOrder(inTopologicalOrder)), names(inTopologicalOrder));
    }),
    { numRuns: 300 },
  );
});

/** A DAG plus a cycle through `cycle` (process numbers, in dependency order). */
const withCycle = (minLength: number) =>
  dagOf(minLength)
    .chain(({ inTopologicalOrder, fileOrder }) =>
      fc.record({
        inTopologicalOrder: fc.constant(inTopologicalOrder),
        fileOrder: fc.constant(fileOrder),
        cycle: fc.shuffledSubarray([...inTopologicalOrder.keys()], { minLength, maxLength: inTopologicalOrder.length }),
      }),
    )
    .map(({ inTopologicalOrder, fileOrder, cycle }) => {
      const dependsOn = inTopologicalOrder.map(dependencyNames);
      cycle.forEach((from, i) => {
        const to = `p${cycle[(i + 1) % cycle.length]!}`;
        if (!dependsOn[from]!.includes(to)) dependsOn[from]!.push(to);
      });
      const processes = inTopologicalOrder.map((one, i) => spec(one.name, dependsOn[i]));
      return fileOrder.map((i) => processes[i]!);
    });

/** Every `a -> b -> ... -> a` named in `message`, checked to be a real cycle of `processes`. */
function assertNamesRealCycles(message: string, processes: readonly ProcessSpec[]): void {
  const cycles = [
    ...[...message.matchAll(/dependency cycle ([\w.-]+(?: -> [\w.-]+)+)/g)].map((match) => match[1]!.split(' -> ')),
    // A process depending on itself is a cycle of one, said in its own words.
    ...[...message.matchAll(/'([\w.-]+)' depends on itself/g)].map((match) => [match[1]!, match[1]!]),
  ];
  assert.ok(cycles.length > 0, `no cycle named in: ${message}`);
  const byName = new Map(processes.map((one) => [one.name, one]));
  for (const cycle of cycles) {
    assert.equal(cycle[0], cycle.at(-1), `not closed: ${cycle.join(' -> ')}`);
    for (let i = 0; i + 1 < cycle.length; i++) {
      const from = byName.get(cycle[i]!);
      assert.ok(from !== undefined && dependencyNames(from).includes(cycle[i + 1]!), `${cycle[i]} does not depend on ${cycle[i + 1]}`);
    }
  }
}

test('for graphs with a cycle, startOrder throws a ConfigError naming a real cycle', { timeout: 30_000 }, () => {
  // Control: the checker refuses a named "cycle" whose edges are not in the graph.
  assert.throws(() => assertNamesRealCycles('dependency cycle a -> b -> a', [spec('a', ['b']), spec('b')]), /b does not depend on a/);
  fc.assert(
    fc.property(withCycle(1), (processes) => {
      const error = configError(() => startOrder(processes));
      assert.ok(error instanceof ConfigError);
      assertNamesRealCycles(error.message, processes);
    }),
    { numRuns: 300 },
  );
});

test('for graphs with a cycle, parseYamlConfig refuses the file, naming a real cycle at a line', { timeout: 30_000 }, () => {
  fc.assert(
    fc.property(withCycle(2), (processes) => {
      const error = configError(() => parseYamlConfig(toYaml(processes), 'subvisor.yaml'));
      assertNamesRealCycles(error.message, processes);
      assert.match(error.message, /^subvisor\.yaml:\d+:\d+: processes\.[\w.-]+\.dependsOn\[\d+\]: dependency cycle/m);
    }),
    { numRuns: 200 },
  );
});

function toYaml(processes: readonly ProcessSpec[]): string {
  return ['processes:', ...processes.map((one) => `  ${one.name}: { cmd: x, dependsOn: [${dependencyNames(one).join(', ')}] }`), ''].join('\n');
}

test('a dependsOn chain 10 000 long is ordered, and a cycle that long named, without overflowing the call stack', () => {
  const count = 10_000;
  // Each depends on the next: the walk from the first goes the whole chain deep.
  const chain = Array.from({ length: count }, (_, i) => spec(`p${i}`, i + 1 < count ? [`p${i + 1}`] : []));
  const order = names(startOrder(chain));
  assert.equal(order.length, count);
  assert.deepEqual([order[0], order[1], order.at(-1)], [`p${count - 1}`, `p${count - 2}`, 'p0']);
  // The last one depends on the first: one cycle through them all, named from the first.
  const cycle = chain.map((one, i) => (i + 1 < count ? one : spec(one.name, ['p0'])));
  const error = configError(() => startOrder(cycle));
  // Named by its first 20 and its way back, not a line of 10 000 names.
  assert.match(error.message, new RegExp(`^<processes>: processes\\.p0\\.dependsOn: dependency cycle p0 -> p1 -> p2 -> (p\\d+ -> ){16}p19 -> \\(${count - 21} more\\) -> p${count - 1} -> p0 \\(each depends on the next\\); remove one of these dependencies$`));
  assert.equal(error.problems.length, 1);
});
