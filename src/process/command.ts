import { wholeCharactersUpTo } from '../log/cut-text.js';

/** A command's plain text: argv joined by spaces, or the shell string. */
function formatCommand(cmd: readonly string[] | string): string {
  return typeof cmd === 'string' ? cmd : cmd.join(' ');
}

/**
 * How a message, a relay tag and a default label name a command: {@link formatCommand}'s plain
 * join, with control characters written as escapes (as {@link quoteCommand} writes them), cut to
 * {@link MESSAGE_COMMAND_CHARS}. Messages and relayed lines reach terminals (an uncaught error's
 * stack, the console sink): a hostile argument must not drive the terminal of whoever reads them,
 * and a tag in front of every line must stay on that line (a `sh -c` script has newlines) and
 * short (a script may be megabytes).
 */
export function describeCommand(cmd: readonly string[] | string): string {
  return shortened(escapeControlCharacters(formatCommand(cmd)));
}

/**
 * How an error message names a command: {@link quoteCommand}'s form, so that where the command ends
 * and the message goes on is plain (`sh -c 'echo x >&2; exit 3' exited with status 3`, where a
 * plain join would read `sh -c echo x >&2; exit 3 exited with status 3`), cut to
 * {@link MESSAGE_COMMAND_CHARS}. A shell string is shown as it is, its control characters escaped.
 */
export function commandInMessage(cmd: readonly string[] | string): string {
  return shortened(quoteCommand(cmd));
}

/**
 * The most of a command a message shows. A command may be megabytes (a script passed with `-c`, a
 * generated argument list): in full, it would bury what the message says to do. The error's `cmd`
 * keeps all of it.
 */
export const MESSAGE_COMMAND_CHARS = 1000;

/** `text` cut to its first `chars` characters, saying how many more there were; as it is when shorter. */
export function shortened(text: string, chars = MESSAGE_COMMAND_CHARS): string {
  if (text.length <= chars) return text;
  const head = wholeCharactersUpTo(text, chars);
  return `${head}… (${text.length - head.length} more characters)`;
}

/** Text for a message with its control characters written as escapes (`\e`, `\n`, `\x07`), never raw. */
export function escapeControlCharacters(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROL_ALL, escapeControl) : text;
}

/** Words a POSIX shell reads as themselves, so they need no quotes. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
/**
 * What is never shown raw: the C0 and C1 controls, DEL, and the invisible characters that reorder
 * or break the text around them (the bidi marks, embeddings, overrides and isolates; the line and
 * paragraph separators), with which an argument could show a reader another command than the one
 * that ran ("Trojan source").
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const CONTROL_ALL = new RegExp(CONTROL.source, 'g');
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\x1b': '\\e' };

/**
 * What a shell would take the first word for if it were left bare: a reserved word (POSIX's, and
 * those of bash, ksh and zsh) or an assignment (`A=1 true` runs `true` with A set, not a program
 * named `A=1`). As the command's first word either is written in quotes.
 */
const RESERVED = new Set(['case', 'coproc', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'function', 'if', 'in', 'select', 'then', 'time', 'until', 'while']);
/** A word a shell reads as a variable assignment (`NAME=...`), not a command. */
export const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * The command as a person would paste it into a POSIX shell: argv words quoted only where needed
 * (`'it'\''s'`), so `command` in an error says exactly what ran, word boundaries included, where
 * {@link formatCommand}'s plain join cannot tell `['a b']` from `['a', 'b']`.
 *
 * Control characters are never shown raw: a word that holds one is written in dollar-single
 * quotes (`$'line\nbreak'`, POSIX.1-2024 and every common shell), so a hostile argument cannot
 * move the cursor of whoever reads the log. A shell string (`shell: true`) is shown as it is, with
 * the same escapes for its control characters.
 */
export function quoteCommand(cmd: readonly string[] | string): string {
  if (typeof cmd === 'string') return escapeControlCharacters(cmd);
  return cmd.map((word, index) => quoteWord(word, index === 0)).join(' ');
}

function quoteWord(word: string, first: boolean): string {
  if (word === '') return "''";
  if (SAFE_WORD.test(word) && !(first && (RESERVED.has(word) || ASSIGNMENT.test(word)))) return word;
  if (!CONTROL.test(word)) return `'${word.replaceAll("'", "'\\''")}'`;
  return `$'${word.replace(/[\\']/g, '\\$&').replace(CONTROL_ALL, escapeControl)}'`;
}

/** A control character as the bytes the child was given: U+0080 to U+009F are two bytes in UTF-8 (`\xc2\x85`), and `\x85` alone would be another byte. */
function escapeControl(char: string): string {
  const named = NAMED_ESCAPES[char];
  if (named !== undefined) return named;
  let escaped = '';
  for (const byte of Buffer.from(char, 'utf8')) escaped += `\\x${byte.toString(16).padStart(2, '0')}`;
  return escaped;
}
