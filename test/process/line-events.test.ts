// SPEC §8: the lines a supervised child writes, as data (`onLine`), with the logger relay as one
// consumer of the same lines; and how a logger is found for them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openNursery, superviseRunProcess, type OutputLine, type Process } from '../../src/index.js';
import { checkNothingLeaksAroundEachTest } from '../support/leaks.js';
import { captureLogger, isRunning } from '../support/processes.js';

const BOUNDED = { timeout: 20_000 };
checkNothingLeaksAroundEachTest();

describe('onLine: the relayed lines as events', () => {
  test('each line of both streams is an OutputLine with label, stream, line and pid, in the order written', BOUNDED, async () => {
    const events: OutputLine[] = [];
    const logger = captureLogger();
    const completed = await superviseRunProcess(['sh', '-c', 'echo one; echo two >&2; sleep 0.1; echo three'], {
      relayStdout: true,
      relayStderr: true,
      label: 'job',
      logger,
      onLine: (event) => void events.push(event),
    });
    assert.deepEqual(
      events.map(({ label, stream, line }) => [label, stream, line]),
      [
        ['job', 'stdout', 'one'],
        ['job', 'stderr', 'two'],
        ['job', 'stdout', 'three'],
      ],
    );
    assert.ok(events.every((event) => event.pid === completed.pid));
    assert.equal(new Set(events).size, 3, 'a fresh object per line: a consumer may keep it');
    assert.deepEqual(logger.lines, [], 'with onLine, the logger gets no lines');
  });

  test('the line rules are the relay rules: \\r dropped, empty lines kept, the last line flushed without a newline', BOUNDED, async () => {
    const lines: string[] = [];
    await superviseRunProcess(['printf', 'crlf\\r\\n\\nlast'], { relayStdout: true, onLine: ({ line }) => void lines.push(line) });
    assert.deepEqual(lines, ['crlf', '', 'last']);
  });

  test('only the streams the relay flags select; with neither flag, nothing', BOUNDED, async () => {
    const script = 'echo out; echo err >&2';
    const stdoutOnly: string[] = [];
    await superviseRunProcess(['sh', '-c', script], { relayStdout: true, onLine: ({ stream, line }) => void stdoutOnly.push(`${stream}:${line}`) });
    assert.deepEqual(stdoutOnly, ['stdout:out']);
    const none: string[] = [];
    await superviseRunProcess(['sh', '-c', script], { onLine: ({ line }) => void none.push(line) });
    assert.deepEqual(none, []);
  });

  test('the default label is the argv joined by spaces', BOUNDED, async () => {
    const labels: string[] = [];
    await superviseRunProcess(['echo', 'a b'], { relayStdout: true, onLine: ({ label }) => void labels.push(label) });
    assert.deepEqual(labels, ['echo a b']);
  });

  test('a default label stays on one line: a multi-line script or an escape in the argv is shown as escapes, a huge script cut', BOUNDED, async () => {
    const logger = captureLogger();
    const labels: string[] = [];
    await superviseRunProcess(['sh', '-c', 'echo one\necho two'], { relayStdout: true, logger });
    await superviseRunProcess(['printf', '\x1b[31mred\x1b]0;title\x07\n'], { relayStdout: true, logger, onLine: ({ label }) => void labels.push(label) });
    // Before: `[sh -c echo one<LF>echo two:out] one`, each record on two lines of a terminal, and
    // the argv's colour and OSC in every tag, raw.
    assert.deepEqual(logger.lines.slice(0, 2), ['[sh -c echo one\\necho two:out] one', '[sh -c echo one\\necho two:out] two']);
    assert.deepEqual(labels, ['printf \\e[31mred\\e]0;title\\x07\\n']);
    const tags: string[] = [];
    await superviseRunProcess(['sh', '-c', `echo x #${'y'.repeat(100_000)}`], { relayStdout: true, onLine: ({ label }) => void tags.push(label) });
    // Before: the whole 100 000-character script before every line.
    assert.ok((tags[0] ?? '').length < 1100, `label of ${tags[0]?.length} characters`);
    assert.match(tags[0] ?? '', /^sh -c echo x #y+… \(\d+ more characters\)$/);
  });

  test('the logger relay is the same lines in the seed format, and stays the default', BOUNDED, async () => {
    const logger = captureLogger();
    await superviseRunProcess(['sh', '-c', 'echo out; echo err >&2'], { relayStdout: true, relayStderr: true, label: 'x', logger });
    assert.deepEqual(logger.lines.sort(), ['[x:err] err', '[x:out] out']);
  });

  test('a throwing onLine stops the child and rejects the call with its error', BOUNDED, async () => {
    let pid: number | undefined;
    const boom = new Error('consumer broke');
    const error = await superviseRunProcess(['sh', '-c', 'echo first; exec sleep 30'], {
      relayStdout: true,
      killGraceMs: 500,
      onSpawn: (proc) => void (pid = proc.pid),
      onLine: () => {
        throw boom;
      },
    }).catch((caught: unknown) => caught);
    assert.equal(error, boom);
    assert.ok(pid !== undefined && !isRunning(pid), 'the child was stopped, not left running');
  });

  test('whatever a callback throws is what the call rejects with: undefined too, not an AbortError', BOUNDED, async () => {
    for (const thrown of [undefined, null, 0, 'text']) {
      const throwIt = (): never => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a non-Error is what is tested
        throw thrown;
      };
      const outcomeOf = (callback: { onLine: () => never } | { readyWhen: () => never }): Promise<unknown> =>
        superviseRunProcess(['sh', '-c', 'echo first; exec sleep 30'], { relayStdout: true, killGraceMs: 500, ...callback }).then(
          () => 'resolved',
          (caught: unknown) => ({ caught }),
        );
      assert.deepEqual(await outcomeOf({ onLine: throwIt }), { caught: thrown }, `onLine threw ${String(thrown)}`);
      assert.deepEqual(await outcomeOf({ readyWhen: throwIt }), { caught: thrown }, `readyWhen threw ${String(thrown)}`);
    }
  });

  test('after onLine throws, no line is delivered: neither the rest of that read nor any later one', BOUNDED, async () => {
    // The child ignores SIGTERM, so it goes on writing (a later read, then a last line without a
    // newline, which only the end of the stream delivers) until SIGKILL.
    const seen: string[] = [];
    const boom = new Error('consumer broke');
    const error = await superviseRunProcess(['sh', '-c', 'trap "" TERM; printf "a\\nb\\nc\\n"; sleep 0.3; printf "d\\ne"; exec sleep 30'], {
      relayStdout: true,
      killGraceMs: 1000,
      onLine: (event) => {
        seen.push(event.line);
        throw boom;
      },
    }).catch((caught: unknown) => caught);
    assert.equal(error, boom);
    assert.deepEqual(seen, ['a']);
  });

  test('an onLine that returns a rejected promise is a failing consumer, never an unhandled rejection', BOUNDED, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const boom = new Error('async consumer broke');
       
      const onLine = (async () => {
        throw boom;
      }) as unknown as (event: OutputLine) => void;
      await assert.rejects(superviseRunProcess(['sh', '-c', 'echo first; exec sleep 30'], { relayStdout: true, killGraceMs: 500, onLine }), (error) => error === boom);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('a slow onLine makes the child wait; nothing is lost or reordered', BOUNDED, async () => {
    const lines: string[] = [];
    await superviseRunProcess(['seq', '1', '3000'], {
      relayStdout: true,
      onLine: ({ line }) => {
        lines.push(line);
        if (lines.length % 500 === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // a consumer that stalls
      },
    });
    assert.equal(lines.length, 3000);
    assert.ok(lines.every((line, index) => line === String(index + 1)));
  });

  test('an async onLine still behind when the child exits gets every line all the same', BOUNDED, async () => {
    const lines: string[] = [];
    // drainGraceMs 0: the drain after the exit must not take a pipe held for its consumer for a quiet one.
    const completed = await superviseRunProcess(['seq', '1', '200000'], {
      relayStdout: true,
      drainGraceMs: 0,
      onLine: async ({ line }) => {
        lines.push(line);
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
    });
    assert.equal(completed.returncode, 0);
    assert.equal(lines.length, 200000);
    assert.ok(lines.every((line, index) => line === String(index + 1)));
  });

  test('a rejection of an async onLine after the child exited still fails the call: it ends once every line was taken', BOUNDED, async () => {
    let settled = 0;
    const onLine = async ({ line }: OutputLine): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, line === '2000' ? 150 : 20));
      settled++;
      if (line === '2000') throw new Error('the sink failed on line 2000');
    };
    await assert.rejects(superviseRunProcess(['seq', '1', '3000'], { relayStdout: true, onLine }), /the sink failed on line 2000/);
    assert.equal(settled, 3000, 'the call waited for every line it had handed out');
  });

  test('a writer that outlived the group is held again after what a pipe holds: a slow onLine does not make it pile up', BOUNDED, async () => {
    let pending = 0;
    let mostPending = 0;
    // The leader exits at once; its leftover (in a session of its own: not stopped with the group)
    // writes 20 MB of 100-byte lines into the pipe, into an onLine that takes 200 ms per read.
    const flood = `setsid sh -c "head -c 20000000 /dev/zero | tr '\\0' x | fold -w 99" & exit 0`;
    await superviseRunProcess(flood, {
      shell: true,
      relayStdout: true,
      drainGraceMs: 1000,
      onLine: async () => {
        mostPending = Math.max(mostPending, ++pending);
        await new Promise((resolve) => setTimeout(resolve, 200));
        pending--;
      },
    });
    // A pipe's worth after the group was gone (1 MiB, ~10 500 lines) and the read in hand; read on
    // regardless, as long as the drain lasts, it was twice that here.
    assert.ok(mostPending < 12_000, `${mostPending} lines were waiting for onLine at once`);
  });

  for (const drainGraceMs of [Infinity, 2000]) {
    test(`an onLine that awaits proc.stop() gets it, and the lines the child writes as it stops (drainGraceMs ${drainGraceMs})`, BOUNDED, async () => {
      const lines: string[] = [];
      let proc: Process | undefined;
      const completed = await superviseRunProcess(['sh', '-c', 'trap "echo bye; exit 0" TERM; i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.01; done'], {
        relayStdout: true,
        drainGraceMs,
        onSpawn: (spawned) => (proc = spawned),
        onLine: async ({ line }) => {
          lines.push(line);
          if (line === 'line 3') await proc?.stop();
        },
      });
      assert.equal(completed.stopped, true);
      // A line or two more may have been written before the stop signal came: never one after bye.
      assert.deepEqual(lines.slice(0, 3), ['line 1', 'line 2', 'line 3']);
      assert.equal(lines.at(-1), 'bye');
      assert.ok(lines.slice(0, -1).every((line, index) => line === `line ${index + 1}`), lines.join(', '));
    });
  }

  test('readiness sees the lines whether or not onLine gets them', BOUNDED, async () => {
    const seen: string[] = [];
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', 'echo booting >&2; echo ready; exec sleep 30'], { relayStderr: true, readyWhen: /^ready$/, killGraceMs: 500, onLine: ({ line }) => void seen.push(line) }, ctx),
      );
      assert.equal(proc.returncode, null);
      await proc.stop();
    });
    assert.deepEqual(seen, ['booting'], 'stdout was read for readiness but not relayed');
  });
});

