import { ConfigError, type ConfigProblem } from './errors.js';
import type { Config, ProcessSpec } from './spec.js';
import { didYouMeanName } from '../misspelt-name.js';
import { ReadyQueue } from './ready-queue.js';

/**
 * One thing wrong with how processes depend on each other: the process it belongs to and, when it
 * is about one of its dependencies, which. The caller places it: the YAML reader at the very list
 * item, {@link startOrder} at the process's source.
 */
export interface GraphProblem {
  readonly spec: ProcessSpec;
  readonly dependency?: string | undefined;
  /** What of the dependency is wrong: its name (the default), or the condition it is waited for with. */
  readonly about?: 'name' | 'condition' | undefined;
  readonly message: string;
  /** `message` with a did-you-mean guess, worked out only when shown (see {@link ConfigProblem.guessed}). */
  readonly guessed?: () => string;
}

/**
 * Everything wrong with the dependency graph of `processes`, the one place it is decided: a name
 * defined twice, a process depending on itself, a dependency on a process that is not there, a
 * condition the dependency can never meet, and cycles (one per group of processes caught in one,
 * named in dependency order at the edge that closes it: `db -> web -> db`, read "db depends on
 * web, which depends on db").
 *
 * `succeeded` and `completed` may name any process (one that exits on its own meets them), but not
 * the `main` one: its exit ends the run, so what waits for it would never start.
 */
export function graphProblems(processes: readonly ProcessSpec[]): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const byName = new Map<string, ProcessSpec>();
  for (const spec of processes) {
    const first = byName.get(spec.name);
    if (first === undefined) byName.set(spec.name, spec);
    else problems.push({ spec, message: `process '${spec.name}' is ${first.source === undefined ? 'defined twice' : `already defined on line ${first.source.line}`}; names must be unique` });
  }
  const names = [...byName.keys()];
  for (const spec of processes) {
    for (const { name: dependency, condition } of spec.dependsOn) {
      const target = byName.get(dependency);
      if (dependency === spec.name) {
        problems.push({ spec, dependency, message: `'${spec.name}' depends on itself; remove it from its own dependsOn` });
      } else if (target === undefined) {
        // Every name is in `names`, its own too: the others are one fewer, and the first of them are in the first names.
        const known = names.length === 1 ? `no other process is defined; add '${dependency}' under processes or remove it from dependsOn` : `known: ${knownList(names.slice(0, SHOWN_KNOWN_NAMES + 1).filter((name) => name !== spec.name), names.length - 1)}`;
        const message = `unknown process '${dependency}' (${known})`;
        problems.push({ spec, dependency, message, guessed: () => `${message}${didYouMeanName(dependency, names.filter((name) => name !== spec.name))}` });
      } else if (target.main && (condition === 'succeeded' || condition === 'completed')) {
        const verb = condition === 'succeeded' ? 'succeed' : 'complete';
        problems.push({ spec, dependency, about: 'condition', message: `'${spec.name}' waits for ${dependency} to ${verb}, but ${dependency} is the main process: its exit ends the run, so '${spec.name}' would never start; wait for it to be started or ready, or make another process main` });
      }
    }
  }
  // Self-dependencies were reported above in their own words; leave them out of the cycles.
  const cycles = findCycles(names, (name) => dependencyNames(byName.get(name)).filter((other) => other !== name));
  for (const cycle of cycles) {
    const [first, second] = cycle;
    const spec = byName.get(first ?? '');
    // A cycle is made of names from byName, at least two of them.
    if (spec !== undefined) problems.push({ spec, dependency: second, message: cycleMessage(cycle) });
  }
  return problems;
}

/**
 * The most process names a problem lists as known, or shows of a dependency cycle. A config of
 * thousands of processes listed them all on each line (34 KB a line for 5 000); the did-you-mean
 * guess still looks at them all.
 */
const SHOWN_KNOWN_NAMES = 20;

/** `names` as a problem lists them: the first {@link SHOWN_KNOWN_NAMES}, then how many more (of `count` in all, default all of `names`). */
function knownList(names: readonly string[], count = names.length): string {
  const more = count - SHOWN_KNOWN_NAMES;
  return more > 0 ? `${names.slice(0, SHOWN_KNOWN_NAMES).join(', ')} and ${more} more` : names.join(', ');
}

