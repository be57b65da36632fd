/**
 * Where `${NAME}` finds its value: the variable's value, or undefined when it is not set. Built
 * by the config reader from the parent's environment over the env files (SPEC §9).
 */
export type Lookup = (name: string) => string | undefined;

/**
 * A value that cannot be interpolated: a `${NAME:?message}` whose variable is unset or empty, or
 * forms nested more than {@link MAX_DEPTH} deep. The message never holds the value of anything,
 * only names and the config's own text, since the values come from the environment and may be
 * secrets.
 */
export class InterpolationError extends Error {
  override name = 'InterpolationError';
}

/** Forms inside forms, at most: the parser reads them recursively, and a config needs a handful. */
const MAX_DEPTH = 100;

/** A variable name as the shell takes one in `${NAME}`. */
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/**
 * The forms compose expands and subvisor leaves as written, from after their `${`: `${NAME-word}`,
 * `${NAME?word}`, `${NAME+word}`, `${NAME:+word}`.
 */
const COMPOSE_ONLY = /([A-Za-z_][A-Za-z0-9_]*)(:\+|[-?+])/y;

/** A `${NAME<operator>...}` left as written (see {@link COMPOSE_ONLY}): the name and the operator. */
export type LeftAsWritten = (name: string, operator: string) => void;

/** Who hears what {@link interpolate} read as empty or left as written; each is optional. */
export interface InterpolationListeners {
  /** Told of each `${NAME}` (the form without a default) expanded with NAME unset. */
  readonly onUnset?: (name: string) => void;
  /** Told of each form compose would expand that is left as written (see {@link COMPOSE_ONLY}). */
  readonly onLeft?: LeftAsWritten;
}

/**
 * `text` with its braced variables expanded from `lookup`, as SPEC §9 has it, and nothing else
 * (`listeners.onUnset` hears of each `${NAME}` read as empty because NAME is not set):
 *
 * - `${NAME}`: the value, or the empty string when it is not set (POSIX; write `${NAME:?}` to
 *   require it).
 * - `${NAME:-default}`: the value, or `default` when it is unset or empty (POSIX's `:-`: an empty
 *   value counts as unset). `default` may itself hold `${...}`, expanded only when it is used.
 * - `${NAME:?message}`: the value, or an {@link InterpolationError} saying `message` when it is
 *   unset or empty. The message is shown as written, never expanded.
 * - `$${` is a literal `${`.
 *
 * Every other `$` is left as it is, so a command's `echo $$` and `$PORT` still reach the shell, and
 * so is any other `${...}`, whole, up to the `}` that closes it (`${f%.txt}`, `${#name}`, `${1}`,
 * `${PORT-3000}`, `${PORT:+x}`): shell syntax, for the shell, with nothing inside it expanded. A
 * `${` that nothing closes is left as it is too. `listeners.onLeft` hears of each such form that
 * compose would have expanded (`${PORT-3000}`), where it is read (not in a default that is not
 * used).
 *
 * @example
 * ```ts
 * const env = (name: string) => ({ PORT: '8080' })[name];
 * interpolate('node server.js --port ${PORT:-3000} # pid $$', env); // 'node server.js --port 8080 # pid $$'
 * interpolate('echo $${HOME} ${f%.txt}', env); // 'echo ${HOME} ${f%.txt}'
 * interpolate('${DATA_DIR:?set DATA_DIR}', env); // throws InterpolationError: DATA_DIR is not set (or is empty): set DATA_DIR
 * ```
 */
export function interpolate(text: string, lookup: Lookup, listeners: InterpolationListeners = {}): string {
  return joinParts(interpolateParts(text, lookup, listeners));
}

/**
 * One piece of an interpolated value: text the config wrote (a default's included), or the value
 * a `${NAME}` (or `${NAME:-…}`, `${NAME:?…}` whose NAME is set) expanded to, with its name.
 */
export type InterpolatedPart = string | { readonly name: string; readonly value: string };

