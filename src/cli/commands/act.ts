import { UsageError, parseControlArgs } from '../args.js';
import { request } from '../control/client.js';
import { ControlError } from '../control/errors.js';
import { pm2StartInstead } from '../foreign-commands.js';
import { EXIT, type Ending } from '../exit-status.js';
import { runSocket } from './run-socket.js';

/**
 * `subvisor stop|start|restart NAME...`: asks the run and returns once it has done it (stopped;
 * started or restarted and ready). The run's own output says what happens on the way.
 */
export async function actCommand(command: 'stop' | 'start' | 'restart', args: readonly string[]): Promise<Ending> {
  const parsed = parseControlArgs(command, args);
  try {
    await request(runSocket(parsed), { command, names: parsed.names });
  } catch (error) {
    const instead = command === 'start' ? pm2Start(parsed.names, error) : undefined;
    throw instead ?? error;
  }
  return { exitCode: EXIT.ok };
}

/**
 * pm2's `start app.js`, when no run or config is found to ask: the answer is pm2's way, not "start
 * one with up". A run that is found says itself which of its processes there are.
 */
function pm2Start(names: readonly string[], error: unknown): UsageError | undefined {
  const found = !(error instanceof UsageError) && !(error instanceof ControlError && error.code === 'ERR_SUBVISOR_NO_RUN');
  const instead = found ? undefined : pm2StartInstead(names);
  return instead === undefined ? undefined : new UsageError(instead);
}
