import { resolve } from 'node:path';
import { Document, isMap, isPair, isScalar, isSeq, visit } from 'yaml';
import { findOnPath } from '../../../../process/spawn/diagnose.js';
import { processNameFrom } from '../../spec.js';
import { pm2KeyNotes } from './keys.js';
import { pm2Number, pm2Restart } from './restart.js';
import { pm2Run } from './script.js';
import type { At, Node, Reader } from '../reader.js';

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

/** `value` as subvisor leaves it in `cmd`, `cwd` and `env`: pm2 expands no `${NAME}`, which subvisor would (`$${` is a literal `${`). */
function literal(value: string): string {
  return value.replaceAll('${', () => '$${');
}

/**
 * The app's `env` pairs in the order the file writes them (`env`, the app's mapping at `appNode`):
 * the app's JSON object would put integer-like names (`"10"`) before all others, as a Record does
 * (what the spec's `envNames` is for). That object's entries where the file's order cannot be
 * read off one mapping (a `<<` merge).
 */
function envPairs(app: App, appNode: Node, reader: Reader): [string, unknown][] {
  const env = isMap(appNode) ? reader.valueOf(appNode, 'env') : null;
  const written = isMap(env) ? env.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : undefined)) : [];
  const object = app.env !== null && typeof app.env === 'object' ? (app.env as Record<string, unknown>) : {};
  const inOrder = written.filter((name): name is string => name !== undefined && Object.hasOwn(object, name));
  if (new Set(inOrder).size !== Object.keys(object).length) return Object.entries(object);
  return [...new Set(inOrder)].map((name) => [name, object[name]]);
}

/**
 * The app's `env` (`pairs`, see {@link envPairs}), each value as pm2 passes it, then its `port` as
 * PORT (pm2's shortcut for it) and what pm2 sets for its interpreter (`interpreterEnv`), each over
 * the app's own, as pm2 sets them. A Map, which the suggested YAML writes in its order.
 */
function envOf(app: App, pairs: readonly [string, unknown][], interpreterEnv: Readonly<Record<string, string>>): Map<string, unknown> | undefined {
  const port = text(app.port);
  const all = new Map([...pairs, ...(port === undefined ? [] : [['PORT', port] as const]), ...Object.entries(interpreterEnv)].map(([name, value]) => [name, typeof value === 'string' ? literal(value) : value]));
  return all.size === 0 ? undefined : all;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** pm2's `watch` (true: the app's directory), `ignore_watch` and `watch_delay`. */
function watchOf(app: App): unknown {
  const paths = app.watch === true ? ['.'] : Array.isArray(app.watch) ? app.watch : typeof app.watch === 'string' ? [app.watch] : undefined;
  if (paths === undefined) return undefined;
  const ignore = Array.isArray(app.ignore_watch) ? { ignore: app.ignore_watch } : typeof app.ignore_watch === 'string' ? { ignore: [app.ignore_watch] } : {};
  const delay = pm2Number(app.watch_delay);
  const debounce = delay === undefined ? {} : { debounce: `${delay}ms` };
  return 'ignore' in ignore || 'debounce' in debounce ? { paths, ...ignore, ...debounce } : paths;
}

/**
 * The app's process name: its `name`, else its script's (as pm2 names it), made one subvisor
 * takes; `-2`, `-3`... after one `taken` already (pm2 runs two apps of one name both).
 */
function nameOf(app: App, index: number, taken: ReadonlySet<string>): string {
  const script = text(app.script ?? app.exec ?? app.command);
  const base = processNameFrom(text(app.name) ?? script?.replace(/^.*\//, '').replace(/\.[^.]*$/, '') ?? '', `app${index + 1}`);
  let name = base;
  for (let copy = 2; taken.has(name); copy++) name = `${base}-${copy}`;
  return name;
}

function moved(app: App, appNode: Node, name: string, reader: Reader): Moved {
  const cwd = text(app.cwd);
  const path = (reader.context.parentVariable('PATH') ?? '').split(':').filter((dir) => dir !== '');
  const onPath = (program: string): boolean => findOnPath(program, path) !== undefined;
  const run = pm2Run(app, resolve(reader.baseDir, cwd ?? '.'), onPath);
  const process: Record<string, unknown> = { cmd: literal(run.cmd) };
  if (cwd !== undefined) process.cwd = literal(cwd);
  const env = envOf(app, envPairs(app, appNode, reader), run.env);
  if (env !== undefined) process.env = env;
  const user = text(app.uid ?? app.user);
  if (user !== undefined) process.user = user;
  if (typeof app.instances === 'number' && app.instances > 1) process.replicas = app.instances;
  const watch = watchOf(app);
  if (watch !== undefined) process.watch = watch;
  process.restart = pm2Restart(app);
  // pm2 stops an app with SIGINT (its KILL_SIGNAL), which a graceful app listens for.
  process.stopSignal = 'SIGINT';
  const grace = pm2Number(app.kill_timeout);
  if (grace !== undefined) process.grace = `${grace}ms`;
  return { name, process, notes: pm2KeyNotes(app) };
}

/** The subvisor.yaml of `processes`, each `restart` and `watch` on one line, as the README writes them. */
function suggestion(processes: ReadonlyMap<string, unknown>): string {
  const document = new Document({ processes });
  visit(document, {
    Pair(_key, pair) {
      if (isPair(pair) && isScalar(pair.key) && (pair.key.value === 'restart' || pair.key.value === 'watch') && isMap(pair.value)) pair.value.flow = true;
    },
  });
  return document.toString({ indent: 2, lineWidth: 0 });
}

/**
 * pm2's `apps` at `at`: refused, with the subvisor.yaml its apps become (flow mappings would not
 * fit one line each), then a word on each key that has none.
 */
export function pm2Apps(at: At, reader: Reader): string {
  const nodes = isSeq(at.node) ? at.node.items.map((item) => reader.deref(item)) : [];
  const apps = nodes.map((node) => ({ node, app: reader.toJS(node) }));
  const taken = new Set<string>();
  const all = apps
    .filter((entry): entry is { node: Node; app: App } => entry.app !== null && typeof entry.app === 'object' && !Array.isArray(entry.app))
    .map(({ node, app }, index) => {
      const name = nameOf(app, index, taken);
      taken.add(name);
      return moved(app, node, name, reader);
    });
  if (all.length === 0) return "is pm2's; write `processes:` with one entry per app, e.g. `processes: { web: { cmd: node server.js } }`";
  // A Map, not an object: an object puts an app named like an integer (`2`) before the others.
  const processes = new Map(all.map(({ name, process }) => [name, process]));
  const yaml = suggestion(processes).trimEnd().split('\n').map((line) => `    ${line}`);
  const notes = [...new Set(all.flatMap(({ notes }) => notes))].map((note) => `  - ${note}`);
  return [`is pm2's; its apps, in a subvisor.yaml:`, ...yaml, ...(notes.length > 0 ? ['  and of its other keys:', ...notes] : [])].join('\n');
}
