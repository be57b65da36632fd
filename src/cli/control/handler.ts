import { didYouMeanName } from '../misspelt-name.js';
import { namesInWords } from '../names-in-words.js';
import type { Stack } from '../stack/stack.js';
import type { LogRing } from './log-ring.js';
import { UNKNOWN_PROCESS } from './errors.js';
import { BadRequest, shownInReply, type LogLine, type LogLines, type ProcessRow, type Reply, type Request } from './protocol.js';
import type { ReplyChannel, RequestHandler } from './server.js';

/**
 * What the run does for each request of its control socket: `ps` reads the stack, `stop`,
 * `start` and `restart` act on it (and reply once done: stopped, or ready), `logs` reads the ring
 * of output lines. Every name is checked before anything is done, so a request with one unknown
 * name does nothing at all.
 */
export function controlHandler(stack: Stack, ring: LogRing, colourOrder: readonly string[]): RequestHandler {
  const followers: Followers = { count: 0 };
  return async (request, channel, ended) => {
    const ok = (fields: Partial<Extract<Reply, { ok: true }>> = {}): void => channel.send({ v: request.v, id: request.id, ok: true, ...fields });
    if (request.command === 'ps') return ok({ processes: psRows(stack, request), colourOrder });
    checkNames(stack, request);
    // A replicated process's name stands for its copies: `restart web` restarts web.1 ... web.N.
    request = { ...request, names: stack.processesNamed(request.names) };
    switch (request.command) {
      case 'stop':
        if (stack.ending || request.names.some((name) => stack.isMain(name))) {
          // SPEC §10: stopping `main` replies, then ends the run; the run's end closes this socket,
          // maybe before the stop is done. A run already ending is stopping everything anyway.
          ok();
          await stack.stop(request.names);
          return;
        }
        await stack.stop(request.names);
        return ok();
      case 'start':
        await stack.start(request.names);
        return ok();
      case 'restart':
        await stack.restart(request.names);
        return ok();
      case 'logs':
        return logs(ring, followers, request, channel, ended, ok);
    }
  };
}

/**
 * A follower more than this far behind (`logs -f` piped into a stalled pager) is sent no new lines
 * until it catches up, only how many it missed: the run never waits for a log reader, and what it
 * holds for one stays bounded.
 */
export const MAX_FOLLOW_UNSENT_BYTES = 16 * 1024 * 1024;
/**
 * The most held for every follower together: past four, each may fall behind by an equal share of
 * it. Without it each one cost the run its 16 MiB (22 MB of memory, measured), however many
 * there were: five `logs -f` whose readers had stopped (a pager left paused in a terminal's
 * tab) held 110 MB in the run, ten twice that.
 */
export const MAX_FOLLOWERS_UNSENT_BYTES = 64 * 1024 * 1024;

/** The `logs -f` requests being followed now, across the run's connections. */
interface Followers {
  count: number;
}

/** How far behind one of `count` followers may fall before lines are left out for it. */
function followLimit(count: number): number {
  return Math.min(MAX_FOLLOW_UNSENT_BYTES, Math.floor(MAX_FOLLOWERS_UNSENT_BYTES / Math.max(1, count)));
}

/**
 * The last lines (bounded by the ring), then with `follow` each new line until the client goes or
 * the run ends; a follow's reply comes at the run's end, so the client can tell that end from a
 * lost connection, and follows a `skipped` count if lines were left out since the last one sent.
 */
function logs(ring: LogRing, followers: Followers, request: Extract<Request, { command: 'logs' }>, channel: ReplyChannel, ended: AbortSignal, ok: () => void): Promise<void> {
  const { id, names } = request;
  const wanted = (name: string): boolean => names.length === 0 || names.includes(name);
  const send = linesSender(request, channel);
  for (const lines of consecutiveRuns(ring.tail(names, request.lines))) send(lines);
  if (!request.follow) {
    ok();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let skipped = 0;
    // One wait for the client to catch up at a time: a follower that hovers at the limit, never
    // quite taking everything, would otherwise add one every time it crosses it, for as long as
    // it follows (a pair of socket listeners each, and Node's leak warning on the run's stderr).
    let waitingForDrain = false;
    const saySkipped = (): void => {
      // Version 1 had no word for it: its clients are left to the gap.
      if (skipped > 0 && request.v > 1) channel.send({ v: request.v, id, kind: 'skipped', lines: skipped });
      skipped = 0;
    };
    followers.count++;
    const finish = (): void => {
      followers.count--;
      stop();
      saySkipped();
      ok();
      resolve();
    };
    const stop = ring.follow((lines) => {
      if (!wanted(lines.name)) return;
      if (channel.unsentBytes > followLimit(followers.count)) {
        // Said once the client has taken what it was sent, or before the next lines it gets.
        if (!waitingForDrain) {
          waitingForDrain = true;
          void channel.drained().then(() => {
            waitingForDrain = false;
            saySkipped();
          });
        }
        skipped += lines.lines.length;
        return;
      }
      saySkipped();
      send(lines);
    });
    if (ended.aborted) finish();
    else ended.addEventListener('abort', finish, { once: true });
  });
}

