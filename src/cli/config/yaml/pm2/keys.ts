import { quoteCommand } from '../../../../process/command.js';
import { printable } from '../../spawnable.js';
import { goDuration } from '../../duration.js';
import { restartDelayMs, type RestartPolicy } from '../../spec.js';
import { PM2_BACKOFF_RESET_MS, PM2_MAX_BACKOFF_MS, pm2Duration, pm2ExpBackoff, pm2ExpBackoffWaitsMs, pm2Number, pm2ResetAfter, stopsOnlyAtZero } from './restart.js';

// Every key of a pm2 app (lib/API/schema.json, pm2 7, aliases too), and what is said of it where
// the subvisor.yaml its app becomes cannot say it: nothing where the value maps whole (pm2-apps.ts
// maps it), else what subvisor does instead. A key this table lacks is named too: none is left
// out unsaid.

type App = Readonly<Record<string, unknown>>;

/** What is said of one key of `app`: undefined when its value maps whole. */
type Said = (app: App) => string | undefined;

const MAPPED: Said = () => undefined;

const LOG_FILES = 'each line is relayed; `logs: { dir: DIR }` at the top of the file writes DIR/NAME.log as well (out and err in one file, each line marked)';
const TIMES = '`subvisor up --timestamps` starts each line with the time (HH:MM:SS.mmm)';
const CRON = 'subvisor restarts on no schedule: run `subvisor restart NAME` from cron';
const PM2_OWN = "pm2's own (its daemon, monitoring, deploys): nothing to write for it";

/** pm2's `wait_ready` and `listen_timeout`: `readyTimeout` bounds a `ready`, which has no default to take from pm2's. */
function readiness(app: App): string {
  const ms = pm2Number(app.listen_timeout);
  const timeout = ms === undefined ? '' : ` with \`readyTimeout: ${ms}ms\``;
  return `${app.wait_ready === true ? 'wait_ready' : 'listen_timeout'}: subvisor reads no process.send('ready'): write \`ready\`, a line the app logs (\`ready: "listening"\`) or a probe (\`ready: { http: URL }\`)${timeout}`;
}

/**
 * pm2's `exp_backoff_restart_delay`, written as `backoff` up to `maxBackoff`: subvisor's waits double
 * and take no other factor (SPEC's restart keys), where pm2's grow 1.5 times (lib/God.js,
 * `prev_restart_delay * 1.5`, floored, at most 15s). Said with the first waits of each where they
 * differ: from 10s on both reach 15s at once, and from 15s on pm2's drop to 15s where subvisor's
 * stay. And they start again at different times: subvisor's once the process stays up `resetAfter`
 * (pm2's min_uptime, 1s), pm2's once it has been up 30s (lib/Worker.js), so an app that crashes
 * after a few seconds waits the first each time here, where pm2's waits grow.
 */
function backoffGrowth(app: App): string | undefined {
  const first = pm2Number(app.exp_backoff_restart_delay);
  if (first === undefined || first === 0) return undefined;
  // The waits as the run computes them (restartDelayMs reads only the policy and the backoffs).
  const restart: RestartPolicy = { policy: 'always', max: 4, ...pm2ExpBackoff(first), resetAfterMs: 1 };
  const ours = [0, 1, 2, 3].map((attempt) => restartDelayMs(restart, attempt));
  const pm2 = pm2ExpBackoffWaitsMs(first, ours.length);
  const waits = (list: number[]): string => `${list.map((ms) => `${ms}ms`).join(', ')} ...`;
  const shorter = first < PM2_MAX_BACKOFF_MS ? ': a lower `maxBackoff` keeps them shorter' : '';
  const growth = ours.join() === pm2.join() ? '' : `subvisor's restart waits double (${waits(ours)} up to \`maxBackoff\`) and grow by no other factor, where pm2's grow 1.5 times (${waits(pm2)} up to 15s)${shorter}; `;
  const reset = `subvisor's restart waits start again from ${first}ms once the process has stayed up \`resetAfter\` (${pm2ResetAfter(app.min_uptime)}, pm2's min_uptime), where pm2's do only once it has been up ${goDuration(PM2_BACKOFF_RESET_MS)}`;
  return `exp_backoff_restart_delay: ${growth}${reset}`;
}