/** The names `spec` depends on, in order; none for a spec that is not there. */
function dependencyNames(spec: ProcessSpec | undefined): string[] {
  return spec === undefined ? [] : spec.dependsOn.map((dependency) => dependency.name);
}

/**
 * A {@link GraphProblem} placed at its process's source (when the spec has one) as a
 * {@link ConfigProblem}; `file` names the config when the spec has no source.
 */
export function placeAtSource(problem: GraphProblem, file: string): ConfigProblem {
  const { spec, dependency, message, guessed } = problem;
  const where = spec.source === undefined ? { file } : { file: spec.source.file, line: spec.source.line, column: spec.source.column };
  return { ...where, path: dependency === undefined ? undefined : `processes.${spec.name}.dependsOn`, process: spec.name, message, ...(guessed === undefined ? {} : { guessed }) };
}

/**
 * The order to start `processes` in: every process after everything it depends on and, among
 * processes free to start, in the order given (file order). That stability keeps `subvisor up`
 * predictable: the same file starts the same way every time, and independent processes start
 * (and their output begins) in the order the file lists them.
 *
 * Throws {@link ConfigError} for any of the {@link graphProblems}, placed at the processes'
 * sources. `parseYamlConfig` and `parseProcfile` already refuse them (the YAML reader at the very
 * list item), so for a loaded config this never throws; it guards specs built in code.
 *
 * @example
 * ```ts
 * startOrder(config.processes).map((spec) => spec.name); // ['db', 'web', 'test']
 * ```
 */
export function startOrder(processes: readonly ProcessSpec[]): ProcessSpec[] {
  const file = processes[0]?.source?.file ?? '<processes>';
  const problems = graphProblems(processes);
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => placeAtSource(problem, file)));

  // Kahn's algorithm, always taking the earliest process free to start.
  const index = new Map(processes.map((spec, i) => [spec.name, i]));
  // A name listed twice in a spec built in code is one dependency, as in the config.
  const waitingOn = processes.map((spec) => new Set(dependencyNames(spec)).size);
  const dependents = processes.map(() => [] as number[]);
  processes.forEach((spec, i) => {
    for (const dependency of new Set(dependencyNames(spec))) dependents[index.get(dependency) ?? -1]?.push(i);
  });
  const ready = new ReadyQueue();
  waitingOn.forEach((count, i) => {
    if (count === 0) ready.push(i);
  });
  const order: ProcessSpec[] = [];
  for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
    const spec = processes[next];
    if (spec === undefined) break;
    order.push(spec);
    for (const dependent of dependents[next] ?? []) {
      const left = (waitingOn[dependent] ?? 0) - 1;
      waitingOn[dependent] = left;
      if (left === 0) ready.push(dependent);
    }
  }
  // Without cycles (refused above) every process has been taken.
  return order;
}

/**
 * The processes `subvisor up NAME...` runs: the named ones and, transitively, everything they
 * depend on, in {@link startOrder}. No names means every process. An unknown name throws
 * {@link ConfigError} (naming the known ones) before anything starts.
 *
 * @example
 * ```ts
 * selectProcesses(config, ['web']).map((spec) => spec.name); // ['db', 'web']
 * ```
 */
export function selectProcesses(config: Config, names: readonly string[]): ProcessSpec[] {
  if (names.length === 0) return startOrder(config.processes);
  const byName = new Map(config.processes.map((spec) => [spec.name, spec]));
  const known = [...byName.keys()];
  const unknown = [...new Set(names)].filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    // The guess through `guessed`, as every config problem's: worked out for the names shown only.
    throw new ConfigError(
      unknown.map((name) => {
        const message = `no process named '${name}' (known: ${knownList(known) || 'none'})`;
        return { file: config.file, process: name, message, guessed: () => `${message}${didYouMeanName(name, known)}` };
      }),
    );
  }
  const selected = withDependencies(config.processes, names);
  return startOrder(config.processes.filter((spec) => selected.has(spec.name)));
}

/**
 * `names` with every process they depend on, directly or not. A name missing from `processes` is
 * kept and not followed (startOrder reports it).
 *
 * @example
 * ```ts
 * withDependencies(config.processes, ['web']); // Set { 'web', 'db' }
 * ```
 */
