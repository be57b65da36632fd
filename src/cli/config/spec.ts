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
