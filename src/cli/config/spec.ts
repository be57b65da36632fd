import { DEFAULT_KILL_GRACE_MS } from '../../process/options.js';
import { MAX_DURATION_MS } from './duration.js';
import type { ConfigProblem } from './errors.js';
import type { InterpolatedPart } from './environment/interpolate.js';

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
  /** Pause between tries. Default {@link DEFAULT_READY_INTERVAL_MS} (ready) / {@link DEFAULT_LIVENESS_INTERVAL_MS} (liveness). */
  readonly intervalMs: number;
  /** One try is cut (its process stopped, its request aborted) after this. Default {@link DEFAULT_PROBE_TIMEOUT_MS}. */
  readonly timeoutMs: number;
  /** Failures in this time after the start do not count (liveness), or no try is made (ready). Default 0. */
  readonly startPeriodMs: number;
}

/**
 * The pause between two tries of a `ready` probe when `interval` is not given. Short, because
 * every dependent waits for it: a database ready 10 ms after a try is noticed at most 250 ms
 * late, and a probe this cheap (a connect, a request, `pg_isready`) costs nothing at 4 a second.
 */
export const DEFAULT_READY_INTERVAL_MS = 250;
/**
 * The pause between two tries of a `liveness` probe when `interval` is not given: Kubernetes'
 * `periodSeconds` default. Liveness runs for the whole life of the process, so it should cost
 * little; with {@link DEFAULT_LIVENESS_FAILURES} a hung process is stopped within about 30 s.
 */
export const DEFAULT_LIVENESS_INTERVAL_MS = 10_000;
/**
 * How long one try may take when `timeout` is not given. Kubernetes' default of 1 s fails a
 * healthy server that is busy for a moment (a GC pause, a cold cache); Docker's 30 s leaves a
 * hung one unnoticed for long. 5 s is what a person at a terminal still waits for.
 */
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;
/** Failures in a row that stop a process when `failures` is not given: Kubernetes' and Docker's default. */
export const DEFAULT_LIVENESS_FAILURES = 3;

/**
 * A check of a process from outside, as SPEC §9 writes it: a log line (`ready: "pattern"` or
 * `{ log: pattern }`), an HTTP answer (`{ http: URL, status }`; no `status` means any 2xx), a TCP
 * connect (`{ tcp: "HOST:PORT" }`), or a command that exits 0 (`{ exec: CMD }`, run with the
 * process's cwd, env and user; a string runs under `sh -c`, a list is argv). `url`, `host` and
 * `cmd` are interpolated already; `urlParts`, `addressParts` (`HOST:PORT`) and `cmdParts` are them as interpolation made them, as
 * {@link ProcessSpec.cmdParts} is, when a variable was read.
 *
 * A log probe is not polled: it watches each line as it comes, so its timing is the ready
 * defaults, unused (the config refuses `interval`, `timeout` and `startPeriod` on it; the wait for
 * the line is bounded by `readyTimeout`).
 */
export type Probe = ProbeTiming &
  (
    | { readonly kind: 'log'; readonly pattern: RegExp; readonly patternAsWritten?: string | undefined }
    | { readonly kind: 'http'; readonly url: string; readonly status: number | undefined; readonly urlParts?: readonly InterpolatedPart[] | undefined }
    | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly addressParts?: readonly InterpolatedPart[] | undefined }
    | { readonly kind: 'exec'; readonly cmd: readonly string[] | string; readonly cmdParts?: readonly (readonly InterpolatedPart[])[] | undefined }
  );

/** A liveness probe: a probe (never a log one: a quiet process is not a dead one), and how many failures in a row stop the process. */
export type LivenessProbe = Probe & {
  /** Consecutive failures before the process counts as dead (key `failures`). Default {@link DEFAULT_LIVENESS_FAILURES}. */
  readonly failures: number;
};

/**
 * The probe of `ready: "pattern"`: ready once an output line matches `pattern`. For specs built in
 * code (`subvisor run --ready`).
 *
 * @example
 * ```ts
 * logProbe(/listening on \d+/).kind; // 'log'
 * ```
 */
export function logProbe(pattern: RegExp, patternAsWritten?: string): Probe {
  const written = patternAsWritten === undefined ? {} : { patternAsWritten };
  return { kind: 'log', pattern, ...written, intervalMs: DEFAULT_READY_INTERVAL_MS, timeoutMs: DEFAULT_PROBE_TIMEOUT_MS, startPeriodMs: 0 };
}