/**
 * What {@link interpolate} makes of `text`, as the pieces it was made of: an export can then give a
 * variable's value to the target's own expansion (`${NAME}` in a systemd unit) instead of writing
 * it where every user reads it. Adjacent written pieces are one string.
 *
 * @example
 * ```ts
 * interpolateParts('echo ${TOKEN} ${X:-none}', (name) => ({ TOKEN: 's3cr3t' })[name]);
 * // ['echo ', { name: 'TOKEN', value: 's3cr3t' }, ' none']
 * ```
 */
export function interpolateParts(text: string, lookup: Lookup, listeners: InterpolationListeners = {}): InterpolatedPart[] {
  const parser = new Parser(text, lookup, listeners);
  return parser.word(true, false);
}

/** Whether any of `words` holds a variable's value: a plan keeps the pieces only then. */
export function readsVariable(words: readonly (readonly InterpolatedPart[])[]): boolean {
  return words.some((word) => word.some((part) => typeof part !== 'string'));
}

/** The value that `parts` make up: what {@link interpolate} returns. */
export function joinParts(parts: readonly InterpolatedPart[]): string {
  return parts.map((part) => (typeof part === 'string' ? part : part.value)).join('');
}

/**
 * What `parts` make as the config writes it: each variable as `${NAME}`, the text around it as it
 * is. How a value that may be a secret from `.env` is named where it is not shown.
 */
export function partsAsWritten(parts: readonly InterpolatedPart[]): string {
  return parts.map((part) => (typeof part === 'string' ? part : `\${${part.name}}`)).join('');
}

/** `parts` with `more` added, written text joined to the written text before it. */
function append(parts: InterpolatedPart[], more: string | readonly InterpolatedPart[]): void {
  for (const part of typeof more === 'string' ? [more] : more) {
    const last = parts.at(-1);
    if (typeof part === 'string' && typeof last === 'string') parts[parts.length - 1] = last + part;
    else if (part !== '') parts.push(part);
  }
}

/**
 * The variables {@link interpolate} reads in `text`, each once, in order, and the compose forms it
 * leaves as written there (`${PORT-…}`): what a problem with the expanded value names, since it
 * may not show the value.
 */
export function variablesRead(text: string, lookup: Lookup): { names: string[]; left: string[] } {
  const names = new Set<string>();
  const left = new Set<string>();
  try {
    interpolate(
      text,
      (name) => {
        names.add(name);
        return lookup(name);
      },
      { onLeft: (name, operator) => left.add(`\${${name}${operator}…}`) },
    );
  } catch (error) {
    if (!(error instanceof InterpolationError)) throw error;
  }
  return { names: [...names], left: [...left] };
}

class Parser {
  private at = 0;
  /**
   * Where the form that starts at a `${` ends, or -1 when it is none of the forms. That depends only
   * on the text from there on, so it is read once: read again (after an enclosing `${` that is never
   * closed left its own `$` and went on), each nested `${NAME:-` doubled the work (26 took 8 s).
   */
  private readonly formEnds = new Map<number, number>();
  /** How many forms the parser is inside (see {@link MAX_DEPTH}). */
  private depth = 0;
  /** Where the `}` that closes each `{` is (-1: none), found in one pass when first needed. */
  private closers: Int32Array | undefined;

  constructor(
    private readonly text: string,
    private readonly lookup: Lookup,
    private readonly listeners: InterpolationListeners,
  ) {}

  /**
   * Text up to the end (`nested` false) or up to the `}` that closes the `${` it is in (left for
   * the caller). With `evaluate` false it is only read: a default that is not used neither looks
   * anything up nor fails for a `:?` inside it.
   */
  word(evaluate: boolean, nested: boolean): InterpolatedPart[] {
    const { text } = this;
    const out: InterpolatedPart[] = [];
    // The `}` of a literal `${` (`$${V}` in a default) is the literal's, not the end of the form.
    let literalsOpen = 0;
    while (this.at < text.length) {
      if (text.startsWith('$${', this.at)) {
        append(out, '${');
        this.at += 3;
        literalsOpen++;
      } else if (text.startsWith('${', this.at)) {
        append(out, this.expansion(evaluate));
      } else if (nested && text[this.at] === '}' && literalsOpen > 0) {
        append(out, '}');
        this.at++;
        literalsOpen--;
      } else if (nested && text[this.at] === '}') {
        return out;
      } else {
        append(out, text.charAt(this.at));
        this.at++;
      }
    }
    return out;
  }

