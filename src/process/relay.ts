import { getLogger } from '../log/logger.js';
import { hasLevelMethod, resolveLevelMethod } from '../log/structural.js';
import { isThenable } from './lifecycle-log.js';
import { describe } from './options.js';
import type { LineBlock } from './output/ascii-block.js';
import type { PipeHold } from './output/pipe-hold.js';
import { invalidArgument } from '../caller-errors.js';

/** One line a supervised child wrote, as data: what `onLine` receives. */
export interface OutputLine {
  /** The child's `label` (default: its argv joined by spaces). */
  readonly label: string;
  /** The stream the child wrote the line to. */
  readonly stream: 'stdout' | 'stderr';
  /** The line, decoded, without its `\n` (and one `\r` before it). */
  readonly line: string;
  /** The child's pid (the `Process.pid` handed up by `started()`). */
  readonly pid: number;
}

/**
 * subvisor's own command line relays through this option key instead of `onLine`: its function
 * gets whole lines in blocks (see `LineBlockOptions.onBlock`), one call per read of the pipe
 * instead of one per line, and prefixes them all in one `replaceAll`. A symbol, so it is no option
 * a user can name, and the option checks, which look at string keys, never see it. @internal
 */
export const RELAY_BLOCKS: unique symbol = Symbol('subvisor.relayBlocks');

/**
 * Receives one or more complete lines of `stream`: joined by `\n` (none after the last), or as
 * the ASCII bytes they were read as. @internal
 */
export type BlockRelay = (stream: 'stdout' | 'stderr', block: LineBlock) => unknown;

/** Where relayed lines go, resolved before anything is spawned. */
export type RelayTarget =
  | { readonly kind: 'events'; readonly onLine: (event: OutputLine) => unknown }
  | { readonly kind: 'blocks'; readonly onBlock: BlockRelay }
  | { readonly kind: 'logger'; readonly method: (message: string) => unknown };

/** The relay level when none is given: `io` (21), just above `info`. */
export const DEFAULT_RELAY_LEVEL = 'io';
/** What a logger without `io` gets relayed lines at, when the level was left at its default: `console` has these. */
const FALLBACK_LEVELS = ['info', 'log'];

/**
 * Decides where relayed lines go. With `onLine`, each line is an {@link OutputLine} event and the
 * logger is not used for lines. Otherwise the seed's format, `[tag:out] line`, goes to
 * `logger[relayLevel]`: one consumer of the same lines. A default `relayLevel` falls back to
 * `info`, then `log`, for a logger without `io` (so `logger: console` works); an explicit one the
 * logger lacks is an error, raised here, before spawning, and only when something is relayed.
 */
export function resolveRelayTarget(where: string, opts: { onLine?: unknown; logger?: object | undefined; relayLevel?: unknown; [RELAY_BLOCKS]?: unknown }): RelayTarget {
  const onBlock = opts[RELAY_BLOCKS];
  if (typeof onBlock === 'function') return { kind: 'blocks', onBlock: onBlock as BlockRelay };
  if (opts.onLine !== undefined) {
    if (typeof opts.onLine !== 'function') throw invalidArgument(`${where}: onLine must be a function of the line event, got ${describe(opts.onLine)}`);
    return { kind: 'events', onLine: opts.onLine as (event: OutputLine) => unknown };
  }
  const logger = opts.logger ?? getLogger();
  if (opts.relayLevel !== undefined) return { kind: 'logger', method: resolveLevelMethod(logger, opts.relayLevel as string) };
  const given: unknown = logger; // plain JavaScript may pass anything; resolveLevelMethod says what is wrong with it
  const level = typeof given === 'object' && given !== null ? [DEFAULT_RELAY_LEVEL, ...FALLBACK_LEVELS].find((name) => hasLevelMethod(logger, name)) : undefined;
  return { kind: 'logger', method: resolveLevelMethod(logger, level ?? DEFAULT_RELAY_LEVEL) };
}

/** How one stream's lines are relayed: line by line, and (a `blocks` target only) in blocks. */
export interface StreamRelay {
  readonly line: (line: string) => void;
  readonly block?: (block: LineBlock) => void;
}

/**
 * The relay of one stream. A callback that returns a promise hands it to `onPending`: the pipe
 * waits for it (backpressure), and its rejection is the callback failing. Each line is a fresh
 * object, so a consumer may keep it.
 */
export function relayStream(target: RelayTarget, label: string, stream: 'stdout' | 'stderr', pid: number, onPending: (pending: PromiseLike<unknown>) => void): StreamRelay {
  if (target.kind === 'blocks') {
    const { onBlock } = target;
    const block = (lines: LineBlock): void => {
      const result = onBlock(stream, lines);
      if (result !== undefined && isThenable(result)) onPending(result);
    };
    return { line: block, block };
  }
  if (target.kind === 'events') {
    const { onLine } = target;
    return {
      line: (line) => {
        const result = onLine({ label, stream, line, pid });
        if (result !== undefined && isThenable(result)) onPending(result);
      },
    };
  }
  const { method } = target;
  const prefix = `[${label}:${stream === 'stdout' ? 'out' : 'err'}] `;
  return {
    line: (line) => {
      const result = method(prefix + line);
      if (result !== undefined && isThenable(result)) onPending(result);
    },
  };
}

/**
 * What a pipe does with the promises its consumer returns: stops reading until every one of them
 * has settled, so a consumer that cannot keep up (an output that is full) makes the child wait
 * instead of letting lines pile up in memory; a rejection is the consumer failing, never an
 * unhandled rejection. The lines of the read in progress are still delivered: memory stays bounded
 * by one read per pipe (at most `READ_BUFFER_BYTES`, 64 KiB: ./output/pipe-reads.ts). Once the
 * child's group is gone the hold is released (see {@link PipeHold}) for what the pipe still holds.
 */
export function holdWhilePending(hold: PipeHold, onFailure: (error: unknown) => void): ConsumerHold {
  let waiting = 0;
  let allSettled: { promise: Promise<void>; resolve: () => void } | undefined;
  const settle = (): void => {
    if (--waiting > 0) return;
    hold.resume();
    allSettled?.resolve();
    allSettled = undefined;
  };
  return {
    onPending: (pending) => {
      if (waiting++ === 0) hold.pause();
      pending.then(settle, (error: unknown) => {
        settle();
        onFailure(error);
      });
    },
    settled: () => (waiting === 0 ? Promise.resolve() : (allSettled ??= settledLater()).promise),
    idle: () => waiting === 0,
  };
}

/** The promises a pipe's consumer returned: handed in as they come, waited for at the end. */
export interface ConsumerHold {
  readonly onPending: (pending: PromiseLike<unknown>) => void;
  /** Resolves once every promise handed in so far has settled (a rejection has reached `onFailure`). */
  readonly settled: () => Promise<void>;
  /** No promise handed in is still pending. */
  readonly idle: () => boolean;
}

/** A promise and the function that resolves it. */
export function settledLater(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}
