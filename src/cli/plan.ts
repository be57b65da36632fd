/** One process as the CLI runs it: from a `subvisor.yaml` entry, a Procfile line, or `subvisor run`. */
export interface ProcessPlan {
  readonly name: string;
  /** A string runs under `sh -c`; an array is argv. */
  readonly cmd: readonly string[] | string;
  readonly cwd?: string | undefined;
  /** Merged over the CLI's own environment. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** A line matching it makes the process ready; without it, ready once spawned. */
  readonly ready?: RegExp | undefined;
  readonly readyTimeoutMs?: number | undefined;
  readonly dependsOn: readonly string[];
  readonly restart: RestartPolicy;
  /** Its exit ends the run: status 0 stops the others and the run exits 0. */
  readonly main: boolean;
  /** SIGTERM-to-SIGKILL grace for this process, in ms. */
  readonly grace?: number | undefined;
}

export type RestartPolicy = { readonly policy: 'no' } | { readonly policy: 'on-failure'; readonly max: number; readonly backoffMs: number };
