import { CONTENDER_NAMES, isPeer, type ContenderName } from '../contenders/index.js';
import type { Contender } from '../contenders/contender.js';
import { expectEqual, timeRatioTarget, type Scenario } from '../harness.js';

/**
 * S1: the fixed cost of one child. `/bin/true` run to the end, one after the other, each awaited,
 * so nothing but spawning, waiting and the library's own bookkeeping is timed. In process.
 */
export function spawnSequential(quick: boolean, contenders: ReadonlyMap<ContenderName, Contender>): Scenario {
  const count = quick ? 100 : 300;
  return {
    id: 'S1',
    title: `spawn: ${count} sequential /bin/true, each awaited`,
    baseline: 'raw',
    rounds: quick ? 5 : 11,
    warmupRounds: quick ? 1 : 2,
    implementations: CONTENDER_NAMES.map((name) => ({
      name,
      peer: isPeer(name),
      run: async () => {
        const contender = contenders.get(name)!; // main.ts loads every contender
        let succeeded = 0;
        for (let index = 0; index < count; index++) if ((await contender.exitStatus(['/bin/true'])) === 0) succeeded++;
        expectEqual(succeeded, count, `${name}: /bin/true runs that exited 0`);
        return undefined;
      },
    })),
    targets: [timeRatioTarget('subvisor', 'raw', 1.1)],
    notes: quick ? [`quick mode: ${count} spawns per run (the full run: 300)`] : [],
  };
}