/**
 * A log probe's pattern as it is named (`/listening on \d+/`): as the config writes it when a
 * variable made it (`/token ${API_TOKEN} ok/`), since a value from `.env` is no more shown, in a
 * failure line or an exported file's comment, than in a command.
 */
export function logPatternInWords(probe: { readonly pattern: RegExp; readonly patternAsWritten?: string | undefined }): string {
  return probe.patternAsWritten ?? String(probe.pattern);
}

/**
 * What a dependent waits for (SPEC §9): `started` (spawned), `ready` (its `ready` probe passed; the
 * same as `started` without one), `succeeded` (exited 0), `completed` (exited, whatever the status).
 */
export type Condition = 'started' | 'ready' | 'succeeded' | 'completed';

/** One entry of `dependsOn`: a list entry means `ready`. */
export interface Dependency {
  readonly name: string;
  readonly condition: Condition;
  /**
   * The process written in `dependsOn`, when it has replicas and this is the dependency on one of
   * its copies (see expandReplicas): what waits for `web` is told as waiting for `web`, not for
   * each of its copies by name.
   */
  readonly copyOf?: string | undefined;
}

/**
 * When a process that exited is started again (SPEC §9): `no` (the default: an unexpected exit
 * fails the run, which is what fail-fast means), `on-failure` (a non-zero exit, a death by a signal
 * we did not send, or a liveness failure restarts it), `always` (any exit restarts it; for a
 * `task`, which is never restarted after success, it means `on-failure`). At most `max` restarts
 * in a row; the delay doubles from `backoffMs` up to `maxBackoffMs` ({@link restartDelayMs}); a
 * process healthy for longer than `resetAfterMs` (ready, and passing its liveness) starts counting again.
 *
 * Every field is always filled in, also for `no` (with the defaults, which `no` ignores), so a
 * reader of the plan never has to guess a default again.
 */
export interface RestartPolicy {
  readonly policy: 'no' | 'on-failure' | 'always';
  /** Restarts in a row before the next failure fails the run (key `max`). Default {@link DEFAULT_RESTART_MAX}. */
  readonly max: number;
  /** The wait before the first restart (key `backoff`). Default {@link DEFAULT_RESTART_BACKOFF_MS}. */
  readonly backoffMs: number;
  /** The longest wait the doubling reaches (key `maxBackoff`), at least `backoffMs`. Default {@link DEFAULT_RESTART_MAX_BACKOFF_MS}. */
  readonly maxBackoffMs: number;
  /** Healthy this long (ready, and passing its liveness), the count of restarts starts again (key `resetAfter`). Default {@link DEFAULT_RESTART_RESET_AFTER_MS}. */
  readonly resetAfterMs: number;
}

/**
 * Restarts allowed when `max` is not given. Three: enough to ride out a dependency that is slow
 * to come back, few enough that a process that cannot start fails the run within seconds.
 */
export const DEFAULT_RESTART_MAX = 3;
/** Wait before the first restart when `backoff` is not given: long enough not to spin, short enough not to be noticed. */
export const DEFAULT_RESTART_BACKOFF_MS = 500;
/** The ceiling of the doubling when `maxBackoff` is not given (500 ms doubled six times passes it). */
export const DEFAULT_RESTART_MAX_BACKOFF_MS = 30_000;
/**
 * How long a process must stay healthy for its restarts to be forgotten, when `resetAfter` is not
 * given: a minute, twice the default ceiling of the backoff, so a process that crashes after every
 * longest wait still runs out of restarts.
 */
export const DEFAULT_RESTART_RESET_AFTER_MS = 60_000;

/** `restart: no` with every default filled in: the policy of a process that gives none. */
export const NO_RESTART: RestartPolicy = {
  policy: 'no',
  max: DEFAULT_RESTART_MAX,
  backoffMs: DEFAULT_RESTART_BACKOFF_MS,
  maxBackoffMs: DEFAULT_RESTART_MAX_BACKOFF_MS,
  resetAfterMs: DEFAULT_RESTART_RESET_AFTER_MS,
};

