import { relative } from 'node:path';
import { escapeRegExp } from '../regexp.js';
import { partsAsWritten, type InterpolatedPart } from './interpolate.js';

/** Said instead of a text's details that would show a variable's value (a .env secret). */
export const DETAILS_HIDDEN = 'the details would show the value of the variable it holds, so they are not shown: check that value';

/** A text with what variables made named as the config writes it, and whether a value still shows in it. */
export interface ValuesShown {
  readonly text: string;
  /** Whether a piece of a variable's value is still in `text` (see {@link valuesShown}): then its details are not to be given. */
  readonly showsValue: boolean;
}

/** What {@link valuesShown} knows of a text besides the variables. */
export interface KnownWords {
  /**
   * What the text may say that variables made, each with how the config writes it: a cwd and
   * `/srv/${TOKEN}`, a host and `${API_HOST}`. Default none.
   */
  readonly named?: readonly (readonly [said: string, written: string])[];
  /**
   * Words the config wrote as they are, a command's: they show no value, even where a value is
   * also a piece of one (`SERVICE=api` and `./run-api.sh`). Default none.
   */
  readonly configWords?: readonly string[];
  /**
   * The directories a path the variables made leads to through a symlink, beyond the config's own
   * words (see `whereValuesLead`): each shows a value where the text names it, as a directory on the
   * value's way does, since the value chose the link, and its target may be named by a piece of
   * it (`/data/s3cr3t` of `/srv/${V}`, V=x/s3cr3t and `/srv/x/s3cr3t` a link to it). Default none.
   */
  readonly ledTo?: readonly string[];
}

/**
 * `text`, something the system or the library said of what the variables of `parts` made, with
 * each of `known.named` named as the config writes it where the text names the whole of it (not
 * `e` in `timed out`), and whether a value still shows in it: the one rule for all that subvisor
 * says of such things, since a value may be a secret from `.env`.
 *
 * A value shows when it, or a directory it leads through (`/srv/a` of `/srv/a/b`, `a` of `a/b`),
 * is anywhere in the text but the config's own words: the written form of `parts` wherever it is
 * (`/srv/${S}`, whose `/srv/` is no value though `S=srv`), and `known.configWords` where one is a
 * whole blank-separated word (`run`, not the `run` of `/srv/run`). The
 * directories, because a message names the one on the way that is closed; not every piece, which
 * would take `app` of `/home/me/app` for a secret in `${APP_DIR}/app/src`. Anywhere, because a
 * secret is no less shown inside a longer name: a short value (`TOKEN=a`) may hide more than it
 * must, and the caller says that the details are hidden and why, better than a secret shown.
 *
 * @example
 * ```ts
 * const parts = ['/srv/', { name: 'S', value: 'a/b' }];
 * valuesShown('the cwd /srv/a/b does not exist', parts, { named: [['/srv/a/b', '/srv/${S}']] });
 * // { text: 'the cwd /srv/${S} does not exist', showsValue: false }
 * valuesShown('may not enter /srv/a/b: /srv/a is drwx------', parts, { named: [['/srv/a/b', '/srv/${S}']] }).showsValue; // true
 * ```
 */
export function valuesShown(text: string, parts: readonly InterpolatedPart[], known: KnownWords = {}): ValuesShown {
  const named = namedAsWritten(text, known.named ?? []);
  return { text: named, showsValue: showsValue(named, parts, known.configWords ?? [], known.ledTo ?? []) };
}

/**
 * `path` named from a directory a variable made (`dirParts`, which made `dir`) as the config writes
 * it: `${APP_DIR}/src/../x`, never by the value (a .env secret) in `dir`.
 */
export function pathFromWrittenDirectory(path: string, dir: string, dirParts: readonly InterpolatedPart[]): string {
  const under = relative(dir, path);
  return under === '' ? partsAsWritten(dirParts) : `${partsAsWritten(dirParts)}/${under}`;
}

/** `text` with each `said` of `named` replaced by its `written` in one pass: a written form is never searched again. */
function namedAsWritten(text: string, named: readonly (readonly [said: string, written: string])[]): string {
  const wanted = named.filter(([said]) => said !== '');
  if (wanted.length === 0) return text;
  const writtenOf = new Map(wanted.map(([said, written]) => [said, written]));
  // Longest first: a target is named whole before the host in it.
  const saids = [...writtenOf.keys()].sort((a, b) => b.length - a.length);
  return text.replace(wholeNames(saids), (said) => writtenOf.get(said) ?? said);
}

/**
 * Each of `names` where a text names it whole: nothing of a name before it, nor after it but a
 * `/PATH`, a `:PORT` or the end of a sentence (`a` is not named in `getaddrinfo`, nor `/srv/a` in
 * `/srv/ab`).
 */
function wholeNames(names: readonly string[]): RegExp {
  return new RegExp(`(?<![\\w.:-])(?:${names.map(escapeRegExp).join('|')})(?![\\w-]|\\.\\w)`, 'g');
}

function showsValue(text: string, parts: readonly InterpolatedPart[], configWords: readonly string[], ledTo: readonly string[]): boolean {
  const values = parts.flatMap((part) => (typeof part === 'string' || part.value === '' ? [] : [part.value, ...directoriesOnTheWay(part.value)]));
  const pieces = [...values, ...ledTo.filter((directory) => directory !== '')];
  if (pieces.length === 0) return false;
  // A blank where the config's words were, so that no piece is made across them. Words are
  // compared, not made a pattern: an argument may be 128 KiB, too large for a RegExp.
  const spared = new Set(configWords);
  const left = text
    .replaceAll(partsAsWritten(parts), ' ')
    .split(/(\s+)/)
    .map((word) => (spared.has(word) ? ' ' : word))
    .join('');
  return pieces.some((piece) => left.includes(piece));
}

/**
 * The directories `value`, a path, leads through: `/srv` and `/srv/a` of `/srv/a/b`; none of a
 * value with no `/` in it but at its ends, nor of a URL, whose first pieces (`http:`) are in every
 * other URL: its host is named by its own rule (cli/stack/probe-target-words.ts).
 */
function directoriesOnTheWay(value: string): string[] {
  if (value.includes('://')) return [];
  const directories: string[] = [];
  for (let slash = value.indexOf('/', 1); slash > 0; slash = value.indexOf('/', slash + 1)) {
    if (value.slice(0, slash).replaceAll('/', '') !== '') directories.push(value.slice(0, slash));
  }
  return directories;
}
