import assert from 'node:assert/strict';

/**
 * Thrown by a scenario that did not get to its case under test: a loaded machine let a bound of the
 * program's own run out first (the 1.5 s the last words wait), so what happened proves nothing
 * either way. See {@link untilReached}.
 */
export class CaseNotReached extends Error {}

/** Throws {@link CaseNotReached} saying `what` unless `reached`. */
export function reachedOr(reached: boolean, what: string): void {
  if (!reached) throw new CaseNotReached(what);
}

/**
 * Runs `scenario` (which cleans up after itself) until one attempt reaches its case, at most
 * `attempts` times. A test that must prove its case fails when none does; one slow moment of a
 * loaded CI machine does not. Any other failure fails at once: it reached the case and saw it wrong.
 */
export async function untilReached(attempts: number, scenario: () => Promise<void>): Promise<void> {
  const missed: string[] = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await scenario();
      return;
    } catch (error) {
      if (!(error instanceof CaseNotReached)) throw error;
      missed.push(`attempt ${attempt}: ${error.message}`);
      console.error(`# the case under test not reached, ${attempt < attempts ? 'running it again' : 'no attempt left'}: ${error.message}`);
    }
  }
  assert.fail(`no attempt reached the case under test:\n${missed.join('\n')}`);
}
