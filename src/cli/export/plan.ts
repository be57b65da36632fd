import { planProcesses } from '../config/plan.js';
import type { Config, ProcessSpec } from '../config/spec.js';

/** What both exports need to know to write the processes `subvisor up` would run. */
export interface ExportPlanOptions {
  /**
   * Give each process `PORT` as foreman does (base `$PORT` from this environment or `.env`, else
   * 5000; plus 100 per Procfile entry; plus the copy's index): true for a Procfile unless
   * `--no-port`, as for `up`. Default false.
   */
  readonly assignPorts?: boolean | undefined;
  /** The config is a Procfile: each process gets foreman's `PS` (`web.1`), as under `up`. Default false. */
  readonly procfile?: boolean | undefined;
  /** Where the base of `PORT` is read. Default `process.env`, as for `up`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/**
 * The processes an export writes: what `subvisor up` (no names, no formation) would run, from the
 * same {@link planProcesses}, so `replicas: N` gives `NAME.1` ... `NAME.N` each with its
 * `SUBVISOR_REPLICA`, a dependency on `NAME` is one on every copy, and a Procfile's processes get
 * foreman's `PS` and `PORT`. In the config's order (a copy where its process is, copies by index), not in
 * start order: a file someone reads follows the config they wrote, and the targets order the
 * starts themselves from the dependencies.
 *
 * @example
 * ```ts
 * exportedProcesses(config).map((spec) => spec.name); // ['db', 'web.1', 'web.2'] for `web: { replicas: 2 }`
 * ```
 */
export function exportedProcesses(config: Config, options: ExportPlanOptions = {}): ProcessSpec[] {
  const planned = planProcesses(config, { names: [], procfile: options.procfile, assignPorts: options.assignPorts, env: options.env });
  const position = new Map(config.processes.map((spec, index) => [spec.name, index]));
  const at = (spec: ProcessSpec): number => position.get(spec.replica?.of ?? spec.name) ?? 0;
  // sort is stable, and the plan lists the copies of one process next to each other, by index.
  return planned.sort((a, b) => at(a) - at(b));
}

