import { openNursery } from 'subvisor';
import { expectEqual, type Scenario } from '../harness.js';

/** S7: what a nursery costs over `Promise.all` for many trivial tasks. */
export function nurseryOverhead(quick: boolean): Scenario {
  const taskCount = 100_000;
  let finished = 0;
  const trivial = async (): Promise<void> => {
    finished++;
  };
  const tasks = Array.from({ length: taskCount }, () => trivial);
  return {
    id: 'S7',
    title: `nursery overhead: ${taskCount} trivial tasks`,
    baseline: 'Promise.all',
    rounds: quick ? 7 : 21,
    warmupRounds: 3,
    implementations: [
      {
        name: 'Promise.all',
        run: async () => {
          finished = 0;
          await Promise.all(tasks.map((task) => task()));
          expectEqual(finished, taskCount, 'tasks finished under Promise.all');
          return undefined;
        },
      },
      {
        name: 'subvisor openNursery',
        run: async () => {
          finished = 0;
          await openNursery(async (tn) => {
            for (const task of tasks) tn.startSoon(task);
          });
          expectEqual(finished, taskCount, 'tasks finished under openNursery');
          return undefined;
        },
      },
    ],
  };
}
