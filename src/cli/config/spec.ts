import { MAX_DURATION_MS } from './duration.js';

/** Where a process is defined, so later errors (a cycle found by `startOrder`) can point at it. */
export interface SourceLocation {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
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

/** The one restart policy type (SPEC §9). */
export type RestartPolicy = RestartPolicyV2;

/** Restarts allowed by `restart: on-failure` when `max` is not given. */
export const DEFAULT_RESTART_MAX = 3;
/** Wait before a restart when `backoff` is not given. */
export const DEFAULT_RESTART_BACKOFF_MS = 500;
/** The ceiling of the doubling when `maxBackoff` is not given. */
export const DEFAULT_RESTART_MAX_BACKOFF_MS = 30_000;
/** Up this long, the count of restarts starts again, when `resetAfter` is not given. */
export const DEFAULT_RESTART_RESET_AFTER_MS = 60_000;

/** `restart: no` with every default filled in. */
export const NO_RESTART: RestartPolicy = {
  policy: 'no',
  max: DEFAULT_RESTART_MAX,
  backoffMs: DEFAULT_RESTART_BACKOFF_MS,
  maxBackoffMs: DEFAULT_RESTART_MAX_BACKOFF_MS,
  resetAfterMs: DEFAULT_RESTART_RESET_AFTER_MS,
};

/**
 * The wait before restart number `attempt + 1` (`attempt` counts from 0): `backoffMs`, doubled for
 * each restart before it, and never more than `maxBackoffMs` nor {@link MAX_DURATION_MS}.
 */
export function restartDelayMs(restart: RestartPolicy, attempt: number): number {
  if (restart.policy === 'no') return 0;
  return Math.min(restart.backoffMs * 2 ** attempt, restart.maxBackoffMs, MAX_DURATION_MS);
}

/** Defaults of a probe's timing when the config gives none. */
export const DEFAULT_READY_INTERVAL_MS = 250;
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

/** The probe of `ready: "pattern"`: ready once an output line matches `pattern`. */
export function logProbe(pattern: RegExp): Probe {
  return { kind: 'log', pattern, intervalMs: DEFAULT_READY_INTERVAL_MS, timeoutMs: DEFAULT_PROBE_TIMEOUT_MS, startPeriodMs: 0 };
}

/**
 * One process as the CLI runs it, validated and with its defaults filled in (the shape h/config12
 * settles on; this copy is replaced by theirs at the merge).
 */
export interface ProcessSpec {
  readonly name: string;
  readonly cmd: readonly string[] | string;
  readonly cwd?: string;
  /** The process's own env. */
  readonly env?: Readonly<Record<string, string>>;
  /** .env + env files, merged lowest first; the runner puts process.env between these and env. */
  readonly envFromFiles?: Readonly<Record<string, string>>;
  readonly envFiles?: readonly string[];
  readonly ready?: Probe;
  readonly readyTimeoutMs?: number;
  readonly liveness?: LivenessProbe;
  readonly dependsOn: readonly Dependency[];
  readonly restart: RestartPolicy;
  readonly task: boolean;
  readonly main: boolean;
  readonly stopSignal?: NodeJS.Signals;
  readonly grace?: number;
  readonly user?: { readonly name: string; readonly uid: number; readonly gid: number; readonly home: string | undefined };
  readonly source?: SourceLocation;
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