export function withDependencies(processes: readonly ProcessSpec[], names: readonly string[]): Set<string> {
  const byName = new Map(processes.map((spec) => [spec.name, spec]));
  const reached = new Set<string>();
  const pending = [...names];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (reached.has(name)) continue;
    reached.add(name);
    pending.push(...dependencyNames(byName.get(name)));
  }
  return reached;
}

/**
 * One cycle per strongly connected component that has one, each as `[a, b, ..., a]` where each
 * name depends on the next. A cycle starts at its component's earliest name (in `names` order)
 * and is a shortest way back to it, so the report is short and the same on every run. A process
 * depending on itself is the cycle `[a, a]`. Edges to names outside `names` are ignored.
 */
export function findCycles(names: readonly string[], dependenciesOf: (name: string) => readonly string[]): string[][] {
  const position = new Map(names.map((name, i) => [name, i]));
  const edges = (name: string): string[] => dependenciesOf(name).filter((other) => position.has(other));
  const cycles: string[][] = [];
  for (const component of stronglyConnected(names, edges)) {
    const start = component.reduce((a, b) => ((position.get(a) ?? 0) <= (position.get(b) ?? 0) ? a : b));
    const members = new Set(component);
    const cycle = shortestWayBack(start, (name) => edges(name).filter((other) => members.has(other)));
    if (cycle !== undefined) cycles.push(cycle);
  }
  return cycles.sort((a, b) => (position.get(a[0] ?? '') ?? 0) - (position.get(b[0] ?? '') ?? 0));
}

/**
 * `dependency cycle a -> b -> a ...`: a cycle thousands long shows its first
 * {@link SHOWN_KNOWN_NAMES} and its last two (the way back), not a line of a hundred kilobytes.
 */
function cycleMessage(cycle: readonly string[]): string {
  const left = cycle.length - SHOWN_KNOWN_NAMES - 2;
  const shown = left > 1 ? [...cycle.slice(0, SHOWN_KNOWN_NAMES), `(${left} more)`, ...cycle.slice(-2)] : cycle;
  return `dependency cycle ${shown.join(' -> ')} (each depends on the next); remove one of these dependencies`;
}

/** Tarjan's algorithm: the strongly connected components, each in discovery order. */
function stronglyConnected(names: readonly string[], edges: (name: string) => string[]): string[][] {
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  // Depth-first without recursion: a dependsOn chain thousands long would overflow the call stack.
  // Each frame is a name and how many of its edges have been followed.
  const frames: { name: string; edges: string[]; next: number }[] = [];
  const enter = (name: string): void => {
    indexOf.set(name, indexOf.size);
    low.set(name, indexOf.get(name) ?? 0);
    stack.push(name);
    onStack.add(name);
    frames.push({ name, edges: edges(name), next: 0 });
  };
  const leave = (name: string): void => {
    if (low.get(name) !== indexOf.get(name)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === name) break;
    }
    // A single process is a cycle only when it depends on itself.
    if (component.length > 1 || edges(name).includes(name)) components.push(component.reverse());
  };
  for (const root of names) {
    if (indexOf.has(root)) continue;
    enter(root);
    for (let frame = frames.at(-1); frame !== undefined; frame = frames.at(-1)) {
      const { name } = frame;
      const next = frame.edges[frame.next++];
      if (next === undefined) {
        frames.pop();
        leave(name);
        const caller = frames.at(-1);
        if (caller !== undefined) low.set(caller.name, Math.min(low.get(caller.name) ?? 0, low.get(name) ?? 0));
      } else if (!indexOf.has(next)) {
        enter(next);
      } else if (onStack.has(next)) {
        low.set(name, Math.min(low.get(name) ?? 0, indexOf.get(next) ?? 0));
      }
    }
  }
  return components;
}

/** Breadth-first search from `start` back to itself: `[start, ..., start]`, or undefined. */
function shortestWayBack(start: string, edges: (name: string) => string[]): string[] | undefined {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const name = queue[head] ?? start;
    for (const next of edges(name)) {
      if (next === start) {
        const path = [start];
        for (let step: string | undefined = name; step !== undefined && step !== start; step = cameFrom.get(step)) path.push(step);
        path.push(start);
        // path is start, then the way back in reverse; put the middle in dependency order.
        return [start, ...path.slice(1, -1).reverse(), start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, name);
        queue.push(next);
      }
    }
  }
  return undefined;
}
