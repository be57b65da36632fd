import { escapeJsonControls } from '../../log/sinks/ndjson.js';
import { parseControlArgs } from '../args.js';
import { request } from '../control/client.js';
import type { ProcessRow } from '../control/protocol.js';
import { EXIT, type Ending } from '../exit-status.js';
import { shownAsText } from '../../log/sanitize.js';
import { formatDuration } from '../stack/state.js';
import { runSocket } from './run-socket.js';
import { formatTable } from '../table.js';

/** `subvisor ps [--json] [NAME...]`: the run's processes (or those named), as a table or (`--json`) an array of `{ name, state, pid, uptimeMs, restarts }`. */
export async function psCommand(args: readonly string[]): Promise<Ending> {
  const parsed = parseControlArgs('ps', args);
  const answer = await request(runSocket(parsed), { command: 'ps', names: parsed.names });
  const rows = answer?.processes ?? [];
  // A state may repeat a child's words (a liveness probe's last output): shown as text, never raw
  // control sequences a terminal would obey; in JSON, DEL and C1 escaped as `--json` writes them.
  process.stdout.write(parsed.json ? `${escapeJsonControls(JSON.stringify(rows))}\n` : table(rows));
  return { exitCode: EXIT.ok };
}

/** Columns padded to their widest cell; `-` where there is no pid or uptime. */
function table(rows: readonly ProcessRow[]): string {
  const cells = [['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS'], ...rows.map((row) => [shownAsText(row.name), shownAsText(row.state), row.pid === null ? '-' : String(row.pid), row.uptimeMs === null ? '-' : formatDuration(row.uptimeMs), String(row.restarts)])];
  return formatTable(cells);
}
