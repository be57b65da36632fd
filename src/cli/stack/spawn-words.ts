import { SpawnError, shellOnlyReason } from '../../process/errors.js';
import { partsAsWritten, type InterpolatedPart } from '../config/environment/interpolate.js';
import { DETAILS_HIDDEN, valuesShown } from '../config/environment/shown-values.js';
import { whereValuesLead } from '../config/environment/values-lead.js';
import { commandAsWritten, programParts, type InterpolatedCommand } from './shown-command.js';

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
 * So is the cwd, when `cwdParts` (see `ProcessSpec.cwdParts`) says a variable made it. Built from
 * the error's fields, in the command line's words; `error` itself when no variable was read.
 */
export function spawnErrorAsWritten(error: SpawnError, command: InterpolatedCommand, cwdParts?: readonly InterpolatedPart[]): SpawnError {
  if (command.cmdParts === undefined && cwdParts === undefined) return error;
  const cmd = commandAsWritten(command);
  const reason = reasonInOwnWords(error, cmd, programParts(command));
  return rebuilt(error, cmd, cwdParts === undefined ? reason : cwdAsWritten(reason, error, cwdParts, cmd));
}

function inOwnWords(error: SpawnError, cmd: readonly string[] | string, programParts: readonly InterpolatedPart[]): SpawnError {
  return rebuilt(error, cmd, reasonInOwnWords(error, cmd, programParts));
}

function rebuilt(error: SpawnError, cmd: readonly string[] | string, reason: string): SpawnError {
  const { code, cwd, cwdUnusable, shellOnly } = error;
  return new SpawnError(cmd, reason, { code, cwd, cwdUnusable, shellOnly, cause: error.cause });
}

function programOf(cmd: readonly string[] | string): string {
  return typeof cmd === 'string' ? cmd : (cmd[0] ?? '');
}

/** The command's words as the config writes them: they show no value, so a value that is also a piece of one is not taken as shown. */
function configWords(cmd: readonly string[] | string): readonly string[] {
  return typeof cmd === 'string' ? [cmd] : cmd;
}

/**
 * `reason` with the cwd, which a variable made, named as written (`/srv/${TOKEN}`) wherever the
 * library showed its value: the cwd itself, or a path under it (a relative program). A value still
 * there after that (a directory on the way that is closed to the user: part of the cwd only) is
 * not shown at all, as a program's is not (see {@link valuesShown}).
 */
function cwdAsWritten(reason: string, error: SpawnError, cwdParts: readonly InterpolatedPart[], cmd: readonly string[] | string): string {
  const written = partsAsWritten(cwdParts);
  const { cwd } = error;
  const named = valuesShown(reason, cwdParts, { named: cwd === undefined ? [] : [[cwd, written]], configWords: configWords(cmd), ledTo: cwd === undefined ? [] : whereValuesLead(cwd, cwdParts) });
  if (!named.showsValue) return named.text;
  return error.cwdUnusable ? `its cwd, ${written}, could not be used (${error.code}); ${DETAILS_HIDDEN}` : `it could not be run in its cwd, ${written} (${error.code}); ${DETAILS_HIDDEN}`;
}

function reasonInOwnWords(error: SpawnError, cmd: readonly string[] | string, programParts: readonly InterpolatedPart[]): string {
  const program = programOf(cmd);
  if (error.shellOnly !== undefined) return shellOnlyReason(program, error.shellOnly, CLI_SHELL_WAYS);
  // The library's reason may name the program by its path (`no such file: /opt/x`, or where PATH
  // found it): when a variable made that path, it shows the value. One that names no such value
  // (an argument too big, too many open files) is kept: it is what to fix. What is wrong with a
  // cwd is said of the cwd alone.
  if (error.cwdUnusable || !valuesShown(error.reason, programParts, { configWords: configWords(cmd) }).showsValue) return error.reason;
  return `its program, ${program}, could not be run (${error.code}); ${DETAILS_HIDDEN}`;
}
