import { dirname, resolve } from 'node:path';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Alias, type Document, type ParsedNode, type Pair, type Scalar } from 'yaml';
import { parseDuration } from './duration.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { cycleMessage, findCycles } from './graph.js';
import {
  DEFAULT_RESTART_BACKOFF_MS,
  DEFAULT_RESTART_MAX,
  PROCESS_NAME,
  PROCESS_NAME_RULE,
  type Config,
  type ProcessSpec,
  type RestartPolicy,
} from './spec.js';
import { printable, unspawnableEnvName, unspawnableValue } from './spawnable.js';
import { didYouMean } from './suggest.js';

const TOP_LEVEL_KEYS = ['processes'];
const PROCESS_KEYS = ['cmd', 'cwd', 'env', 'ready', 'readyTimeout', 'dependsOn', 'restart', 'main', 'grace'];
const RESTART_KEYS = ['policy', 'max', 'backoff'];
const RESTART_POLICIES = ['no', 'on-failure'];
/** Names other tools use for our keys (normalised: lower case, no `_` or `-`). */
const KEY_ALIASES: Readonly<Record<string, string>> = {
  command: 'cmd',
  args: 'cmd',
  argv: 'cmd',
  run: 'cmd',
  exec: 'cmd',
  dir: 'cwd',
  directory: 'cwd',
  workdir: 'cwd',
  workingdir: 'cwd',
  workingdirectory: 'cwd',
  environment: 'env',
  needs: 'dependsOn',
  after: 'dependsOn',
  requires: 'dependsOn',
  readywhen: 'ready',
  readiness: 'ready',
  healthcheck: 'ready',
  killgrace: 'grace',
  killtimeout: 'grace',
  stopgraceperiod: 'grace',
  primary: 'main',
};

type Node = ParsedNode | null;

/** What the parser keeps of a process beyond its spec, for the checks that span processes. */
interface Draft {
  spec: ProcessSpec;
  keyNode: ParsedNode;
  dependencies: { name: string; node: ParsedNode; path: string }[];
  mainNode?: ParsedNode;
}

/**
 * Parses and validates a `subvisor.yaml` (SPEC.md §5). `file` names the file in messages and
 * anchors relative `cwd`s. Throws one {@link ConfigError} listing every problem found, each with
 * its line and column, so nothing starts from a config that is wrong anywhere.
 *
 * Values are read strictly, with two kindnesses: YAML anchors and aliases work (`env: *common`),
 * and where a string is expected a plain scalar is taken as written, so `PORT: 8080` and
 * `cmd: [sleep, 5]` mean "8080" and "5" (and `VERSION: 3.10` keeps its zero). Merge keys (`<<`)
 * are not supported.
 *
 * @example
 * ```ts
 * const config = parseYamlConfig('processes:\n  web:\n    cmd: [node, server.js]\n', 'subvisor.yaml');
 * config.processes[0]?.cmd; // ['node', 'server.js']
 * ```
 */
export function parseYamlConfig(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true });
  const reader = new Reader(file, lineCounter, document);
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const [start] = error.linePos ?? [];
      // The first line is the reason; the rest is a drawing of the spot, which line:column already gives.
      const reason = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
      // The usual way into this one is a regex in double quotes: YAML reads `\d` as an escape.
      const hint = error.code === 'BAD_DQ_ESCAPE' ? '; in double quotes write a backslash as \\\\ ("\\\\d+"), or use single quotes (\'\\d+\')' : '';
      reader.problems.push({ file, line: start?.line, column: start?.col, message: `YAML syntax: ${reason}${hint}`, cause: error });
    }
    throw new ConfigError(reader.problems);
  }

  const drafts = reader.top(reader.deref(document.contents));
  if (drafts !== undefined) reader.checkAcross(drafts);
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);
  return { file, processes: (drafts ?? []).map((draft) => draft.spec) };
}

class Reader {
  readonly problems: ConfigProblem[] = [];
  private readonly baseDir: string;
  /** Every alias of the document and the node it names, made on the first alias met. */
  private aliasTargets: Map<Alias, ParsedNode> | undefined;

  constructor(
    private readonly file: string,
    private readonly lineCounter: LineCounter,
    private readonly document: Document.Parsed,
  ) {
    this.baseDir = dirname(resolve(file));
  }

