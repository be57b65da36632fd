// What a TypeScript user writes from SPEC §3 compiles: `npm run typecheck` checks this file, so an
// option type that refuses these fails the build, and the calls run, so they are what works.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getLogger, superviseRunProcess, type SuperviseOptions } from '../../src/index.js';

test('SuperviseOptions written as a type takes any relayLevel, and a level known only at run time goes with any logger', { timeout: 20_000 }, async () => {
  const lines: string[] = [];
  const capture = { info: (line: string): void => void lines.push(line), warning: (line: string): void => void lines.push(line) };
  const typed: SuperviseOptions = { relayStdout: true, relayLevel: 'info', logger: capture, label: 'typed' };
  await superviseRunProcess(['echo', 'one'], typed);
  const levelFromConfig = (): string => 'warning';
  await superviseRunProcess(['echo', 'two'], { relayStdout: true, relayLevel: levelFromConfig(), logger: capture, label: 'wide' });
  // The package's own logger, with a level that is a string: it has every level.
  await superviseRunProcess(['true'], { relayStdout: true, relayLevel: levelFromConfig(), logger: getLogger('types') });
  assert.deepEqual(lines, ['[typed:out] one', '[wide:out] two']);
});
