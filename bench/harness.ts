// The side-by-side benchmark machinery: every implementation of a scenario runs in the same
// rounds, interleaved, so that a noisy shared machine slows all of them alike; ratios are taken
// pair by pair (round i of an implementation against round i of the baseline) and summarised by
// their median, which a single hiccup cannot move.

/** One contender in a scenario. `run` does the whole measured job and checks its own result. */
export interface Implementation {
  readonly name: string;
  run(): Promise<Measurement | undefined>;
}

/** Figures a run reports itself, beside or instead of the wall time the harness takes around it. */
export interface Measurement {
  /** The time of the job alone, when the run knows better than the wall clock around it (a runner process timing itself). */
  readonly timeMs?: number;
  /** Peak RSS of the process that did the job, in bytes. */
  readonly peakRssBytes?: number;
}

/** A goal a scenario sets for subvisor, judged on the scenario's results. */
export interface Target {
  /** What is compared, e.g. `subvisor time / raw`. */
  readonly what: string;
  /** The goal, e.g. `≤ 1.10×`. */
  readonly goal: string;
  /** A sanity figure about the setup (e.g. how close raw is to the pipe), reported but not subvisor's to pass. */
  readonly reference?: boolean;
  judge(results: readonly Result[]): { value: string; pass: boolean };
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** The name of the implementation the others are compared against. */
  readonly baseline: string;
  readonly implementations: readonly Implementation[];
  readonly rounds: number;
  readonly warmupRounds: number;
  readonly targets?: readonly Target[];
  /** Lines printed under the table: what the references mean, sizes in quick mode, and so on. */
  readonly notes?: readonly string[];
}

export interface Result {
  readonly name: string;
  /** Per measured round; `NaN` where this implementation had already failed. */
  readonly timesMs: number[];
  /** Per measured round, this time over the baseline's in the same round. */
  ratios: number[];
  readonly peakRssBytes: number[];
  /** Why it dropped out: a failed check, an error, a timeout. */
  error?: string;
}

export async function runScenario(scenario: Scenario, onProgress?: (line: string) => void): Promise<Result[]> {
  const results: Result[] = scenario.implementations.map((impl) => ({ name: impl.name, timesMs: [], ratios: [], peakRssBytes: [] }));
  const total = scenario.warmupRounds + scenario.rounds;
  for (let round = 0; round < total; round++) {
    const measured = round >= scenario.warmupRounds;
    onProgress?.(`${scenario.id} round ${round + 1}/${total}${measured ? '' : ' (warm-up)'}`);
    // Rotate the starting implementation each round so none always runs first (or after a GC).
    const order = scenario.implementations.map((_, index) => (index + round) % scenario.implementations.length);
    for (const index of order) {
      const impl = scenario.implementations[index]!; // index < length by construction
      const result = results[index]!;
      if (result.error !== undefined) {
        if (measured) result.timesMs.push(NaN);
        continue;
      }
      const started = process.hrtime.bigint();
      try {
        const measurement = await impl.run();
        const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
        if (measured) {
          result.timesMs.push(measurement?.timeMs ?? elapsedMs);
          if (measurement?.peakRssBytes !== undefined) result.peakRssBytes.push(measurement.peakRssBytes);
        }
      } catch (error) {
        // A fast wrong answer (or a crash) never counts: the implementation drops out, and says why.
        result.error = error instanceof Error ? error.message : String(error);
        if (measured) result.timesMs.push(NaN);
      }
    }
  }
  const baseline = results.find((result) => result.name === scenario.baseline);
  if (!baseline) throw new Error(`scenario ${scenario.id}: no implementation named ${scenario.baseline}`);
  for (const result of results) result.ratios = result.timesMs.map((time, round) => time / baseline.timesMs[round]!).filter((ratio) => !Number.isNaN(ratio));
  return results;
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export function formatResults(scenario: Scenario, results: readonly Result[]): string {
  const withRss = results.some((result) => result.peakRssBytes.length > 0);
  const rows = results.map((result) => {
    const times = result.timesMs.filter((time) => !Number.isNaN(time));
    if (result.error !== undefined && times.length === 0) return [result.name, 'FAILED', '', '', ...(withRss ? [''] : []), result.error];
    return [
      result.name,
      `${median(times).toFixed(1)} ms`,
      `${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)}`,
      result.name === scenario.baseline ? '1.00× (baseline)' : `${median(result.ratios).toFixed(2)}×`,
      ...(withRss ? [result.peakRssBytes.length > 0 ? mib(median(result.peakRssBytes)) : ''] : []),
      result.error === undefined ? '' : `FAILED later: ${result.error}`,
    ];
  });
  const header = ['implementation', 'median', 'min–max ms', `ratio to ${scenario.baseline}`, ...(withRss ? ['peak RSS'] : []), ''];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [
    `${scenario.id} ${scenario.title} (${scenario.rounds} rounds after ${scenario.warmupRounds} warm-up)`,
    line(header),
    ...rows.map(line),
    ...(scenario.notes ?? []).map((note) => `  ${note}`),
  ].join('\n');
}

/** Fails the benchmark loudly: a fast wrong answer must never count. */
export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`benchmark check failed: ${what}: expected ${String(expected)}, got ${String(actual)}`);
}

