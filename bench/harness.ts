// The side-by-side benchmark machinery: every implementation of a scenario runs in the same
// rounds, interleaved, so that a noisy shared machine slows all of them alike; ratios are taken
// pair by pair (round i of an implementation against round i of the baseline) and summarised by
// their median, which a single hiccup cannot move.

/** One contender in a scenario. `run` does the whole measured job and checks its own result. */
export interface Implementation {
  readonly name: string;
  /**
   * Another library compared against (execa, concurrently, ...), not subvisor nor a baseline or
   * floor. A peer whose run ends with a wrong answer ({@link Measurement.failedCheck}) is reported
   * as FAILED, in its row and at the end, but stays in the rounds and is timed all the same: the
   * issue's targets compare subvisor with it (concurrently through a pipe loses lines every time,
   * and what it costs to run is still what users pay). Nor does its failure make the bench exit 1:
   * the exit status says whether subvisor and the yardsticks it is judged against were right.
   * Anything else that fails drops out of the rounds: its fast wrong answer never counts.
   */
  readonly peer?: boolean;
  run(): Promise<Measurement | undefined>;
}

/** Figures a run reports itself, beside or instead of the wall time the harness takes around it. */
export interface Measurement {
  /** The time of the job alone, when the run knows better than the wall clock around it (a runner process timing itself). */
  readonly timeMs?: number;
  /** Peak RSS of the process that did the job, in bytes. */
  readonly peakRssBytes?: number;
  /** The job ran to its end but its answer was wrong: what the check found. */
  readonly failedCheck?: string;
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
  /** See {@link Implementation.peer}. */
  readonly peer: boolean;
  /** Per measured round; `NaN` where this implementation had already failed. */
  readonly timesMs: number[];
  /** Per measured round, this time over the baseline's in the same round. */
  ratios: number[];
  readonly peakRssBytes: number[];
  /** The first failure: a failed check, an error, a timeout. */
  error?: string;
  /** Out of the rounds since its first failure (anything but a peer's failed check). */
  dropped: boolean;
  /** Rounds run (warm-up included), and how many of them failed their check. */
  roundsRun: number;
  failedRounds: number;
}

export async function runScenario(scenario: Scenario, onProgress?: (line: string) => void): Promise<Result[]> {
  const results: Result[] = scenario.implementations.map((impl) => ({ name: impl.name, peer: impl.peer ?? false, timesMs: [], ratios: [], peakRssBytes: [], dropped: false, roundsRun: 0, failedRounds: 0 }));
  const total = scenario.warmupRounds + scenario.rounds;
  for (let round = 0; round < total; round++) {
    const measured = round >= scenario.warmupRounds;
    onProgress?.(`${scenario.id} round ${round + 1}/${total}${measured ? '' : ' (warm-up)'}`);
    // Rotate the starting implementation each round so none always runs first (or after a GC).
    const order = scenario.implementations.map((_, index) => (index + round) % scenario.implementations.length);
    for (const index of order) {
      const impl = scenario.implementations[index]!; // index < length by construction
      const result = results[index]!;
      if (result.dropped) {
        if (measured) result.timesMs.push(NaN);
        continue;
      }
      const started = process.hrtime.bigint();
      result.roundsRun++;
      try {
        const measurement = await impl.run();
        const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
        if (measurement?.failedCheck !== undefined) {
          result.failedRounds++;
          result.error ??= measurement.failedCheck;
          // A fast wrong answer never counts, except a peer's (see Implementation.peer).
          result.dropped = !result.peer;
          if (result.dropped) {
            if (measured) result.timesMs.push(NaN);
            continue;
          }
        }
        if (measured) {
          result.timesMs.push(measurement?.timeMs ?? elapsedMs);
          if (measurement?.peakRssBytes !== undefined) result.peakRssBytes.push(measurement.peakRssBytes);
        }
      } catch (error) {
        // A fast wrong answer (or a crash) never counts: the implementation drops out, and says why.
        result.error ??= messageOf(error);
        result.dropped = true;
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
    if (result.dropped && times.length === 0) return [result.name, 'FAILED', '', '', ...(withRss ? [''] : []), result.error ?? ''];
    return [
      result.name,
      `${median(times).toFixed(1)} ms`,
      `${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)}`,
      result.name === scenario.baseline ? '1.00× (baseline)' : `${median(result.ratios).toFixed(2)}×`,
      ...(withRss ? [result.peakRssBytes.length > 0 ? mib(median(result.peakRssBytes)) : ''] : []),
      failureNote(result),
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

/** What a failed check says, for {@link Measurement.failedCheck}. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

function failureNote(result: Result): string {
  if (result.error === undefined) return '';
  if (result.dropped) return `FAILED later: ${result.error}`;
  return `FAILED its check in ${result.failedRounds} of ${result.roundsRun} rounds (timed all the same): ${result.error}`;
}

function failedValue(result: Result): { value: string; pass: boolean } | undefined {
  // The reason is in the scenario's table; the summary only says whose answer was wrong.
  return result.dropped ? { value: `failed: ${result.name} (see its table)`, pass: false } : undefined;
}

/** Says so beside a figure when a peer it involves gave wrong answers and was timed all the same. */
function wrongAnswerNote(...results: Result[]): string {
  const wrong = results.filter((result) => result.error !== undefined).map((result) => result.name);
  return wrong.length === 0 ? '' : ` (${wrong.join(', ')}: wrong answers, timed all the same)`;
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
      return { value: `${ratio.toFixed(3)}×${wrongAnswerNote(mine, theirs)}`, pass: ratio <= max };
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

/** A peak RSS stated in the summary beside another's: a figure to report, not a goal to pass. */
export function peakRssReport(name: string, beside: string): Target {
  return {
    what: `${name} peak RSS`,
    goal: 'bounded: stated',
    reference: true,
    judge: (results) => {
      const mine = median(resultOf(results, name).peakRssBytes);
      const theirs = median(resultOf(results, beside).peakRssBytes);
      return { value: `${mib(mine)} (${beside}: ${mib(theirs)})`, pass: true };
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

/**
 * A guarantee checked, not timed: a run that ends in an unusual way (S8: Ctrl-C right after the
 * flood, a slow reader). `run` throws when the guarantee does not hold, and otherwise says what it
 * saw (counts, exit status, peak RSS) for the table.
 */
export interface Check {
  readonly name: string;
  run(): Promise<string>;
}

/** A scenario's checks, printed as one table after its timings. */
export interface CheckList {
  readonly id: string;
  readonly title: string;
  readonly checks: readonly Check[];
}

export interface CheckResult {
  readonly name: string;
  readonly pass: boolean;
  /** What the check saw, or why it failed. */
  readonly detail: string;
}

export async function runChecks(list: CheckList, onProgress?: (line: string) => void): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const [index, check] of list.checks.entries()) {
    onProgress?.(`${list.id} check ${index + 1}/${list.checks.length}`);
    try {
      results.push({ name: check.name, pass: true, detail: await check.run() });
    } catch (error) {
      results.push({ name: check.name, pass: false, detail: messageOf(error) });
    }
  }
  return results;
}

export function formatChecks(list: CheckList, results: readonly CheckResult[]): string {
  const width = Math.max('check'.length, ...results.map((result) => result.name.length));
  return [
    `${list.id} ${list.title}`,
    `${'check'.padEnd(width)}  result  what it saw`,
    ...results.map((result) => `${result.name.padEnd(width)}  ${result.pass ? 'pass  ' : 'FAILED'}  ${result.detail}`),
  ].join('\n');
}
