import { EnvFileText, linesOf } from './env-file-text.js';
import type { ConfigProblem } from '../errors.js';
import { escapeRegExp } from '../regexp.js';
import { printable, unspawnableEnvName, unspawnableValue } from '../spawnable.js';
import { node } from '../../../builtins.js';
import { errnoCode } from '../../../errno.js';

/** A variable of an env file that cannot be used, with the line it is on; never its value. */
export interface EnvFileProblem {
  /** 1-based line where the variable's name is written. */
  readonly line: number;
  /** The name as a message may show it (control characters escaped). */
  readonly name: string;
  readonly message: string;
}

/** What {@link readEnvFile} found at a path. */
export type EnvFileRead =
  | {
      readonly kind: 'read';
      /** The usable variables (a name given twice has its last value, as Node reads it). */
      readonly variables: Readonly<Record<string, string>>;
      /**
       * The names of {@link variables} in file order, each at its first line: a Record (and
       * parseEnv's) lists integer-like names (`1`, `10`) before all others, whatever the file says.
       */
      readonly names: readonly string[];
      /** The variables left out, and why. */
      readonly problems: readonly EnvFileProblem[];
      /** What was read, but likely not as meant: a value cut at a `#` (see {@link cutAtHash}), a `${NAME}` taken literally (see {@link literalReference}). */
      readonly warnings: readonly EnvFileProblem[];
    }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly reason: string; readonly cause: unknown };

/**
 * Reads the env file at `path` as Node's `util.parseEnv` does (`NAME=value` lines, `#` comments,
 * `export ` prefixes, single, double and backtick quotes, `\n` in double quotes), so a file works
 * the same here as under `node --env-file` (but for a leading byte-order mark, which is dropped
 * rather than read into the first name). Values are taken literally: `${...}` in an env file is
 * not expanded (parseEnv does not), so a file never depends on the order files are read in.
 *
 * A variable no spawn could carry (a NUL byte in its value, an unusable name) is left out and
 * listed in `problems`, by name and line; so is a name with a space or a line break in it, which
 * is what parseEnv makes of a line without `=` followed by one with it. A value parseEnv cut at a
 * `#` with no blank before it is kept as read, and listed in `warnings`, as is a value holding a
 * `${NAME}` that other readers would expand.
 */