function said(key: string, text: string): Said {
  return () => `${key}: ${text}`;
}

function own(key: string): Said {
  return said(key, PM2_OWN);
}

/** The keys, each with what is said of it. */
const PM2_KEYS: Readonly<Record<string, Said>> = {
  ...Object.fromEntries(['name', 'script', 'exec', 'command', 'interpreter', 'exec_interpreter', 'node_args', 'interpreter_args', 'interpreterArgs', 'cwd', 'env'].map((key) => [key, MAPPED])),
  ...Object.fromEntries(['autorestart', 'max_restarts', 'kill_timeout', 'watch', 'ignore_watch', 'watch_delay', 'port'].map((key) => [key, MAPPED])),
  args: (app) =>
    String(app.script ?? app.exec ?? app.command).includes(' ')
      ? 'args: pm2 runs a script with a blank in it as `bash -c SCRIPT` and passes no args, and so does `cmd` here: write them into the script'
      : undefined,
  exp_backoff_restart_delay: backoffGrowth,
  restart_delay: (app) =>
    app.exp_backoff_restart_delay === undefined ? undefined : 'restart_delay: pm2 waits by exp_backoff_restart_delay when both are given, and so does `backoff` here',
  min_uptime: (app) => (pm2Duration(app.min_uptime) === undefined ? `min_uptime: ${printable(String(app.min_uptime))} is no duration pm2 takes; \`restart.resetAfter\` is how long a process must stay up for its restarts to count from zero again` : undefined),
  instances: (app) => (typeof app.instances === 'number' && app.instances >= 1 ? undefined : `instances: ${printable(String(app.instances))} (${perCpu(app.instances)}) has no twin: write the number, \`replicas: N\``),
  exec_mode: (app) => (String(app.exec_mode).includes('cluster') ? 'exec_mode: copies (`replicas`) are separate processes, not a cluster sharing one port: each reads SUBVISOR_REPLICA (1..N) to pick its own port' : undefined),
  instance_var: said('instance_var', "pm2's NODE_APP_INSTANCE (0..N-1) is SUBVISOR_REPLICA (1..N) here, set only for `replicas`"),
  increment_var: said('increment_var', 'copies are numbered by SUBVISOR_REPLICA (1..N); a number of your own comes from it in a shell `cmd`: `PORT=$((3000 + SUBVISOR_REPLICA)) node app.js`'),
  uid: MAPPED,
  user: MAPPED,
  gid: said('gid', "a process runs with its user's primary group and the groups /etc/group lists it in; for another group, make it the user's primary group"),
  stop_exit_codes: (app) =>
    stopsOnlyAtZero(app.stop_exit_codes) || app.autorestart === false
      ? undefined
      : `stop_exit_codes: subvisor tells no exit status but 0 apart: \`restart: { policy: on-failure }\` leaves an exit 0 alone and restarts every other (${printable(JSON.stringify(app.stop_exit_codes))} too)`,
  autostart: (app) => (app.autostart === false ? 'autostart: `subvisor up` starts every process; to start only some, name them: `subvisor up NAME...`' : undefined),
  namespace: said('namespace', 'subvisor has no groups of processes: name each, `subvisor restart NAME...`'),
  treekill: (app) => (app.treekill === false ? 'treekill: subvisor stops the whole process group, always: what the process started stops with it' : undefined),
  shutdown_with_message: said('shutdown_with_message', "subvisor sends no process.send('shutdown'): the process gets its `stopSignal` (SIGINT, pm2's)"),
  kill_retry_time: own('kill_retry_time'),
  wait_ready: readiness,
  listen_timeout: (app) => (app.wait_ready === true ? undefined : readiness(app)),
  max_memory_restart: said('max_memory_restart', 'subvisor does not watch memory; a `liveness: { exec: CMD }` probe that fails over your bound has the process restarted'),
  cron_restart: said('cron_restart', CRON),
  cron: said('cron', CRON),
  ...Object.fromEntries(['out_file', 'out', 'output', 'out_log', 'error_file', 'error', 'err', 'err_file', 'err_log', 'log_file', 'log'].map((key) => [key, said(key, LOG_FILES)])),
  merge_logs: said('merge_logs', 'copies log to one place already: `logs: { dir: DIR }` writes DIR/NAME.N.log per copy'),
  combine_logs: said('combine_logs', 'copies log to one place already: `logs: { dir: DIR }` writes DIR/NAME.N.log per copy'),
  disable_logs: said('disable_logs', 'subvisor writes no log files unless `logs: { dir: DIR }` is at the top of the file; the lines are relayed still'),
  log_type: said('log_type', 'a program reads the lines as JSON, one record per line: `subvisor up --json`'),
  log_date_format: said('log_date_format', TIMES),
  time: said('time', TIMES),
  pid_file: said('pid_file', 'subvisor writes no pid files: `subvisor ps --json` gives each pid'),
  pid: said('pid', 'subvisor writes no pid files: `subvisor ps --json` gives each pid'),
  watch_options: said('watch_options', 'subvisor watches with its own watcher: `watch: { paths, ignore, debounce }` is what it takes'),
  filter_env: said('filter_env', "every process gets subvisor's environment under its `env`; to pass less, start subvisor with less: `env -u NAME subvisor up`"),
  source_map_support: said('source_map_support', 'node maps stack traces with its own flag: `node --enable-source-maps` in `cmd`'),
  // node maps no stack trace unless told to: nothing to turn off.
  disable_source_map_support: MAPPED,
  ...Object.fromEntries(
    ['vizion', 'pmx', 'automation', 'trace', 'disable_trace', 'v8', 'event_loop_inspector', 'deep_monitoring', 'io', 'post_update', 'install_url', 'force', 'windowsHide', 'username', 'write', 'execute_command', 'name_prefix', 'append_env_to_name'].map(
      (key) => [key, own(key)],
    ),
  ),
};

