import { isMap, isNode, isScalar, isSeq, visit, type Document, type Node, type LineCounter, type Pair, type ParsedNode, type Scalar, type YAMLError, type YAMLMap } from 'yaml';
import { cutText } from '../../../log/cut-text.js';
import { SHOWN_PROBLEMS, type ConfigProblem } from '../errors.js';
import { PROCESS_KEYS } from './keys.js';
import { pathText } from './reader.js';
import { scalarText } from './values.js';

/**
 * The YAML syntax errors of `document`, each at the place to fix and in words that say how. The
 * parser's own words point where it noticed: for a quote never closed that is the end of the
 * file, and for a key given twice it names neither the key nor where it was first. Past the
 * first {@link SHOWN_PROBLEMS} (by where each is fixed: a quote or bracket never closed where it
 * opens), which a ConfigError only counts, each is where the parser noticed it, in its words.
 */
export function syntaxProblems(document: Document.Parsed, source: string, file: string, lineCounter: LineCounter): ConfigProblem[] {
  const errors = distinctErrors(document.errors);
  const runaways = new Map<number, Found>();
  for (const error of errors) {
    const runaway = isMissingQuote(error) ? unclosedQuote(document, error.pos[0]) : undefined;
    if (runaway !== undefined) runaways.set(error.pos[0], runaway);
  }
  // What else the parser found where a runaway quote ended is its consequence: said once, as the quote.
  const counted = errors.filter((error) => isMissingQuote(error) || !runaways.has(error.pos[0]));
  // A quote or bracket never closed is fixed where it opens, before what the parser noticed since:
  // the problems shown are the first by that place, as a ConfigError orders them.
  const flows = unclosedFlows(document, source);
  const opened = (error: YAMLError): Found | undefined => runaways.get(error.pos[0]) ?? unclosedFlow(flows, error);
  const fixedAt = (error: YAMLError): number => opened(error)?.offset ?? error.pos[0];
  // Working out the rest of where to fix one walks the document: for a problem only counted, not
  // shown, that is time for nothing (20 000 keys given twice took 39 s).
  const shown = new Set(counted.toSorted((a, b) => fixedAt(a) - fixedAt(b)).slice(0, SHOWN_PROBLEMS));
  return counted.map((error) => (shown.has(error) ? workedOut(document, source, error, opened(error), lineCounter, file) : asParserSaid(error, lineCounter, file)));
}

/** `error` at the place to fix, in words that say how (see {@link syntaxProblems}); `opened` is the quote or bracket it is about. */
function workedOut(document: Document.Parsed, source: string, error: YAMLError, opened: Found | undefined, lineCounter: LineCounter, file: string): ConfigProblem {
  const offset = error.pos[0];
  const found = opened ?? misalignedKey(document, source, error, lineCounter) ?? (error.code === 'DUPLICATE_KEY' ? duplicateKey(document, offset, lineCounter) : undefined);
  const at = found?.offset ?? offset;
  const { line, col } = lineCounter.linePos(at);
  // Where the parser was at the error, as far as it got: the process and key to look at.
  // A second document is no place in the first.
  const { path, process } = error.code === 'MULTIPLE_DOCS' ? {} : (found?.place ?? whereAt(document, at, found !== undefined));
  return { file, line, column: col, path: found?.path ?? path, process, message: `YAML syntax: ${found?.message ?? parserReason(error)}`, cause: error };
}

/** `error` where the parser noticed it, in its words: nothing worked out. */
function asParserSaid(error: YAMLError, lineCounter: LineCounter, file: string): ConfigProblem {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  return { file, line, column: col, message: `YAML syntax: ${parserReason(error)}`, cause: error };
}

/**
 * `errors` with each said once. The parser repeats an error once per level it unwinds: 790 `[`
 * never closed are 790 errors at one place in the same words, and each worked out (the document
 * walked, the path built) took 22 s and printed 2 MB.
 */
