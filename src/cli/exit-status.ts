import { constants } from 'node:os';
import { TooSlowError } from '../core/errors.js';
import { CalledProcessError, SpawnError } from '../process/errors.js';

/** Exit statuses with a meaning shells already give them. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  timeout: 124, // coreutils timeout(1)
  cannotExecute: 126,
  notFound: 127,
} as const;

/** 128 + N for a signal N: what a shell reports for a process killed by that signal. */
export function signalStatus(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

/** The status the CLI exits with when a process failed with `error`. */
export function statusOfFailure(error: unknown): number {
  if (error instanceof CalledProcessError) {
    if (error.signal !== null) return signalStatus(error.signal);
    return error.returncode > 0 ? Math.min(error.returncode, 255) : EXIT.failure;
  }
  if (error instanceof SpawnError) return error.code === 'ENOENT' ? EXIT.notFound : error.code === 'EACCES' ? EXIT.cannotExecute : EXIT.failure;
  if (error instanceof TooSlowError) return EXIT.timeout;
  return EXIT.failure;
}
