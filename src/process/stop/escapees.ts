import { errnoCode } from '../../errno.js';
import { escapeeMayRun, escapeeRunning, type Escapee } from './group.js';

/**
 * How often a stop looks whether the processes that left the group have gone. Their exits make no
 * event here (they are not our children), and there are few of them: one stat read each a tick.
 */
const POLL_MS = 10;

/**
 * Sends `signal` to `escapee` if it still runs as itself (see {@link escapeeRunning}): a pid reused
 * since it went is someone else's. One that is gone, or may not be signalled (it now runs as
 * another user), is left as it is: the group's own stop does not depend on it.
 */
export function signalEscapee(escapee: Escapee, signal: NodeJS.Signals): void {
  if (!escapeeRunning(escapee)) return;
  try {
    process.kill(escapee.pid, signal);
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'ESRCH' && code !== 'EPERM') throw error;
  }
}

/**
 * Whether a stop waits for `escapee` to be gone: it may still run (see {@link escapeeMayRun}), and
 * the system does not refuse it our signals. One that now runs as another user will not go for
 * anything we send, and is left as it is, as {@link signalEscapee} leaves it: waiting for it would
 * cost the whole grace, and with an infinite one never end.
 */
export function escapeeAwaited(escapee: Escapee): boolean {
  if (!escapeeMayRun(escapee)) return false;
  try {
    process.kill(escapee.pid, 0);
  } catch (error) {
    const code = errnoCode(error);
    return code !== 'EPERM' && code !== 'ESRCH'; // refused, or gone since
  }
  return true;
}

/**
 * Resolves once none of `escapees` is awaited any more (see {@link escapeeAwaited}: one whose stat
 * cannot be read for now is); `cancel` stops looking (the promise then never settles). `onLook` is
 * called at each look after the first, while some still are.
 */
export function untilEscapeesGone(escapees: readonly Escapee[], onLook?: () => void): { readonly promise: Promise<void>; readonly cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    const look = (): void => {
      if (escapees.some(escapeeAwaited)) timer = setTimeout(lookAgain, POLL_MS);
      else resolve();
    };
    const lookAgain = (): void => {
      onLook?.();
      look();
    };
    look();
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
