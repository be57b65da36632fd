import { basename } from 'node:path';
import { isMap, isScalar, isSeq, type ParsedNode, type Scalar } from 'yaml';
import { parseDuration } from '../duration.js';
import { shownValue } from '../shown-value.js';
import { InterpolationError, interpolateParts, joinParts, variablesRead, type InterpolatedPart } from '../environment/interpolate.js';
import { unspawnableValue } from '../spawnable.js';
import { REPLICA_VARIABLE } from '../replicas.js';
import type { At, Node, ReadValue, Reader } from './reader.js';

// The value readers the key tables are made of: each reads one kind of value and reports, at the
// value's place, what is wrong with it.

/**
 * A scalar's text: strings as they are, other plain scalars (numbers, booleans) as written in the
 * file, so `PORT: 8080` is "8080" and `VERSION: 3.10` keeps its zero. Undefined for null, which
 * every caller treats as "no value".
 */
export function scalarText(node: Scalar.Parsed): string | undefined {
  const { value } = node;
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : node.source;
}

/** What a node is, in a message's words: `a mapping`, `a list`, `number 5`, `nothing`. */
export function describe(node: Node): string {
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

/** A scalar taken as text; `expected` names what was wanted when it is not one. */
export function text(expected = 'a string'): ReadValue<string> {
  return (at, reader) => {
    const value = isScalar(at.node) ? scalarText(at.node) : undefined;
    if (value === undefined) reader.reportAt(at, `expected ${expected}, found ${describe(at.node)}`);
    return value;
  };
}

/**
 * Text that is handed to a spawn (a command, an argument, a directory, an environment value):
 * refused when no spawn can carry it, without showing it, since it may be a secret.
 */
export function spawnable(at: At, value: string, reader: Reader): string | undefined {
  const reason = unspawnableValue(value);
  if (reason !== undefined) reader.reportAt(at, reason);
  return reason === undefined ? value : undefined;
}

/** How {@link interpolated} treats a value. */
export interface Interpolation {
  /** What each variable's value is passed through (default: as it is). */
  readonly quote?: (value: string) => string;
  /**
   * Warn of a form compose expands and subvisor leaves as written (`${PORT-3000}`): for a value
   * that is a setting (an env value, a directory, a probe's address), where it is almost surely
   * meant as compose means it. Not for a command or its arguments, which a shell may read
   * (`[sh, -c, 'echo ${PORT-3000}']`), nor for a pattern. Default false.
   */
  readonly warnLeft?: boolean;
  /**
   * The value is a script a shell reads when the process starts (a string `cmd`, run by `sh -c`,
   * or the script of a list's `[sh, -c, script]`; not the words after it): a `$NAME` left in it is
   * expanded then, in the copy's own environment. No other value is read again: an env value, a
   * directory, a probe's address or a pattern is what interpolation made of it, in every copy.
   * Default false.
   */
  readonly readByShell?: boolean;
}

/**
 * `value` with its `${VAR}`s expanded from the variables at `at` (see {@link interpolate}); a
 * malformed `${` or an unset `${VAR:?message}` is reported at the value, never showing a value,
 * and warned of there: a `${VAR}` read as empty because VAR is unset, and, with `warnLeft`, a form
 * compose expands and subvisor leaves as written (`${PORT-3000}`).
 */
export function interpolated(at: At, value: string, reader: Reader, how: Interpolation = {}): string | undefined {
  const parts = interpolatedParts(at, value, reader, how);
  return parts === undefined ? undefined : joinParts(parts);
}

/** {@link interpolated}, as the pieces it is made of (see {@link interpolateParts}). */
export function interpolatedParts(at: At, value: string, reader: Reader, { quote = (same) => same, warnLeft = false, readByShell = false }: Interpolation = {}): InterpolatedPart[] | undefined {
  const lookup = at.variables ?? (() => undefined);
  const unset = new Set<string>();
  const left = new Set<string>();
  try {
    const expanded = interpolateParts(
      value,
      (name) => {
        const found = lookup(name);
        return found === undefined ? undefined : quote(found);
      },
      {
        onUnset: (name) => unset.add(name),
        onLeft: warnLeft ? (name, operator) => left.add(leftWarning(name, operator)) : undefined,
      },
    );
    for (const name of unset) reader.warnAt(at, unsetWarning(name, readByShell));
    for (const warning of left) reader.warnAt(at, warning);
    if (readByShell) for (const name of pidThenName(value)) reader.warnAt(at, pidWarning(name));
    return expanded;
  } catch (error) {
    if (!(error instanceof InterpolationError)) throw error;
    reader.reportAt(at, error.message, error);
    return undefined;
  }
}

/**
 * Where a list `cmd`'s script is, when its program is a POSIX shell given `-c` (`[sh, -c, script]`,
 * `[bash, -o, pipefail, -ec, script]`): the first word after `-c` that is no option. The shell reads
 * that one's `$NAME` in the process; the words after it are `$0`, `$1`... as written. -1 for none.
 */
function shellScript(items: readonly Node[]): number {
  const words = items.map((item) => (isScalar(item) ? scalarText(item) : undefined));
  if (!/^(?:ba|da|k|z|a|mk)?sh$/.test(basename(words[0] ?? ''))) return -1;
  const option = words.findIndex((word, i) => i > 0 && word !== undefined && /^-[a-zA-Z]*c[a-zA-Z]*$/.test(word));
  return option === -1 ? -1 : words.findIndex((word, i) => i > option && word !== undefined && !/^[-+]/.test(word));
}

/**
 * Why an unset `${NAME}` is worth a word (compose says one too): it is read as empty, which is
 * seldom meant, and most often because the variable was set where interpolation does not look.
 */
function unsetWarning(name: string, readByShell: boolean): string {
  // Set in each copy's environment, after the config was read: only a shell started in the copy
  // can read it, so outside a command, `$NAME` would be no better than `${NAME}`.
  if (name === REPLICA_VARIABLE && readByShell) return `\${${name}} is read as empty: it is expanded when the config is read, before the copies exist; write $${name} for the shell to read in each copy`;
  if (name === REPLICA_VARIABLE) {
    return `\${${name}} is read as empty: it is expanded when the config is read, before the copies exist, and no shell reads this value later, so every copy gets the same; work out what differs by copy in a command, which a shell runs in each copy (\`cmd: PORT=$((8000 + ${name})) node server.js\`, or an \`exec\` probe), or read ${name} in the program`;
  }
  return `\${${name}} is not set, so it is read as empty; set it in subvisor's environment, .env or an envFile (a process's own \`env\` is not read here), or write \${${name}:-} for empty on purpose`;
}

/**
 * The names written right after a `$$` in a script a shell reads (`echo $$HOME`), once each,
 * outside single quotes and not after a backslash, where the shell takes `$` as written. Compose
 * reads `$$` as a literal `$`, so its files write `$$HOME` for the container's shell to expand;
 * here no `$` is the config's but in `${`, and the shell reads `$$` as its pid. A run of three or
 * more (`$$$HOME`) is left alone: what it means is no clearer in compose than in a shell.
 */
function pidThenName(written: string): Set<string> {
  return new Set(Array.from(unquoted(written).matchAll(/(?<!\$)\$\$([A-Za-z_][A-Za-z0-9_]*)/g), (match) => match[1] ?? ''));
}

/** `script` with what a shell takes as written blanked out: single-quoted text, and a character after a backslash. */
function unquoted(script: string): string {
  let out = '';
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < script.length; i++) {
    const char = script[i] ?? '';
    const literal = quote === "'" ? char !== "'" : char === '\\';
    if (literal && quote !== "'") i++;
    if (char === "'" && quote !== '"') quote = quote === "'" ? undefined : "'";
    else if (char === '"' && quote !== "'") quote = quote === '"' ? undefined : '"';
    out += literal || char === "'" ? ' ' : char;
  }
  return out;
}

