// The side-by-side benchmark machinery: every implementation of a scenario runs in the same
// rounds, interleaved, so that a noisy shared machine slows all of them alike; ratios are taken
// pair by pair (round i of an implementation against round i of the baseline) and summarised by
// their median, which a single hiccup cannot move.

/** One contender in a scenario. `run` does the whole measured job and checks its own result. */
export interface Implementation {
  readonly name: string;
  run(): Promise<Measurement | undefined>;
}

/** Extra figures a run may report beside its wall time (e.g. peak RSS of a child, in bytes). */
export interface Measurement {
  readonly peakRssBytes?: number;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** The name of the implementation the others are compared against. */
  readonly baseline: string;
  readonly implementations: readonly Implementation[];
  readonly rounds: number;
  readonly warmupRounds: number;
}

export interface Result {
  readonly name: string;
  readonly timesMs: number[];
  readonly ratios: number[];
  readonly peakRssBytes: number[];
}

export async function runScenario(scenario: Scenario): Promise<Result[]> {
  const results = scenario.implementations.map((impl) => ({ name: impl.name, timesMs: [] as number[], ratios: [] as number[], peakRssBytes: [] as number[] }));
  for (let round = 0; round < scenario.warmupRounds + scenario.rounds; round++) {
    const measured = round >= scenario.warmupRounds;
    // Rotate the starting implementation each round so none always runs first (or after a GC).
    const order = scenario.implementations.map((_, index) => (index + round) % scenario.implementations.length);
    for (const index of order) {
      const impl = scenario.implementations[index]!; // index < length by construction
      const started = process.hrtime.bigint();
      const measurement = await impl.run();
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (measured) {
        results[index]!.timesMs.push(elapsedMs);
        if (measurement?.peakRssBytes !== undefined) results[index]!.peakRssBytes.push(measurement.peakRssBytes);
      }
    }
  }
  const baseline = results.find((result) => result.name === scenario.baseline);
  if (!baseline) throw new Error(`scenario ${scenario.id}: no implementation named ${scenario.baseline}`);
  for (const result of results) result.ratios = result.timesMs.map((time, round) => time / baseline.timesMs[round]!);
  return results;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function formatResults(scenario: Scenario, results: readonly Result[]): string {
  const rows = results.map((result) => {
    const rss = result.peakRssBytes.length > 0 ? `${(median(result.peakRssBytes) / 2 ** 20).toFixed(1)} MiB` : '';
    return [
      result.name,
      `${median(result.timesMs).toFixed(1)} ms`,
      `${Math.min(...result.timesMs).toFixed(1)}–${Math.max(...result.timesMs).toFixed(1)}`,
      result.name === scenario.baseline ? '1.00× (baseline)' : `${median(result.ratios).toFixed(2)}×`,
      rss,
    ];
  });
  const header = ['implementation', 'median', 'min–max ms', `ratio to ${scenario.baseline}`, 'peak RSS'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [`${scenario.id} ${scenario.title} (${scenario.rounds} rounds after ${scenario.warmupRounds} warm-up)`, line(header), ...rows.map(line)].join('\n');
}

/** Fails the benchmark loudly: a fast wrong answer must never count. */
export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`benchmark check failed: ${what}: expected ${String(expected)}, got ${String(actual)}`);
}
