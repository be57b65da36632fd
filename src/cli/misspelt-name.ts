import { askIfMeant, normalise, suggest } from '../process/suggest.js';

/**
 * The process name `word` is likely a slip of, among `names` (`wrker`: `worker`; `wbe`: `web`), as
 * did-you-mean finds one, or undefined. Did-you-mean also takes a word that begins with a whole
 * candidate (`readiness` for `ready`), right for keys; but a word going on for more than a letter
 * past a process's name is a program's name or another thing's (`webpack` for `web`,
 * `redis-server` for `redis`), not a slip of it: such names are left out before asking, so a word
 * gone on past `web` is never taken for it, and a slip of a longer name still is (`api-gatewy`:
 * `api-gateway`, where `api` is a name too).
 */
export function meantName(word: string, names: Iterable<string>): string | undefined {
  const wanted = normalise(word);
  const goneOnPast = (name: string): boolean => wanted.startsWith(normalise(name)) && wanted.length > normalise(name).length + 1;
  return suggest(word, [...names].filter((name) => !goneOnPast(name)));
}

/** `; did you mean 'x'?` with {@link meantName}'s guess, or the empty string. */
export function didYouMeanName(word: string, names: Iterable<string>): string {
  return askIfMeant(meantName(word, names));
}
