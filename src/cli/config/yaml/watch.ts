import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { isScalar, isSeq } from 'yaml';
import { DEFAULT_WATCH_DEBOUNCE_MS } from '../spec.js';
import type { Mutable, ProcessDraft } from './keys.js';
import { isMapping, key, type At, type KeyEntry, type KeyTable, type Reader } from './reader.js';
import { describe, duration, oneOrMany, spawnable } from './values.js';
import { node } from '../../../builtins.js';
import { errnoCode } from '../../../errno.js';
import { partsAsWritten } from '../environment/interpolate.js';
import { DETAILS_HIDDEN, pathFromWrittenDirectory, valuesShown } from '../environment/shown-values.js';

// `watch` (SPEC §10): `watch: [src]`, `watch: src`, or `watch: { paths, ignore, debounce }`. The
// paths are relative to the process's cwd, which may be written after `watch` (or not at all: the
// config's directory), so they are resolved and checked once every process is read (`across`).

/** A path of `watch` as written, with its place, until the cwd it is relative to is known. */
interface WrittenPath {
  readonly value: string;
  readonly at: At;
}

/** What `watch` said, before its paths are resolved. */
export interface WatchDraft {
  readonly paths: readonly WrittenPath[];
  readonly ignore: readonly string[];
  readonly debounceMs: number;
}

const SHAPE = 'a path, a list of paths, or a mapping like `{ paths: [src], ignore: ["**/*.test.ts"], debounce: 200ms }`';
const PATHS = 'a path or a list of paths (relative ones are from the process\'s cwd)';

/** The `watch` entry of the process keys. */
export const WATCH_KEY: KeyEntry<ProcessDraft> = {
  read: (at, draft, reader) => {
    const watch = readWatch(at, reader);
    if (watch !== undefined) draft.watch = watch;
  },
  alsoKnownAs: ['watchpaths', 'reload', 'autoreload', 'livereload', 'onchange'],
  across: resolvePaths,
};

function readWatch(at: At, reader: Reader): WatchDraft | undefined {
  if (isMapping(at.node)) {
    const draft: Partial<Mutable<WatchDraft>> = {};
    reader.readMapping(at.node, WATCH_KEYS, draft, at);
    if (draft.paths === undefined) return undefined;
    return { paths: draft.paths, ignore: draft.ignore ?? [], debounceMs: draft.debounceMs ?? DEFAULT_WATCH_DEBOUNCE_MS };
  }
  if (isScalar(at.node) && typeof at.node.value === 'boolean') {
    reader.reportAt(at, `expected ${SHAPE}, found ${describe(at.node)}; name what to watch, e.g. \`watch: [src]\``);
    return undefined;
  }
  const paths = writtenPaths(at, reader);
  return paths === undefined ? undefined : { paths, ignore: [], debounceMs: DEFAULT_WATCH_DEBOUNCE_MS };
}

/** The keys of `watch: { ... }`. */
const WATCH_KEYS: KeyTable<Partial<Mutable<WatchDraft>>> = {
  keys: {
    paths: key(writtenPaths, (draft, paths) => (draft.paths = paths), {
      required: 'missing `paths`; add what to watch, e.g. `paths: [src]` (relative to the process\'s cwd)',
      alsoKnownAs: ['path', 'dirs', 'include', 'files', 'watch'],
    }),
    ignore: key(ignoreGlobs, (draft, globs) => (draft.ignore = globs), { alsoKnownAs: ['exclude', 'ignored', 'ignores', 'skip'] }),
    debounce: key(duration, (draft, ms) => (draft.debounceMs = ms), { alsoKnownAs: ['delay', 'wait', 'debouncems', 'quiet'] }),
  },
};

/** One path or a list of them, none empty, the list not empty. */
function writtenPaths(at: At, reader: Reader): WrittenPath[] | undefined {
  if (isSeq(at.node) && at.node.items.length === 0) {
    reader.reportAt(at, `is an empty list; give ${PATHS}, or remove \`watch\``);
    return undefined;
  }
  const items = oneOrMany(at, reader, PATHS);
  if (items === undefined) return undefined;
  const paths: WrittenPath[] = [];
  for (const item of items) {
    if (item.value.trim() === '') reader.reportAt(item.at, `is empty; give ${PATHS}`);
    else if (spawnable(item.at, item.value, reader) !== undefined) paths.push(item);
  }
  return paths.length === items.length ? paths : undefined;
}

