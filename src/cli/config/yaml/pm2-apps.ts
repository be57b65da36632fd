import { isSeq, stringify } from 'yaml';
import { quoteCommand } from '../../../process/command.js';
import { isJavaScriptName } from '../javascript.js';
import { printable } from '../spawnable.js';
import { processNameFrom } from '../spec.js';
import type { At, Reader } from './reader.js';

// pm2's ecosystem file (`apps: [{ name, script, ... }]`), given to `up -f ecosystem.json` or copied
// into a subvisor.yaml. Its `apps` is refused, never taken (its keys are not subvisor's, and two
// ways to say one thing drift apart), with the subvisor.yaml its apps become, built key by key,
// and a word on each key that has no place here: someone moving from pm2 gets a file to start from
// rather than one "unknown key" at a time.

type App = Readonly<Record<string, unknown>>;

/** What one app becomes: its entry under `processes:`, and what is said of the keys that have no twin. */
interface Moved {
  readonly name: string;
  readonly process: Record<string, unknown>;
  readonly notes: string[];
}

/** pm2's words for a file's interpreter when it names none: node for JavaScript, as pm2 does. */

/** pm2's keys with no twin here, each with what subvisor does instead. */
const NO_TWIN: Readonly<Record<string, string>> = {
  exec_mode: 'copies (`replicas`) are separate processes, not a cluster sharing one port: each reads SUBVISOR_REPLICA (1..N) to pick its own port',
  max_memory_restart: 'subvisor does not watch memory; a `liveness: { exec: CMD }` probe that fails over your bound has the process restarted',
  out_file: 'each line is relayed; `logs: { dir: DIR }` at the top of the file writes DIR/NAME.log as well (out and err in one file, each line marked)',
  error_file: 'each line is relayed; `logs: { dir: DIR }` at the top of the file writes DIR/NAME.log as well (out and err in one file, each line marked)',
  merge_logs: 'copies log to one place already: `logs: { dir: DIR }` writes DIR/NAME.N.log per copy',
  log_date_format: '`subvisor up --timestamps` starts each line with the time (HH:MM:SS.mmm)',
  cron_restart: 'subvisor restarts on a schedule of nobody: run `subvisor restart NAME` from cron',
  min_uptime: '`restart.resetAfter` is how long a process must stay up for its restarts to count from zero again',
};

/** pm2's `wait_ready` and `listen_timeout`: `readyTimeout` bounds a `ready`, which has no default to take from pm2's. */
function readiness(app: App): string {
  const timeout = typeof app.listen_timeout === 'number' ? ` with \`readyTimeout: ${app.listen_timeout}ms\`` : '';
  return `${app.wait_ready === true ? 'wait_ready' : 'listen_timeout'}: subvisor reads no process.send('ready'): write \`ready\`, a line the app logs (\`ready: "listening"\`) or a probe (\`ready: { http: URL }\`)${timeout}`;
}

/** The app's `cmd`: its interpreter (node for a .js script), the script, then `node_args` and `args`, as one shell string. */
function commandOf(app: App): string {
  const script = text(app.script) ?? 'SCRIPT';
  const interpreter = text(app.interpreter) ?? (isJavaScriptName(script) ? 'node' : undefined);
  // An array is argv, passed unexpanded (pm2 runs no shell): each word quoted for `sh -c`.
  const args = Array.isArray(app.args) ? quoteCommand(app.args.map(String)) : text(app.args);
  const interpreterArgs = text(app.node_args) ?? text(app.interpreter_args);
  return literal([interpreter === 'none' ? undefined : interpreter, interpreterArgs, script, args].filter((word) => word !== undefined && word !== '').join(' '));
}

/** `value` as subvisor leaves it: pm2 expands no `${NAME}`, which subvisor would (`$${` is a literal `${`). */
function literal(value: string): string {
  return value.replaceAll('${', () => '$${');
}