/** Why a `$$NAME` in a command is worth a word: see {@link pidThenName}. `${$}` is the shell's pid, said so that it is meant. */
function pidWarning(name: string): string {
  return `$$${name} is the shell's pid followed by ${name}: compose's $$ is a literal $, here the shell reads the command; write $${name} for the shell to expand ${name}, or \${$}${name} to mean the pid`;
}

/**
 * Why a `${NAME-word}` (or `?`, `+`, `:+`) in a setting is worth a word: compose expands it, so it
 * was most likely meant so, and it reaches the process as written. The word is not shown: it may
 * be a secret's default.
 */
function leftWarning(name: string, operator: string): string {
  const form = `\${${name}${operator}…}`;
  const literal = `or $${form} to mean it as written`;
  const head = `${form} is passed on as written: subvisor expands only \${NAME}, \${NAME:-default} and \${NAME:?message}`;
  if (operator === '-') return `${head}; write \${${name}:-…} (its default is taken for an empty ${name} too), ${literal}`;
  if (operator === '?') return `${head}; write \${${name}:?…} (an empty ${name} is refused too), ${literal}`;
  return `${head}, and has no \${NAME${operator}word}; set the value itself, ${literal}`;
}

/**
 * Where a bad value came from, without showing it: ` once ${HOST}, ${PORT} are expanded (PORT is
 * not set)` for a value at `at` that reads variables, ` with ${PORT-…} left as written (...)` for
 * one that holds a form compose would have expanded, else the empty string.
 */