export function readEnvFile(path: string): EnvFileRead {
  let text: string;
  try {
    text = node.fs.readFileSync(path, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return { kind: 'missing' };
    const reason = code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : error instanceof Error ? error.message : String(error);
    return { kind: 'unreadable', reason, cause: error };
  }
  // A byte-order mark (Windows editors write one) is not part of the first name, as parseEnv would
  // take it: `\uFEFFNAME` is a variable nobody could ask for by name.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const problems: EnvFileProblem[] = [];
  const warnings: EnvFileProblem[] = [];
  const variables: [string, string][] = [];
  const file = new EnvFileText(text);
  for (const [name, value] of Object.entries(node.util.parseEnv(text))) {
    // parseEnv types its values as possibly undefined (NodeJS.Dict); it never returns one.
    if (value === undefined) continue;
    const reason = unusableName(name) ?? (unspawnableValue(value) === undefined ? undefined : 'its value contains a NUL byte, which no environment value can hold; remove it');
    if (reason === undefined) variables.push([name, value]);
    else problems.push({ line: lineOf(file, name), ...shownProblem(name, reason) });
    const cut = reason === undefined ? cutAtHash(file, name) : undefined;
    if (cut !== undefined) warnings.push({ line: cut, name: printable(name), message: cutAtHashWarning(printable(name)) });
    const quoted = reason === undefined ? quotedValueSurprise(file, name, value) : undefined;
    if (quoted !== undefined) warnings.push({ ...quoted, name: printable(name) });
    const literal = reason === undefined ? literalReference(file, name, value) : undefined;
    if (literal !== undefined) warnings.push({ ...literal, name: printable(name) });
  }
  const dropped = droppedLastLine(file, variables.map(([, value]) => value));
  if (dropped !== undefined) warnings.push(dropped);
  // fromEntries defines own properties, so a name like __proto__ is a variable, not a prototype.
  const line = new Map(variables.map(([name]) => [name, lineOf(file, name)]));
  const names = variables.map(([name]) => name).sort((a, b) => (line.get(a) ?? 0) - (line.get(b) ?? 0));
  return { kind: 'read', variables: Object.fromEntries(variables), names, problems, warnings: warnings.sort((a, b) => a.line - b.line) };
}

function cutAtHashWarning(name: string): string {
  return `its value ends before its \`#\`: Node and dotenv read a comment from there (compose would not); quote the value to keep it (${name}="..."), or put a blank before a comment`;
}

/**
 * The line of `name`'s last assignment (the one parseEnv keeps) when its value is unquoted and
 * holds a `#` with no blank before it (`PASS=abc#123`, `COLOR=#fff`): parseEnv ends the value
 * there, silently, where compose keeps it whole; a secret would lose its end. Undefined otherwise.
 */
function cutAtHash(file: EnvFileText, name: string): number | undefined {
  if (name.includes('\n')) return undefined;
  const assignment = new RegExp(`^\\s*(?:export )?${escapeRegExp(name)}\\s*=(.*)$`);
  const starts = file.candidateStarts(name);
  for (let candidate = starts.length - 1; candidate >= 0; candidate--) {
    const index = file.lineNumberAt(starts[candidate] ?? 0) - 1;
    const value = assignment.exec(file.lines[index] ?? '')?.[1];
    if (value === undefined) continue;
    // The blanks after `=` kept, so `KEY= # fill in` (empty, with a comment, as compose reads it too) is no cut.
    return !/^[ \t]*['"`]/.test(value) && /(?:^|\S)#/.test(value) ? index + 1 : undefined;
  }
  return undefined;
}

/** The quotes parseEnv reads a value between. */
const QUOTES = ['"', "'", '`'];

/**
 * A line that looks like it sets a variable (its name in group 1), in a value that runs over
 * several lines: a name in capitals, as env files write them, and something after the `=` other
 * than more `=`, so a base64 line's padding (a PEM key's `...AB==`) is not taken for one.
 */
const SETS_A_VARIABLE = /^[ \t]*(?:export )?([A-Z_][A-Z0-9_]*)[ \t]*=(?!=*\s*$)/;

/**
 * What parseEnv made of `name`'s last assignment when its value is quoted and Node read it other
 * than its line shows, silently, where compose reads the line as written (or refuses a quote left
 * open): its line and what to say.
 * parseEnv ends a quoted value at the next of its quotes, over as many lines as it takes (a `\"`
 * inside ends it too: it knows no escape but `\n`), and skips whatever follows on that line. So
 * `TOKEN="a\"b"` is `a\`, and a closing quote left out takes the lines after it into the value,
 * with the variables they set, up to the next such quote (often another value's opening one).
 * Said only when `value` is what that reading gives, so a Node that reads quotes otherwise is
 * not warned about.
 */
function quotedValueSurprise(file: EnvFileText, name: string, value: string): { line: number; message: string } | undefined {
  if (name.includes('\n')) return undefined;
  const last = lastAssignment(file, name);
  if (last === undefined) return undefined;
  const text = file.text;
  const open = last.index + last[0].length;
  const quote = text[open] ?? '';
  const close = QUOTES.includes(quote) ? text.indexOf(quote, open + 1) : -1;
  if (close === -1) return undefined;
  const inside = text.slice(open + 1, close);
  // parseEnv reads `\r\n` as `\n`, and `\n` written in double quotes as a line break.
  const read = inside.replaceAll('\r\n', '\n');
  if ((quote === '"' ? read.replaceAll('\\n', '\n') : read) !== value) return undefined;
  const line = file.lineNumberAt(last.index);
  const closeLine = file.lineNumberAt(close);
  const lineEnd = text.indexOf('\n', close);
  const after = text.slice(close + 1, lineEnd === -1 ? undefined : lineEnd);
  // Nothing but a comment after the closing quote: it closes the value where it was meant to,
  // over several lines on purpose (`CONFIG="` ... `LEVEL=debug` ... `"`). A quote left out is
  // closed instead by the next value's opening one, with that value after it.
  // `[^\n]`, not `.`, so the `\r` of a Windows line end is part of a comment, as parseEnv reads it.
  if (/^\s*(?:#[^\n]*)?$/.test(after)) return undefined;
  // Whole lines, to the end of the closing one: `C="3"` is a line that sets C, though its value's quote closed there.
  const spanned = linesOf(text.slice(open + 1, lineEnd === -1 ? undefined : lineEnd)).slice(1);
  const taken = spanned.flatMap((inner) => SETS_A_VARIABLE.exec(inner)?.[1] ?? []);
  if (taken.length > 0) {
    return {
      line,
      message: `its ${quote}-quoted value runs on to the ${quote} on line ${closeLine}, so the lines that would set ${taken.map(printable).join(', ')} are read into it instead: its closing ${quote} is missing; close it where the value ends`,
    };
  }
  const where = closeLine === line ? '' : ` on line ${closeLine}`;
  const other = quote === '"' ? "'" : '"';
  return {
    line,
    message: `what follows the ${quote} that ends its value${where} is dropped: Node ends a quoted value at the next ${quote} (a backslash does not escape it) and reads nothing after it on the line; quote a value holding ${quote} with ${other} (${printable(name)}=${other}a${quote}b${other}), and put only a comment after the closing quote`,
  };
}

/**
 * `${NAME}` or `${NAME:-default}` (compose's `-`, `?`, `+`, `=`, with or without `:`), closed: the
 * braced reference dotenv and compose expand in an env file's value; group 2 is what follows NAME.
 * An unclosed `${abc`, or one whose NAME is no name, is more likely a piece of a password than a
 * reference, and is not spoken of (the message would show it). What follows the operator stops at
 * the next `${NAME` (a nested `${A:-${B}}` is found as `${B}`): with `[^}]*`, every `${` of a long
 * unclosed value was scanned on to its end again, and reading it took minutes. `$${NAME}` is
 * compose's escape for the text `${NAME}`: no reference.
 */
const BRACED_REFERENCE = /(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)((?::?[-?+=](?:[^$}]|\$(?!\{[A-Za-z_]))*)?)\}/;

/**
 * What to say of `name`'s value when it holds a `${NAME}` that the file's writer most likely meant
 * to be expanded (foreman's dotenv and docker compose expand it; Node, and so subvisor, take it as
 * written, so `DATABASE_URL=postgres://localhost/${DB_NAME}` reaches the process with the braces):
 * its line and the message. Not for a single-quoted value, which dotenv and compose keep literal too.
 * The message shows the reference's name only, never a default written inside it.
 */
function literalReference(file: EnvFileText, name: string, value: string): { line: number; message: string } | undefined {
  const reference = BRACED_REFERENCE.exec(value);
  if (reference === null || name.includes('\n')) return undefined;
  const last = lastAssignment(file, name);
  if (last === undefined || file.text[last.index + last[0].length] === "'") return undefined;
  const shown = `\${${reference[1] ?? ''}${reference[2] === '' ? '' : '…'}}`;
  return {
    line: file.lineNumberAt(last.index),
    message: `its value holds ${shown}, which is passed on as written: an env file's values are taken literally, as Node's --env-file reads them (foreman's dotenv and docker compose would expand it); write the value out in full, or set it in a subvisor.yaml's env, where \${...} is expanded; single-quoted, it is kept as written without a word`,
  };
}

/** The last match in the text of `name =` at a line's start (blanks around `=` and `export ` allowed), with its offset. */
function lastAssignment(file: EnvFileText, name: string): RegExpExecArray | undefined {
  // Sticky, so each candidate is tried where it starts and nowhere after it.
  const assignment = new RegExp(`^[ \\t]*(?:export )?${escapeRegExp(name)}[ \\t]*=[ \\t]*`, 'my');
  const starts = file.candidateStarts(name);
  for (let candidate = starts.length - 1; candidate >= 0; candidate--) {
    assignment.lastIndex = starts[candidate] ?? 0;
    const match = assignment.exec(file.text);
    if (match !== null) return match;
  }
  return undefined;
}

/** `NAME: value`, YAML's form (dotenv takes it too; Node does not): group 1 is NAME. */
const YAML_FORM = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*:/;

/**
 * How a problem with `name` is shown. A name with a line break is what parseEnv makes of lines
 * without `=` running into the next assignment's name: they may hold a value (`TOKEN hunter2`, a
 * `=` forgotten), so only the name they ran into is shown, and of them only a YAML form's NAME.
 */
function shownProblem(name: string, reason: string): { name: string; message: string } {
  const lines = name.split('\n');
  if (lines.length === 1) return { name: printable(name), message: reason };
  const yaml = YAML_FORM.exec(lines[0] ?? '')?.[1];
  const hint = yaml === undefined ? 'write `NAME=value` lines' : `\`${yaml}: ...\` is YAML's form, which Node's --env-file does not read: write ${yaml}=value`;
  return { name: printable(lines.at(-1)?.trim() ?? ''), message: `is not read: the line${lines.length > 2 ? 's' : ''} before it, with no \`=\`, ran into its name; ${hint}` };
}

/**
 * The file's last line that is not blank or a comment, when it has no `=`: parseEnv drops such a
 * line at the end of a file without a word (before an assignment, it runs into its name: see
 * shownProblem). Not when it ends a quoted value that spans lines (`KEY="a` ... `b"`). Nothing of
 * the line is shown but a YAML form's NAME.
 */
function droppedLastLine(file: EnvFileText, values: readonly string[]): EnvFileProblem | undefined {
  let index = file.lines.length - 1;
  while (index >= 0 && /^\s*(?:#.*)?$/.test(file.lines[index] ?? '')) index--;
  const line = file.lines[index];
  if (line === undefined || line.includes('=')) return undefined;
  const text = line.trim().replace(/['"`]$/, '');
  if (values.some((value) => value.includes(text))) return undefined;
  const yaml = YAML_FORM.exec(line)?.[1];
  const hint = yaml === undefined ? 'write `NAME=value`' : `\`${yaml}: ...\` is YAML's form, which Node's --env-file does not read: write ${yaml}=value`;
  return { line: index + 1, name: yaml ?? '', message: `this line sets nothing: it has no \`=\`, and is dropped; ${hint}` };
}

function unusableName(name: string): string | undefined {
  const unspawnable = unspawnableEnvName(name);
  if (unspawnable !== undefined) return unspawnable;
  // Node reads `export ` with exactly one space; `export  NAME` or `export<TAB>NAME` leaves a name with a blank in it.
  if (/^(?:\s|export\s)/.test(name)) return 'is not a usable variable name: write `export NAME=value` with one space after `export`, or `NAME=value`';
  if (/\s/.test(name)) return 'is not a usable variable name: it holds a space or a line break (a line without `=` before it?); write `NAME=value` lines';
  return undefined;
}

/**
 * The line a variable's name starts on: the first line that begins with the whole of it (after
 * `export `, which Node takes with one space), then `=` or the line's end (a name Node ran on into
 * the next line), so `FOO_BAR=1` is not where `FOO` is.
 */
function lineOf(file: EnvFileText, name: string): number {
  const first = name.split('\n')[0] ?? name;
  const namedHere = (line: string): boolean => line.startsWith(first) && /^\s*(?:=|$)/.test(line.slice(first.length));
  const found = file
    .candidateStarts(name)
    .map((start) => file.lineNumberAt(start))
    .find((line) => {
      const text = file.lines[line - 1] ?? '';
      return namedHere(text.trimStart()) || namedHere(text.trimStart().replace(/^export /, ''));
    });
  return found ?? 1;
}

/** An env file that was read: its absolute path and its usable variables. */
export interface LoadedEnvFile {
  readonly path: string;
  readonly variables: Readonly<Record<string, string>>;
  /** The names of {@link variables} in file order (see {@link EnvFileRead}). */
  readonly names: readonly string[];
}

/**
 * What is wrong inside an env file, as {@link ConfigProblem}s at its lines; `shown` is the file's
 * path as messages show it (beside the config file's, as the user named that).
 */
export function envFileProblems(problems: readonly EnvFileProblem[], shown: string): ConfigProblem[] {
  return problems.map((problem) => ({ file: shown, line: problem.line, column: 1, path: problem.name, message: problem.message }));
}

/**
 * `files` merged in order, later files over earlier ones, and the paths that went in. A path
 * listed twice counts at its last place: that is where it wins, so the merge is the same as
 * reading every listing, and `envFiles` names each file once.
 */
export function mergeEnvFiles(files: readonly LoadedEnvFile[]): { envFromFiles: Record<string, string>; envFiles: string[]; envNames: string[] } | undefined {
  if (files.length === 0) return undefined;
  const last = files.filter((file, i) => !files.slice(i + 1).some((later) => later.path === file.path));
  // fromEntries (not Object.assign) so that no name can reach a setter such as __proto__.
  return {
    envFromFiles: Object.fromEntries(last.flatMap((file) => Object.entries(file.variables))),
    envFiles: last.map((file) => file.path),
    envNames: [...new Set(last.flatMap((file) => file.names))],
  };
}

/** The value `name` has in the last of `files` that sets it. */
export function fileVariable(files: readonly LoadedEnvFile[], name: string): string | undefined {
  for (let i = files.length - 1; i >= 0; i--) {
    const variables = files[i]?.variables;
    if (variables !== undefined && Object.hasOwn(variables, name)) return variables[name];
  }
  return undefined;
}
