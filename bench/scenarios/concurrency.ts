import { CONTENDER_NAMES, isPeer, type ContenderName } from '../contenders/index.js';
import type { Contender } from '../contenders/contender.js';
import { expectEqual, timeRatioTarget, type Scenario } from '../harness.js';

/**
 * S4: many children at once. 200 `sleep 0.2` started together and all awaited: the floor is
 * 200 ms, anything above it is spawning and bookkeeping that did not overlap. subvisor starts them
 * in a nursery (`startSoon`), the others with `Promise.all`. In process.
 */
export function concurrentSleeps(quick: boolean, contenders: ReadonlyMap<ContenderName, Contender>): Scenario {
  const count = 200;
  return {
    id: 'S4',
    title: `concurrency: ${count} concurrent \`sleep 0.2\``,
    baseline: 'raw',
    rounds: quick ? 5 : 11,
    warmupRounds: quick ? 1 : 2,
    implementations: CONTENDER_NAMES.map((name) => ({
      name,
      peer: isPeer(name),
      run: async () => {
        const contender = contenders.get(name)!; // main.ts loads every contender
        const statuses = await contender.exitStatusesTogether(['sleep', '0.2'], count);
        expectEqual(statuses.filter((status) => status === 0).length, count, `${name}: sleeps that exited 0`);
        return undefined;
      },
    })),
    targets: [timeRatioTarget('subvisor', 'raw', 1)],
  };
}
