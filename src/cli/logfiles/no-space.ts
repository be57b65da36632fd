import type { StatsFs } from 'node:fs';
import { dirname } from 'node:path';
import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';

/** What ran out on a file's file system, in words, and what to do about it there. */
export interface NoSpace {
  readonly what: string;
  /** What to do on that file system; a caller with somewhere else to write adds it (`logs`' `dir`). */
  readonly fix: string;
}

/**
 * What ran out when making or writing `path` failed with ENOSPC, as its file system says now:
 * its inodes, or its space. ENOSPC's own words, "no space left on device", are the same for both,
 * and out of inodes (many small files) no file can be made, a new log file or a rotation's, while
 * `df -h` shows space to spare. Undefined for another error, and for an ENOSPC where neither ran
 * out (/dev/full, space freed since): its own words are then all there is to say.
 */
export function noSpaceOn(path: string, error: unknown): NoSpace | undefined {
  if (errnoCode(error) !== 'ENOSPC') return undefined;
  const found = fileSystemOf(path);
  if (found === undefined) return undefined;
  const { where, stats } = found;
  // `files` is 0 where a file system has no fixed number of inodes (btrfs): none can run out.
  if (stats.files > 0 && stats.ffree === 0) {
    return {
      what: `its file system has no inodes left, so no file can be made there however much space is free (ENOSPC; \`df -i ${where}\` shows them)`,
      fix: 'remove files on it',
    };
  }
  // Root may write the blocks kept back for it, so only the last of them is full for root.
  const free = process.geteuid?.() === 0 ? stats.bfree : stats.bavail;
  if (free === 0) return { what: `its file system is full (ENOSPC; \`df -h ${where}\` shows it)`, fix: 'free space on it' };
  return undefined;
}

/** The file system `path` is on (through a link, as a write goes), asked of it or, when it is not there (a file not made), of the nearest directory above it that is. */
function fileSystemOf(path: string): { readonly where: string; readonly stats: StatsFs } | undefined {
  for (let where = path; ; where = dirname(where)) {
    try {
      return { where, stats: node.fs.statfsSync(where) };
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' || dirname(where) === where) return undefined;
    }
  }
}
