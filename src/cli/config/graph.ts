import { ConfigError, type ConfigProblem } from './errors.js';
import type { Config, ProcessSpec } from './spec.js';
import { didYouMean } from '../../process/suggest.js';

/**
 * The order to start `processes` in: every process after everything it depends on and, among
 * processes free to start, in the order given (file order). That stability keeps `subvisor up`
 * predictable: the same file starts the same way every time, and independent processes start
 * (and their output begins) in the order the file lists them.
 *
 * A dependency outside `processes`, a name used twice, or a cycle throws {@link ConfigError};
 * a cycle is named (`db -> web -> db`, read "db depends on web, which depends on db").
 * `parseYamlConfig` already refuses all of these with better positions; this check is for specs
 * built in code.
 *
 * @example
 * ```ts
 * startOrder(config.processes).map((spec) => spec.name); // ['db', 'web', 'test']
 * ```
 */
export function startOrder(processes: readonly ProcessSpec[]): ProcessSpec[] {
  const file = processes[0]?.source?.file ?? '<processes>';
  const index = new Map<string, number>();
  const problems: ConfigProblem[] = [];
  processes.forEach((spec, i) => {
    if (index.has(spec.name)) problems.push({ ...at(spec, file), process: spec.name, message: `process '${spec.name}' is defined twice; names must be unique` });
    else index.set(spec.name, i);
  });
  const known = [...index.keys()];
  for (const spec of processes) {
    for (const dependency of spec.dependsOn) {
      if (!index.has(dependency)) {
        const others = known.filter((name) => name !== spec.name);
        problems.push({
          ...at(spec, file),
          path: `${spec.name}.dependsOn`,
          process: spec.name,
          message: `unknown process '${dependency}' (known: ${others.join(', ') || 'none'})${didYouMean(dependency, others)}`,
        });
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  // Kahn's algorithm, always taking the earliest ready process: n is a config's worth of
  // processes, so the quadratic scan is cheaper to read than a heap and fast enough.
  const waitingOn = processes.map((spec) => new Set(spec.dependsOn).size);
  const dependents = processes.map(() => [] as number[]);
  processes.forEach((spec, i) => {
    for (const dependency of new Set(spec.dependsOn)) dependents[index.get(dependency) ?? -1]?.push(i);
  });
  const started = processes.map(() => false);
  const order: ProcessSpec[] = [];
  for (;;) {
    const next = waitingOn.findIndex((count, i) => count === 0 && !started[i]);
    const spec = processes[next];
    if (spec === undefined) break;
    started[next] = true;
    order.push(spec);
    for (const dependent of dependents[next] ?? []) waitingOn[dependent] = (waitingOn[dependent] ?? 0) - 1;
  }
  if (order.length === processes.length) return order;

  const stuck = processes.filter((_, i) => !started[i]);
  const cycles = findCycles(
    stuck.map((spec) => spec.name),
    (name) => processes[index.get(name) ?? -1]?.dependsOn ?? [],
  );
  throw new ConfigError(
    cycles.map((cycle) => {
      // A cycle's first name is one of its processes; index holds every name.
      const spec = processes[index.get(cycle[0] ?? '') ?? -1];
      return { ...(spec === undefined ? { file } : at(spec, file)), process: cycle[0], message: cycleMessage(cycle) };
    }),
  );
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
    throw new ConfigError(
      unknown.map((name) => ({
        file: config.file,
        process: name,
        message: `no process named '${name}' (known: ${known.join(', ') || 'none'})${didYouMean(name, known)}`,
      })),
    );
  }
  const selected = new Set<string>();
  const pending = [...names];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (selected.has(name)) continue;
    selected.add(name);
    // A dependency missing from the config is left for startOrder to report.
    pending.push(...(byName.get(name)?.dependsOn ?? []));
  }
  return startOrder(config.processes.filter((spec) => selected.has(spec.name)));
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

/** `dependency cycle: a -> b -> a ...`, the message shared by the parser and startOrder. */
export function cycleMessage(cycle: readonly string[]): string {
  return `dependency cycle ${cycle.join(' -> ')} (each depends on the next); remove one of these dependencies`;
}

function at(spec: ProcessSpec, file: string): { file: string; line?: number; column?: number } {
  return spec.source === undefined ? { file } : { file: spec.source.file, line: spec.source.line, column: spec.source.column };
}

/** Tarjan's algorithm: the strongly connected components, each in discovery order. */
function stronglyConnected(names: readonly string[], edges: (name: string) => string[]): string[][] {
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (name: string): void => {
    indexOf.set(name, indexOf.size);
    low.set(name, indexOf.get(name) ?? 0);
    stack.push(name);
    onStack.add(name);
    for (const next of edges(name)) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(name, Math.min(low.get(name) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(name, Math.min(low.get(name) ?? 0, indexOf.get(next) ?? 0));
      }
    }
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
  for (const name of names) if (!indexOf.has(name)) visit(name);
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