  /** The top level: a mapping whose only key is a non-empty `processes` mapping. */
  top(root: Node): Draft[] | undefined {
    const example = 'start with `processes:` and one entry per process, e.g. `processes: { web: { cmd: node server.js } }`';
    if (root === null || (isScalar(root) && root.value === null)) {
      this.report(null, '', `the file has no processes; ${example}`);
      return undefined;
    }
    if (!isMap(root)) {
      this.report(root, '', `expected a mapping at the top level, found ${describe(root)}; ${example}`);
      return undefined;
    }
    let processes: Pair<ParsedNode, Node> | undefined;
    for (const pair of root.items) {
      const key = this.keyText(pair, '');
      if (key === 'processes') processes = pair;
      else if (key !== undefined) this.unknownKey(pair.key, '', key, TOP_LEVEL_KEYS);
    }
    if (processes === undefined) {
      this.report(root, '', `missing \`processes\`; ${example}`);
      return undefined;
    }
    const value = this.deref(processes.value);
    if (value === null || (isScalar(value) && value.value === null) || (isMap(value) && value.items.length === 0)) {
      this.report(processes.key, 'processes', `no processes listed; ${example}`);
      return undefined;
    }
    if (!isMap(value)) {
      this.report(value, 'processes', `expected a mapping of process names to processes, found ${describe(value)}; write \`name:\` then the process's keys indented below it`);
      return undefined;
    }
    const drafts: Draft[] = [];
    for (const pair of value.items) {
      const draft = this.process(pair);
      if (draft !== undefined) drafts.push(draft);
    }
    return drafts;
  }

  /** One process: its name and body, every key checked; undefined when the name is unusable. */
  private process(pair: Pair<ParsedNode, Node>): Draft | undefined {
    const name = this.keyText(pair, 'processes');
    if (name === undefined) return undefined;
    const path = `processes.${printable(name)}`;
    if (!PROCESS_NAME.test(name)) this.report(pair.key, path, `invalid process name '${printable(name)}': ${PROCESS_NAME_RULE}`, name);
    const start = this.position(pair.key);
    const spec: ProcessSpec = {
      name,
      cmd: [],
      cwd: this.baseDir,
      dependsOn: [],
      restart: { policy: 'no' },
      main: false,
      source: { file: this.file, line: start.line ?? 1, column: start.column ?? 1 },
    };
    const draft: Draft = { spec, keyNode: pair.key, dependencies: [] };
    const body = this.deref(pair.value);
    if (!isMap(body)) {
      const empty = body === null || (isScalar(body) && body.value === null);
      this.report(empty ? pair.key : body, path, `expected the process's keys (at least \`cmd\`), found ${describe(body)}; e.g. \`${name}: { cmd: node server.js }\``, name);
      return draft;
    }
    let sawCmd = false;
    let readyTimeoutKey: ParsedNode | undefined;
    for (const entry of body.items) {
      const key = this.keyText(entry, path, name);
      if (key === undefined) continue;
      const keyPath = `${path}.${key}`;
      if (!PROCESS_KEYS.includes(key)) {
        this.unknownKey(entry.key, path, key, PROCESS_KEYS, name);
        continue;
      }
      const value = this.deref(entry.value);
      if (value === null || (isScalar(value) && value.value === null)) {
        this.report(entry.key, keyPath, `has no value; give it one or remove the key`, name);
        if (key === 'cmd') sawCmd = true;
        continue;
      }
      switch (key) {
        case 'cmd':
          sawCmd = true;
          this.cmd(value, keyPath, spec);
          break;
        case 'cwd': {
          const text = this.string(value, keyPath, name);
          if (text === '') this.report(value, keyPath, 'is empty; give a directory (relative ones are resolved against the config file) or remove the key', name);
          else if (text !== undefined && this.spawnable(value, keyPath, text, name)) spec.cwd = resolve(this.baseDir, text);
          break;
        }
        case 'env':
          this.env(value, keyPath, spec);
          break;
        case 'ready':
          this.ready(value, keyPath, spec);
          break;
        case 'readyTimeout': {
          readyTimeoutKey = entry.key;
          const ms = this.duration(value, keyPath, name);
          if (ms === 0) this.report(value, keyPath, 'must be longer than 0; give the time the process may take to print its ready line', name);
          else if (ms !== undefined) spec.readyTimeoutMs = ms;
          break;
        }
        case 'dependsOn':
          this.dependsOn(value, keyPath, draft);
          break;
        case 'restart':
          this.restart(value, keyPath, spec);
          break;
        case 'main':
          if (isScalar(value) && typeof value.value === 'boolean') {
            spec.main = value.value;
            if (value.value) draft.mainNode = value;
          } else {
            this.report(value, keyPath, `expected true or false, found ${describe(value)}; write \`main: true\` (YAML reads yes and on as strings)`, name);
          }
          break;
        case 'grace': {
          const ms = this.duration(value, keyPath, name);
          if (ms !== undefined) spec.grace = ms;
          break;
        }
      }
    }
    if (!sawCmd) this.report(pair.key, path, 'missing `cmd`; add the command to run, e.g. `cmd: node server.js` (run by sh -c) or `cmd: [node, server.js]` (argv)', name);
    if (spec.readyTimeoutMs !== undefined && spec.ready === undefined) {
      this.report(readyTimeoutKey ?? pair.key, `${path}.readyTimeout`, 'has no effect without `ready`; add a `ready` pattern or remove `readyTimeout`', name);
    }
    return draft;
  }

