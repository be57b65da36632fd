/**
 * Where a line break ends a line for a RegExp's `^` and `$` in multiline mode (and for `.`):
 * `\n`, `\r`, U+2028 and U+2029. Splitting here finds every place a pattern anchored with `^` can
 * start, whatever a file's line ends are.
 */
const LINE_TERMINATORS = new Set(['\n', '\r', '\u2028', '\u2029']);

/**
 * An env file's text, with its lines and the places each variable name may be assigned indexed
 * once. readEnvFile asks, for every variable, where it is written; searching the whole text each
 * time made that quadratic (a 4000-variable file took 1.4 s, an 8000-variable one 7.8 s). With the
 * index a question costs the lines that begin with its name.
 *
 * The index answers with candidates only (every line that assigns a name, and maybe a few that do
 * not), so each caller still decides with its own exact pattern, on those lines alone.
 */
export class EnvFileText {
  readonly text: string;
  /** The text's lines as parseEnv ends them: at `\n` or `\r\n`. */
  readonly lines: readonly string[];
  /** The offset in the text of each line's first character. */
  readonly #lineStarts: number[] = [0];
  /** By name, the offsets where a piece of text between line terminators may assign it; ascending. */
  readonly #startsByName = new Map<string, number[]>();

  constructor(text: string) {
    this.text = text;
    this.lines = linesOf(text);
    let start = 0;
    for (let offset = 0; offset <= text.length; offset++) {
      const char = text[offset];
      if (char !== undefined && !LINE_TERMINATORS.has(char)) continue;
      for (const name of namesAssignedBy(text.slice(start, offset))) this.#remember(name, start);
      if (char === '\n') this.#lineStarts.push(offset + 1);
      start = offset + 1;
    }
  }

  /**
   * The offsets, ascending, where a piece of a line (cut at every line terminator, `\r` and U+2028
   * included, as a multiline RegExp's `^` is) may begin an assignment of `name`: after blanks and
   * an optional `export `, `name`, then blanks, then `=` or the piece's end. Every such place is
   * listed; a caller confirms each with its own pattern. Only the part of `name` before its first
   * line terminator counts (a name parseEnv ran on into the next line starts on this one).
   */
  candidateStarts(name: string): readonly number[] {
    return this.#startsByName.get(keyOf(firstPiece(name))) ?? [];
  }

  /** The 1-based line (as {@link lines} counts) that holds the character at `offset`. */
  lineNumberAt(offset: number): number {
    let low = 0;
    let high = this.#lineStarts.length - 1;
    // The last line start at or before `offset`: line starts ascend, so halve the range.
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if ((this.#lineStarts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }

  #remember(name: string, start: number): void {
    const starts = this.#startsByName.get(name);
    if (starts === undefined) this.#startsByName.set(name, [start]);
    else if (starts.at(-1) !== start) starts.push(start);
  }
}

/**
 * `text`'s lines as parseEnv ends them: at `\n` or `\r\n`. A `\r` left on a line (a file saved on
 * Windows) is not matched by `.`, so a pattern that reads a line to its end would miss every one.
 */
export function linesOf(text: string): string[] {
  return text.split(/\r?\n/);
}

/** The names a piece of a line may assign: what precedes its `=` (or its end), with and without `export `. */
function namesAssignedBy(piece: string): string[] {
  const rest = piece.trimStart();
  return rest.startsWith('export ') ? [keyOf(rest), keyOf(rest.slice('export '.length))] : [keyOf(rest)];
}

/** What a piece assigns, as the index files it: up to its first `=` (names hold none), blanks after it dropped. */
function keyOf(piece: string): string {
  const equals = piece.indexOf('=');
  return (equals === -1 ? piece : piece.slice(0, equals)).trimEnd();
}

function firstPiece(name: string): string {
  for (let offset = 0; offset < name.length; offset++) {
    if (LINE_TERMINATORS.has(name[offset] ?? '')) return name.slice(0, offset);
  }
  return name;
}
