// The control handler's `logs -f` against a client it can only see through its reply channel: a
// follower hovering at the limit, never quite catching up, is waited for once at a time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_FOLLOWERS_UNSENT_BYTES, MAX_FOLLOW_UNSENT_BYTES, controlHandler } from '../../../src/cli/control/handler.js';
import { LogRing } from '../../../src/cli/control/log-ring.js';
import { PROTOCOL_VERSION, type Reply } from '../../../src/cli/control/protocol.js';
import type { ReplyChannel } from '../../../src/cli/control/server.js';
import type { Stack } from '../../../src/cli/stack/stack.js';

test('a follower that crosses the limit again and again without ever taking everything gets one wait for it at a time, and its skipped count', async () => {
  const ring = new LogRing();
  // `logs` with no names asks the stack nothing but the names it stands for.
  const stack = { processesNamed: (names: readonly string[]) => names } as unknown as Stack;
  const sent: Reply[] = [];
  const drains: (() => void)[] = [];
  let unsentBytes = 0;
  const channel: ReplyChannel = {
    send: (reply) => void sent.push(reply),
    get unsentBytes() {
      return unsentBytes;
    },
    drained: () => new Promise<void>((resolve) => drains.push(resolve)),
    gone: false,
  };
  const ended = new AbortController();
  const following = controlHandler(stack, ring, [])({ v: PROTOCOL_VERSION, id: 7, command: 'logs', names: [], lines: 0, follow: true }, channel, ended.signal);
  for (let crossing = 0; crossing < 50; crossing++) {
    unsentBytes = MAX_FOLLOW_UNSENT_BYTES + 1; // behind: these lines are left out
    ring.push('web', 'stdout', `left out ${crossing}`);
    unsentBytes = MAX_FOLLOW_UNSENT_BYTES - 1; // caught up a little, never wholly: no drain
    ring.push('web', 'stdout', `sent ${crossing}`);
  }
  assert.equal(drains.length, 1, 'one wait for the client to take everything, not one per crossing');
  assert.equal(sent.filter((reply) => 'kind' in reply && reply.kind === 'skipped').length, 50, 'each gap is said before the next lines');
  drains[0]?.();
  ended.abort();
  await following;
});

test('followers share what the run holds for them all: eight, each 9 MiB behind, get no new lines until most have gone; one alone that far behind gets them', async () => {
  const ring = new LogRing();
  const stack = { processesNamed: (names: readonly string[]) => names } as unknown as Stack;
  const behind = 9 * 1024 * 1024; // under the 16 MiB of one, over the 8 MiB share of eight
  assert.ok(behind < MAX_FOLLOW_UNSENT_BYTES && behind > MAX_FOLLOWERS_UNSENT_BYTES / 8);
  const handle = controlHandler(stack, ring, []);
  const followers = Array.from({ length: 8 }, (_, id) => {
    const lines: string[] = [];
    const channel: ReplyChannel = {
      send: (reply) => {
        if ('kind' in reply && reply.kind === 'lines') lines.push(...reply.lines);
      },
      unsentBytes: behind,
      drained: () => new Promise<void>(() => undefined), // never catches up
      gone: false,
    };
    const ended = new AbortController();
    const following = handle({ v: PROTOCOL_VERSION, id, command: 'logs', names: [], lines: 0, follow: true }, channel, ended.signal);
    return { lines, ended, following };
  });
  ring.push('web', 'stdout', 'while eight follow');
  for (const follower of followers) assert.deepEqual(follower.lines, [], 'left out: eight are behind by more than their share');
  for (const follower of followers.slice(1)) {
    follower.ended.abort();
    await follower.following;
  }
  ring.push('web', 'stdout', 'once one is left');
  const [first] = followers;
  assert.ok(first !== undefined);
  assert.deepEqual(first.lines, ['once one is left'], 'the one left may fall behind by its whole 16 MiB');
  first.ended.abort();
  await first.following;
});

test('a version 1 follower that falls behind is sent its lines one by one and no `skipped` count, a kind its client does not know', async () => {
  const ring = new LogRing();
  const stack = { processesNamed: (names: readonly string[]) => names } as unknown as Stack;
  const sent: Reply[] = [];
  let unsentBytes = MAX_FOLLOW_UNSENT_BYTES + 1;
  const channel: ReplyChannel = {
    send: (reply) => void sent.push(reply),
    get unsentBytes() {
      return unsentBytes;
    },
    drained: () => Promise.resolve(),
    gone: false,
  };
  const ended = new AbortController();
  const following = controlHandler(stack, ring, [])({ v: 1, id: 3, command: 'logs', names: [], lines: 0, follow: true }, channel, ended.signal);
  ring.push('web', 'stdout', 'left out');
  await new Promise<void>((resolve) => setImmediate(resolve)); // the drain is taken
  unsentBytes = 0;
  ring.push('web', 'stdout', 'sent');
  ended.abort();
  await following;
  assert.deepEqual(
    sent.map((reply) => ('kind' in reply ? `${reply.kind}${'line' in reply ? ` ${reply.line}` : ''}` : 'ok' in reply ? 'ok' : '?')),
    ['line sent', 'ok'],
  );
});

test('unknown names: one gets a guess at what was meant; two get none, as it would not say which of them it is for', async () => {
  const names = ['web', 'db'];
  const stack = {
    processesNamed: (asked: readonly string[]) => asked.filter((name) => names.includes(name)),
    ps: () => names.map((name) => ({ name, state: 'ready', restarts: 0 })),
    namesKnown: () => names,
  } as unknown as Stack;
  const handle = controlHandler(stack, new LogRing(), []);
  const channel: ReplyChannel = { send: () => undefined, unsentBytes: 0, drained: () => Promise.resolve(), gone: false };
  const refusal = (asked: string[]): Promise<unknown> => handle({ v: PROTOCOL_VERSION, id: 1, command: 'stop', names: asked }, channel, new AbortController().signal).then(() => assert.fail('accepted'), (error: unknown) => error);
  assert.match(String(await refusal(['wbe'])), /no process named 'wbe' in this run \(it has web, db\); did you mean 'web'\?$/);
  assert.match(String(await refusal(['wbe', 'dbb'])), /no process named 'wbe', 'dbb' in this run \(it has web, db\)$/);
  // A word going on past a whole name (webpack for web) is no slip of it: no guess.
  assert.match(String(await refusal(['webpack'])), /no process named 'webpack' in this run \(it has web, db\)$/);
});
