/**
 * The "did you mean" of unknown keys and names: the candidate `word` was most likely meant as,
 * or undefined when none is close enough to be worth saying. `aliases` maps other tools' words
 * (normalised: lower case, no `_` or `-`) to candidates, so `command` and its misspelling
 * `comand` both lead to `cmd`. In order: the same word up to case, `_` and `-` (`depends_on`),
 * one word starting with the other (`readiness`, `environment`) unless the word runs on past a
 * name and a slip of a letter or two comes closer (`api-gatewy` is `api-gateway`, not `api`), then
 * a small edit distance (`dbb`, `cdm`), then an abbreviation of exactly one candidate (`wrk`).
 */
export function suggest(word: string, candidates: readonly string[], aliases: Readonly<Record<string, string>> = {}): string | undefined {
  const wanted = normalise(word);
  if (wanted === '') return undefined;
  const spellings: [spelling: string, candidate: string][] = [
    ...candidates.map((candidate): [string, string] => [normalise(candidate), candidate]),
    ...Object.entries(aliases).filter(([, candidate]) => candidates.includes(candidate)),
  ];
  const same = spellings.find(([spelling]) => spelling === wanted);
  if (same !== undefined) return same[1];
  const prefixed = nearestPrefix(wanted, spellings);
  const nearest = nearestByEdits(wanted, spellings);
  // A prefix is a guess at a word cut short or run on. Run on past a name, a slip of a letter or two
  // in a longer one is the likelier meaning when the prefix is further off (`api-gatewy`:
  // `api-gateway`, not `api`); cut short of a name, it still leads (`work`: `worker`, not `fork`).
  // Cut short, the word is no letters past the name, and a slip is at least one edit.
  const slipBeatsPrefix = nearest !== undefined && prefixed !== undefined && nearest.distance <= SLIP_EDITS && nearest.distance < wanted.length - prefixed[0].length;
  if (prefixed !== undefined && !slipBeatsPrefix) return prefixed[1];
  return nearest?.candidate ?? abbreviated(wanted, spellings);
}

/**
 * Of the names the word is cut short of (`readyTim`), or else starts (`readyTimeoutSeconds`), the
 * one closest in length. Key tables list a short key before the longer one it starts (`ready`,
 * `readyTimeout`): a word cut short of the longer is every letter of it typed so far, not the
 * shorter run on (`readyTim` is `readyTimeout`, as `readyTime` is), and one run on past both is
 * the longer run on, not the shorter run on further.
 */
function nearestPrefix(wanted: string, spellings: readonly (readonly [spelling: string, candidate: string])[]): readonly [spelling: string, candidate: string] | undefined {
  const long = (spelling: string): boolean => Math.min(spelling.length, wanted.length) >= 3;
  const cutShortOf = spellings.filter(([spelling]) => long(spelling) && spelling.startsWith(wanted));
  const runOnPast = spellings.filter(([spelling]) => long(spelling) && wanted.startsWith(spelling));
  const prefixes = cutShortOf.length > 0 ? cutShortOf : runOnPast;
  const gap = ([spelling]: readonly [string, string]): number => Math.abs(spelling.length - wanted.length);
  return prefixes.reduce<(typeof prefixes)[number] | undefined>((best, one) => (best === undefined || gap(one) < gap(best) ? one : best), undefined);
}

/** The most edits a slip of the fingers takes (a letter left out, doubled, or two swapped, twice). */
const SLIP_EDITS = 2;

/** The candidate fewest edits from `wanted`, if within a third of its letters; see {@link suggest}. */
function nearestByEdits(wanted: string, spellings: readonly (readonly [spelling: string, candidate: string])[]): { candidate: string; distance: number } | undefined {
  // A third of the word may be wrong: one slip in a short name, more in a long one.
  const allowed = Math.max(1, Math.floor(wanted.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const [spelling, candidate] of spellings) {
    const bestDistance = best?.distance ?? allowed + 1;
    // The distance is at least the difference in length: a word far longer than every candidate (a
    // request may carry a 1 MiB name) is not measured against them at all.
    if (Math.abs(spelling.length - wanted.length) >= bestDistance) continue;
    const distance = editDistance(wanted, spelling);
    // One edit from every one-letter name, a one-letter word shares nothing with the guess (`c`, `a`).
    if (distance < bestDistance && distance < Math.min(wanted.length, spelling.length)) best = { candidate, distance };
  }
  return best;
}

/**
 * The one candidate `wanted` abbreviates by dropping letters (`wrk`, `mgrt`), as names are cut
 * short on a command line: same first letter, the rest in order, and at least a third of the
 * name's letters kept. Past edit distance, since it drops more than a third; none for two
 * letters, or when two candidates fit (a coin toss). A long name holds most short words' letters
 * in order: without the third, `redis` (not in the config) was taken for `reverse-proxy-dist`.
 */
function abbreviated(wanted: string, spellings: readonly (readonly [spelling: string, candidate: string])[]): string | undefined {
  if (wanted.length < 3) return undefined;
  const abbreviates = (spelling: string): boolean => spelling[0] === wanted[0] && wanted.length * 3 >= spelling.length && inOrderWithin(wanted, spelling);
  const fits = new Set(spellings.filter(([spelling]) => abbreviates(spelling)).map(([, candidate]) => candidate));
  return fits.size === 1 ? [...fits][0] : undefined;
}

/** Whether every letter of `letters` is in `word`, in the same order. */
function inOrderWithin(letters: string, word: string): boolean {
  let at = 0;
  for (const letter of letters) {
    at = word.indexOf(letter, at) + 1;
    if (at === 0) return false;
  }
  return true;
}

/** `; did you mean 'x'?` or the empty string. */
export function didYouMean(word: string, candidates: readonly string[], aliases?: Readonly<Record<string, string>>): string {
  return askIfMeant(suggest(word, candidates, aliases));
}

/** `; did you mean 'guess'?`, or the empty string for no guess: how every did-you-mean is worded. */
export function askIfMeant(guess: string | undefined): string {
  return guess === undefined ? '' : `; did you mean '${guess}'?`;
}

/** A word as {@link suggest} compares it: lower case, no `_`, `-` or spaces. */
export function normalise(word: string): string {
  return word.toLowerCase().replace(/[-_\s]/g, '');
}

/** Levenshtein distance where swapping two neighbours counts as one edit (`cdm` is 1 from `cmd`). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push(Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, at(i - 2, j - 2) + 1);
      row[j] = distance;
    }
  }
  return at(a.length, b.length);
}