/**
 * The wait before restart number `attempt + 1` (`attempt` counts from 0): `backoffMs`, doubled for
 * each restart before it, and never more than `maxBackoffMs` nor {@link MAX_DURATION_MS}. The
 * second cap matters for specs built in code: without it the doubling would reach a delay
 * `setTimeout` cannot hold, which Node fires at once, so the slowest restarts would become the
 * fastest. `no` never waits (it never restarts).
 *
 * @example
 * ```ts
 * restartDelayMs({ ...NO_RESTART, policy: 'on-failure', backoffMs: 500, maxBackoffMs: 3000 }, 2); // 2000
 * restartDelayMs({ ...NO_RESTART, policy: 'on-failure', backoffMs: 500, maxBackoffMs: 3000 }, 3); // 3000
 * ```
 */
export function restartDelayMs(restart: RestartPolicy, attempt: number): number {
  // No backoff stays none, however many restarts: 0 * 2 ** 1024 is NaN.
  if (restart.policy === 'no' || restart.backoffMs === 0) return 0;
  return Math.min(restart.backoffMs * 2 ** attempt, restart.maxBackoffMs, MAX_DURATION_MS);
}

/**
 * The user a process runs as (key `user`), looked up in `/etc/passwd` when the config is read.
 * `home` and `shell` are the passwd entry's home directory and login shell (undefined when the
 * entry gives none).
 */
export interface ProcessUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string | undefined;
  readonly shell: string | undefined;
  /**
   * Its supplementary groups (the group file's groups that list it as a member, its own `gid`
   * aside), given to the process as systemd's `User=` gives them, its `gid` among them; empty for a
   * user in no group (the process's list is then its `gid` alone, as initgroups(3) makes it).
   * Absent when none can be given here (no setpriv, a namespace that denies setgroups): the process
   * then has none, as Node's spawn leaves it.
   */
  readonly groups?: readonly number[];
}

/**
 * Watch mode (key `watch`, SPEC §10): a change under one of `paths` restarts the process as
 * `subvisor restart` does (a `task` runs again first, and its dependents restart only if it
 * succeeded). `node_modules`, `.git` and the like are always left out ({@link ALWAYS_UNWATCHED}).
 */
export interface WatchSpec {
  /**
   * Absolute files or directories (a directory is watched with everything under it), resolved
   * against the process's cwd; each existed when the config was read.
   */
  readonly paths: readonly string[];
  /**
   * Globs of changes that do not count (key `ignore`; see `src/cli/watch/glob.ts`): one without a
   * `/` is matched against the file's name, any other against its path relative to the watched
   * path and relative to the cwd. A directory that matches is not watched at all.
   */
  readonly ignore: readonly string[];
  /** Changes are collected until none came for this long, then one restart follows (key `debounce`). Default {@link DEFAULT_WATCH_DEBOUNCE_MS}. */
  readonly debounceMs: number;
}

/**
 * How long a burst of changes is collected when `debounce` is not given: an editor's save (a
 * temporary file, a rename, a write), a formatter run on save or a `git checkout` lands within
 * it, and a person does not notice the wait.
 */
export const DEFAULT_WATCH_DEBOUNCE_MS = 200;

/**
 * Directory names never watched, wherever they are: installed packages and version control's own
 * files (git's, Mercurial's, Subversion's) change by the thousand (an `npm install`, a `git gc`)
 * and are never the source being edited. Python writes its compiled modules into `__pycache__`
 * next to the sources as it imports them: watched, a Python process restarted for what its own
 * start wrote, again after every save.
 */
export const ALWAYS_UNWATCHED: readonly string[] = ['node_modules', '.git', '.hg', '.svn', '__pycache__'];

/**
 * One process as the CLI runs it, validated, interpolated and with its defaults filled in: from a
 * `subvisor.yaml` entry, a Procfile line, or the command line of `subvisor run`. The one type for
 * a process's plan, from the config to the runner: the runner decides nothing the config gives.
 * Nothing here has been started.
 */