  private cmd(value: ParsedNode, path: string, spec: ProcessSpec): void {
    const name = spec.name;
    if (isSeq(value)) {
      if (value.items.length === 0) {
        this.report(value, path, 'is an empty list; give the program and its arguments, e.g. `[node, server.js]`', name);
        return;
      }
      const argv: string[] = [];
      value.items.forEach((item, i) => {
        const node = this.deref(item);
        const text = isScalar(node) ? scalarText(node) : undefined;
        if (text === undefined) this.report(node, `${path}[${i}]`, `expected a string, found ${describe(node)}; quote it if it is meant as text`, name);
        else if (i === 0 && text.trim() === '') this.report(node, `${path}[0]`, 'the program name is empty', name);
        else if (this.spawnable(node, `${path}[${i}]`, text, name)) argv.push(text);
      });
      spec.cmd = argv;
      return;
    }
    const text = this.string(value, path, name, 'a string (run by sh -c) or a list (argv)');
    if (text === undefined) return;
    if (text.trim() === '') this.report(value, path, 'is empty; give the command to run', name);
    else if (this.spawnable(value, path, text, name)) spec.cmd = text;
  }

  private env(value: ParsedNode, path: string, spec: ProcessSpec): void {
    const name = spec.name;
    if (!isMap(value)) {
      this.report(value, path, `expected a mapping of variable names to values, found ${describe(value)}; e.g. \`env: { PORT: "8080" }\``, name);
      return;
    }
    const env: Record<string, string> = {};
    for (const pair of value.items) {
      const key = this.keyText(pair, path, name);
      if (key === undefined) continue;
      const keyPath = `${path}.${key === '' ? '""' : printable(key)}`;
      const unusable = unspawnableEnvName(key);
      if (unusable !== undefined) {
        this.report(pair.key, keyPath, unusable, name);
        continue;
      }
      // The messages below never show the value: env values are where secrets live.
      const node = this.deref(pair.value);
      if (node === null || (isScalar(node) && node.value === null)) {
        this.report(pair.key, keyPath, 'has no value; write `""` for an empty string', name);
        continue;
      }
      const text = isScalar(node) ? scalarText(node) : undefined;
      if (text === undefined) this.report(node, keyPath, `expected a string, found ${describe(node)}`, name);
      else if (this.spawnable(node, keyPath, text, name)) env[key] = text;
    }
    spec.env = env;
  }

  private ready(value: ParsedNode, path: string, spec: ProcessSpec): void {
    const pattern = this.string(value, path, spec.name, 'a regular expression (as a string)');
    if (pattern === undefined) return;
    if (pattern === '') {
      this.report(value, path, 'is empty, which every line matches; remove `ready` to count the process ready as soon as it starts', spec.name);
      return;
    }
    try {
      spec.ready = new RegExp(pattern);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.report(value, path, `is not a valid regular expression (${reason}); fix the pattern (a JavaScript RegExp, without flags)`, spec.name, error);
    }
  }

  private dependsOn(value: ParsedNode, path: string, draft: Draft): void {
    const name = draft.spec.name;
    if (!isSeq(value)) {
      const hint = isScalar(value) ? `; write a list: \`dependsOn: [${scalarText(value) ?? ''}]\`` : '';
      this.report(value, path, `expected a list of process names, found ${describe(value)}${hint}`, name);
      return;
    }
    value.items.forEach((item, i) => {
      const node = this.deref(item);
      const dependency = isScalar(node) ? scalarText(node) : undefined;
      if (dependency === undefined || node === null) {
        this.report(node ?? value, `${path}[${i}]`, `expected a process name, found ${describe(node)}`, name);
        return;
      }
      // A name listed twice is harmless: it is waited for once.
      if (!draft.spec.dependsOn.includes(dependency)) draft.spec.dependsOn.push(dependency);
      draft.dependencies.push({ name: dependency, node, path: `${path}[${i}]` });
    });
  }

