import { dirname, join, relative } from 'node:path';
import { request } from './client.js';
import { ControlError } from './errors.js';
import type { ProcessRow } from './protocol.js';
import { quoteCommand } from '../../process/command.js';
import { parentOf } from '../../process/stop/proc-stat.js';
import { ancestorHoldsSocket } from './socket-holders.js';

/**
 * The refusal of an `up` whose control socket is held by the run it runs inside (a process of
 * that run is this process, or an ancestor: `sh -c`, `npx`, `npm run` between them), or undefined
 * when the run holding it is another (`refused` then stands). Why. `cmd: subvisor up -f
 * inner.yaml` beside the outer config is the plain way to nest one stack in another, and both
 * configs have the same default socket; told only that "another run is already up", and to stop
 * it, the user looks for a run in another terminal that is not there. The run holding the socket
 * says which of its processes it started; this walks up from here to find one of them. It is
 * asked only when an ancestor of this process holds the socket (see ancestorHoldsSocket).
 *
 * @param socketPath - The socket this run was refused (absolute).
 * @param refused - The refusal as it stands, kept as the cause.
 */
export async function nestedRefusal(socketPath: string, refused: ControlError): Promise<ControlError | undefined> {
  const around = await enclosingProcess(socketPath);
  if (around === undefined) return undefined;
  // Beside the socket both share, named after that process: what is typed from here.
  const own = relative(process.cwd(), join(dirname(socketPath), `${around.name}.sock`));
  const typed = quoteCommand(['subvisor', ...process.argv.slice(2), '--socket', own]);
  return new ControlError(
    `this up runs inside the run listening on ${socketPath}, as its process ${around.name}, and every config in one directory has the same control socket by default: give this one its own, in ${around.name}'s command: ${typed}`,
    refused.code,
    { cause: refused },
  );
}

/** The process of the run at `socketPath` that this process runs under; undefined when none is, or the run cannot be asked. */
async function enclosingProcess(socketPath: string): Promise<ProcessRow | undefined> {
  const ancestors = ancestorPids();
  if (ancestorHoldsSocket(socketPath, ancestors) === false) return undefined;
  let rows: readonly ProcessRow[];
  try {
    rows = (await request(socketPath, { command: 'ps', names: [] }))?.processes ?? [];
  } catch {
    return undefined; // gone meanwhile, or not answering: the refusal as it stands says enough
  }
  return rows.find((row) => row.pid !== null && ancestors.has(row.pid));
}

/**
 * This process (a `cmd` given as argv is this very process), its parent, its parent's, and so on
 * to init (excluded); only the first two without /proc.
 */
function ancestorPids(): Set<number> {
  const ancestors = new Set([process.pid]);
  for (let pid = process.ppid; pid > 1 && !ancestors.has(pid); pid = parentOf(pid) ?? 0) ancestors.add(pid);
  return ancestors;
}