export interface ProcessSpec {
  /** Unique in its config; matches {@link PROCESS_NAME} (it prefixes every output line). */
  readonly name: string;
  /** A string runs under `sh -c` (shell: true); an array is argv, run without a shell. Interpolated. */
  readonly cmd: readonly string[] | string;
  /**
   * {@link cmd} as interpolation made it (see `interpolateParts`): one list of pieces per argv word,
   * or one for a string. An export writes a variable's value where the target expands it itself
   * rather than in a file every user reads. Absent when no variable was read (and for a Procfile, `run`).
   */
  readonly cmdParts?: readonly (readonly InterpolatedPart[])[] | undefined;
  /**
   * Working directory, absolute, interpolated. Resolved against the config file's directory, which
   * is also the value when the file gives none (as foreman and docker compose do):
   * `cmd: ./scripts/db.sh` then means the script next to the config, wherever `subvisor up -f` was
   * run from.
   */
  readonly cwd?: string | undefined;
  /**
   * {@link cwd} as interpolation made it, as {@link cmdParts} is: the config's directory first (as
   * written text) when the config gives a relative one. What names the cwd where its value may not
   * be shown (a failure line, a systemd unit). Absent when no variable was read.
   */
  readonly cwdParts?: readonly InterpolatedPart[] | undefined;
  /**
   * The process's own `env:`, interpolated: the top of the environment, over the parent's (the
   * runner merges; the config layer never copies `process.env` into a plan). YAML numbers and
   * booleans are taken as written (`PORT: 8080` gives "8080", `VERSION: 3.10` gives "3.10").
   */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /**
   * The variables of the env files, merged lowest first: `.env` beside the config (unless
   * `envFile: false`), then the top-level `envFile`s, then the process's own. The runner puts the
   * parent's environment between these and {@link env}. Absent when no file was read.
   */
  readonly envFromFiles?: Readonly<Record<string, string>> | undefined;
  /** The absolute paths that went into {@link envFromFiles}, in the order they were merged (for `subvisor export`). */
  readonly envFiles?: readonly string[] | undefined;
  /**
   * The names of {@link envFromFiles}, then of {@link env}, each once, in the order the env files
   * and the config write them: what lists variables lists them so, since a Record puts integer-like
   * names (`"1"`, `"10"`) before all others. Absent when there are none.
   */
  readonly envNames?: readonly string[] | undefined;
  /** When the process counts as ready (key `ready`); `ready: "regex"` is `{ kind: 'log' }`. No probe means ready on start. */
  readonly ready?: Probe | undefined;
  /** How long to wait for `ready` (key `readyTimeout`, a duration). Default: the runner's. */
  readonly readyTimeoutMs?: number | undefined;
  /**
   * An exit with status 0 before `ready` is an exit, not a failure (`subvisor run --ready`, where
   * the pattern only says when the child is ready and the child's status decides). Not a config
   * key: in `up`, dependents wait for that readiness, so such an exit fails, except a task's,
   * whose exit 0 is its success whatever its probe said. Default false.
   */
  readonly readyOptional?: boolean | undefined;
  /**
   * The child reads subvisor's own stdin instead of /dev/null: set by `run` alone, and only when
   * that stdin is a pipe or a file (see cli/commands/run.ts). Not a config key: `up`'s processes
   * share one stdin, so none of them gets it. Default false.
   */
  readonly inheritStdin?: boolean | undefined;
  /** A probe that stops the process (as a failure) after `failures` failed tries in a row (key `liveness`). */
  readonly liveness?: LivenessProbe | undefined;
  /**
   * What must have happened to other processes before this one starts: a list in the config means
   * each is `ready`; a mapping gives each its condition. One entry per name, in file order.
   */
  readonly dependsOn: readonly Dependency[];
  /** Default {@link NO_RESTART}. */
  readonly restart: RestartPolicy;
  /**
   * Expected to exit (key `task`): exit 0 means it succeeded, and it is never restarted after
   * that. Only a task can be waited for as `succeeded` or `completed`. Default false.
   */
  readonly task: boolean;
  /** The run ends when this process exits: status 0 stops the others and the run exits 0. At most one per config. */
  readonly main: boolean;
  /** The signal that asks it to stop (key `stopSignal`; never SIGKILL or SIGSTOP). Default: the runner's, SIGTERM. */
  readonly stopSignal?: NodeJS.Signals | undefined;
  /** Milliseconds between the stop signal and SIGKILL when stopping it (the runner's `killGraceMs`). */
  readonly grace?: number | undefined;
  /** The user to run it as (key `user`); absent means subvisor's own. */
  readonly user?: ProcessUser | undefined;
  /** Restart it when a file under these paths changes (key `watch`); absent means no watching. */
  readonly watch?: WatchSpec | undefined;
  /** Where the config defines it; absent for specs built in code. */
  readonly source?: SourceLocation | undefined;
  /**
   * How many copies to run (key `replicas`, or `NAME=N` on the command line). More than one is
   * expanded by `planProcesses` into specs named `NAME.1` ... `NAME.N`; absent or 1 is one process
   * with the plain name.
   */
  readonly replicas?: number | undefined;
  /** Set on the copies `planProcesses` makes: which process it is a copy of, and which copy (1-based). */
  readonly replica?: { readonly of: string; readonly index: number } | undefined;
  /**
   * foreman's name for a Procfile's process of one copy, `NAME.1` (its `PS`), set by
   * `planProcesses`: the control commands take it as well as `NAME`.
   */
  readonly foremanName?: string | undefined;
}

