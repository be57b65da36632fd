import { resolve } from 'node:path';
import { isScalar } from 'yaml';
import { parseSize } from '../size.js';
import { DEFAULT_LOG_DIR, DEFAULT_LOG_KEEP, DEFAULT_LOG_MAX_SIZE_BYTES, type LogFilesSpec } from '../spec.js';
import type { Mutable } from './keys.js';
import { isMapping, key, type At, type KeyTable, type Reader } from './reader.js';
import { amountWritten, describe, spawnable, text, yaml11BooleanHint } from './values.js';

// The top-level `logs` key (SPEC §10): `logs: { dir, maxSize, keep }`, each optional. Only a
// config that has the key gets files: writing to the project's directory is something to ask for.

const EXAMPLE = '`logs: { dir: .subvisor/logs, maxSize: 10MB, keep: 3 }` (each key optional)';

/**
 * `logs`: a mapping (`{}` takes every default), `true` (the same), or `false` (no files, as
 * without the key). Returns false for `false`.
 */
export function logFiles(at: At, reader: Reader): LogFilesSpec | false | undefined {
  if (isScalar(at.node) && typeof at.node.value === 'boolean') return at.node.value && defaults(at, reader);
  if (!isMapping(at.node)) {
    reader.reportAt(at, `expected a mapping, found ${describe(at.node)}${yaml11BooleanHint(at.node)}; e.g. ${EXAMPLE}`);
    return undefined;
  }
  const spec = defaults(at, reader);
  reader.readMapping(at.node, LOG_KEYS, spec, at);
  return spec;
}

function defaults(at: At, reader: Reader): Mutable<LogFilesSpec> {
  const { line = 1, column = 1 } = reader.position(at.keyNode ?? at.node);
  return {
    dir: resolve(reader.baseDir, DEFAULT_LOG_DIR),
    maxSizeBytes: DEFAULT_LOG_MAX_SIZE_BYTES,
    keep: DEFAULT_LOG_KEEP,
    source: { file: reader.file, line, column },
  };
}

const LOG_KEYS: KeyTable<Mutable<LogFilesSpec>> = {
  keys: {
    dir: key(directory, (spec, dir) => (spec.dir = dir), { alsoKnownAs: ['path', 'directory', 'logdir', 'folder'] }),
    maxSize: key(size, (spec, bytes) => (spec.maxSizeBytes = bytes), { alsoKnownAs: ['size', 'maxbytes', 'rotatesize', 'maxfilesize', 'rotate'] }),
    keep: key(keptFiles, (spec, count) => (spec.keep = count), { alsoKnownAs: ['maxfiles', 'files', 'backups', 'rotations', 'count', 'retain'] }),
  },
};

/** `dir`: a path, relative ones from the config file's directory. Not interpolated, like `envFile`. */
function directory(at: At, reader: Reader): string | undefined {
  const dir = text('a directory')(at, reader);
  if (dir === undefined) return undefined;
  if (dir.trim() === '') {
    reader.reportAt(at, 'is empty; give a directory (relative ones are from the config file\'s directory), or remove `dir` for .subvisor/logs');
    return undefined;
  }
  return spawnable(at, dir, reader) === undefined ? undefined : resolve(reader.baseDir, dir);
}

/** `maxSize`: see {@link parseSize}. */
function size(at: At, reader: Reader): number | undefined {
  const amount = amountWritten(at.node);
  if (amount === undefined) {
    reader.reportAt(at, `expected a size like 512KB or 10MB, found ${describe(at.node)}`);
    return undefined;
  }
  try {
    return parseSize(amount.value, amount.written);
  } catch (error) {
    reader.reportAt(at, error instanceof Error ? error.message : String(error), error);
    return undefined;
  }
}

/** `keep`: a whole number of rotated files, 0 included (the full file is then emptied). */
function keptFiles(at: At, reader: Reader): number | undefined {
  const value = isScalar(at.node) ? at.node.value : undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_KEEP) return value;
  reader.reportAt(at, `expected a whole number of rotated files from 0 to ${MAX_KEEP}, found ${describe(at.node)}; e.g. \`keep: 3\``);
  return undefined;
}

/**
 * The most rotated files kept. Each rotation renames every kept file, so the count is paid on
 * every rotation, with the children's output waiting; a thousand is far more history than anyone
 * reads and still a few milliseconds of renames.
 */
const MAX_KEEP = 1000;
