import type { InterpolatedPart } from '../config/environment/interpolate.js';

// Quoting for the places an export writes a value, each with its own rules. Every value is
// written so that the target reads back exactly the string subvisor would have used.

/** Words systemd takes as they are: no quote, backslash, space, `$` or `%` to escape. */
const PLAIN_WORD = /^[A-Za-z0-9_+=:,./@-]+$/;

/** `%` starts a specifier in almost every systemd setting; `%%` is a literal one. */
export function systemdLiteral(text: string): string {
  return text.replaceAll('%', '%%');
}

/**
 * One word of an `ExecStart=`-like command line: `$` doubled (systemd would substitute `$NAME`
 * from the unit's environment, where subvisor leaves the word to the program or its shell), `%`
 * doubled, and double quotes with C escapes around anything that is not a plain word. Quotes do
 * not keep a program's leading `-@:+!|` from being read as prefixes: see `commandLine` in systemd.ts.
 */
export function systemdWord(word: string): string {
  return systemdWordOf([word], () => undefined);
}

/** A variable's value in an interpolated word, with its name. */
export type Variable = Exclude<InterpolatedPart, string>;

/**
 * Where the unit's environment holds a variable's value: the name it holds it under (NAME, or
 * another when NAME there holds another value), or undefined when the value is written as it is.
 */
export type NameOf = (variable: Variable) => string | undefined;

/**
 * {@link systemdWord} for a word interpolation made of `parts`: a variable's value is written
 * `${NAME}` where `nameOf` says the unit's environment gives that value under NAME (systemd
 * replaces it with the value, whole, as one piece of the word), else as it is.
 */
export function systemdWordOf(parts: readonly InterpolatedPart[], nameOf: NameOf): string {
  const literal = (text: string): string => systemdLiteral(text).replaceAll('$', '$$$$');
  const variable = (part: Variable): string => {
    const name = nameOf(part);
    return name === undefined ? literal(part.value) : `\${${name}}`;
  };
  const escaped = parts.map((part) => (typeof part === 'string' ? literal(part) : variable(part))).join('');
  // A lone `;` separates two commands in ExecStart=; `\;` is the word itself.
  if (escaped === ';') return '\\;';
  return quotedWord(escaped);
}

/**
 * The program of an `ExecStart=`-like command line, when it holds a `$`: systemd substitutes
 * variables in the arguments (argv[0] too) but runs the program's path as written, so there a `$`
 * stays single. `commandLine` in systemd.ts then gives argv[0] apart, with `@`.
 */
export function systemdProgramPath(path: string): string {
  return quotedWord(systemdLiteral(path));
}

function quotedWord(escaped: string): string {
  return PLAIN_WORD.test(escaped) ? escaped : `"${cEscape(escaped)}"`;
}

function cEscape(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what needs escaping
  return text.replace(/[\\"\u0000-\u001f\u007f]/g, (char) => {
    switch (char) {
      case '\\':
        return '\\\\';
      case '"':
        return '\\"';
      case '\n':
        return '\\n';
      case '\t':
        return '\\t';
      default:
        return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
    }
  });
}

/**
 * One line of a systemd `EnvironmentFile=`: the value in single quotes, where systemd takes
 * everything literally (no `$`, no backslash escapes, line breaks kept) up to the next `'`; a value
 * holding a `'` is double-quoted instead, where only `"`, `\`, `` ` `` and `$` need a backslash.
 */
export function envFileLine(name: string, value: string): string {
  if (!value.includes("'")) return `${name}='${value}'`;
  return `${name}="${value.replace(/["\\`$]/g, (char) => `\\${char}`)}"`;
}

/**
 * `word` for a POSIX shell, as one word whatever it holds: single-quoted unless it is plain (an
 * exec probe's argv handed to `subvisor probe --exec`, which runs it under `sh -c`).
 */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_+=:,./@%-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * What a POSIX shell sets itself when it starts, whatever its environment holds (dash and bash as
 * `sh`: `PWD` becomes its cwd, `IFS` and `OPTIND` their defaults, `PPID` its parent's pid), so
 * `"$NAME"` there would not read the value subvisor read.
 */
const SET_BY_SHELL: ReadonlySet<string> = new Set(['PWD', 'IFS', 'OPTIND', 'PPID', 'LINENO', 'SHLVL', 'RANDOM', 'SECONDS', '_']);

/**
 * {@link shellWord} for a word interpolation made of `parts`: a variable whose value `nameOf` says
 * the environment holds under NAME is `"$NAME"`, which the shell reads from its environment, whole,
 * as one piece of the word; one the shell sets itself keeps its value.
 */
export function shellWordOf(parts: readonly InterpolatedPart[], nameOf: NameOf): string {
  const readByShell = (part: Variable): string | undefined => (SET_BY_SHELL.has(part.name) ? undefined : nameOf(part));
  const piece = (part: Variable): string | { name: string } => {
    const name = readByShell(part);
    return name === undefined ? part.value : { name };
  };
  const pieces = parts.map((part) => (typeof part === 'string' ? part : piece(part)));
  if (pieces.every((piece) => typeof piece === 'string')) return shellWord(pieces.join(''));
  return pieces.map((piece) => (typeof piece !== 'string' ? `"$${piece.name}"` : piece === '' ? '' : shellWord(piece))).join('');
}