function distinctErrors(errors: readonly YAMLError[]): YAMLError[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const said = `${error.code}\0${error.pos[0]}\0${error.message}`;
    if (seen.has(said)) return false;
    seen.add(said);
    return true;
  });
}

function isMissingQuote(error: YAMLError): boolean {
  return error.code === 'MISSING_CHAR' && error.message.startsWith('Missing closing') && error.message.includes('quote');
}

interface Found {
  /** Where the problem is to be fixed. */
  readonly offset: number;
  readonly path?: string;
  /** The process and key the problem belongs to, when that is not where it is fixed. */
  readonly place?: { readonly path?: string; readonly process?: string };
  readonly message: string;
}

/** The most characters of the parser's own words a problem shows; line and column place the rest. */
const SHOWN_REASON_CHARS = 160;

/** The parser's message without the drawing of the spot (line:column gives it), with a hint where one helps. */
function parserReason(error: YAMLError): string {
  // The parser's own advice names a function of its API, of no use to someone writing a config.
  if (error.code === 'MULTIPLE_DOCS') return 'a second document starts here; a config is one document: remove this `---` and what follows, or merge it into the first';
  // The parser's words are the stack overflow it caught, which says nothing of the file.
  if (error.code === 'RESOURCE_EXHAUSTION') return 'nested too deeply to read (brackets or indentation hundreds of levels deep); a config needs a few levels: close what is opened, or write the value flatter';
  const whole = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
  // The parser quotes the token it did not expect whole: in a binary file read as YAML, megabytes.
  const reason = cutText(whole, SHOWN_REASON_CHARS);
  return `${reason}${PARSER_HINTS[error.code] ?? ''}`;
}

/** What to do about a parser error the parser words without saying it, by its code. */
const PARSER_HINTS: Partial<Record<YAMLError['code'], string>> = {
  // The usual way into this one is a regex in double quotes: YAML reads `\d` as an escape.
  BAD_DQ_ESCAPE: '; in double quotes write a backslash as \\\\ ("\\\\d+"), or use single quotes (\'\\d+\')',
  // An editor set to indent with tabs (a Makefile's habit) writes every line so.
  TAB_AS_INDENT: '; indent with spaces (two per level is usual)',
};

/** The quoted scalar that runs on to `end`, where the parser missed its closing quote. */
function unclosedQuote(document: Document.Parsed, end: number): Found | undefined {
  const isQuoted = (node: Node): node is Scalar => isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
  const runaway = lastOpenedBefore(document, end, (node) => isQuoted(node) && (node.range?.[1] ?? end) >= end);
  if (runaway === undefined || !isQuoted(runaway)) return undefined;
  const quote = runaway.type === 'QUOTE_DOUBLE' ? '"' : "'";
  return { offset: runaway.range?.[0] ?? end, message: `the ${quote} that opens here is never closed, so the rest of the file is read as its text; close it with ${quote} where the text ends` };
}

/**
 * Of the scalars and collections that open before `end` and `runsOn` says run on to it, the one
 * that opens last: the innermost, what a parser's missing closing quote is about.
 */
function lastOpenedBefore(document: Document.Parsed, end: number, runsOn: (node: Node) => boolean): Node | undefined {
  let last: Node | undefined;
  const consider = (_key: unknown, node: Node): void => {
    const opens = node.range?.[0];
    if (opens !== undefined && opens < end && runsOn(node) && (last?.range?.[0] ?? -1) < opens) last = node;
  };
  visit(document, { Scalar: consider, Map: consider, Seq: consider });
  return last;
}

/** The parser's words for a `[` or `{` it found no end for, said where the next key began. */
const FLOW_NOT_CLOSED = /^Flow (sequence|map) in block collection must be sufficiently indented and end with a [\]}]/;

/** Where the flow lists (`[`) and mappings (`{`) that do not end with their closing bracket open, in order. */
type UnclosedFlows = ReadonlyMap<string, readonly number[]>;

