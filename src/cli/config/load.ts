import type { ConfigOptions } from './context.js';
import { ConfigError } from './errors.js';
import { JAVASCRIPT_NAME, isJavaScriptName } from './javascript.js';
import { parseProcfile } from './procfile.js';
import type { Config } from './spec.js';
import { parseYamlConfig } from './yaml/parse.js';
import { readConfigText, shownConfigFile } from './location.js';
import { errnoCode } from '../../errno.js';
import { quoteCommand } from '../../process/command.js';

/** How {@link loadConfig} reads a file, and why, in words an error message can show. */
export interface ConfigFormat {
  readonly kind: 'yaml' | 'procfile';
  /** What decided it: the file's name, or its content. */
  readonly decidedBy: 'name' | 'content';
  /** Why, completing "read as ... because ...". */
  readonly because: string;
}

/**
 * Names that are YAML whatever they hold, so a broken config is never read as a Procfile. JSON is
 * YAML too: a `.json` config (pm2's `ecosystem.json` among them) is read as one, never as lines.
 */
const YAML_NAME = /\.(?:ya?ml|json)$/i;


/**
 * The top-level `processes:` key of a subvisor YAML config, as it starts a line: alone (with at
 * most a comment), or opening a flow mapping or an anchor. A Procfile line names a process and
 * then its command, so it never looks like this (`processes:` without a command is no Procfile line).
 * A byte order mark may come first (an editor on Windows saves one), as the YAML parser allows.
 */
const PROCESSES_KEY = /^\uFEFF?processes[ \t]*:[ \t]*(?:[#{&].*)?\r?$/m;

/**
 * Which syntax `loadConfig` reads `file` in, given its `text`. A name ending in `.yaml` or `.yml`
 * is subvisor YAML, whatever it holds. Any other file (`Procfile`, `Procfile.dev`, `dev.Procfile`,
 * `stack.conf`) is read by its content, as foreman and honcho read whatever `-f` names: subvisor
 * YAML when it has a top-level `processes:` key, else a Procfile of `name: command` lines.
 *
 * @example
 * ```ts
 * configFormat('dev.Procfile', 'web: node server.js\n').kind; // 'procfile'
 * configFormat('stack.conf', 'processes:\n  web: { cmd: node server.js }\n').kind; // 'yaml'
 * ```
 */
export function configFormat(file: string, text: string): ConfigFormat {
  if (YAML_NAME.test(file)) return { kind: 'yaml', decidedBy: 'name', because: 'its name ends in .yaml, .yml or .json' };
  if (PROCESSES_KEY.test(text)) return { kind: 'yaml', decidedBy: 'content', because: 'it has a top-level `processes:` key' };
  return { kind: 'procfile', decidedBy: 'content', because: 'it has no top-level `processes:` key and its name does not end in .yaml, .yml or .json' };
}

/**
 * Reads and validates the config of `subvisor up`: subvisor YAML or a foreman Procfile, as
 * {@link configFormat} decides. When the content decided, an error in the file itself says which reading was tried
 * and why, so a YAML config with a misspelt `processes:` is not left looking like a bad Procfile.
 * A file that cannot be read is a {@link ConfigError} too, with the fs error as its cause.
 *
 * Beside the config it reads `.env` and the env files it lists, and the passwd file for `user`;
 * `options.env` is what `${VAR}` reads over them (default `process.env`), `options.uid` the uid
 * subvisor runs as (default `process.getuid()`): see {@link ConfigOptions}.
 *
 * @example
 * ```ts
 * const config = loadConfig('subvisor.yaml', { env: process.env });
 * const toStart = selectProcesses(config, ['web']);
 * ```
 */
export function loadConfig(file: string, options: ConfigOptions = {}): Config {
  return readConfig(file, options).config;
}

/**
 * The error for a config file that `error` kept from being read (or found: see ../commands/config-file.ts).
 * Its advice is `--file FILE`, which every command reads as the config: `logs`'s `-f` is `--follow`,
 * and `logs -f FILE` would follow the run and look for a process named FILE.
 */
export function unreadableConfig(file: string, error: unknown): ConfigError {
  const code = errnoCode(error);
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : error instanceof Error ? error.message : String(error);
  const message = `cannot read the config file: ${reason}; pass the right one with --file FILE (subvisor.yaml or a Procfile)`;
  return new ConfigError([{ file, message, cause: error }]);
}

/**
 * {@link loadConfig}, and the {@link ConfigFormat} it read the file in: `subvisor up` gives a
 * Procfile's processes `PORT`, as foreman does, and a subvisor.yaml's not.
 */
export function readConfig(file: string, options: ConfigOptions = {}): { config: Config; format: ConfigFormat } {
  // subvisor runs no code to read its config: refused before it is read, with the way to the JSON
  // that `up -f` answers key by key.
  if (isJavaScriptName(file)) throw javascriptConfig(file);
  let text: string;
  try {
    text = readConfigText(file);
  } catch (error) {
    throw unreadableConfig(file, error);
  }
  const format = configFormat(file, text);
  try {
    return { config: format.kind === 'procfile' ? parseProcfile(text, file, options) : parseYamlConfig(text, file, options), format };
  } catch (error) {
    if (!(error instanceof ConfigError) || format.decidedBy === 'name' || !inFile(error, file)) throw error;
    const readAs = format.kind === 'procfile' ? 'a Procfile (`name: command` lines)' : 'subvisor YAML';
    const other = format.kind === 'procfile' ? 'a subvisor YAML config starts with `processes:`, or is named *.yaml' : 'a Procfile has no `processes:` line';
    throw new ConfigError(error.problems, { note: `${shownConfigFile(file)}: read as ${readAs} because ${format.because}; ${other}` });
  }
}

/**
 * The shell command that prints what the JavaScript config `file` exports as JSON, into `json`.
 * The path is an argument of a fixed program, never spliced into it: a quote, a `$` or a blank in
 * it would break the program's quoting or the shell's; and import() is given the file's URL, since
 * a path read as a URL loses what follows a `#` or a `?`, and decodes a `%`.
 */
function ecosystemToJsonCommand(file: string, json: string): string {
  // import() reads CommonJS (`module.exports`, as its `default`) and ES modules alike.
  const program = 'import(require("node:url").pathToFileURL(process.argv[1]).href).then((m) => console.log(JSON.stringify(m.default, null, 2)))';
  // `./`: a path that starts with `-` is node's option otherwise.
  const argument = file.startsWith('/') ? file : `./${file}`;
  return `${quoteCommand(['node', '-e', program, argument])} > ${quoteCommand([json])}`;
}

/** The error for a JavaScript config (pm2's ecosystem file): how to turn it into the JSON that `up -f` reads. */
function javascriptConfig(file: string): ConfigError {
  const shown = shownConfigFile(file);
  const json = `${shown.replace(JAVASCRIPT_NAME, '')}.json`;
  const message =
    `is JavaScript (pm2's ecosystem file?), which subvisor does not run to read a config; print what it exports as JSON, ` +
    `${ecosystemToJsonCommand(file, json)}, then \`subvisor up -f ${quoteCommand([json.startsWith('-') ? `./${json}` : json])}\` says what each of its apps becomes in a subvisor.yaml`;
  return new ConfigError([{ file, message }]);
}

/**
 * Whether some problem of `error` is in the config `file` itself. How the file was read explains
 * only those: a `.env` or an env file beside it would be read the same either way, and a note on
 * the reading would send the user looking for a mistake the config does not have.
 */
function inFile(error: ConfigError, file: string): boolean {
  return error.problems.some((problem) => problem.file === file);
}
