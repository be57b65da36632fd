// Blind acceptance tests of SPEC §5 and §9 (`subvisor up`: probes, tasks, conditions, restarts,
// environment), written from SPEC alone and kept where they pin a promise no other test pins:
// the built CLI driven with real processes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../support/network.js';
import { startCli, type CliRun } from './cli.js';

const BOUNDED = { timeout: 30_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-blind-up-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;

/** A fresh directory holding `yaml` as subvisor.yaml; returns the directory. */
function stackDir(yaml: string): string {
  const dir = join(scratch, `d${dirs++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'subvisor.yaml'), yaml);
  return dir;
}

/** `subvisor up` in `dir` to its end; a Ctrl-C after 20 s turns a hang into a failed assertion (status 130). */
async function upIn(dir: string): Promise<CliRun> {
  const run = startCli(['up'], { cwd: dir });
  const guard = setTimeout(() => run.kill('SIGINT'), 20_000);
  const ended = await run.done;
  clearTimeout(guard);
  return ended;
}

const linesOf = (path: string): string[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((line) => line !== '') : []);

describe('blind §9: probes', () => {
  test('liveness stops a process after failures (default 3) failed tries in a row; that is a failure for its restart policy, and the restart line says liveness', BOUNDED, async () => {
    const dir = stackDir(`processes:
  p:
    cmd: "echo start >> starts; exec sleep 30"
    liveness: { exec: "echo probe >> probes; exit 1", interval: 50ms }
    restart: { policy: on-failure, max: 1, backoff: 10ms }
  m: { cmd: "exec sleep 30", main: true }
`);
    const run = await upIn(dir);
    assert.notEqual(run.code, 130, `it did not end by itself:\n${run.stdout}`);
    assert.notEqual(run.code, 0, run.stdout);
    assert.match(run.stdout, /^p +\* restarting in .*liveness.*restart 1 of 1/m);
    assert.equal(run.stdout.match(/^p +\* failed its liveness probe 3 times in a row/gm)?.length, 2, run.stdout);
    assert.equal(linesOf(join(dir, 'starts')).length, 2);
    assert.equal(linesOf(join(dir, 'probes')).length, 6, 'three tries a life, none after its stop began');
  });

  test('http: a redirect is not a 2xx (it is not followed), and status: 302 asks for exactly that', BOUNDED, async () => {
    const port = await freePort();
    const server = `require('http').createServer((q, s) => { s.statusCode = 302; s.setHeader('location', '/ok'); s.end(); }).listen(${port}, '127.0.0.1')`;
    const web = `  web: { cmd: ["${process.execPath}", -e, "${server}"], ready: { tcp: "127.0.0.1:${port}", interval: 50ms } }\n`;
    const asked = await upIn(
      stackDir(`processes:
${web}  p: { cmd: "exec sleep 30", dependsOn: [web], ready: { http: "http://127.0.0.1:${port}/health", status: 302, interval: 50ms } }
  m: { cmd: "echo m-ran", dependsOn: [p], main: true }
`),
    );
    assert.equal(asked.code, 0, asked.stdout + asked.stderr);
    assert.match(asked.stdout, /^m +\| m-ran$/m);
    const byDefault = await upIn(
      stackDir(`processes:
${web}  p: { cmd: "exec sleep 30", dependsOn: [web], ready: { http: "http://127.0.0.1:${port}/health", interval: 50ms }, readyTimeout: 1500ms }
  m: { cmd: "echo m-ran", dependsOn: [p], main: true }
`),
    );
    assert.equal(byDefault.code, 124, byDefault.stdout + byDefault.stderr);
    assert.match(byDefault.stderr, /HTTP 302/, 'the report shows what the probe got');
    assert.doesNotMatch(byDefault.stdout, /m-ran/);
  });
});

describe('blind §9: tasks and conditions', () => {
  test('a task retried on failure completes with its last try: a `completed` dependent waits for it, whether the retries end in success or fail', BOUNDED, async () => {
    const dir = stackDir(`processes:
  flaky: { cmd: "echo flaky >> order; sleep 0.2; exit 3", task: true, restart: { policy: on-failure, max: 2, backoff: 50ms } }
  afterFlaky: { cmd: "echo after-flaky >> order", dependsOn: { flaky: completed } }
  once: { cmd: "echo once >> order; test -f ok || { touch ok; exit 1; }", task: true, restart: { policy: on-failure, max: 1, backoff: 50ms } }
  afterOnce: { cmd: "echo after-once >> order", dependsOn: { once: completed } }
  m: { cmd: 'until [ "$(grep -c after- order 2>/dev/null)" = 2 ]; do sleep 0.05; done', main: true }
`);
    const run = await upIn(dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const order = linesOf(join(dir, 'order'));
    assert.deepEqual(
      order.filter((line) => line.includes('flaky')),
      ['flaky', 'flaky', 'flaky', 'after-flaky'],
    );
    assert.deepEqual(
      order.filter((line) => line.includes('once')),
      ['once', 'once', 'after-once'],
    );
    assert.match(run.stdout, /^flaky +\* its failure ends nothing/m);
  });
});