/** The flow collections of `document` whose closing bracket is missing, found in one walk. */
function unclosedFlows(document: Document.Parsed, source: string): UnclosedFlows {
  const flows = new Map<string, number[]>([['[', []], ['{', []]]);
  const consider = (_key: unknown, node: Node): void => {
    const [opens, ends] = node.range ?? [];
    if (!(isMap(node) || isSeq(node)) || node.flow !== true || opens === undefined || ends === undefined) return;
    const open = source[opens] ?? '';
    if (source[ends - 1] !== CLOSING[open]) flows.get(open)?.push(opens);
  };
  visit(document, { Map: consider, Seq: consider });
  for (const starts of flows.values()) starts.sort((a, b) => a - b);
  return flows;
}

const CLOSING: Readonly<Record<string, string>> = { '[': ']', '{': '}' };

/**
 * The flow list or mapping that runs on to `error`, where the parser missed its end: said where it
 * opens, as a runaway quote is. Where the parser noticed is the next key, often of the next
 * process, which is not the one to fix. Of those not ended by their bracket (`[a, [b, c]`: the
 * outer one) that open before it, the one that opens last: the innermost.
 */
function unclosedFlow(flows: UnclosedFlows, error: YAMLError): Found | undefined {
  const match = error.code === 'BAD_INDENT' ? FLOW_NOT_CLOSED.exec(error.message) : null;
  if (match === null) return undefined;
  const [open, close, what] = match[1] === 'sequence' ? ['[', ']', 'list'] : ['{', '}', 'mapping'];
  const start = lastBefore(flows.get(open) ?? [], error.pos[0]);
  if (start === undefined) return undefined;
  return { offset: start, message: `the ${open} that opens here is never closed (or a line of it is not indented past its key); close it with ${close} where the ${what} ends` };
}

/** The greatest of `sorted` (ascending) that is less than `end`, by halving. */
function lastBefore(sorted: readonly number[], end: number): number | undefined {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] ?? end) < end) low = middle + 1;
    else high = middle;
  }
  return low === 0 ? undefined : sorted[low - 1];
}

/** The parser's words for a key indented other than the keys before it in its mapping. */
const NOT_LINED_UP = /^All mapping items must start at the same column/;

/**
 * The key at `error` that is not lined up with the keys of the mapping the parser put it in: named,
 * with both columns. A process's own key (`env` a space short) belongs to the process before it,
 * though the parser read it as a process; any other (a process's name a space too deep) is where
 * it was read, not in the process before it.
 */
function misalignedKey(document: Document.Parsed, source: string, error: YAMLError, lineCounter: LineCounter): Found | undefined {
  if (error.code !== 'BAD_INDENT' || !NOT_LINED_UP.test(error.message)) return undefined;
  const keyAt = source.slice(error.pos[0]).search(/\S/) + error.pos[0];
  const found = pairWithKeyAt(document.contents, keyAt);
  const name = found && keyName(found.pair);
  const first = found?.map.items[0];
  if (name === undefined || first === undefined) return undefined;
  const column = lineCounter.linePos(keyAt).col;
  const firstColumn = lineCounter.linePos(first.key.range[0]).col;
  const misreadAsProcess = found?.place.length === 2 && found.place[0] === 'processes' && found.place[1] === name && Object.hasOwn(PROCESS_KEYS.keys, name);
  const place = whereAt(document, misreadAsProcess ? keyAt - 1 : keyAt, false);
  const message = `\`${name}\` at column ${column} lines up with no key before it (the mapping it is read into has its keys at column ${firstColumn}); indent it as the keys it belongs with`;
  return { offset: keyAt, place, message };
}

