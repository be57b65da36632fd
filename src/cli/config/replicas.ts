import type { Dependency, ProcessSpec } from './spec.js';

// Replicas (SPEC §10): `replicas: N` in subvisor.yaml, `NAME=N` on the command line. A process
// with N > 1 copies becomes N plain ProcessSpecs here, before anything runs, so the stack, the
// output and the reports know nothing of replicas: a copy is a process like any other.

/**
 * Why `main: true` cannot have copies: the run ends when the main process exits, and of several
 * copies none is the one whose exit should decide.
 */
export const MAIN_REPLICAS =
  'a main process cannot have replicas: the run ends when the main process exits, and no one copy can decide that; run the copies as a process of their own and make main a process that depends on them';

/**
 * The most copies of one process, from `replicas:` or `NAME=N`: each is a process of its own (and
 * a pipe pair, a state, a line in the summary), and a count past this is a typo far more often
 * than a plan; one the machine cannot hold would run it out of memory before anything started.
 */
export const MAX_REPLICAS = 1000;

/** Why a count (`written` as the user wrote it) is refused, or undefined for one within {@link MAX_REPLICAS}. */
export function tooManyReplicas(count: number, written = String(count)): string | undefined {
  return count > MAX_REPLICAS ? `at most ${MAX_REPLICAS} copies of a process, not ${written}; each copy is a process of its own` : undefined;
}

/** The name of copy `index` (1-based) of `name`: `web.1`, as foreman names them. */
export function replicaName(name: string, index: number): string {
  return `${name}.${index}`;
}

/**
 * Each process whose name a copy of another would take (`web.1` beside a `web` of 2 copies), with
 * the process the copy is of: that process would take the copy's place in output, dependencies
 * and logs.
 */
export function namesTakenByCopies(specs: readonly ProcessSpec[]): { readonly taken: ProcessSpec; readonly copyOf: ProcessSpec }[] {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  return specs.flatMap((copyOf) => {
    const count = copyOf.replicas ?? 1;
    const clashes: { taken: ProcessSpec; copyOf: ProcessSpec }[] = [];
    for (let index = 1; index <= count && count > 1; index++) {
      const taken = byName.get(replicaName(copyOf.name, index));
      if (taken !== undefined) clashes.push({ taken, copyOf });
    }
    return clashes;
  });
}

/** The variable that tells a copy of `replicas: N` which one it is (1-based); only copies have it. */
export const REPLICA_VARIABLE = 'SUBVISOR_REPLICA';

/** The extra environment of one process of the plan: `PORT` for a Procfile's (see planProcesses); undefined for none. */
export type ExtraEnvironment = (spec: ProcessSpec, copy: number) => Readonly<Record<string, string>> | undefined;

/**
 * `specs` with every process of more than one `replicas` replaced, in place, by its copies
 * `NAME.1` ... `NAME.N`. Each copy has `SUBVISOR_REPLICA` (1-based) in its `env`, over everything
 * else, and `replica` saying what it is a copy of; a process of one copy keeps its name and gets
 * no `SUBVISOR_REPLICA` (a variable that is there only for replicas lets a program tell). A
 * dependency on a process with copies becomes one on every copy, with the same condition: what
 * waits for `web` waits for all of it (each such dependency says `copyOf`). `extra` adds variables per copy (copy 1 for a single one).
 *
 * @example
 * ```ts
 * expandReplicas([{ ...web, replicas: 2 }, { ...test, dependsOn: [{ name: 'web', condition: 'ready' }] }]).map((spec) => spec.name);
 * // ['web.1', 'web.2', 'test'], and test depends on web.1 and web.2
 * ```
 */
export function expandReplicas(specs: readonly ProcessSpec[], extra?: ExtraEnvironment): ProcessSpec[] {
  const copiesOf = new Map<string, string[]>();
  const expanded: ProcessSpec[] = [];
  for (const spec of specs) {
    const count = spec.replicas ?? 1;
    if (count < 2) {
      expanded.push(withEnv(spec, extra?.(spec, 1)));
      continue;
    }
    const names: string[] = [];
    for (let index = 1; index <= count; index++) {
      const name = replicaName(spec.name, index);
      names.push(name);
      const copy: ProcessSpec = { ...spec, name, replicas: undefined, replica: { of: spec.name, index } };
      expanded.push(withEnv(copy, { ...extra?.(spec, index), [REPLICA_VARIABLE]: String(index) }));
    }
    copiesOf.set(spec.name, names);
  }
  if (copiesOf.size === 0) return expanded;
  const onCopies = (dependency: Dependency): Dependency[] => {
    const copies = copiesOf.get(dependency.name);
    return copies === undefined ? [dependency] : copies.map((name) => ({ name, condition: dependency.condition, copyOf: dependency.name }));
  };
  return expanded.map((spec) => ({ ...spec, dependsOn: spec.dependsOn.flatMap(onCopies) }));
}

/** `spec` with `env` added over its own (a copy's variables are the top of its environment). */
function withEnv(spec: ProcessSpec, env: Readonly<Record<string, string>> | undefined): ProcessSpec {
  return env === undefined ? spec : { ...spec, env: { ...spec.env, ...env } };
}
