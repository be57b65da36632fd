import { quoteCommand } from '../../process/command.js';
import type { InterpolatedPart } from '../config/environment/interpolate.js';
import type { ProcessSpec } from '../config/spec.js';

/**
 * A process's command as its state line shows it: quoted as a shell would need it, with each
 * variable's value named as the config writes it (`echo ${API_TOKEN}`), not shown. The value may be
 * a secret from `.env`, and state lines end up in collected logs (`--json`, journald, CI output),
 * where the config's own text is no news; systemd's `systemctl status` shows `ExecStart=` with its
 * `${NAME}` unexpanded the same way, and `docker compose up` shows no command at all.
 */
export function shownCommand(spec: Pick<ProcessSpec, 'cmd' | 'cmdParts'>): string {
  const { cmd, cmdParts } = spec;
  if (cmdParts === undefined) return quoteCommand(cmd);
  const words = cmdParts.map(named);
  return quoteCommand(typeof cmd === 'string' ? (words[0] ?? '') : words);
}

function named(parts: readonly InterpolatedPart[]): string {
  return parts.map((part) => (typeof part === 'string' ? part : `\${${part.name}}`)).join('');
}
