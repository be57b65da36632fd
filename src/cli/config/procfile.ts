import { ConfigContext, type ConfigOptions } from './context.js';
import { mergeEnvFiles } from './environment/files.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { graphProblems, placeAtSource } from './graph.js';
import { unspawnableValue } from './spawnable.js';
import { NO_RESTART, PROCESS_NAME, type Config, type ProcessSpec } from './spec.js';
import { dotEnvFile } from './yaml/environment.js';
import { configDirectory } from './location.js';

/** foreman's line: a name of ASCII letters, digits, `_` and `-`, a colon, the command. */
const PROCFILE_LINE = /^([A-Za-z0-9_-]+):[ \t]*(.*)$/;

/**
 * Why a name on a {@link PROCFILE_LINE} is refused. Not the YAML config's rule, which also allows
 * `.`: a Procfile line with a `.` in its name is no `name: command` line at all (foreman's), so
 * naming `.` here would send the user to write one that is refused in turn.
 */
const PROCFILE_NAME_RULE = "a Procfile's process name must start with a letter or digit and use only ASCII letters, digits, _ and -";

/** `web : cmd`: a name, then blanks before its colon (foreman skips such a line without a word). */
const BLANK_BEFORE_COLON = /^([A-Za-z0-9_-]+)[ \t]+:/;

/** `web.api: cmd`: a name with a `.` (foreman and overmind skip such a line without a word, so it never runs there either). */
const DOTTED_NAME = /^([A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)+):/;

/** `-f Procfile.worker`: overmind's line that reads another Procfile's lines in. */
const OVERMIND_INCLUDE = /^-f[ \t]+(\S.*)$/;

/**
 * What to do about a `.env` beside a Procfile that cannot be read, besides fixing it: a Procfile
 * always reads it, as foreman does, and has no line that could say otherwise.
 */
const DOT_ENV_WAY_OUT = 'move it away: a Procfile reads the .env beside it, as foreman does, and cannot turn that off';

/**
 * Parses a foreman `Procfile`: one `name: command` per line, each command a shell string (run by
 * `sh -c`) in the Procfile's directory. Blank lines and `#` comments are skipped; leading
 * whitespace, Windows line ends and a byte order mark are tolerated. A Procfile has no
 * dependencies, readiness, restarts, tasks or main process: all start at once, and the run ends
 * when every process has exited (a failure stops the others, as in any config). Every bad line is
 * reported, with its line number, in one {@link ConfigError}.
 *
 * As foreman does, a `.env` beside the Procfile is read into each process's `envFromFiles` (a
 * missing one is fine). Commands are not interpolated: a Procfile line is shell text, and the
 * shell expands `$PORT` and `${PORT:-5000}` itself, from the environment that `.env` is part of.
 *
 * @example
 * ```ts
 * parseProcfile('web: node server.js\nworker: node worker.js\n', 'Procfile').processes.map((p) => p.name); // ['web', 'worker']
 * ```
 */
export function parseProcfile(text: string, file: string, options: ConfigOptions = {}): Config {
  const cwd = configDirectory(file);
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const dotEnv = dotEnvFile(file, cwd, { problems, warnings, context: new ConfigContext(options) }, DOT_ENV_WAY_OUT);
  const fromFiles = mergeEnvFiles(dotEnv === undefined ? [] : [dotEnv]);
  const processes: ProcessSpec[] = [];
  // A byte order mark (an editor on Windows saves one) is no character of the first line: columns
  // count what the editor shows.
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const content = raw.trim();
    if (content === '' || content.startsWith('#')) return;
    const column = raw.length - raw.trimStart().length + 1;
    const match = PROCFILE_LINE.exec(content);
    if (match === null) {
      problems.push(unmatchedLine(content, { file, line, column }));
      return;
    }
    // Both groups are in the pattern, so they are present whenever it matched.
    const name = match[1] ?? '';
    const cmd = match[2] ?? '';
    if (!PROCESS_NAME.test(name)) {
      problems.push({ file, line, column, process: name, message: `invalid process name '${name}': ${PROCFILE_NAME_RULE}` });
      return;
    }
    if (cmd === '') {
      problems.push({ file, line, column: column + name.length + 1, process: name, message: `'${name}' has no command; write it after the colon` });
      return;
    }
    const unspawnable = unspawnableValue(cmd);
    if (unspawnable !== undefined) {
      problems.push({ file, line, column: column + content.length - cmd.length, process: name, message: `the command ${unspawnable}` });
      return;
    }
    processes.push({ name, cmd, cwd, ...fromFiles, dependsOn: [], restart: NO_RESTART, task: false, main: false, source: { file, line, column } });
  });
  // A Procfile has no dependencies: of the graph's checks, only names used twice can fail.
  problems.push(...graphProblems(processes).map((problem) => placeAtSource(problem, file)));
  if (problems.length === 0 && processes.length === 0) {
    problems.push({ file, message: 'no processes; add lines like `web: node server.js`' });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { file, processes, ...(warnings.length > 0 ? { warnings } : {}) };
}

/**
 * The problem of a line that is not `name: command`, at `at` (where its content starts): a blank
 * before the colon is named as such, since the line otherwise looks right to its writer.
 */
function unmatchedLine(content: string, at: { readonly file: string; readonly line: number; readonly column: number }): ConfigProblem {
  const dotted = DOTTED_NAME.exec(content)?.[1];
  if (dotted !== undefined) {
    return { ...at, process: dotted, message: `invalid process name '${dotted}': ${PROCFILE_NAME_RULE} (foreman and overmind skip such a line, so it never ran there either); write '${dotted.replaceAll('.', '-')}:'` };
  }
  const included = OVERMIND_INCLUDE.exec(content)?.[1];
  if (included !== undefined) return { ...at, message: `\`-f ${included}\` is overmind's, reading another Procfile's lines in; a Procfile here reads no other: copy its lines here` };
  const blank = BLANK_BEFORE_COLON.exec(content);
  if (blank === null) return { ...at, message: 'expected `name: command` (a name of ASCII letters, digits, _ and -, a colon, then the command)' };
  const name = blank[1] ?? ''; // in the pattern, so present whenever it matched
  return { ...at, column: at.column + name.length, process: name, message: `no blank may come between the name and the colon: write '${name}:'` };
}