  /**
   * The `${` at the parser's place: one of the three forms, expanded, or anything else, as it is
   * written. It is read once without looking anything up, so that a form that turns out not to
   * be one (it is never closed) has not failed for a `:?` inside it first.
   */
  private expansion(evaluate: boolean): string | InterpolatedPart[] {
    const start = this.at;
    const end = this.formEnd(start);
    if (end === -1) return this.asWritten(evaluate);
    if (!evaluate) {
      this.at = end;
      return '';
    }
    return this.form(true) ?? ''; // the same text read again: a form
  }

  /** Where the form at `start` ends (see {@link Parser.formEnds}); leaves the parser at `start`. */
  private formEnd(start: number): number {
    let end = this.formEnds.get(start);
    if (end === undefined) {
      end = this.form(false) === undefined ? -1 : this.at;
      this.formEnds.set(start, end);
    }
    this.at = start;
    return end;
  }

  /** One `${NAME}`, `${NAME:-default}` or `${NAME:?message}`, from its `$` to its `}`; undefined when the text there is none of them. */
  private form(evaluate: boolean): InterpolatedPart[] | undefined {
    this.at += 2;
    NAME.lastIndex = this.at;
    const name = NAME.exec(this.text)?.[0];
    if (name === undefined) return undefined;
    this.at += name.length;
    if (this.text[this.at] === '}') {
      this.at++;
      if (!evaluate) return [];
      const value = this.lookup(name);
      if (value === undefined) this.listeners.onUnset?.(name);
      return value === undefined ? [] : [{ name, value }];
    }
    const operator = this.text.slice(this.at, this.at + 2);
    if (operator !== ':-' && operator !== ':?') return undefined;
    this.at += 2;
    const value = evaluate ? this.lookup(name) : undefined;
    const unset = value === undefined || value === '';
    const wordStart = this.at;
    if (++this.depth > MAX_DEPTH) throw new InterpolationError(`the \`\${\` at character ${wordStart - name.length - 3} holds forms nested more than ${MAX_DEPTH} deep; write \`$\${\` for those the shell should read`);
    let word: InterpolatedPart[];
    try {
      word = this.word(evaluate && unset && operator === ':-', true);
    } finally {
      this.depth--;
    }
    if (this.text[this.at] !== '}') return undefined;
    const written = this.text.slice(wordStart, this.at);
    this.at++;
    if (!evaluate) return [];
    if (!unset) return [{ name, value }];
    if (operator === ':-') return word;
    throw new InterpolationError(`${name} is not set (or is empty)${written === '' ? '; set it in the environment, in .env or in an envFile' : `: ${written}`}`);
  }

  /**
   * A `${` that is not one of the forms: up to the `}` that closes it (braces counted), or only its
   * `$` when nothing does. With `evaluate`, a compose form among them is told to `onLeft`.
   */
  private asWritten(evaluate: boolean): string {
    const start = this.at;
    const closer = this.closerOf(start + 1);
    COMPOSE_ONLY.lastIndex = start + 2;
    const composeOnly = evaluate && closer !== -1 ? COMPOSE_ONLY.exec(this.text) : null;
    if (composeOnly !== null) this.listeners.onLeft?.(composeOnly[1] ?? '', composeOnly[2] ?? '');
    this.at = closer === -1 ? start + 1 : closer + 1;
    return this.text.slice(start, this.at);
  }

  /** The index of the `}` that closes the `{` at `open`, braces counted, or -1. */
  private closerOf(open: number): number {
    if (this.closers === undefined) {
      const closers = new Int32Array(this.text.length).fill(-1);
      const opened: number[] = [];
      for (let at = 0; at < this.text.length; at++) {
        if (this.text[at] === '{') opened.push(at);
        else if (this.text[at] === '}' && opened.length > 0) closers[opened.pop() as number] = at;
      }
      this.closers = closers;
    }
    return this.closers[open] ?? -1;
  }
}
