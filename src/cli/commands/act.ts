import { UsageError, parseControlArgs, type RunLocator } from '../args.js';
import { readConfig } from '../config/index.js';
import { STDIN_CONFIG } from '../config/location.js';
import { request } from '../control/client.js';
import { ControlError } from '../control/errors.js';
import { pm2StartInstead } from '../foreign-commands.js';
import { EXIT, type Ending } from '../exit-status.js';
import { findConfigFile } from './config-file.js';
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
    const instead = command === 'start' ? pm2Start(parsed, error) : undefined;
    throw instead ?? error;
  }
  return { exitCode: EXIT.ok };
}

/**
 * pm2's `start app.js`, when no run or config is found to ask: the answer is pm2's way, not "start
 * one with up". A run that is found says itself which of its processes there are; a config found
 * with no run up says which names are its own (a subvisor.yaml may name a process `server.js`).
 */
function pm2Start(parsed: RunLocator & { readonly names: readonly string[] }, error: unknown): UsageError | undefined {
  const found = !(error instanceof UsageError) && !(error instanceof ControlError && error.code === 'ERR_SUBVISOR_NO_RUN');
  const instead = found ? undefined : pm2StartInstead(parsed.names, configNames(parsed));
  return instead === undefined ? undefined : new UsageError(instead);
}

/** The process names of the config a client command would find its run by; none when there is none, or it cannot be read. */
function configNames(locator: RunLocator): ReadonlySet<string> {
  // A socket names no config; standard input is read once, by up (here it might be a terminal).
  if (locator.socket !== undefined || locator.file === STDIN_CONFIG) return new Set();
  try {
    return new Set(readConfig(findConfigFile(locator.file)).config.processes.map((spec) => spec.name));
  } catch {
    // No config, or one up would refuse too: nothing in it is a name to keep.
    return new Set();
  }
}