  private restart(value: ParsedNode, path: string, spec: ProcessSpec): void {
    const name = spec.name;
    let policyNode: ParsedNode = value;
    let max: { node: ParsedNode; value: unknown } | undefined;
    let backoff: ParsedNode | undefined;
    if (isMap(value)) {
      let policy: ParsedNode | undefined;
      for (const pair of value.items) {
        const key = this.keyText(pair, path, name);
        if (key === undefined) continue;
        const node = this.deref(pair.value);
        if (!RESTART_KEYS.includes(key)) {
          this.unknownKey(pair.key, path, key, RESTART_KEYS, name);
        } else if (node === null || (isScalar(node) && node.value === null)) {
          this.report(pair.key, `${path}.${key}`, 'has no value; give it one or remove the key', name);
        } else if (key === 'policy') {
          policy = node;
        } else if (key === 'max') {
          max = { node, value: isScalar(node) ? node.value : undefined };
        } else {
          backoff = node;
        }
      }
      if (policy === undefined) {
        this.report(value, path, 'missing `policy`; add `policy: on-failure` (or `policy: no`)', name);
        return;
      }
      policyNode = policy;
    } else if (!isScalar(value)) {
      this.report(value, path, `expected \`no\`, \`on-failure\` or a mapping like \`{ policy: on-failure, max: 3 }\`, found ${describe(value)}`, name);
      return;
    }
    const policyPath = isMap(value) ? `${path}.policy` : path;
    const policy = isScalar(policyNode) ? scalarText(policyNode) : undefined;
    if (policy === undefined || !RESTART_POLICIES.includes(policy)) {
      const shown = policy === undefined ? describe(policyNode) : `'${policy}'`;
      this.report(policyNode, policyPath, `unknown restart policy ${shown}; use \`no\` or \`on-failure\`${policy === undefined ? '' : didYouMean(policy, RESTART_POLICIES)}`, name);
      return;
    }
    if (policy === 'no') {
      for (const [key, node] of [['max', max?.node], ['backoff', backoff]] as const) {
        if (node !== undefined) this.report(node, `${path}.${key}`, `applies only to \`policy: on-failure\`; remove it or change the policy`, name);
      }
      spec.restart = { policy: 'no' };
      return;
    }
    const restart: RestartPolicy = { policy: 'on-failure', max: DEFAULT_RESTART_MAX, backoffMs: DEFAULT_RESTART_BACKOFF_MS };
    if (max !== undefined) {
      if (typeof max.value === 'number' && Number.isSafeInteger(max.value) && max.value >= 1) restart.max = max.value;
      else this.report(max.node, `${path}.max`, `must be a positive whole number of restarts, found ${describe(max.node)}; use \`policy: no\` for none`, name);
    }
    if (backoff !== undefined) {
      const ms = this.duration(backoff, `${path}.backoff`, name);
      if (ms !== undefined) restart.backoffMs = ms;
    }
    spec.restart = restart;
  }

  /** Checks that need every process: unknown and self dependencies, cycles, more than one main. */
  checkAcross(drafts: readonly Draft[]): void {
    const names = drafts.map((draft) => draft.spec.name);
    const known = new Set(names);
    for (const draft of drafts) {
      const owner = draft.spec.name;
      for (const dependency of draft.dependencies) {
        if (dependency.name === owner) {
          this.report(dependency.node, dependency.path, `'${owner}' depends on itself; remove it from its own dependsOn`, owner);
        } else if (!known.has(dependency.name)) {
          const others = names.filter((name) => name !== owner);
          const message = `unknown process '${dependency.name}' (known: ${others.join(', ') || 'none'})${didYouMean(dependency.name, others)}`;
          this.report(dependency.node, dependency.path, message, owner);
        }
      }
    }
    const byName = new Map(drafts.map((draft) => [draft.spec.name, draft]));
    // Self-dependencies were reported above in their own words; leave them out of the cycles.
    const cycles = findCycles(names, (name) => (byName.get(name)?.spec.dependsOn ?? []).filter((other) => other !== name));
    for (const cycle of cycles) {
      const [first, second] = cycle;
      const draft = byName.get(first ?? '');
      const edge = draft?.dependencies.find((dependency) => dependency.name === second);
      this.report(edge?.node ?? draft?.keyNode ?? null, edge?.path ?? `processes.${first ?? ''}.dependsOn`, cycleMessage(cycle), first);
    }
    const mains = drafts.filter((draft) => draft.spec.main);
    for (const extra of mains.slice(1)) {
      const message = `only one process can be main, and '${mains[0]?.spec.name ?? ''}' already is; the run ends when the main process exits, so keep \`main: true\` on one`;
      this.report(extra.mainNode ?? extra.keyNode, `processes.${extra.spec.name}.main`, message, extra.spec.name);
    }
  }

