import { basename, join, resolve } from 'node:path';
import { isScalar, isSeq } from 'yaml';
import { envFileProblems, type LoadedEnvFile } from '../environment/files.js';
import { printable, unspawnableEnvName } from '../spawnable.js';
import type { ConfigDraft } from './keys.js';
import { isEmpty, isMapping, type At, type Reader } from './reader.js';
import { describe, interpolated, oneOrMany, scalarText, spawnable, yaml11BooleanHint } from './values.js';
import { besideConfig } from '../location.js';

// The environment of a process (SPEC §9), lowest first: `.env` beside the config, the top-level
// `envFile`s, the process's own `envFile`s, the parent's environment (added by the runner), the
// process's `env`. The files are read here, once each; what `${VAR}` reads is built in keys.ts.

/** A process's `env`: its variables, and their names in the order the config writes them (a Record lists `"10"` before `B`). */
export interface WrittenEnvironment {
  readonly variables: Record<string, string>;
  readonly names: readonly string[];
}

/** `env`: names to values, interpolated. The messages never show a value: env values are where secrets live. */
export function environment(at: At, reader: Reader): WrittenEnvironment | undefined {
  if (!isMapping(at.node)) {
    const expected = 'expected a mapping of variable names to values, found';
    const listed = composeList(at, reader);
    reader.reportAt(at, listed === undefined ? `${expected} ${describe(at.node)}; e.g. \`env: { PORT: "8080" }\`` : `${expected} compose's list form; ${listed}`);
    return undefined;
  }
  const env: [string, string][] = [];
  reader.entries(at.node, at, (name, variable, node) => {
    const unusable = unspawnableEnvName(name);
    if (unusable !== undefined) reader.report(variable.keyNode, variable.path, unusable, at.process);
    else if (isEmpty(node)) reader.report(variable.keyNode, variable.path, 'has no value; write `""` for an empty string', at.process);
    else {
      const written = isScalar(node) ? scalarText(node) : undefined;
      const value = written === undefined ? undefined : interpolated(variable, written, reader, { warnLeft: true });
      if (written === undefined) reader.reportAt(variable, `expected a string, found ${describe(node)}`);
      else if (value !== undefined && spawnable(variable, value, reader) !== undefined) env.push([name, value]);
    }
  });
  // fromEntries defines own properties: a variable named __proto__ stays a variable.
  return { variables: Object.fromEntries(env), names: [...new Set(env.map(([name]) => name))] };
}

/** A name a POSIX shell holds as a variable (XBD 3.235: letters, digits and _, not starting with a digit). */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Warns of each name in `env` (at `envAt`) that is no shell variable name (`A-B`, `1X`,
 * `spring.profiles.active`) when `cmd` runs sh: a string (`sh -c`), or a list whose program is sh
 * or dash. dash (Debian's and Ubuntu's sh) drops such a variable from the environment before the
 * command runs, so the command never gets it, without a word. A program started as argv does get
 * it (Node, Docker and Kubernetes pass any name, and Spring reads `spring.profiles.active`), so
 * `up` passes it on; `subvisor export` refuses it (no systemd env file can carry it).
 */
export function warnShellDroppedNames(envAt: At | undefined, cmd: readonly string[] | string | undefined, reader: Reader): void {
  const shell = cmd === undefined ? undefined : typeof cmd === 'string' ? 'sh -c' : basename(cmd[0] ?? '');
  if (envAt === undefined || shell === undefined || !/^(?:sh -c|sh|dash)$/.test(shell) || !isMapping(envAt.node)) return;
  const how = typeof cmd === 'string' ? 'cmd is one string, run by sh -c' : `cmd runs ${shell}`;
  const fix = typeof cmd === 'string' ? 'write cmd as a list (argv) to pass it, or rename it' : 'rename it, or start the program without sh';
  for (const pair of envAt.node.items) {
    const name = isScalar(pair.key) && typeof pair.key.value === 'string' ? pair.key.value : undefined;
    if (name === undefined || name === '<<' || SHELL_NAME.test(name) || unspawnableEnvName(name) !== undefined) continue;
    const at = { ...envAt, node: pair.key, keyNode: pair.key, path: `${envAt.path}.${name}` };
    reader.warnAt(at, `is no shell variable name (letters, digits and _, not starting with a digit), and ${how}, which (as dash, Debian's and Ubuntu's sh) drops such a variable before the command runs; ${fix}`);
  }
}

/**
 * What to write for docker compose's (and process-compose's) `environment` list, `- NAME=value`,
 * when `at` is one: the mapping, by name (a value may be a secret). A bare `- NAME` is compose's
 * way to pass a variable of its own environment on, which subvisor does with every one.
 */
function composeList(at: At, reader: Reader): string | undefined {
  if (!isSeq(at.node) || at.node.items.length === 0) return undefined;
  const entries: { name: string; assigns: boolean }[] = [];
  for (const item of at.node.items.map((node) => reader.deref(node))) {
    const entry = isScalar(item) && typeof item.value === 'string' ? /^([^=\s]+)(=?)/.exec(item.value) : null;
    if (entry === null) return undefined;
    entries.push({ name: printable(entry[1] ?? ''), assigns: entry[2] === '=' });
  }
  const set = entries.filter((entry) => entry.assigns).map((entry) => `${entry.name}: ...`);
  const passed = entries.find((entry) => !entry.assigns);
  const write = set.length === 0 ? [] : [`write \`env: { ${set.join(', ')} }\` (each \`NAME=value\` as \`NAME: value\`)`];
  const bare = passed === undefined ? [] : [`a bare \`- ${passed.name}\` passes the variable on, as subvisor does with every variable of its environment, so ${set.length === 0 ? 'remove `env`' : 'leave it out'}`];
  return [...write, ...bare].join('; ');
}

