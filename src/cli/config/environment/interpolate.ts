/**
 * Where `${NAME}` finds its value: the variable's value, or undefined when it is not set. Built
 * by the config reader from the parent's environment over the env files (SPEC §9).
 */
export type Lookup = (name: string) => string | undefined;

/**
 * A value that cannot be interpolated: a malformed `${`, or a `${NAME:?message}` whose variable is
 * unset or empty. The message never holds the value of anything, only names and the config's own
 * text, since the values come from the environment and may be secrets.
 */
export class InterpolationError extends Error {
  override name = 'InterpolationError';
}

/** A variable name as the shell takes one in `${NAME}`. */
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

const FORMS = 'only `${NAME}`, `${NAME:-default}` and `${NAME:?message}` are expanded';
const LITERAL = 'write `$${` for a literal `${`';

/**
 * `text` with its braced variables expanded from `lookup`, as SPEC §9 has it, and nothing else:
 *
 * - `${NAME}`: the value, or the empty string when it is not set (POSIX; write `${NAME:?}` to
 *   require it).
 * - `${NAME:-default}`: the value, or `default` when it is unset or empty (POSIX's `:-`: an empty
 *   value counts as unset). `default` may itself hold `${...}`, expanded only when it is used.
 * - `${NAME:?message}`: the value, or an {@link InterpolationError} saying `message` when it is
 *   unset or empty. The message is shown as written, never expanded.
 * - `$${` is a literal `${`.
 *
 * Every other `$` is left as it is, so a command's `echo $$` and `$PORT` still reach the shell.
 * Any other `${` (`${}`, `${1}`, `${NAME%.txt}`, `${NAME-x}`, an unclosed `${NAME`) is an
 * {@link InterpolationError} rather than a guess: it is shell syntax the user may have meant for
 * the shell, and `$${` says so.
 *
 * @example
 * ```ts
 * const env = (name: string) => ({ PORT: '8080' })[name];
 * interpolate('node server.js --port ${PORT:-3000} # pid $$', env); // 'node server.js --port 8080 # pid $$'
 * interpolate('echo $${HOME}', env); // 'echo ${HOME}'
 * interpolate('${DATA_DIR:?set DATA_DIR}', env); // throws InterpolationError: DATA_DIR is not set (or is empty): set DATA_DIR
 * ```
 */
export function interpolate(text: string, lookup: Lookup): string {
  const parser = new Parser(text, lookup);
  return parser.word(true, false);
}

class Parser {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly lookup: Lookup,
  ) {}

  /**
   * Text up to the end (`nested` false) or up to the `}` that closes the `${` it is in (left for
   * the caller). With `evaluate` false it is only checked: a default that is not used neither
   * looks anything up nor fails for a `:?` inside it.
   */
  word(evaluate: boolean, nested: boolean): string {
    const { text } = this;
    let out = '';
    while (this.at < text.length) {
      if (text.startsWith('$${', this.at)) {
        out += '${';
        this.at += 3;
      } else if (text.startsWith('${', this.at)) {
        out += this.expansion(evaluate);
      } else if (nested && text[this.at] === '}') {
        return out;
      } else {
        out += text.charAt(this.at);
        this.at++;
      }
    }
    return out;
  }

  /** One `${...}`, from its `$` to its `}`. */
  private expansion(evaluate: boolean): string {
    const start = this.at;
    this.at += 2;
    NAME.lastIndex = this.at;
    const name = NAME.exec(this.text)?.[0];
    if (name === undefined) {
      if (!this.text.includes('}', this.at)) throw this.unclosed(start);
      const what = this.text[this.at] === '}' ? 'is empty' : 'does not start with a variable name (a letter or _, then letters, digits or _)';
      throw new InterpolationError(`the \`\${\` at character ${start + 1} ${what}; ${FORMS}; ${LITERAL}`);
    }
    this.at += name.length;
    const operator = this.text.slice(this.at, this.at + 2);
    if (this.text[this.at] === '}') {
      this.at++;
      return evaluate ? (this.lookup(name) ?? '') : '';
    }
    if (operator !== ':-' && operator !== ':?') {
      if (this.at >= this.text.length) throw this.unclosed(start);
      throw new InterpolationError(`\`\${${name}\` at character ${start + 1} is followed by \`${this.text[this.at] ?? ''}\`; ${FORMS}; ${LITERAL}`);
    }
    this.at += 2;
    const value = evaluate ? this.lookup(name) : undefined;
    const unset = value === undefined || value === '';
    const wordStart = this.at;
    const word = this.word(evaluate && unset && operator === ':-', true);
    if (this.text[this.at] !== '}') throw this.unclosed(start);
    const written = this.text.slice(wordStart, this.at);
    this.at++;
    if (!evaluate) return '';
    if (!unset) return value;
    if (operator === ':-') return word;
    throw new InterpolationError(`${name} is not set (or is empty)${written === '' ? '; set it in the environment, in .env or in an envFile' : `: ${written}`}`);
  }

  private unclosed(start: number): InterpolationError {
    return new InterpolationError(`the \`\${\` at character ${start + 1} is not closed; add the \`}\`, or ${LITERAL}`);
  }
}