/** `ignore`: one glob or a list of them, none empty. Any text is a glob (see src/cli/watch/glob.ts): none is malformed. */
function ignoreGlobs(at: At, reader: Reader): string[] | undefined {
  const items = oneOrMany(at, reader, 'a glob or a list of globs, like `"**/*.test.ts"`');
  if (items === undefined) return undefined;
  const empty = items.filter((item) => item.value.trim() === '');
  for (const item of empty) reader.reportAt(item.at, 'is an empty glob; give a pattern like `"*.log"` or `"dist/**"`, or remove it');
  return empty.length === 0 ? items.map((item) => item.value) : undefined;
}

/**
 * Resolves every process's watch paths against its cwd, now that it is known, into its spec. A
 * path that does not exist yet is watched for (a build's `dist`, made after the run starts; as
 * Compose's watcher does, through its nearest existing ancestor) and said as a warning at its
 * place: a typo would otherwise watch nothing, silently, and the process would simply never
 * restart. One that cannot be (under a file, a directory we may not search) is a config error.
 */
function resolvePaths(drafts: readonly ProcessDraft[], reader: Reader): void {
  for (const draft of drafts) {
    const { watch } = draft;
    if (watch === undefined) continue;
    const cwd = draft.spec.cwd ?? reader.baseDir;
    // A cwd a variable made is named as written (`${APP_DIR}`), and so is a path from it: its value may be a secret from `.env`.
    const { cwdParts } = draft.spec;
    const cwdShown = cwdParts === undefined ? cwd : partsAsWritten(cwdParts);
    const say = (path: string): string => (cwdParts === undefined ? shown(path, cwd) : pathFromWrittenDirectory(path, cwd, cwdParts));
    const sayError = (message: string, path: string): string => {
      if (cwdParts === undefined) return message.replaceAll(path, say(path));
      const named = valuesShown(message, cwdParts, { named: [[path, say(path)]] });
      return named.showsValue ? DETAILS_HIDDEN : named.text;
    };
    const paths: string[] = [];
    for (const written of watch.paths) {
      const path = resolve(cwd, written.value);
      const problem = unwatchable(path, say, sayError);
      const named = cwdParts === undefined ? shown(path, cwd) : written.value;
      const whereFrom = `relative paths are from the process's cwd, ${cwdShown}`;
      if (problem === NOT_YET) reader.warnAt(written.at, `${named} does not exist yet; it is watched for, and restarts the process once it appears (if the path is a typo, fix it; ${whereFrom})`);
      if (problem === undefined || problem === NOT_YET) paths.push(path);
      else reader.reportAt(written.at, `cannot watch ${named}: ${problem}; fix the path (${whereFrom})`);
    }
    if (paths.length === watch.paths.length) draft.spec.watch = { paths, ignore: watch.ignore, debounceMs: watch.debounceMs };
  }
}

/** What {@link unwatchable} says of a path that is not there yet, but may be made. */
const NOT_YET = 'not yet';

/**
 * Why `path` cannot be watched, {@link NOT_YET} when nothing is there yet, or undefined when it can;
 * paths named by `say`, and the system's message by `sayError` (which hides it if it would show a
 * value).
 */
function unwatchable(path: string, say: (path: string) => string, sayError: (message: string, path: string) => string): string | undefined {
  try {
    node.fs.statSync(path);
    return undefined;
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return NOT_YET;
    if (code === 'ENOTDIR') return `${say(fileOnTheWay(path))} is not a directory`;
    return error instanceof Error ? sayError(error.message, path) : String(error);
  }
}

/** The nearest of `path`'s ancestors that is there: a file, when stat said ENOTDIR. */
function fileOnTheWay(path: string): string {
  let at = dirname(path);
  while (dirname(at) !== at && !node.fs.existsSync(at)) at = dirname(at);
  return at;
}

/** The path as the user wrote it when it is under the cwd, else absolute. */
function shown(path: string, cwd: string): string {
  const under = relative(cwd, path);
  return under === '' ? '.' : under.startsWith('..') || isAbsolute(under) ? path : under;
}