export function expansionNote(at: At): string {
  const written = isScalar(at.node) ? scalarText(at.node) : undefined;
  const lookup = at.variables ?? (() => undefined);
  const { names, left } = written === undefined ? { names: [], left: [] } : variablesRead(written, lookup);
  const unset = names.filter((name) => lookup(name) === undefined);
  const unsetNote = unset.length === 0 ? '' : ` (${unset.join(', ')} ${unset.length === 1 ? 'is' : 'are'} not set)`;
  const expanded = names.length === 0 ? '' : ` once ${names.map((name) => `\${${name}}`).join(', ')} ${names.length === 1 ? 'is' : 'are'} expanded${unsetNote}`;
  const leftNote = left.length === 0 ? '' : ` with ${left.join(', ')} left as written (only \${NAME}, \${NAME:-default} and \${NAME:?message} are expanded)`;
  return `${expanded}${names.length > 0 && left.length > 0 ? ',' : ''}${leftNote}`;
}

/**
 * A setting (a directory, a probe's address) taken as text and interpolated, warned of for a form
 * left as written (see {@link Interpolation.warnLeft}); `expected` names what was wanted when it is
 * not text.
 */
export function interpolatedText(expected = 'a string'): ReadValue<string> {
  return (at, reader) => {
    const value = text(expected)(at, reader);
    return value === undefined ? undefined : interpolated(at, value, reader, { warnLeft: true });
  };
}

/**
 * A command (`cmd`, or an `exec` probe): a shell string (run by `sh -c`), or a list: the argv.
 * Interpolated, the string as a whole and each list item on its own (so `"${DIR}"` stays one
 * argument whatever spaces the value holds); checked after that, so a variable cannot empty it
 * or smuggle in a NUL byte.
 */
export const command: ReadValue<readonly string[] | string> = (at, reader) => commandWithParts(at, reader)?.cmd;

/**
 * {@link command}, and the pieces interpolation made it of: one list per argv word, or one for
 * the string (see {@link ProcessSpec.cmdParts}).
 */
