import { node } from '../builtins.js';
import { errnoCode } from '../errno.js';
import { noSpaceOn } from './logfiles/no-space.js';

/** O_APPEND, as /proc/self/fdinfo shows the flags: octal, in the kernel's (x86, arm) numbering. */
const O_APPEND_IN_FDINFO = 0o2000;

/**
 * Why the file `fd` is open on (`up > up.log`) could not be written, in words that say what ran
 * out and what gives room again. The error's own words do neither: ENOSPC's "no space left on
 * device" is the same for space and for inodes (the log files' one decision tells them apart:
 * {@link noSpaceOn}), and EFBIG's "file too large" says nothing of the limit (`ulimit -f`) that
 * makes it, nor that emptying a file the shell opened with `>` (not `>>`) gives no room: it is
 * written on at its offset, past the limit still, however small the file is made. Undefined when
 * there is nothing to add to the error's words (EIO, an ENOSPC of /dev/full).
 */
export function whyStdoutFileFailed(fd: number, error: unknown): string | undefined {
  const code = errnoCode(error);
  if (code === 'ENOSPC') {
    const noSpace = noSpaceOn(pathOf(fd) ?? `/proc/self/fd/${fd}`, error);
    return noSpace === undefined ? undefined : `${noSpace.what}; ${noSpace.fix}`;
  }
  if (code !== 'EFBIG') return undefined;
  const limit = fileSizeLimit();
  // No limit of this run's: the largest file its file system allows (FAT's 4 GiB, ext4's 16 TiB).
  // Raising a limit that is not there, as the words for `ulimit -f` would have it, gives no room.
  const { what, raise } =
    limit === 'unlimited'
      ? { what: 'it is as large as its file system allows a file to be (EFBIG; ulimit -f is unlimited)', raise: 'write it on another file system' }
      : { what: `it reached this run's file-size limit (EFBIG; ulimit -f${limit === undefined ? '' : `: ${limit} bytes`})`, raise: `raise the limit (\`prlimit --pid ${process.pid} --fsize=unlimited\`)` };
  if (appends(fd) === false) return `${what}; ${raise}: emptying the file gives no room, as the shell opened it with \`>\`, not \`>>\`, and it is written on past the limit`;
  return `${what}; ${raise}, or empty the file in place`;
}

/** The path the file `fd` is open on, from /proc (Linux); undefined where there is none. */
function pathOf(fd: number): string | undefined {
  try {
    return node.fs.readlinkSync(`/proc/self/fd/${fd}`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

/** Whether `fd` was opened for appending (`>>`); undefined where /proc does not say (not Linux). */
function appends(fd: number): boolean | undefined {
  try {
    const flags = /^flags:\s*([0-7]+)$/m.exec(node.fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags === undefined ? undefined : (Number.parseInt(flags, 8) & O_APPEND_IN_FDINFO) !== 0;
  } catch {
    return undefined;
  }
}

/** This process's soft file-size limit in bytes, from /proc (Linux); undefined when not said. */
function fileSizeLimit(): number | 'unlimited' | undefined {
  try {
    const soft = /^Max file size\s+(\d+|unlimited)\s/m.exec(node.fs.readFileSync('/proc/self/limits', 'utf8'))?.[1];
    return soft === undefined || soft === 'unlimited' ? soft : Number(soft);
  } catch {
    return undefined;
  }
}