/**
 * pm2's `env_NAME`, the set `pm2 start --env NAME` puts over `env`. An `envFile` would not do: the
 * process's `env` wins over every env file, and over subvisor's own environment, so the value
 * that differs is written to be taken from subvisor's environment, with `env`'s as its default.
 */
function otherEnv(app: App, key: string): string {
  const set = app[key] !== null && typeof app[key] === 'object' ? Object.entries(app[key]) : [];
  const env = app.env !== null && typeof app.env === 'object' ? (app.env as Record<string, unknown>) : {};
  const [name = 'NAME', value = 'VALUE'] = (set.find(([variable, other]) => env[variable] !== other) ?? set[0] ?? []).map((word) => printable(String(word)));
  const own = Object.hasOwn(env, name) ? ` write \`${name}: "\${${name}:-${printable(String(env[name]))}}"\` in \`env\` (an \`envFile\` never wins over \`env\`), then` : '';
  return `${key}: \`pm2 start --env ${key.slice(4)}\` has no twin: for each name the sets differ in,${own} start with \`${name}=${quoteCommand([value])} subvisor up\``;
}

/** What is said of each key of `app` that its process cannot say, in the order written. */
export function pm2KeyNotes(app: App): string[] {
  return Object.keys(app).flatMap((key) => {
    if (key.startsWith('env_')) return [otherEnv(app, key)];
    const note = Object.hasOwn(PM2_KEYS, key) ? PM2_KEYS[key]?.(app) : `${printable(key)}: not a key pm2 documents; left out`;
    return note === undefined ? [] : [note];
  });
}

/** What pm2 makes of an `instances` below 1 (lib/API.js): 0 and `max` are one per CPU, -N is N fewer. */
function perCpu(instances: unknown): string {
  return typeof instances === 'number' && instances < 0 ? `the CPUs less ${-instances}` : 'one per CPU';
}