export const commandWithParts: ReadValue<{ cmd: readonly string[] | string; parts: InterpolatedPart[][] }> = (at, reader) => {
  if (!isSeq(at.node)) {
    const written = text('a string (run by sh -c) or a list (argv)')(at, reader);
    if (written === undefined) return undefined;
    if (written.trim() === '') {
      reader.reportAt(at, 'is empty; give the command to run');
      return undefined;
    }
    const parts = interpolatedParts(at, written, reader, { readByShell: true });
    if (parts === undefined) return undefined;
    const shell = joinParts(parts);
    if (shell.trim() !== '') return spawnable(at, shell, reader) === undefined ? undefined : { cmd: shell, parts: [parts] };
    reader.reportAt(at, 'is empty once its variables are expanded; set them, or give them a default: `${NAME:-default}`');
    return undefined;
  }
  if (at.node.items.length === 0) {
    reader.reportAt(at, 'is an empty list; give the program and its arguments, e.g. `[node, server.js]`');
    return undefined;
  }
  const argv: string[] = [];
  const words: InterpolatedPart[][] = [];
  const script = shellScript(at.node.items.map((item) => reader.deref(item)));
  at.node.items.forEach((item, i) => {
    const itemAt = listItem(at, i, reader.deref(item) ?? at.node);
    const written = isScalar(itemAt.node) ? scalarText(itemAt.node) : undefined;
    if (written === undefined) {
      reader.reportAt(itemAt, `expected a string, found ${describe(itemAt.node)}; quote it if it is meant as text`);
      return;
    }
    if (i === 0 && written.trim() === '') {
      reader.reportAt(itemAt, 'the program name is empty');
      return;
    }
    // Read again by a shell only when it is a shell's script (`[sh, -c, script]`); `[node, -e, code]` is not.
    const parts = interpolatedParts(itemAt, written, reader, { readByShell: i === script });
    if (parts === undefined) return;
    const arg = joinParts(parts);
    if (i === 0 && arg.trim() === '') reader.reportAt(itemAt, 'the program name is empty once its variables are expanded; set them, or give them a default: `${NAME:-default}`');
    else if (spawnable(itemAt, arg, reader) !== undefined) {
      argv.push(arg);
      words.push(parts);
    }
  });
  return { cmd: argv, parts: words };
};

/** Item `index` of the list at `at`, at its own place. */
export function listItem(at: At, index: number, node: ParsedNode): At {
  return { ...at, node, keyNode: null, path: `${at.path}[${index}]` };
}

/**
 * A value that is one string or a list of them (`envFile`), each item with its own place; a
 * single string is at the value itself. `answer` says what to write instead of a list item that
 * is no string, when its shape tells more (another tool's form); undefined leaves the general answer.
 */
export function oneOrMany(at: At, reader: Reader, expected: string, answer?: (item: At) => string | undefined): { value: string; at: At }[] | undefined {
  if (!isSeq(at.node)) {
    const value = text(expected)(at, reader);
    return value === undefined ? undefined : [{ value, at }];
  }
  const items: { value: string; at: At }[] = [];
  at.node.items.forEach((item, i) => {
    const itemAt = listItem(at, i, reader.deref(item) ?? at.node);
    const instead = isScalar(itemAt.node) ? undefined : answer?.(itemAt);
    if (instead !== undefined) {
      reader.reportAt(itemAt, instead);
      return;
    }
    const value = text(expected)(itemAt, reader);
    if (value !== undefined) items.push({ value, at: itemAt });
  });
  return items;
}

/** The words YAML 1.1 read as booleans and YAML 1.2 (this config's) reads as strings. */
const YAML_1_1_BOOLEANS: Readonly<Record<string, boolean>> = { yes: true, y: true, on: true, no: false, n: false, off: false };

/**
 * `; YAML reads off as a string here, not false: write \`false\``, for a value written as a plain
 * `yes`, `no`, `on`, `off`, `y` or `n`, which YAML 1.1 (PyYAML, docker-compose v1) read as a
 * boolean and this config reads as text: said where a boolean is meant and the text taken as
 * something else (a file name). The empty string for any other value, a quoted one included, and
 * for a boolean not in `accepted`: writing it would only be refused in turn.
 */
export function yaml11BooleanHint(node: Node, accepted: readonly boolean[] = [true, false]): string {
  const written = isScalar(node) && node.type === 'PLAIN' && typeof node.value === 'string' ? node.value : undefined;
  const meant = written === undefined ? undefined : YAML_1_1_BOOLEANS[written.toLowerCase()];
  return meant === undefined || !accepted.includes(meant) ? '' : `; YAML reads ${written} as a string here, not ${meant}: write \`${meant}\``;
}

