import { shownConfigFile } from './location.js';

/** One thing wrong with a config file, located as precisely as the file allows. */
export interface ConfigProblem {
  /** The config file as the user named it (so the message shows the path they typed). */
  readonly file: string;
  /** 1-based line of the offending node, when the problem sits at a place in the file. */
  readonly line?: number | undefined;
  /** 1-based column of the offending node. */
  readonly column?: number | undefined;
  /** The key path of the offending node, like `processes.web.dependsOn[0]`. */
  readonly path?: string | undefined;
  /** The process the problem belongs to, when it belongs to one. */
  readonly process?: string | undefined;
  /** What is wrong and what to do about it. Never contains an env value (they may be secrets). */
  readonly message: string;
  /** The underlying error (a YAML syntax error, a RegExp SyntaxError, an fs error...). */
  readonly cause?: unknown;
  /**
   * `message` with a did-you-mean guess in it, which a {@link ConfigError} works out only for the
   * problems it lists: a guess measures the word against every name it could be, and for
   * thousands of problems only counted that was time for nothing (5 000 processes each depending
   * on a name not there took minutes). `message` is the words without the guess.
   */
  readonly guessed?: (() => string) | undefined;
}

/**
 * The most problems a {@link ConfigError}'s message lists in full (and `--json` carries); the rest
 * are counted. Enough to fix a round of typos in one go, few enough that the first stays in sight.
 */
export const SHOWN_PROBLEMS = 50;

/** A problem as a `--json` record carries it: where and what, without its cause (a parser's error object). */
export function problemFields({ file, line, column, path, process, message }: ConfigProblem): ConfigProblem {
  return { file, line, column, path, process, message };
}

/**
 * The config cannot be used: reported before anything starts, so a typo never leaves half of a
 * stack running. Every problem found is reported at once, one per line in file order (an env
 * file's problems together, at their own file), each as
 * `file:line:column: key.path: what is wrong; what to do` (line and column where the problem has a
 * place in the file): fixing a config one error per run is tedious, and the problems are
 * independent enough that listing them all does not mislead. The exception is YAML syntax: after
 * a syntax error the document's shape is guesswork, so only the syntax errors are reported.
 *
 * Past {@link SHOWN_PROBLEMS} problems the message lists the first ones and then a count of the
 * rest, as a compiler does: hundreds of lines bury the first problem, often the cause of the rest.
 *
 * `file`, `line`, `column`, `path` and `process` are those of the first problem; `problems` holds
 * them all, `shownProblems` those the message lists. A YAML syntax error past the first
 * {@link SHOWN_PROBLEMS} is at the parser's place in its words (working out where to fix it is a
 * walk of the document each, and it is not shown).
 *
 * @example
 * ```ts
 * try {
 *   loadConfig('subvisor.yaml');
 * } catch (error) {
 *   if (!(error instanceof ConfigError)) throw error;
 *   process.stderr.write(`${error.message}\n`); // subvisor.yaml:7:17: processes.web.dependsOn[0]: unknown process 'dbb' ...
 *   process.exitCode = 2;
 * }
 * ```
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code: string = 'ERR_SUBVISOR_CONFIG';
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly path?: string;
  readonly process?: string;
  readonly problems: readonly ConfigProblem[];
  /** The first {@link SHOWN_PROBLEMS} of `problems`: those the message lists in full. */
  readonly shownProblems: readonly ConfigProblem[];
  /** A line after the problems about the file as a whole (how it was read), if there is one. */
  readonly note?: string;

  /**
   * @param problems at least one; they are sorted into file order.
   * @param options.note a last line, about the file as a whole rather than a place in it.
   */
  constructor(problems: readonly ConfigProblem[], options: { note?: string } = {}) {
    const sorted = sortProblems(problems).map((problem, index) => (index < SHOWN_PROBLEMS ? withGuess(problem) : problem));
    const first = sorted[0];
    if (first === undefined) throw new TypeError('a ConfigError needs at least one problem');
    const shown = sorted.slice(0, SHOWN_PROBLEMS);
    const lines = shown.map(formatProblem);
    const more = sorted.length - shown.length;
    if (more > 0) lines.push(`… and ${more} more problem${more === 1 ? '' : 's'} (fix these first)`);
    if (options.note !== undefined) lines.push(options.note);
    super(lines.join('\n'), first.cause === undefined ? undefined : { cause: first.cause });
    if (options.note !== undefined) this.note = options.note;
    this.file = first.file;
    if (first.line !== undefined) this.line = first.line;
    if (first.column !== undefined) this.column = first.column;
    if (first.path !== undefined) this.path = first.path;
    if (first.process !== undefined) this.process = first.process;
    this.problems = sorted;
    this.shownProblems = shown;
  }
}

/** `problem` with its message {@link ConfigProblem.guessed}, worked out once: a problem shown again (a ConfigError made from another's) has it already. */
function withGuess({ guessed, ...problem }: ConfigProblem): ConfigProblem {
  return guessed === undefined ? problem : { ...problem, message: guessed() };
}

/** `file:line:column: path: message`, leaving out the parts that are unknown. */
export function formatProblem(problem: ConfigProblem): string {
  let where = shownConfigFile(problem.file);
  if (problem.line !== undefined) where += `:${problem.line}`;
  if (problem.line !== undefined && problem.column !== undefined) where += `:${problem.column}`;
  return problem.path === undefined || problem.path === '' ? `${where}: ${problem.message}` : `${where}: ${problem.path}: ${problem.message}`;
}

/**
 * File order: the problems of one file together (an env file's beside the config's), the files in
 * the order their first problem was found; in a file, problems without a place (whole-file ones)
 * first, then by line and column; stable.
 */
export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const files = [...new Set(problems.map((problem) => problem.file))];
  return [...problems].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
