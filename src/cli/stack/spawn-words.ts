import { SpawnError, shellOnlyReason } from '../../process/errors.js';

/** How a user of the command line has a shell run a command (the library's words name its `shell: true`, which no such user can give). */
const CLI_SHELL_WAYS = "sh -c '...', or in subvisor.yaml a cmd written as one string";

/**
 * What `error`, a command that could not start, says to a user of the command line: its message,
 * but for a command only a shell could run, with the command line's ways to have a shell run it.
 * Said of a process's start and of an `exec` probe's alike.
 */
export function spawnErrorInOwnWords(error: SpawnError): string {
  const { shellOnly } = error;
  if (shellOnly === undefined) return error.message;
  const program = typeof error.cmd === 'string' ? error.cmd : (error.cmd[0] ?? '');
  return new SpawnError(error.cmd, shellOnlyReason(program, shellOnly, CLI_SHELL_WAYS), { code: error.code, cwd: error.cwd, shellOnly }).message;
}