  /** Follows an alias to the node it names; anything else is returned as is. */
  deref(node: Node | undefined): Node {
    if (node === undefined) return null;
    if (!isAlias(node)) return node;
    this.aliasTargets ??= resolveAliases(this.document);
    // The document parsed without errors, so every alias names an anchor defined before it.
    return this.aliasTargets.get(node) ?? null;
  }

  /** A mapping key as text (a plain scalar as written); reports and returns undefined otherwise. */
  private keyText(pair: Pair<ParsedNode, Node>, path: string, process?: string): string | undefined {
    const key = this.deref(pair.key);
    const text = isScalar(key) && key.value !== null ? scalarText(key) : undefined;
    if (text === undefined) this.report(key ?? pair.value, path, `expected a plain name as key, found ${describe(key)}`, process);
    return text;
  }

  private string(value: ParsedNode, path: string, process: string, expected = 'a string'): string | undefined {
    const text = isScalar(value) ? scalarText(value) : undefined;
    if (text === undefined) this.report(value, path, `expected ${expected}, found ${describe(value)}`, process);
    return text;
  }

  private duration(value: ParsedNode, path: string, process: string): number | undefined {
    const raw = isScalar(value) ? value.value : undefined;
    if (typeof raw !== 'string' && typeof raw !== 'number') {
      this.report(value, path, `expected a duration like 500ms, 30s or 2m, found ${describe(value)}`, process);
      return undefined;
    }
    try {
      return parseDuration(raw);
    } catch (error) {
      this.report(value, path, error instanceof Error ? error.message : String(error), process, error);
      return undefined;
    }
  }

  /** Whether `text` can reach a spawn; reports it (never showing it: it may be a secret) when not. */
  private spawnable(node: Node, path: string, text: string, process: string): boolean {
    const reason = unspawnableValue(text);
    if (reason !== undefined) this.report(node, path, reason, process);
    return reason === undefined;
  }

  private unknownKey(node: ParsedNode, path: string, key: string, known: readonly string[], process?: string): void {
    const where = path === '' ? key : `${path}.${key}`;
    const hint = key === '<<' ? '; YAML merge keys are not supported (aliases are: `env: *common`)' : didYouMean(key, known, KEY_ALIASES);
    this.report(node, where, `unknown key${hint} (known keys here: ${known.join(', ')})`, process);
  }

  private report(node: Node, path: string, message: string, process?: string, cause?: unknown): void {
    this.problems.push({ file: this.file, ...this.position(node), path, process, message, cause });
  }

  private position(node: Node): { line?: number; column?: number } {
    if (node === null) return {};
    const { line, col } = this.lineCounter.linePos(node.range[0]);
    return { line, column: col };
  }
}

/**
 * Every alias of `document` and the node it names: the last node anchored with its name before it,
 * in document order (YAML's rule, and the order `visit` walks in). One walk for all of them:
 * `Alias.resolve(document)` walks the whole document for each alias, so a config of 10 000
 * aliases took 112 s to read instead of 2.
 */
function resolveAliases(document: Document.Parsed): Map<Alias, ParsedNode> {
  const anchored = new Map<string, ParsedNode>();
  const targets = new Map<Alias, ParsedNode>();
  visit(document, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const target = anchored.get(node.source);
        if (target !== undefined) targets.set(node, target);
      } else if (node.anchor !== undefined) {
        anchored.set(node.anchor, node as ParsedNode); // a parsed document holds parsed nodes
      }
    },
  });
  return targets;
}

/**
 * A scalar's text: strings as they are, other plain scalars (numbers, booleans) as written in the
 * file. Undefined for null, which every caller treats as "no value".
 */
function scalarText(node: Scalar.Parsed): string | undefined {
  const { value } = node;
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : node.source;
}

function describe(node: Node): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const { value } = node;
    if (value === null) return 'nothing';
    if (typeof value === 'string') return 'a string';
    return `${typeof value} ${node.source}`;
  }
  return 'an alias';
}