/** The app's `env`, each value as pm2 passes it. */
function envOf(env: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, typeof value === 'string' ? literal(value) : value]));
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** pm2's restart keys: it restarts by default (`autorestart: true`), so an app that says nothing gets `always`. */
function restartOf(app: App): unknown {
  if (app.autorestart === false) return 'no';
  const max = typeof app.max_restarts === 'number' && app.max_restarts > 0 ? { max: app.max_restarts } : {};
  const delay = typeof app.restart_delay === 'number' ? { backoff: `${app.restart_delay}ms` } : {};
  return { policy: 'always', ...max, ...delay };
}

/** pm2's `watch` (true: the app's directory) and `ignore_watch`. */
function watchOf(app: App): unknown {
  const paths = app.watch === true ? ['.'] : Array.isArray(app.watch) ? app.watch : typeof app.watch === 'string' ? [app.watch] : undefined;
  if (paths === undefined) return undefined;
  const ignore = Array.isArray(app.ignore_watch) ? app.ignore_watch : typeof app.ignore_watch === 'string' ? [app.ignore_watch] : undefined;
  return ignore === undefined ? paths : { paths, ignore };
}

/**
 * The app's process name: its `name`, else its script's (as pm2 names it), made one subvisor
 * takes; `-2`, `-3`... after one `taken` already (pm2 runs two apps of one name both).
 */
function nameOf(app: App, index: number, taken: ReadonlySet<string>): string {
  const script = text(app.script);
  const base = processNameFrom(text(app.name) ?? script?.replace(/^.*\//, '').replace(/\.[^.]*$/, '') ?? '', `app${index + 1}`);
  let name = base;
  for (let copy = 2; taken.has(name); copy++) name = `${base}-${copy}`;
  return name;
}

function moved(app: App, name: string): Moved {
  const process: Record<string, unknown> = { cmd: commandOf(app) };
  if (text(app.cwd) !== undefined) process.cwd = app.cwd;
  if (app.env !== null && typeof app.env === 'object') process.env = envOf(app.env);
  const instances = app.instances;
  if (typeof instances === 'number' && instances > 1) process.replicas = instances;
  const watch = watchOf(app);
  if (watch !== undefined) process.watch = watch;
  process.restart = restartOf(app);
  if (typeof app.kill_timeout === 'number') process.grace = `${app.kill_timeout}ms`;
  const notes = Object.keys(app).flatMap((key) => {
    if (key.startsWith('env_')) return [`${key}: \`pm2 start --env ${key.slice(4)}\` has no twin: keep one \`env\`, and put the other set in an env file named by \`envFile\``];
    if (key === 'instances' && (typeof instances !== 'number' || instances < 1)) return [`instances: ${printable(String(instances))} (one per CPU) has no twin: write the number, \`replicas: N\``];
    if (key === 'wait_ready' || key === 'listen_timeout') return key === 'wait_ready' || app.wait_ready !== true ? [readiness(app)] : [];
    const instead = NO_TWIN[key];
    return instead === undefined ? [] : [`${key}: ${instead}`];
  });
  return { name, process, notes };
}

/**
 * pm2's `apps` at `at`: refused, with the subvisor.yaml its apps become (flow mappings would not
 * fit one line each), then a word on each key that has none.
 */
export function pm2Apps(at: At, reader: Reader): string {
  const apps = isSeq(at.node) ? at.node.items.map((item) => reader.deref(item)?.toJSON() as unknown) : [];
  const taken = new Set<string>();
  const all = apps
    .filter((app): app is App => app !== null && typeof app === 'object' && !Array.isArray(app))
    .map((app, index) => {
      const name = nameOf(app, index, taken);
      taken.add(name);
      return moved(app, name);
    });
  if (all.length === 0) return "is pm2's; write `processes:` with one entry per app, e.g. `processes: { web: { cmd: node server.js } }`";
  const processes = Object.fromEntries(all.map(({ name, process }) => [name, process]));
  const yaml = stringify({ processes }, { indent: 2, lineWidth: 0 }).trimEnd().split('\n').map((line) => `    ${line}`);
  const notes = [...new Set(all.flatMap(({ notes }) => notes))].map((note) => `  - ${note}`);
  return [`is pm2's; its apps, in a subvisor.yaml:`, ...yaml, ...(notes.length > 0 ? ['  and of its other keys:', ...notes] : [])].join('\n');
}