/** `true` or `false`; `hint` says how to write it. */
export function boolean(hint: string): ReadValue<boolean> {
  return (at, reader) => {
    if (isScalar(at.node) && typeof at.node.value === 'boolean') return at.node.value;
    reader.reportAt(at, `expected true or false, found ${describe(at.node)}; ${hint}`);
    return undefined;
  };
}

/** A whole number of at least 1; `what` says what it counts and `hint` what to do instead. */
export function positiveInteger(what: string, hint: string): ReadValue<number> {
  return (at, reader) => {
    const value = isScalar(at.node) ? at.node.value : undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value;
    // Digits past what a double holds (`1e400`) are read as Infinity, a whole positive number all
    // the same: what is wrong with it is its size, shown as written, as grace and maxSize say it.
    if (typeof value === 'number' && value > Number.MAX_SAFE_INTEGER && isScalar(at.node)) {
      reader.reportAt(at, `too many ${what}: ${at.node.source}; give at most ${Number.MAX_SAFE_INTEGER}`);
      return undefined;
    }
    // A number in quotes is YAML's string: the quotes are all that is wrong.
    const quotedNumber = typeof value === 'string' && /^[1-9]\d*$/.test(value.trim());
    const found = quotedNumber ? `${shownValue(value, undefined)} in quotes, a string; write it without them` : `${describe(at.node)}; ${hint}`;
    reader.reportAt(at, `must be a positive whole number of ${what}, found ${found}`);
    return undefined;
  };
}

/** An amount (a duration, a size) as the config wrote it, for its parser (see {@link amountWritten}). */
export interface Amount {
  /** Its text, or the number YAML read. */
  readonly value: string | number;
  /** The digits written, for a number past what a double holds (`1e400`), which YAML read as `Infinity`: a refusal shows them. */
  readonly written?: string;
}

/**
 * What a scalar written as an amount (a duration, a size) holds for its parser: its text, or a
 * number. `undefined` for anything else, to be refused with {@link describe}: a list, and YAML's
 * `.nan` and `.inf`, numbers with no amount to read, which the parser would show as `NaN` or
 * `Infinity`, words the config never wrote. A number written in digits past what a double holds
 * (`1e400`, 400 nines) is an amount too, and reaches the parser as `Infinity`: it is too long or
 * too large, as the same digits with a unit are (`999…9s`, `999…9MB`), not something else, and
 * its refusal shows the digits as written (`written`), not the `Infinity` they were read as.
 */
export function amountWritten(node: Node): Amount | undefined {
  if (!isScalar(node)) return undefined;
  const value = node.value;
  if (typeof value === 'string') return { value };
  if (typeof value !== 'number' || Number.isNaN(value)) return undefined;
  // YAML reads `+5` as the number 5; the parser gets what was written, so `grace: +5` is refused
  // for its sign in the words `--grace +5` is, not taken as 5 while the flag is refused.
  if (node.source.trimStart().startsWith('+') && !INFINITY_WORD.test(node.source)) return { value: node.source, written: node.source };
  if (Number.isFinite(value)) return { value };
  return INFINITY_WORD.test(node.source) ? undefined : { value, written: node.source };
}

/** YAML's spellings of infinity (`.inf`, `-.Inf`, `+.INF`...), the only ones that are no digits. */
const INFINITY_WORD = /^[-+]?\.inf$/i;

/** A duration (see {@link parseDuration}) in milliseconds. */
export const duration: ReadValue<number> = (at, reader) => {
  const amount = amountWritten(at.node);
  if (amount === undefined) {
    reader.reportAt(at, `expected a duration like 500ms, 30s or 2m, found ${describe(at.node)}`);
    return undefined;
  }
  try {
    return parseDuration(amount.value, amount.written);
  } catch (error) {
    reader.reportAt(at, error instanceof Error ? error.message : String(error), error);
    return undefined;
  }
};

/** A duration longer than 0; `meaning` says what the time is for. */
export function positiveDuration(meaning: string): ReadValue<number> {
  return (at, reader) => {
    const ms = duration(at, reader);
    if (ms !== 0) return ms;
    reader.reportAt(at, `must be longer than 0; give ${meaning}`);
    return undefined;
  };
}
