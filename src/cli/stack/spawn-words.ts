import { SpawnError, shellOnlyReason } from '../../process/errors.js';
import { commandAsWritten, programVariableValues, type InterpolatedCommand } from './shown-command.js';

/** How a user of the command line has a shell run a command (the library's words name its `shell: true`, which no such user can give). */
const CLI_SHELL_WAYS = "sh -c '...', or in subvisor.yaml a cmd written as one string";

/**
 * What `error`, a command that could not start, says to a user of the command line: its message,
 * but for a command only a shell could run, with the command line's ways to have a shell run it.
 * Said of a process's start and of an `exec` probe's alike.
 */
export function spawnErrorInOwnWords(error: SpawnError): string {
  return error.shellOnly === undefined ? error.message : inOwnWords(error, error.cmd, []).message;
}

/**
 * `error`, the start of `command` that failed, naming the command as the config writes it: each
 * variable as `${NAME}` (see ./shown-command.ts), so that a value from `.env` (a token given as an
 * argument) is no more in the failure's lines, the report or `--json` than in the starting line.
 * Built from the error's fields, in the command line's words; `error` itself when no variable was read.
 */
export function spawnErrorAsWritten(error: SpawnError, command: InterpolatedCommand): SpawnError {
  if (command.cmdParts === undefined) return error;
  return inOwnWords(error, commandAsWritten(command), programVariableValues(command));
}

function inOwnWords(error: SpawnError, cmd: readonly string[] | string, programValues: readonly string[]): SpawnError {
  const { code, cwd, cwdUnusable, shellOnly } = error;
  const program = typeof cmd === 'string' ? cmd : (cmd[0] ?? '');
  return new SpawnError(cmd, reasonInOwnWords(error, program, programValues), { code, cwd, cwdUnusable, shellOnly, cause: error.cause });
}

function reasonInOwnWords(error: SpawnError, program: string, programValues: readonly string[]): string {
  if (error.shellOnly !== undefined) return shellOnlyReason(program, error.shellOnly, CLI_SHELL_WAYS);
  // The library's reason may name the program by its path (`no such file: /opt/x`, or where PATH
  // found it): when a variable made that path, it shows the value. One that names no such value
  // (an argument too big, too many open files) is kept: it is what to fix. What is wrong with a
  // cwd is said of the cwd alone.
  const showsValue = programValues.some((value) => value !== '' && error.reason.includes(value));
  if (!showsValue || error.cwdUnusable) return error.reason;
  return `its program, ${program}, could not be run (${error.code}); the details would show the value of the variable it holds, so they are not shown: check that value`;
}
