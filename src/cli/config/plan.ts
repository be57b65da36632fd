import { ConfigError, type ConfigProblem } from './errors.js';
import { selectProcesses, startOrder } from './graph.js';
import { MAIN_REPLICAS, expandReplicas, namesTakenByCopies, replicaName, type ExtraEnvironment } from './replicas.js';
import type { Config, ProcessSpec } from './spec.js';

/** What `subvisor up` was asked to run, besides the config. */
export interface PlanRequest {
  /** `NAME` words: these processes (with every copy) and what they depend on; none means all. */
  readonly names: readonly string[];
  /**
   * `NAME=N` words (foreman's formation): run N copies of NAME. Naming any selects, as `NAME`
   * does; for subvisor.yaml N takes the place of the process's `replicas`. Default: none.
   */
  readonly formation?: ReadonlyMap<string, number> | undefined;
  /**
   * Give each process `PORT` as foreman does (see {@link foremanPorts}): true for a Procfile,
   * unless `--no-port`. Default false.
   */
  readonly assignPorts?: boolean | undefined;
  /**
   * The config is a Procfile: each process gets foreman's `PS` (see {@link foremanEnvironment}),
   * whether or not it gets `PORT`. Default false.
   */
  readonly procfile?: boolean | undefined;
  /** Where the base of `PORT` is read (`PORT`). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** foreman's base port when neither the environment nor `.env` gives `PORT`. */
export const DEFAULT_BASE_PORT = 5000;
/** foreman's step between two Procfile entries: the entry's copies take the ports in between. */
export const PORT_STEP = 100;

/**
 * The processes `subvisor up` runs, in start order, with replicas expanded into plain specs
 * (`web.1`, `web.2`: see {@link expandReplicas}): the formation's counts applied, the `NAME`s and
 * the formation's names selected (with what they depend on), and a Procfile's `PS` and `PORT`
 * given when asked. Throws
 * {@link ConfigError} for an unknown name, a `main` process given copies, or a `PORT` out of range.
 *
 * @example
 * ```ts
 * planProcesses(loadConfig('Procfile'), { names: [], formation: new Map([['web', 2]]), assignPorts: true }).map((spec) => spec.env?.PORT);
 * // ['5000', '5001']
 * ```
 */
export function planProcesses(config: Config, request: PlanRequest): ProcessSpec[] {
  const formation = request.formation ?? new Map<string, number>();
  const counted = formation.size === 0 ? config : { ...config, processes: config.processes.map((spec) => withCount(spec, formation.get(spec.name))) };
  // As `replicas:` is (see replicaNamesFree): a copy's name must not be another process's, run or not.
  const clashes = formation.size === 0 ? [] : namesTakenByCopies(counted.processes);
  if (clashes.length > 0) throw new ConfigError(clashes.map(({ taken, copyOf }) => atSource(config, taken, `the name '${taken.name}' is taken by a copy of '${copyOf.name}' (${copyOf.name}=${copyOf.replicas ?? 1}); rename this process`)));
  const selected = selectProcesses(counted, [...request.names, ...formation.keys()]);
  const mains = selected.filter((spec) => spec.main && (spec.replicas ?? 1) > 1);
  if (mains.length > 0) throw new ConfigError(mains.map((spec) => atSource(config, spec, `${spec.name}=${spec.replicas ?? 1}: ${MAIN_REPLICAS}`)));
  const planned = startOrder(expandReplicas(selected, foremanEnvironment(config, request)));
  return request.procfile === true ? planned.map(withForemanName) : planned;
}

/**
 * A Procfile's process of one copy, given the name foreman gives it (`worker.1`, its `PS`, which
 * it may print): said to `subvisor ps`, it is that process, not an unknown name. A copy has that
 * name already; a Procfile's names have no `.`, so no other process can.
 */
function withForemanName(spec: ProcessSpec): ProcessSpec {
  return spec.replica === undefined ? { ...spec, foremanName: replicaName(spec.name, 1) } : spec;
}

/**
 * Every name a run of the whole config has (copies by `replicas`), in its start order: the order
 * colours are handed out in, so that a process keeps its colour whichever are selected.
 */
export function everyProcessName(config: Config): string[] {
  return startOrder(expandReplicas(config.processes)).map((spec) => spec.name);
}

function withCount(spec: ProcessSpec, count: number | undefined): ProcessSpec {
  return count === undefined ? spec : { ...spec, replicas: count };
}

/**
 * What foreman's engine adds to each copy's environment, for a Procfile: `PS`, the copy's name as
 * foreman gives it (`web.1`, `web.2`, and `worker.1` for a process of one copy, which subvisor
 * names `worker`: a program written for foreman reads the index from it), and `PORT` when asked.
 * Both sit over every other variable, as foreman's do.
 */
function foremanEnvironment(config: Config, request: PlanRequest): ExtraEnvironment | undefined {
  const ports = request.assignPorts === true ? foremanPorts(config, request.env ?? process.env) : undefined;
  if (request.procfile !== true) return ports;
  return (spec, copy) => ({ ...ports?.(spec, copy), PS: replicaName(spec.name, copy) });
}

/**
 * foreman's `PORT` (its `port_for`): the base, plus 100 for each Procfile entry before the
 * process's (whether it runs or not, so a process keeps its port whatever else is selected), plus
 * the copy's index from 0: `web.1` 5000, `web.2` 5001, the next entry's first copy 5100. The base
 * is `PORT` from the environment, else from `.env`, else 5000. foreman reads `.env` first; here,
 * as everywhere in subvisor (SPEC §9), the parent's environment wins over `.env`.
 */
export function foremanPorts(config: Config, env: Readonly<Record<string, string | undefined>>): ExtraEnvironment {
  const entry = new Map(config.processes.map((spec, index) => [spec.name, index]));
  return (spec, copy) => {
    const written = writtenBasePort(spec, env);
    const base = written === undefined ? DEFAULT_BASE_PORT : Number(written);
    if (!/^\d+$/.test(written ?? '0') || base > MAX_PORT) {
      const from = !env.PORT ? 'PORT in .env' : 'PORT in the environment';
      throw new ConfigError([atSource(config, spec, `${from} is not a port number (0 to ${MAX_PORT}), so no PORT can be given from it; set it to a number, or pass --no-port`)]);
    }
    const port = base + PORT_STEP * (entry.get(spec.name) ?? 0) + (copy - 1);
    if (port > MAX_PORT) {
      throw new ConfigError([atSource(config, spec, `its PORT would be ${port}, past ${MAX_PORT}; start from a lower PORT, or pass --no-port`)]);
    }
    return { PORT: String(port) };
  };
}

/**
 * The base of foreman's `PORT` as written for `spec`: `PORT` from the environment, else from
 * `.env`; undefined when neither writes one, and the base is {@link DEFAULT_BASE_PORT}. The one
 * place this is decided: {@link foremanPorts} counts from it, and `up` says nothing of a
 * `.foreman` port equal to it.
 */
export function writtenBasePort(spec: ProcessSpec, env: Readonly<Record<string, string | undefined>>): string | undefined {
  // An empty PORT is as good as none (`PORT= subvisor up`).
  return env.PORT || spec.envFromFiles?.PORT || undefined;
}

const MAX_PORT = 65_535;

function atSource(config: Config, spec: ProcessSpec, message: string): ConfigProblem {
  const where = spec.source ?? { file: config.file };
  return { ...where, process: spec.name, message };
}
