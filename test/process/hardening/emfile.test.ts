// Resource exhaustion: under a lowered fd limit, starting more children than the fds allow gives a
// clear SpawnError (EMFILE, "too many open files") for each child that could not start, never a
// crash (an unhandled 'error' event) or a hang; and nothing that did start is left running.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { killTagged, runningTagged, startFixture, stopFixture, waitUntil } from './probes.js';

const FIXTURE = 'test/fixtures/hardening/emfile.ts';
const EMFILE_MESSAGE = /^SpawnError EMFILE: cannot start sh -c 'sleep [\d.]+ & wait': too many open files \(EMFILE\); raise the limit \(ulimit -n\)/;

interface Outcome {
  each: Record<string, number>;
  grouped: { name: string; errors: string[] };
}

describe('resource exhaustion', () => {
  test('EMFILE under ulimit -n 64: a clear SpawnError per child, no crash, no hang, nothing left running', { timeout: 60_000 }, async () => {
    const tag = randomUUID();
    const fixture = startFixture(FIXTURE, [tag], { shellPrefix: 'ulimit -n 64 &&' });
    try {
      const ended = await fixture.exited;
      assert.deepEqual(ended, { code: 0, signal: null }, `the parent did not crash (stdout: ${fixture.stdout()})`);
      const outcome = JSON.parse(await fixture.firstLine) as Outcome;
      // Each child on its own: some started and finished, the others each got the clear error.
      const kinds = Object.keys(outcome.each);
      assert.ok((outcome.each.ok ?? 0) > 0, 'control: children start while fds are left');
      const failures = kinds.filter((kind) => kind !== 'ok');
      assert.ok(failures.length > 0, 'control: the limit was really reached');
      for (const kind of failures) assert.match(kind, EMFILE_MESSAGE);
      // In one nursery: the first failure cancels the rest; only spawn errors are reported.
      assert.equal(outcome.grouped.name, 'ErrorGroup');
      for (const error of outcome.grouped.errors) assert.match(error, EMFILE_MESSAGE);
      await waitUntil(() => runningTagged(tag).length === 0, `nothing started to be left running (found ${runningTagged(tag).join(' ')})`, 2000);
    } finally {
      await stopFixture(fixture);
      killTagged(tag);
    }
  });
});
