/** How many times subvisor was continued (SIGCONT) while a watch was on. */
let continued = 0;
/** The watches on; the listener is there only while there is one. */
let watches = 0;

function onContinue(): void {
  continued += 1;
}

/** What {@link watchSuspensions} returns. */
export interface SuspensionWatch {
  /** A mark of now, for {@link suspendedSince}. */
  mark(): number;
  /**
   * Whether subvisor was suspended (Ctrl-Z, SIGSTOP) and continued since `mark`. Its SIGCONT is
   * read from the event loop's poll phase, which may come after the overdue timers that a
   * suspension set off, so this waits for that phase to pass first.
   */
  suspendedSince(mark: number): Promise<boolean>;
  dispose(): void;
}

/**
 * Counts subvisor's suspensions until disposed. A suspension ends with a SIGCONT, which is what
 * tells it apart from an event loop starved past a timeout (lateness alone cannot): the one is
 * no fault of what was being timed, the other may be. One listener for every watch, so a stack
 * of many processes does not pass Node's listener limit.
 */
export function watchSuspensions(): SuspensionWatch {
  if (watches === 0) process.on('SIGCONT', onContinue);
  watches += 1;
  let disposed = false;
  return {
    mark: () => continued,
    suspendedSince: async (mark) => {
      await new Promise((resolve) => setImmediate(resolve));
      return continued !== mark;
    },
    dispose: () => {
      if (disposed) return;
      disposed = true;
      watches -= 1;
      if (watches === 0) process.off('SIGCONT', onContinue);
    },
  };
}