/**
 * The milliseconds between `spec`'s stop signal and SIGKILL: its own `grace`, else the run's.
 *
 * @param runGraceMs - The run's grace for processes without their own (`up --grace`); default
 * {@link DEFAULT_KILL_GRACE_MS}, the runner's, for what is judged without a run (an export).
 */
export function stopGraceMs(spec: Pick<ProcessSpec, 'grace'>, runGraceMs: number = DEFAULT_KILL_GRACE_MS): number {
  return spec.grace ?? runGraceMs;
}

/**
 * Where each process's output lines are written (top-level key `logs`): `DIR/NAME.log`, rotated to
 * `NAME.log.1` ... once it would pass `maxSizeBytes`, keeping `keep` rotated files.
 */
export interface LogFilesSpec {
  /** Absolute; `dir` is resolved against the config file's directory. Default {@link DEFAULT_LOG_DIR}. */
  readonly dir: string;
  /** Default {@link DEFAULT_LOG_MAX_SIZE_BYTES}. */
  readonly maxSizeBytes: number;
  /** Rotated files kept besides `NAME.log` (0: the file is emptied when full). Default {@link DEFAULT_LOG_KEEP}. */
  readonly keep: number;
  /** Where `logs` is written, so a directory that cannot be made is reported at it. */
  readonly source?: SourceLocation | undefined;
}

/**
 * The log directory when `dir` is not given, relative to the config file: beside the control
 * socket (`.subvisor/control.sock`), in one directory a `.gitignore` line keeps out of the project.
 */
export const DEFAULT_LOG_DIR = '.subvisor/logs';
/**
 * The size at which a log file is rotated when `maxSize` is not given: 10 MiB holds about a
 * hundred thousand lines, hours of a chatty development server, and opens at once in an editor.
 */
export const DEFAULT_LOG_MAX_SIZE_BYTES = 10 * 1024 * 1024;
/** Rotated files kept when `keep` is not given: with the current one, at most 40 MiB per process by default. */
export const DEFAULT_LOG_KEEP = 3;

/** A parsed, validated config: `processes` in file order. */
export interface Config {
  readonly file: string;
  readonly processes: readonly ProcessSpec[];
  /** Present only when the config has a `logs` key: without it nothing is written to disk. */
  readonly logs?: LogFilesSpec | undefined;
  /**
   * What the file allows but likely did not mean (a `${VAR}` read as empty because VAR is unset,
   * an env file's value cut at a `#`), each at its place, for stderr; present only when there is one.
   */
  readonly warnings?: readonly ConfigProblem[] | undefined;
}

/**
 * A process name: a letter or digit, then letters, digits, `_`, `.` or `-`, all ASCII. Names prefix
 * output lines and appear in the NDJSON `name` field, so spaces, colons and control characters are
 * out; they also name systemd units and Compose services, which take ASCII only, so `wéb` is out too.
 */
export const PROCESS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Why a name does not fit {@link PROCESS_NAME}, said so a person can fix it. */
export const PROCESS_NAME_RULE = 'a process name must start with a letter or digit and use only ASCII letters, digits, _, . and -';

/**
 * A {@link PROCESS_NAME} made of another tool's name for a process (npm's `watch:js`, pm2's `API
 * Server`), for the config suggested in its place: each run of other characters is a `-`, and what
 * comes before the first letter or digit is dropped. `fallback` when nothing is left.
 */
export function processNameFrom(word: string, fallback: string): string {
  return word.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || fallback;
}
