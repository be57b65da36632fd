// Watch mode of `subvisor up` (SPEC §10): what a change started fails the run once it is a normal life. The built CLI, YAML files,
// real processes, real files changed in a temporary directory; the helpers are up-support.ts's.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BOUNDED, all, control, endsSoon, interrupt, nthPid, project, withUp, write } from './up-support.js';

describe('what a change started fails the run once it is a normal life', () => {
  test('a change-started life that fails before it is ready does not end the run; once ready, its crash does', BOUNDED, async () => {
    const dir = project(
      `processes:
  web:
    cmd: "if grep -q broken src/app.txt; then exit 2; fi; echo web pid $$; echo up; while [ ! -f crash ]; do sleep 0.05; done; exit 3"
    ready: up
    watch: { paths: [src], debounce: 50ms }
`,
      { 'src/app.txt': 'v1' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^web +\* ready/m);
      write(dir, 'src/app.txt', 'broken');
      await cli.waitForOutput(/^web +\* exited with status 2 before it was ready\n(?:.*\n)*web +\* the run goes on: the next change starts it again$/m);
      write(dir, 'src/app.txt', 'v2');
      await cli.waitForOutput(/(?:^web +\* ready.*\n[^]*){2}/m);
      write(dir, 'crash');
      const run = await endsSoon(cli, 'the crash of a ready life did not end the run');
      assert.notEqual(run.code, 0);
      assert.equal(all(run.stdout, /^web +\* the run goes on/gm).length, 1, 'only the broken start was forgiven');
    });
  });

  test('a dependent a change began, still waiting when a second change restarts what it waits for, fails the run once it was ready and crashes', BOUNDED, async () => {
    // The second change ends app's wait unsaid and begins it again; app stayed forgiven, but what
    // ends that leniency once it is ready was tied to the life the second change ended: app's
    // crash, ready for a second, said "the run goes on".
    const dir = project(
      `processes:
  web:
    cmd: "echo web pid $$; while [ ! -e go ]; do sleep 0.05; done; echo up; exec sleep 30"
    ready: up
    watch: { paths: [src], debounce: 50ms }
  app: { cmd: "echo app pid $$; echo app up; while [ ! -e crash ]; do sleep 0.05; done; exit 3", ready: "app up", dependsOn: [web] }
`,
      { 'src/app.txt': 'v1', go: '' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^app +\* ready/m);
      rmSync(join(dir, 'go'));
      write(dir, 'src/app.txt', 'v2');
      await nthPid(cli, 'web', 2);
      await cli.waitForOutput(/^app +\* starting \(after a change\)\n(?:.*\n)*app +\* waiting for web to be ready$/m);
      write(dir, 'src/app.txt', 'v3');
      await nthPid(cli, 'web', 3);
      write(dir, 'go');
      await nthPid(cli, 'app', 2);
      await cli.waitForOutput(/(?:^app +\* ready.*\n[^]*){2}/m);
      write(dir, 'crash');
      const run = await endsSoon(cli, 'the crash of a ready life did not end the run');
      assert.notEqual(run.code, 0);
      assert.doesNotMatch(run.stdout, /the run goes on/);
    });
  });

  test('a Ctrl-C while a change-started life is stopped for not being ready ends the run with 130: that failure was never the run\'s', BOUNDED, async () => {
    const dir = project(
      `processes:
  web:
    cmd: "trap '' TERM; while :; do sleep 0.05; done"
    ready: { exec: "test -f src/ok", interval: 50ms }
    readyTimeout: 400ms
    grace: 1500ms
    watch: { paths: [src], debounce: 50ms }
`,
      { 'src/ok': '' },
    );
    await withUp(dir, async (cli) => {
      await cli.waitForOutput(/^web +\* ready/m);
      rmSync(join(dir, 'src/ok'));
      await cli.waitForOutput(/^web +\* stopping \(not ready within 400 ms\)/m);
      const run = await interrupt(cli); // 130, not the readiness failure's 124
      assert.doesNotMatch(run.stderr, /web failed/);
    });
  });

  test('a life started by subvisor restart after a change-started one fails the run as any life does', BOUNDED, async () => {
    const dir = project(
      `processes:
  web:
    cmd: "echo web pid $$; while [ ! -f crash ]; do sleep 0.05; done; exit 3"
    watch: { paths: [src], debounce: 50ms }
`,
      { 'src/app.txt': 'v1' },
    );
    await withUp(dir, async (cli) => {
      await nthPid(cli, 'web', 1);
      write(dir, 'src/app.txt', 'v2');
      await nthPid(cli, 'web', 2);
      await control(dir, ['restart', 'web']);
      await nthPid(cli, 'web', 3);
      write(dir, 'crash');
      const run = await endsSoon(cli, 'the crash did not end the run');
      assert.notEqual(run.code, 0);
      assert.doesNotMatch(run.stdout, /the run goes on/);
    });
  });
});
