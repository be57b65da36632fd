// What every library in the benchmark is asked to do, in the way its own documentation shows.
// One file per contender (raw.ts, subvisor.ts, execa.ts, tinyexec.ts, nano-spawn.ts), each
// exporting `contender`; a runner process imports only the one it measures, so its peak RSS is
// that library's alone.

/**
 * Counts what a reader delivers, so a check can compare it exactly with the input. `skip` is the
 * length of a prefix every line carries and that is not part of the child's text (subvisor relays
 * `[tag:out] line`); the first line is kept (cut to 200 characters) to compare its content too.
 */
export class LineCounter {
  lines = 0;
  chars = 0;
  first: string | undefined;

  constructor(private readonly skip = 0) {}

  readonly add = (line: string): void => {
    if (this.lines === 0) this.first = line.slice(0, 200);
    this.lines++;
    this.chars += line.length - this.skip;
  };
}

/** What a failure carries of the child's stderr, read off the library's error object. */
export interface FailureReport {
  readonly exitCode: number;
  readonly stderr: string | Uint8Array;
}

export interface Contender {
  /**
   * S1, S4: runs `cmd` to the end with the library's default options and resolves with its exit
   * status. `cmd` writes nothing, so the default stdio choices cost what they cost, nothing more.
   */
  exitStatus(cmd: readonly string[]): Promise<number>;
  /** S4: runs `count` copies of `cmd` at once, the way the library runs children concurrently. */
  exitStatusesTogether(cmd: readonly string[], count: number): Promise<number[]>;
  /**
   * S2, S3: hands every line of `cmd`'s stdout, as a string, to a {@link LineCounter} as it
   * arrives, and resolves with that counter once `cmd` has exited and its stdout has ended.
   * Holds at most the current line (subvisor: at most a `maxLineBytes` piece of it), never the output.
   * `maxLineBytes` is subvisor's limit on a line held whole (S3 raises it to hold its line); the
   * others have no such limit and ignore it.
   */
  relayLines(cmd: readonly string[], maxLineBytes?: number): Promise<LineCounter>;
  /** S6: runs `cmd`, which fails; resolves with the library's error object, as soon as it exists. */
  failure(cmd: readonly string[]): Promise<unknown>;
  /** S6, after the clock stopped: what that error object says of the exit and of stderr. */
  describeFailure(error: unknown): FailureReport;
}

/** How a library without a concurrency construct of its own runs children together. */
export function withPromiseAll(contender: Pick<Contender, 'exitStatus'>, cmd: readonly string[], count: number): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, () => contender.exitStatus(cmd)));
}

/** Splits an argv array for APIs that take the file and its arguments apart. */
export function fileAndArgs(cmd: readonly string[]): [string, string[]] {
  const [file, ...args] = cmd;
  if (file === undefined) throw new TypeError('bench: empty command');
  return [file, args];
}

/** What a contender's `failure` throws when the library reported the failing child as a success. */
export function didNotFail(cmd: readonly string[]): Error {
  return new Error(`bench: ${cmd.join(' ')} was expected to fail, and the library reported success`);
}

/** Lines as `text.split('\n')` would count them, without making a string per line. */
export function countLines(text: string): number {
  let lines = 1;
  for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', newline + 1)) lines++;
  return lines;
}