function resultOf(results: readonly Result[], name: string): Result {
  const result = results.find((candidate) => candidate.name === name);
  if (!result) throw new Error(`no implementation named ${name}`);
  return result;
}

function failedValue(result: Result): { value: string; pass: boolean } | undefined {
  return result.error !== undefined ? { value: `failed: ${result.error}`, pass: false } : undefined;
}

/** `name`'s time over `baseline`'s: the median of their pairwise (same-round) ratios. */
export function timeRatioTarget(name: string, baseline: string, max: number, reference = false): Target {
  return {
    what: `${name} time / ${baseline}`,
    goal: `${reference ? '≈' : '≤'} ${max.toFixed(2)}×`,
    reference,
    judge: (results) => {
      const mine = resultOf(results, name);
      const theirs = resultOf(results, baseline);
      const failed = failedValue(mine) ?? failedValue(theirs);
      if (failed) return failed;
      const ratio = median(mine.timesMs.map((time, round) => time / theirs.timesMs[round]!));
      // Three decimals: a ratio printed as the target itself must show which side of it it is on.
      return { value: `${ratio.toFixed(3)}×`, pass: ratio <= max };
    },
  };
}

/** `name`'s median peak RSS over the baseline's. */
export function rssRatioTarget(name: string, baseline: string, max: number): Target {
  return {
    what: `${name} peak RSS / ${baseline}`,
    goal: `≤ ${max.toFixed(2)}×`,
    judge: (results) => {
      const mine = median(resultOf(results, name).peakRssBytes);
      const theirs = median(resultOf(results, baseline).peakRssBytes);
      const ratio = mine / theirs;
      return { value: `${ratio.toFixed(3)}× (${mib(mine)} vs ${mib(theirs)})`, pass: ratio <= max };
    },
  };
}

/** `name`'s median peak RSS minus the baseline's. */
export function rssExcessTarget(name: string, baseline: string, maxBytes: number): Target {
  return {
    what: `${name} peak RSS − ${baseline}`,
    goal: `≤ ${mib(maxBytes)}`,
    judge: (results) => {
      const mine = median(resultOf(results, name).peakRssBytes);
      const theirs = median(resultOf(results, baseline).peakRssBytes);
      const excess = `${mine - theirs >= 0 ? '+' : '−'}${(Math.abs(mine - theirs) / 2 ** 20).toFixed(2)} MiB`;
      return { value: `${excess} (${mib(mine)} vs ${mib(theirs)})`, pass: mine - theirs <= maxBytes };
    },
  };
}