/**
 * The most line text in one `lines` message. A client refuses a reply over 16 MiB, and JSON may
 * write a character in six bytes (`\u0001`): a process's whole tail (4 MiB) goes in several.
 */
const MAX_MESSAGE_TEXT = 1024 * 1024;

/** How `request`'s client is sent lines: in messages of at most {@link MAX_MESSAGE_TEXT} (a longer line alone), or one per line for version 1. */
function linesSender(request: Extract<Request, { command: 'logs' }>, channel: ReplyChannel): (lines: LogLines) => void {
  const { id, v } = request;
  if (v === 1) return ({ name, stream, lines }) => lines.forEach((line) => channel.send({ v, id, kind: 'line', name, stream, line }));
  return ({ name, stream, lines }) => {
    for (const piece of inPieces(lines, MAX_MESSAGE_TEXT)) channel.send({ v, id, kind: 'lines', name, stream, lines: piece });
  };
}

/** `lines` in order, in pieces of at most `maxText` characters of text (a longer line is a piece alone). */
export function inPieces(lines: readonly string[], maxText: number): (readonly string[])[] {
  const pieces: (readonly string[])[] = [];
  let from = 0;
  let text = 0;
  for (let index = 0; index < lines.length; index++) {
    const length = (lines[index] as string).length;
    if (index > from && text + length > maxText) {
      pieces.push(lines.slice(from, index));
      from = index;
      text = 0;
    }
    text += length;
  }
  if (from < lines.length) pieces.push(from === 0 ? lines : lines.slice(from));
  return pieces;
}

/** Lines in the order given, grouped where one process's stream goes on. */
function consecutiveRuns(lines: readonly LogLine[]): LogLines[] {
  const runs: { name: string; stream: 'stdout' | 'stderr'; lines: string[] }[] = [];
  for (const { name, stream, line } of lines) {
    const last = runs.at(-1);
    if (last?.name === name && last.stream === stream) last.lines.push(line);
    else runs.push({ name, stream, lines: [line] });
  }
  return runs;
}

/** `ps`'s rows: every process's, or (`subvisor ps web db`) only those named, as `docker compose ps SERVICE` shows. */
function psRows(stack: Stack, request: Extract<Request, { command: 'ps' }>): ProcessRow[] {
  const rows = stack.ps().map(toRow);
  const names = request.names ?? [];
  if (names.length === 0) return rows;
  checkNames(stack, { ...request, names });
  const named = new Set(stack.processesNamed(names));
  return rows.filter((row) => named.has(row.name));
}

function checkNames(stack: Stack, request: { readonly id: number; readonly names: readonly string[] }): void {
  const unknown = request.names.filter((name) => stack.processesNamed([name]).length === 0);
  if (unknown.length === 0) return;
  const known = stack.ps().map((row) => row.name);
  // One name gets a guess; for several, a guess would not say which of them it is for.
  const [only] = unknown;
  const guess = only === undefined || unknown.length > 1 ? '' : didYouMeanName(only, stack.namesKnown());
  throw new BadRequest(
    `no process named ${shownNames(unknown)} in this run (it has ${known.join(', ')})${guess}`,
    UNKNOWN_PROCESS,
    request.id,
  );
}

/** `'a', 'b'`: each name quoted, a long one cut (`'xxx…'`), and past a few, how many more. */
function shownNames(names: readonly string[]): string {
  return namesInWords(names, (name) => `'${shownInReply(name)}'`);
}

function toRow(snapshot: ReturnType<Stack['ps']>[number]): ProcessRow {
  return { name: snapshot.name, state: snapshot.state, pid: snapshot.pid ?? null, uptimeMs: snapshot.uptimeMs ?? null, restarts: snapshot.restarts };
}
