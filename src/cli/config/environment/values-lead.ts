import { dirname, sep } from 'node:path';
import { canonicalPathOf, physicalPathOf } from '../../../process/stat.js';
import type { InterpolatedPart } from './interpolate.js';

/**
 * The directories `path`, which `parts` made, leads to through symlinks that are not the config's
 * own: each directory on the way to where it resolves (realpath) that is not on the way to the
 * directory the config's words lead to before the first variable (`/srv` of `/srv/${V}`,
 * resolved too). For `KnownWords.ledTo` (./shown-values.ts): a message about the resolved path (a directory
 * closed to a user, met on the link's target) names one of them, and the value chose the link,
 * so any of them may hold a piece of it. None when no variable made `path`, or nothing resolves.
 *
 * @example
 * ```ts
 * // V=x/s3cr3t, /srv/x/s3cr3t a link to /data/s3cr3t/app
 * whereValuesLead('/srv/x/s3cr3t', ['/srv/', { name: 'V', value: 'x/s3cr3t' }]);
 * // ['/data', '/data/s3cr3t', '/data/s3cr3t/app']
 * ```
 */
export function whereValuesLead(path: string, parts: readonly InterpolatedPart[]): string[] {
  const first = parts.findIndex((part) => typeof part !== 'string');
  if (first === -1) return [];
  const own = ownDirectory(parts.slice(0, first).filter((part): part is string => typeof part === 'string').join(''));
  const ownWay = own === undefined ? new Set<string>() : new Set(directoriesTo(canonicalPathOf(own) ?? own));
  // Both ways a link is read: the kernel's (a `..` after a link is its target's parent) and Node's.
  const targets = new Set([physicalPathOf(path), canonicalPathOf(path)]);
  const led = new Set<string>();
  for (const target of targets) {
    if (target === undefined) continue;
    // `/` holds no value, and is in every path a message names.
    for (const directory of directoriesTo(target)) if (directory !== sep && !ownWay.has(directory)) led.add(directory);
  }
  return [...led];
}

/** The directory `written`, the config's words before the first variable, names whole: `/srv` of `/srv/` and of `/srv/app-`; undefined for none (a path that starts with a variable). */
function ownDirectory(written: string): string | undefined {
  if (!written.startsWith(sep)) return undefined;
  return written.endsWith(sep) ? written.slice(0, -1) || sep : dirname(written);
}

/** `/a/b/c` → `/`, `/a`, `/a/b`, `/a/b/c`. */
function directoriesTo(path: string): string[] {
  const found: string[] = [];
  for (let directory = path; ; directory = dirname(directory)) {
    found.unshift(directory);
    if (directory === dirname(directory)) return found;
  }
}
