// A dependent started while what it depends on is down between two attempts of its restart policy
// waits for it to be up again (SPEC §5: dependsOn starts after those are ready), whoever starts it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BOUNDED, client, configDir, interrupt, rowOf, up, waitForState } from './support.js';

describe('a dependency in its restart backoff', () => {
  test('subvisor restart web waits for db to be ready again, then starts web', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  db:
    cmd: "echo ready; sleep 2; exit 1"
    ready: ready
    restart: { policy: on-failure, max: 5, backoff: 2s }
  web: { cmd: "echo web up; exec sleep 30", dependsOn: [db] }
`,
    );
    const run = await up(dir);
    try {
      await run.waitForOutput(/^web +\| web up$/m);
      await waitForState(dir, 'db', /^restarting in /);
      const restarted = await client(dir, ['restart', 'web']);
      assert.equal(restarted.code, 0, restarted.stderr);
      // The client returned once the chain was up: db ready again (for 2 s), not in its backoff.
      assert.equal((await rowOf(dir, 'db')).state, 'ready');
      await run.waitForOutput(/^web +\| web up$[\s\S]*^web +\| web up$/m);
      const lines = run.stdoutSoFar().split('\n');
      const secondReady = lines.findIndex((line, i) => /^db +\* ready after/.test(line) && lines.slice(0, i).some((earlier) => /^db +\* ready after/.test(earlier)));
      const secondStart = lines.findIndex((line, i) => /^web +\| web up$/.test(line) && lines.slice(0, i).some((earlier) => /^web +\| web up$/.test(earlier)));
      assert.ok(secondReady !== -1 && secondReady < secondStart, `web started again only once db was ready again:\n${lines.join('\n')}`);
      const restartBegan = lines.findIndex((line) => /^web +\* starting \(subvisor restart\)$/.test(line));
      assert.ok(restartBegan !== -1, lines.join('\n'));
      assert.match(lines.slice(restartBegan, secondStart).join('\n'), /^web +\* waiting for db to be ready$/m);
    } finally {
      await interrupt(run);
    }
  });
});
