import { messageOf, type Implementation } from '../harness.js';
import { runIsolated, type Job, type JobCheck } from '../isolated.js';

/**
 * An implementation whose every run is a process of its own (runner.ts): its peak RSS is its own,
 * and its time is the job alone, measured inside that process. `verify` compares what the job
 * delivered with what the input holds and throws on any difference.
 */
export function isolatedRun(name: string, job: Job, timeoutMs: number, verify: (check: JobCheck) => void, peer = false): Implementation {
  return {
    name,
    peer,
    run: async () => {
      const { ms, maxRssBytes, check } = await runIsolated(job, timeoutMs);
      try {
        verify(check);
      } catch (error) {
        return { timeMs: ms, peakRssBytes: maxRssBytes, failedCheck: messageOf(error) };
      }
      return { timeMs: ms, peakRssBytes: maxRssBytes };
    },
  };
}