describe('which logger method gets the relayed lines', () => {
  test('a logger without io gets them at info when relayLevel is left at its default', BOUNDED, async () => {
    const infos: string[] = [];
    await superviseRunProcess(['echo', 'hi'], { relayStdout: true, label: 'e', logger: { info: (line: string) => void infos.push(line) } });
    assert.deepEqual(infos, ['[e:out] hi']);
  });

  test('console works as the logger: its info method gets the lines', BOUNDED, async () => {
    const original = console.info;
    const infos: unknown[] = [];
    console.info = (...args: unknown[]) => void infos.push(...args);
    try {
      await superviseRunProcess(['echo', 'hi'], { relayStdout: true, label: 'e', logger: console });
    } finally {
      console.info = original;
    }
    assert.deepEqual(infos, ['[e:out] hi']);
  });

  test('a logger with only log gets them at log', BOUNDED, async () => {
    const logs: string[] = [];
    await superviseRunProcess(['echo', 'hi'], { relayStdout: true, label: 'e', logger: { log: (line: string) => void logs.push(line) } });
    assert.deepEqual(logs, ['[e:out] hi']);
  });

  test('an explicit relayLevel the logger lacks is still an error, before anything spawns', BOUNDED, async () => {
    let spawned = false;
    await assert.rejects(
      superviseRunProcess(['echo', 'hi'], { relayStdout: true, relayLevel: 'io', logger: { info: () => undefined }, onSpawn: () => void (spawned = true) }),
      /no "io" method/,
    );
    assert.equal(spawned, false);
  });

  test('a logger method that returns a rejected promise fails the call and stops the child; no unhandled rejection', BOUNDED, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let pid: number | undefined;
    try {
      const boom = new Error('log shipper down');
      const logger = { io: () => Promise.reject(boom) };
      await assert.rejects(
        superviseRunProcess(['sh', '-c', 'echo first; exec sleep 30'], { relayStdout: true, killGraceMs: 500, logger, onSpawn: (proc) => void (pid = proc.pid) }),
        (error) => error === boom,
      );
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
      assert.ok(pid !== undefined && !isRunning(pid));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
