import { quoteCommand } from '../../process/command.js';
import { partsAsWritten, type InterpolatedPart } from '../config/environment/interpolate.js';
import type { ProcessSpec } from '../config/spec.js';

/** A command and the pieces interpolation made it of: a process's, or an `exec` probe's. */
export type InterpolatedCommand = Pick<ProcessSpec, 'cmd' | 'cmdParts'>;

/**
 * A process's command as its state line shows it: quoted as a shell would need it, with each
 * variable's value named as the config writes it (`echo ${API_TOKEN}`), not shown. The value may be
 * a secret from `.env`, and state lines end up in collected logs (`--json`, journald, CI output),
 * where the config's own text is no news; systemd's `systemctl status` shows `ExecStart=` with its
 * `${NAME}` unexpanded the same way, and `docker compose up` shows no command at all.
 */
export function shownCommand(spec: InterpolatedCommand): string {
  return quoteCommand(commandAsWritten(spec));
}

/** {@link shownCommand}'s words before they are quoted: the argv, or the shell's string, each variable named. */
export function commandAsWritten(spec: InterpolatedCommand): readonly string[] | string {
  const { cmd, cmdParts } = spec;
  if (cmdParts === undefined) return cmd;
  const words = cmdParts.map(partsAsWritten);
  return typeof cmd === 'string' ? (words[0] ?? '') : words;
}

/** What interpolation made the program of an argv (its first word) of: its variables' values are what names of the program may show. */
export function programParts(spec: InterpolatedCommand): readonly InterpolatedPart[] {
  return typeof spec.cmd === 'string' ? [] : (spec.cmdParts?.[0] ?? []);
}
