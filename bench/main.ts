// `npm run bench [-- --quick] [-- --only S7,S1]`: every scenario side by side, ratios to a baseline.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { formatResults, runScenario, type Scenario } from './harness.js';
import { nurseryOverhead } from './scenarios/nursery-overhead.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const quick = values.quick;
const wanted = values.only?.split(',').map((id) => id.trim().toUpperCase());

const scenarios: (() => Scenario)[] = [() => nurseryOverhead(quick)];

console.log(`subvisor bench — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}${quick ? ', quick' : ''}`);
for (const make of scenarios) {
  const scenario = make();
  if (wanted && !wanted.includes(scenario.id)) continue;
  const results = await runScenario(scenario);
  console.log(`\n${formatResults(scenario, results)}`);
}