/** The key given twice whose second place is `offset`: its path, and where it was first. */
function duplicateKey(document: Document.Parsed, offset: number, lineCounter: LineCounter): Found | undefined {
  const found = pairWithKeyAt(document.contents, offset);
  if (found === undefined) return undefined;
  const name = keyName(found.pair);
  const first = found.map.items.find((pair) => pair !== found.pair && keyName(pair) === name);
  const firstAt = first === undefined ? '' : ` (first at line ${lineCounter.linePos(first.key.range[0]).line})`;
  return { offset, path: pathText(found.place), message: `the key is given twice${firstAt}; a mapping's keys must be unique: remove or rename one` };
}

type ParsedPair = Pair<ParsedNode, ParsedNode | null>;
type Place = (string | number)[];

/**
 * The mapping pair whose key starts at `offset`, with its keys (and item indexes) from `node`.
 * `place` is where `node` is, grown and shrunk as the search goes rather than copied at each
 * level: a pair hundreds of levels deep would copy it hundreds of times.
 */
function pairWithKeyAt(node: ParsedNode | null, offset: number, place: Place = []): { map: YAMLMap.Parsed; pair: ParsedPair; place: Place } | undefined {
  const within = (key: string | number | undefined, inner: ParsedNode | null): ReturnType<typeof pairWithKeyAt> => {
    if (key !== undefined) place.push(key);
    const found = pairWithKeyAt(inner, offset, place);
    if (found === undefined && key !== undefined) place.pop();
    return found;
  };
  if (isMap(node)) {
    for (const pair of node.items) {
      const name = keyName(pair);
      if (pair.key.range[0] === offset) return { map: node, pair, place: name === undefined ? place : [...place, name] };
      const found = within(name, pair.value);
      if (found !== undefined) return found;
    }
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const found = within(index, item);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Where `offset` lies under `node`: the keys (and item indexes) of the values whose text runs
 * over it, down to the innermost. In a mapping it is in the last key begun before it, even past
 * that key's value as the parser read it (a line indented with a tab under `web:` is `web`'s).
 */
function placeAt(node: ParsedNode | null, offset: number): Place {
  const place: Place = [];
  let at = node;
  while (at !== null) {
    const inner = innerAt(at, offset);
    if (inner === undefined) break;
    if (inner.key !== undefined) place.push(inner.key);
    at = inner.node;
  }
  return place;
}

/** The value under `node` (and its key or index) whose text runs over `offset`; see {@link placeAt}. */
function innerAt(node: ParsedNode, offset: number): { key?: string | number; node: ParsedNode | null } | undefined {
  if (isMap(node)) {
    const pair = node.items.findLast((item) => item.key.range[0] <= offset);
    if (pair === undefined) return undefined;
    const name = keyName(pair);
    return name === undefined ? { node: pair.value } : { key: name, node: pair.value };
  }
  if (isSeq(node)) {
    const index = node.items.findIndex((item) => isNode(item) && item.range[0] <= offset && offset <= item.range[2]);
    const item = node.items[index];
    return isNode(item) ? { key: index, node: item } : undefined;
  }
  return undefined;
}

/**
 * The key path and process of the place the parser had reached at `offset` (`processes.web`,
 * `web`). Past a syntax error the document's shape is guesswork (text read as nested keys), so
 * the path stops at the process, or the top-level key; unless `exact`, for a place the parser
 * read before the error (where a runaway quote opens: `processes.web.cmd`).
 */
function whereAt(document: Document.Parsed, offset: number, exact: boolean): { path?: string; process?: string } {
  const whole = placeAt(document.contents, offset);
  const place = exact ? whole : whole.slice(0, whole[0] === 'processes' ? 2 : 1);
  if (place.length === 0) return {};
  const path = pathText(place);
  const [top, process] = place;
  return top === 'processes' && typeof process === 'string' ? { path, process } : { path };
}

/** A key's text when it is a scalar (as `readMapping` reads it); undefined otherwise. */
function keyName(pair: ParsedPair): string | undefined {
  return isScalar(pair.key) ? scalarText(pair.key) : undefined;
}