const PATHS = 'a path or a list of paths (relative ones are from the config file\'s directory)';

/** The top-level `envFile`: `false` (no `.env` either), a path, or a list of paths. */
export function topEnvFile(at: At, reader: Reader): false | LoadedEnvFile[] | undefined {
  if (isScalar(at.node) && typeof at.node.value === 'boolean') {
    if (!at.node.value) return false;
    reader.reportAt(at, `\`true\` adds nothing: .env beside the config loads by default; give ${PATHS}, or \`false\` to turn .env off`);
    return undefined;
  }
  return envFiles(at, reader, [false]);
}

/** A process's `envFile`: a path or a list of paths, read after the top-level ones. */
export function processEnvFiles(at: At, reader: Reader): LoadedEnvFile[] | undefined {
  if (isScalar(at.node) && typeof at.node.value === 'boolean') {
    reader.reportAt(at, `expected ${PATHS}, found ${describe(at.node)}; \`envFile: false\` (no .env) belongs at the top level of the file, for every process`);
    return undefined;
  }
  return envFiles(at, reader);
}

/**
 * Each listed env file, read; a missing one is reported at its list entry. `booleans` are those
 * `at` itself may be instead of paths: a missing `no` is said to mean `false` only where that is.
 */
function envFiles(at: At, reader: Reader, booleans: readonly boolean[] = []): LoadedEnvFile[] | undefined {
  const items = oneOrMany(at, reader, PATHS, (item) => composeEnvFile(item, reader));
  if (items === undefined) return undefined;
  const files: LoadedEnvFile[] = [];
  for (const item of items) {
    if (item.value.trim() === '') {
      reader.reportAt(item.at, `is empty; give ${PATHS}`);
      continue;
    }
    const path = resolve(reader.baseDir, item.value);
    const { read, first } = reader.context.envFile(path);
    if (read.kind === 'missing') {
      reader.reportAt(item.at, `env file not found: ${path}; create it, or remove it from \`envFile\` (relative paths are from the config file's directory)${yaml11BooleanHint(item.at.node, item.at.node === at.node ? booleans : [])}`);
    }
    else if (read.kind === 'unreadable') reader.reportAt(item.at, `cannot read the env file ${path}: ${read.reason}`, read.cause);
    else {
      if (first) {
        reader.problems.push(...envFileProblems(read.problems, shownPath(reader, item.value)));
        reader.warnings.push(...envFileProblems(read.warnings, shownPath(reader, item.value)));
      }
      files.push({ path, variables: read.variables, names: read.names });
    }
  }
  return files;
}

/**
 * What to write for docker compose's `env_file` entry in its long form, `{ path: web.env,
 * required: false }`, when `item` is one: the path alone. Its `required: false` has no twin: a
 * listed file that is missing is refused, since a typo in its name would otherwise pass in silence.
 */
function composeEnvFile(item: At, reader: Reader): string | undefined {
  if (!isMapping(item.node)) return undefined;
  const path = reader.valueOf(item.node, 'path');
  if (!isScalar(path) || typeof path.value !== 'string') return undefined;
  const required = reader.valueOf(item.node, 'required');
  const optional = isScalar(required) && required.value === false ? ": an env file listed here must exist (compose's required: false has no twin; only .env beside the config may be missing)" : '';
  return `is docker compose's long form; write the path alone, \`- ${printable(path.value)}\`${optional}`;
}

/**
 * The env files every process starts from: `.env` beside the config (a missing one is fine: it is
 * only a convention; `envFile: false` turns it off), then the top-level `envFile`s.
 */
export function sharedEnvFiles(config: ConfigDraft, reader: Reader): LoadedEnvFile[] {
  if (config.envFile === false) return [];
  const dotEnv = dotEnvFile(reader.file, reader.baseDir, reader, 'write `envFile: false` at the top of the config to load no .env');
  return [...(dotEnv === undefined ? [] : [dotEnv]), ...(config.envFile ?? [])];
}

/**
 * `.env` in `baseDir`, the directory of the config `file`, when there is one; what is wrong in it
 * goes to `reader` (a YAML config's or a Procfile's, which have the same `problems`, `warnings` and
 * `context`). `withoutIt` completes "fix it, or ..." for one that cannot be read: how the caller's
 * kind of config runs without it (YAML has `envFile: false`; a Procfile has no such line).
 */
export function dotEnvFile(file: string, baseDir: string, reader: Pick<Reader, 'problems' | 'warnings' | 'context'>, withoutIt: string): LoadedEnvFile | undefined {
  const path = join(baseDir, '.env');
  const shown = besideConfig(file, '.env');
  const { read, first } = reader.context.envFile(path);
  if (read.kind === 'missing') return undefined;
  if (read.kind === 'unreadable') {
    if (first) reader.problems.push({ file: shown, message: `cannot read it: ${read.reason}; fix it, or ${withoutIt}`, cause: read.cause });
    return undefined;
  }
  if (first) {
    reader.problems.push(...envFileProblems(read.problems, shown));
    reader.warnings.push(...envFileProblems(read.warnings, shown));
  }
  return { path, variables: read.variables, names: read.names };
}

/** An env file's path as messages show it: beside the config file, as the user named that. */
function shownPath(reader: Reader, written: string): string {
  return written.startsWith('/') ? written : besideConfig(reader.file, written);
}
