// The seed's own five tests (tractor's tests/trionics/test_subproc.py), translated to Node.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import util from 'node:util';
import { CalledProcessError, collapseErrorGroup, failAfter, openNursery, superviseRunProcess, type Process } from '../../src/index.js';
import { captureLogger } from '../support/processes.js';

describe('the seed, translated', () => {
  test('stdout is relayed per line', { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    await openNursery(async (tn) => {
      await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', 'for i in 1 2 3; do echo line=$i; done'], { relayStdout: true, logger, label: 'count' }, ctx),
      );
    });
    assert.deepEqual(logger.lines, ['[count:out] line=1', '[count:out] line=2', '[count:out] line=3']);
  });

  test('the parent tty is isolated: fd 0 is /dev/null, fd 1 our pipe, never a terminal', { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    await superviseRunProcess(['sh', '-c', 'readlink /proc/self/fd/0; readlink /proc/self/fd/1'], { relayStdout: true, logger, label: 't' });
    const [fd0, fd1] = logger.lines.map((line) => line.replace('[t:out] ', ''));
    assert.equal(fd0, '/dev/null');
    // Node gives children a socketpair, not a pipe(2).
    assert.match(fd1 ?? '', /^socket:\[\d+\]$/);
    assert.ok(logger.lines.every((line) => !line.includes('/dev/pts') && !line.includes('/dev/tty')));
  });

  test('no deadlock on big un-newlined output (8 MiB on stdout, no newline)', { timeout: 30_000 }, async () => {
    let relayedChars = 0;
    const logger = { io: (line: string) => void (relayedChars += line.length - '[big:out] '.length) };
    await failAfter(20_000, () =>
      superviseRunProcess(['sh', '-c', 'head -c 8388608 /dev/zero | tr "\\0" x'], { relayStdout: true, logger, label: 'big' }),
    );
    assert.equal(relayedChars, 8 * 1024 * 1024);
  });

  test('stderr is relayed and a non-zero exit rebuilds a bare CalledProcessError with the stderr note', { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    const error = await collapseErrorGroup(() =>
      openNursery(async (tn) => {
        await tn.start<Process>((ctx) =>
          superviseRunProcess(['sh', '-c', 'echo boom >&2; echo bang >&2; exit 3'], { relayStderr: true, logger, label: 'fail' }, ctx),
        );
      }),
    ).catch((caught: unknown) => caught);
    assert.ok(error instanceof CalledProcessError, `expected a bare CalledProcessError, got ${String(error)}`);
    assert.equal(error.returncode, 3);
    assert.equal(error.stderr?.toString(), 'boom\nbang\n');
    assert.deepEqual(error.notes, ['|_.stderr:\n    boom\n    bang']);
    assert.deepEqual(logger.lines, ['[fail:err] boom', '[fail:err] bang']);
  });

  test('without relay, the silent drain still captures stderr for the note', { timeout: 20_000 }, async () => {
    const error = await superviseRunProcess(['sh', '-c', 'echo quietly broken >&2; exit 7']).catch((caught: unknown) => caught);
    assert.ok(error instanceof CalledProcessError);
    assert.equal(error.returncode, 7);
    assert.equal(error.stderr?.toString(), 'quietly broken\n');
    assert.match(util.inspect(error), /\|_\.stderr:\n {4}quietly broken/);
    assert.match(error.stack ?? '', /\|_\.stderr:\n {4}quietly broken/);
  });
});
