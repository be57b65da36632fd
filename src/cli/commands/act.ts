import { parseControlArgs } from '../args.js';
import { request } from '../control/client.js';
import { EXIT, type Ending } from '../exit-status.js';
import { runSocket } from './run-socket.js';

/**
 * `subvisor stop|start|restart NAME...`: asks the run and returns once it has done it (stopped;
 * started or restarted and ready). The run's own output says what happens on the way.
 */
export async function actCommand(command: 'stop' | 'start' | 'restart', args: readonly string[]): Promise<Ending> {
  const parsed = parseControlArgs(command, args);
  await request(runSocket(parsed), { command, names: parsed.names });
  return { exitCode: EXIT.ok };
}
