import { MAX_DURATION_MS } from './duration.js';

/** Where a process is defined, so later errors (a cycle found by `startOrder`) can point at it. */
export interface SourceLocation {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/**
 * When a process that exited is started again. `no` (the default): an unexpected exit fails the
 * run, which is what fail-fast means. `on-failure`: a non-zero exit (or a death by signal we did
 * not send) restarts it up to `max` times, after {@link restartDelayMs}; the next failure after
 * that fails the run.
 */
export type RestartPolicy = { readonly policy: 'no' } | { readonly policy: 'on-failure'; readonly max: number; readonly backoffMs: number };

/**
 * The wait before restart number `attempt + 1` (`attempt` counts from 0): `backoffMs`, doubled for
 * each restart before it, and never more than {@link MAX_DURATION_MS}. Without that cap the
 * doubling of an accepted config (`backoff: 1s`, `max: 30`) would reach a delay `setTimeout` cannot
 * hold, which Node fires at once: the slowest restarts would become the fastest.
 *
 * @example
 * ```ts
 * restartDelayMs({ policy: 'on-failure', max: 5, backoffMs: 500 }, 2); // 2000
 * ```
 */
export function restartDelayMs(restart: RestartPolicy, attempt: number): number {
  if (restart.policy === 'no') return 0;
  return Math.min(restart.backoffMs * 2 ** attempt, MAX_DURATION_MS);
}

/** How often, how long and from when a probe is tried (keys `interval`, `timeout`, `startPeriod`). */
export interface ProbeTiming {
  /** Pause between tries. Default 1 s (ready) / 10 s (liveness). */
  readonly intervalMs: number;
  /** One try is cut (its process stopped, its request aborted) after this. Default 5 s. */
  readonly timeoutMs: number;
  /** Failures in this time after the start do not count (liveness), or no try is made (ready). Default 0. */
  readonly startPeriodMs: number;
}

/**
 * A check of a process from outside, as SPEC §9 writes it: a log line (`ready: "pattern"` or
 * `{ log: pattern }`), an HTTP answer (`{ http: URL, status }`; no `status` means any 2xx), a TCP
 * connect (`{ tcp: "HOST:PORT" }`), or a command that exits 0 (`{ exec: CMD }`, run with the
 * process's cwd, env and user).
 */
export type Probe = ProbeTiming &
  (
    | { readonly kind: 'log'; readonly pattern: RegExp }
    | { readonly kind: 'http'; readonly url: string; readonly status: number | undefined }
    | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
    | { readonly kind: 'exec'; readonly cmd: readonly string[] | string }
  );

/** A liveness probe: a probe, and how many failures in a row stop the process. */
export type LivenessProbe = Probe & {
  /** Consecutive failures before the process counts as dead (key `failures`). Default 3. */
  readonly failures: number;
};

/**
 * What a dependent waits for (SPEC §9): `started` (spawned), `ready` (its `ready` probe passed; the
 * same as `started` without one), `succeeded` (exited 0), `completed` (exited, whatever the status).
 */
export type Condition = 'started' | 'ready' | 'succeeded' | 'completed';

/** One entry of `dependsOn`: a list entry means `ready`. */
export interface Dependency {
  readonly name: string;
  readonly condition: Condition;
}

/**
 * The restart policy of SPEC §9: `no` (an unexpected exit fails the run), `on-failure` (a non-zero
 * exit, or a death by a signal we did not send, or a liveness failure, restarts it), `always`
 * (any exit restarts it). At most `max` restarts in a row; the delay doubles from `backoffMs` up
 * to `maxBackoffMs`; a process that stayed up longer than `resetAfterMs` starts counting again.
 */
export interface RestartPolicyV2 {
  readonly policy: 'no' | 'on-failure' | 'always';
  /** Default {@link DEFAULT_RESTART_MAX}. */
  readonly max: number;
  /** Default {@link DEFAULT_RESTART_BACKOFF_MS}. */
  readonly backoffMs: number;
  /** Default 30 s. */
  readonly maxBackoffMs: number;
  /** Default 60 s. */
  readonly resetAfterMs: number;
}

/** Restarts allowed by `restart: on-failure` when `max` is not given. */
export const DEFAULT_RESTART_MAX = 3;
/** Wait before a restart when `backoff` is not given. */
export const DEFAULT_RESTART_BACKOFF_MS = 500;

/**
 * One process as the CLI runs it, validated and with its defaults filled in: from a
 * `subvisor.yaml` entry, a Procfile line, or the command line of `subvisor run`. The one type for
 * a process's plan, from the config to the runner. Nothing here has been started or even looked
 * up on disk.
 */
export interface ProcessSpec {
  /** Unique in its config; matches {@link PROCESS_NAME} (it prefixes every output line). */
  readonly name: string;
  /** A string runs under `sh -c` (shell: true); an array is argv, run without a shell. */
  readonly cmd: readonly string[] | string;
  /**
   * Working directory, absolute. Resolved against the config file's directory, which is also the
   * value when the file gives none (as foreman and docker compose do): `cmd: ./scripts/db.sh`
   * then means the script next to the config, wherever `subvisor up -f` was run from.
   */
  readonly cwd?: string | undefined;
  /**
   * Extra environment, merged over `process.env` by the runner (not here: the config layer stays
   * pure). YAML numbers and booleans are taken as written (`PORT: 8080` gives "8080",
   * `VERSION: 3.10` gives "3.10", not "3.1").
   */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** The process is ready once an output line matches this; no pattern means ready on start. */
  readonly ready?: RegExp | undefined;
  /** How long to wait for `ready` (key `readyTimeout`, a duration). Default: the runner's. */
  readonly readyTimeoutMs?: number | undefined;
  /** Names of the processes that must be ready before this one starts. No duplicates. */
  readonly dependsOn: readonly string[];
  /** Default `{ policy: 'no' }`. */
  readonly restart: RestartPolicy;
  /** The run ends when this process exits: status 0 stops the others and the run exits 0. At most one per config. */
  readonly main: boolean;
  /** Milliseconds between SIGTERM and SIGKILL when stopping it (the runner's `killGraceMs`). */
  readonly grace?: number | undefined;
  /** Where the config defines it; absent for specs built in code. */
  readonly source?: SourceLocation | undefined;
}

/** A parsed, validated config: `processes` in file order. */
export interface Config {
  readonly file: string;
  readonly processes: readonly ProcessSpec[];
}

/**
 * A process name: a letter or digit, then letters, digits, `_`, `.` or `-`. Names prefix output
 * lines and appear in the NDJSON `name` field, so spaces, colons and control characters are out.
 */
export const PROCESS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Why a name does not fit {@link PROCESS_NAME}, said so a person can fix it. */
export const PROCESS_NAME_RULE = 'a process name must start with a letter or digit and use only letters, digits, _, . and -';
