// Probes of `subvisor up` (SPEC §9), each against the real thing: a command, an HTTP server, a TCP
// listener on loopback.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cancelled } from '../../../src/core/errors.js';
import { describeTry, tryProbe, untilDead, untilPasses, untilPassesWithin, type OutsideProbe, type ProbeResult } from '../../../src/cli/stack/probes.js';
import { freePort } from '../../support/network.js';
import { isRunning, waitUntil } from '../../support/processes.js';

const BOUNDED = { timeout: 20_000 };
const TIMING = { intervalMs: 20, timeoutMs: 2000, startPeriodMs: 0 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-probes-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function listening(server: Server | ReturnType<typeof createTcpServer> | ReturnType<typeof createHttpsServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('one try', () => {
  test('exec: exit 0 passes, anything else fails with the output and the exit status kept', BOUNDED, async () => {
    assert.deepEqual(await tryProbe({ kind: 'exec', cmd: ['true'], ...TIMING }, {}), { passed: true, output: '', exit: { returncode: 0, signal: null } });
    const failed = await tryProbe({ kind: 'exec', cmd: 'echo "no server on the socket" >&2; exit 2', ...TIMING }, {});
    // Before: { passed: false, output: 'no server on the socket' }, and its status 2 lost.
    assert.deepEqual(failed, { passed: false, output: 'no server on the socket', exit: { returncode: 2, signal: null } });
    assert.equal(describeTry(failed), 'no server on the socket\n(exit status 2)');
  });

  test('exec: a probe killed by a signal says which, as data and in words, though it printed nothing', BOUNDED, async () => {
    const killed = await tryProbe({ kind: 'exec', cmd: 'kill -KILL $$', ...TIMING }, {});
    assert.deepEqual(killed, { passed: false, output: '', exit: { returncode: -9, signal: 'SIGKILL' } });
    assert.equal(describeTry(killed), 'died of SIGKILL');
  });

  test('exec: runs with the cwd and env it is given', BOUNDED, async () => {
    const result = await tryProbe({ kind: 'exec', cmd: 'echo "$PROBE_VAR in $(pwd)"', ...TIMING }, { cwd: scratch, env: { ...process.env, PROBE_VAR: 'seen' } });
    assert.equal(result.output, `seen in ${scratch}`);
  });

  test('exec: a probe that hangs is cut at its timeout, and its process is gone', BOUNDED, async () => {
    const pidFile = join(scratch, 'hung.pid');
    const started = performance.now();
    const result = await tryProbe({ kind: 'exec', cmd: `echo $$ > ${pidFile}; exec sleep 30`, ...TIMING, timeoutMs: 300 }, {});
    assert.equal(result.passed, false);
    assert.match(result.output, /no answer within 300 ms/);
    assert.ok(performance.now() - started < 5000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(isRunning(pid), false);
  });

  test('exec: a try cut at its timeout still says what it had printed, then why it was cut', BOUNDED, async () => {
    const result = await tryProbe({ kind: 'exec', cmd: 'echo "waiting for the lock"; exec sleep 30', ...TIMING, timeoutMs: 300 }, {});
    assert.deepEqual(result, { passed: false, output: "waiting for the lock\n(no answer within 300 ms (the probe's timeout))" });
  });

  test('exec: one that exits leaving a process in the background (holding its output) is judged by its exit at once, and the process is stopped', BOUNDED, async () => {
    const pidFile = join(scratch, 'background.pid');
    const started = performance.now();
    const result = await tryProbe({ kind: 'exec', cmd: `sleep 30 & echo $! > ${pidFile}; echo helper started; exit 0`, ...TIMING, timeoutMs: 10_000 }, {});
    const tookMs = performance.now() - started;
    assert.deepEqual(result, { passed: true, output: 'helper started', exit: { returncode: 0, signal: null } });
    // The library's own drain grace is 2 s: a probe does not wait that long for output it does not need.
    assert.ok(tookMs < 1500, `the try took ${Math.round(tookMs)} ms`);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitUntil(() => !isRunning(pid), 'the background process to be stopped', 3000);
  });

  test('exec: stdout and stderr lines are reported in the order they were written', BOUNDED, async () => {
    const cmd = 'for i in 1 2 3; do echo "out $i"; sleep 0.05; echo "err $i" >&2; sleep 0.05; done; exit 1';
    const result = await tryProbe({ kind: 'exec', cmd, ...TIMING }, {});
    assert.deepEqual(result, { passed: false, output: 'out 1\nerr 1\nout 2\nerr 2\nout 3\nerr 3', exit: { returncode: 1, signal: null } });
  });

  test('exec: a probe may print any amount; its last 2 KiB are kept', BOUNDED, async () => {
    const result = await tryProbe({ kind: 'exec', cmd: 'yes "a line of the probe" | head -n 100000; echo "the last line"', ...TIMING, timeoutMs: 10_000 }, {});
    assert.equal(result.passed, true);
    assert.ok(result.output.endsWith('a line of the probe\nthe last line'), result.output.slice(-100));
    assert.ok(Buffer.byteLength(result.output) <= 2048, `${Buffer.byteLength(result.output)} bytes kept`);
  });

  test('http: the status decides (any 2xx by default, or the one asked for)', BOUNDED, async () => {
    const server = createServer((request, response) => {
      response.statusCode = request.url === '/health' ? 200 : request.url === '/teapot' ? 418 : 503;
      response.end('body');
    });
    const port = await listening(server);
    try {
      const base = { kind: 'http' as const, status: undefined, ...TIMING };
      assert.deepEqual(await tryProbe({ ...base, url: `http://127.0.0.1:${port}/health` }, {}), { passed: true, output: 'HTTP 200' });
      assert.deepEqual(await tryProbe({ ...base, url: `http://127.0.0.1:${port}/down` }, {}), { passed: false, output: 'HTTP 503' });
      assert.equal((await tryProbe({ ...base, url: `http://127.0.0.1:${port}/teapot`, status: 418 }, {})).passed, true);
    } finally {
      server.close();
    }
  });

  test('http: a redirect is not followed, and the failure says where it points (without its query, which may hold a token)', BOUNDED, async () => {
    const server = createServer((request, response) => {
      const to = request.url === '/health' ? '/health/' : 'https://u:pw@sso.example/login?state=s3cret#top';
      response.writeHead(request.url === '/health' ? 301 : 302, { location: to });
      response.end();
    });
    const port = await listening(server);
    try {
      const base = { kind: 'http' as const, status: undefined, ...TIMING };
      // Before: 'HTTP 301' alone, and the fix (aim at /health/) left to guess.
      assert.deepEqual(await tryProbe({ ...base, url: `http://127.0.0.1:${port}/health` }, {}), { passed: false, output: 'HTTP 301 to /health/ (a redirect is not followed)' });
      assert.deepEqual(await tryProbe({ ...base, url: `http://127.0.0.1:${port}/admin` }, {}), { passed: false, output: 'HTTP 302 to https://sso.example/login (a redirect is not followed)' });
      assert.deepEqual(await tryProbe({ ...base, url: `http://127.0.0.1:${port}/health`, status: 301 }, {}), { passed: true, output: 'HTTP 301' });
    } finally {
      server.close();
    }
  });

  test("http: where a redirect points is named as the config writes the URL (${HEALTH_TOKEN}), and not said where it would show a variable's value otherwise", BOUNDED, async () => {
    const server = createServer((request, response) => {
      response.writeHead(302, { location: request.url === '/health/s3cr3t' ? '/health/s3cr3t/' : '/login/s3cr3t' });
      response.end();
    });
    const port = await listening(server);
    try {
      const base = { kind: 'http' as const, status: undefined, ...TIMING };
      const token = { name: 'HEALTH_TOKEN', value: 's3cr3t' };
      const slash = await tryProbe({ ...base, url: `http://127.0.0.1:${port}/health/s3cr3t`, urlParts: [`http://127.0.0.1:${port}/health/`, token] }, {});
      // Before: 'HTTP 302 to /health/s3cr3t/ (a redirect is not followed)', .env's value in the report and --json.
      assert.deepEqual(slash, { passed: false, output: 'HTTP 302 to /health/${HEALTH_TOKEN}/ (a redirect is not followed)' });
      const elsewhere = await tryProbe({ ...base, url: `http://127.0.0.1:${port}/s3cr3t/admin`, urlParts: [`http://127.0.0.1:${port}/`, token, '/admin'] }, {});
      assert.deepEqual(elsewhere, { passed: false, output: 'HTTP 302 (a redirect is not followed); the details would show the value of the variable it holds, so they are not shown: check that value' });
      // The control: a variable that made only the host leaves a redirect on the same server said as it is.
      const host = await tryProbe({ ...base, url: `http://127.0.0.1:${port}/health/s3cr3t`, urlParts: ['http://', { name: 'HOST', value: '127.0.0.1' }, `:${port}/health/s3cr3t`] }, {});
      assert.deepEqual(host, { passed: false, output: 'HTTP 302 to /health/s3cr3t/ (a redirect is not followed)' });
    } finally {
      server.close();
    }
  });

  test("http and tcp: a port a variable made is named as written in Node's connect error, which names the address a host resolved to (localhost:${PORT} refused at 127.0.0.1:PORT)", BOUNDED, async () => {
    // A port nothing listens on: one just freed.
    const freed = createTcpServer();
    const port = await listening(freed);
    await new Promise((resolve) => freed.close(resolve));
    const value = { name: 'PORT', value: String(port) };
    const refused = new RegExp(`^connect ECONNREFUSED (?:(?:127\\.0\\.0\\.1|::1):\\$\\{PORT\\}(?:; |$))+`);
    const results = [
      await tryProbe({ kind: 'http', url: `http://127.0.0.1:${port}/health`, status: undefined, urlParts: ['http://127.0.0.1:', value, '/health'], ...TIMING }, {}),
      await tryProbe({ kind: 'http', url: `http://localhost:${port}/health`, status: undefined, urlParts: ['http://localhost:', value, '/health'], ...TIMING }, {}),
      await tryProbe({ kind: 'tcp', host: 'localhost', port, addressParts: ['localhost:', value], ...TIMING }, {}),
    ];
    for (const result of results) {
      assert.equal(result.passed, false);
      assert.match(result.output, refused);
      assert.ok(!result.output.includes(String(port)), result.output);
    }
    // A port inside a value that makes more (the whole URL, HOST:PORT) is named with its address, by the target.
    const url = { name: 'URL', value: `http://127.0.0.1:${port}/health` };
    assert.deepEqual(await tryProbe({ kind: 'http', url: url.value, status: undefined, urlParts: [url], ...TIMING }, {}), { passed: false, output: 'connect ECONNREFUSED the address of ${URL}' });
    const address = { name: 'ADDRESS', value: `127.0.0.1:${port}` };
    assert.deepEqual(await tryProbe({ kind: 'tcp', host: '127.0.0.1', port, addressParts: [address], ...TIMING }, {}), { passed: false, output: 'connect ECONNREFUSED ${ADDRESS}' });
    // The control: a port the config writes is said as it is.
    const written = await tryProbe({ kind: 'http', url: `http://localhost:${port}/health?t=x`, status: undefined, urlParts: [`http://localhost:${port}/health?t=`, { name: 'T', value: 'x' }], ...TIMING }, {});
    assert.ok(written.output.includes(`:${port}`), written.output);
  });

  test('http: a redirect to another host on the port a variable made (localhost:${PORT} from 127.0.0.1:${PORT}) is said with the port as written, not hidden', BOUNDED, async () => {
    const server = createServer((_request, response) => {
      response.writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}/login` });
      response.end();
    });
    const port = await listening(server);
    try {
      const result = await tryProbe({ kind: 'http', url: `http://127.0.0.1:${port}/health`, status: undefined, urlParts: ['http://127.0.0.1:', { name: 'PORT', value: String(port) }, '/health'], ...TIMING }, {});
      assert.deepEqual(result, { passed: false, output: 'HTTP 302 to http://localhost:${PORT}/login (a redirect is not followed)' });
    } finally {
      server.close();
    }
  });

  test('http: a short value of the URL (H=a) hides a redirect location that holds it as a piece of a word (/health/): nothing tells its piece from the value, so it stays hidden (a longer value it does not hold leaves it said)', BOUNDED, async () => {
    const server = createServer((_request, response) => {
      response.writeHead(301, { location: '/health/' });
      response.end();
    });
    const port = await listening(server);
    try {
      const base = { kind: 'http' as const, status: undefined, ...TIMING };
      const probe = (value: string): Promise<unknown> =>
        tryProbe({ ...base, url: `http://127.0.0.1:${port}/health?k=${value}`, urlParts: [`http://127.0.0.1:${port}/health?k=`, { name: 'H', value }] }, {});
      // A server may build its Location from the query (`/health/a`): a value in it is hidden wherever it is.
      assert.deepEqual(await probe('a'), { passed: false, output: 'HTTP 301 (a redirect is not followed); the details would show the value of the variable it holds, so they are not shown: check that value' });
      assert.deepEqual(await probe('zq'), { passed: false, output: 'HTTP 301 to /health/ (a redirect is not followed)' });
    } finally {
      server.close();
    }
  });

  test('http: a redirect target is shown without a user and password however it is written (protocol-relative, with a backslash or one slash, as a URL parser reads it)', BOUNDED, async () => {
    // Each is a Location a browser follows to https://sso.example/login as user u, password secret.
    const targets = ['//u:secret@sso.example/login', 'https:\\\\u:secret@sso.example/login', 'https:/u:secret@sso.example/login', 'HTTPS://u:secret@sso.example/login'];
    let next = 0;
    const server = createServer((_request, response) => {
      response.writeHead(302, { location: targets[next++] });
      response.end();
    });
    const port = await listening(server);
    try {
      const probe = { kind: 'http' as const, url: `http://127.0.0.1:${port}/admin`, status: undefined, ...TIMING };
      const said: string[] = [];
      while (said.length < targets.length) said.push((await tryProbe(probe, {})).output);
      // Before: the first three shown as written, the password with them.
      assert.deepEqual(said, ['HTTP 302 to http://sso.example/login (a redirect is not followed)', ...Array<string>(3).fill('HTTP 302 to https://sso.example/login (a redirect is not followed)')]);
    } finally {
      server.close();
    }
  });

  test('http: an answer that is no redirect is not called one, though it names a Location (201 Created)', BOUNDED, async () => {
    const server = createServer((_request, response) => {
      response.writeHead(201, { location: '/items/1' });
      response.end();
    });
    const port = await listening(server);
    try {
      // Before: 'HTTP 201 to /items/1 (a redirect is not followed)'.
      assert.deepEqual(await tryProbe({ kind: 'http', url: `http://127.0.0.1:${port}/items`, status: 200, ...TIMING }, {}), { passed: false, output: 'HTTP 201' });
    } finally {
      server.close();
    }
  });

  test('https: a server with a certificate nobody signed (a dev server\'s own) is asked all the same, as Kubernetes probes do, but not with a password', BOUNDED, async () => {
    const tls = join(import.meta.dirname, '..', '..', 'fixtures', 'tls');
    const server = createHttpsServer({ key: readFileSync(join(tls, 'self-signed-key.pem')), cert: readFileSync(join(tls, 'self-signed-cert.pem')) }, (request, response) => {
      response.statusCode = request.url === '/health' ? 200 : 503;
      response.end();
    });
    const port = await listening(server);
    try {
      const base = { kind: 'http' as const, status: undefined, ...TIMING };
      assert.deepEqual(await tryProbe({ ...base, url: `https://127.0.0.1:${port}/health` }, {}), { passed: true, output: 'HTTP 200' });
      assert.deepEqual(await tryProbe({ ...base, url: `https://localhost:${port}/down` }, {}), { passed: false, output: 'HTTP 503' });
      // A user and password go only to a server whose certificate is trusted.
      assert.deepEqual(await tryProbe({ ...base, url: `https://admin:secret@127.0.0.1:${port}/health` }, {}), { passed: false, output: 'self-signed certificate (the certificate is checked since the URL holds a user and password)' });
    } finally {
      server.close();
    }
    // A refused connection is no certificate's fault: it is not blamed on one.
    const refused = await tryProbe({ kind: 'http', url: `https://admin:secret@127.0.0.1:${port}/health`, status: undefined, ...TIMING }, {});
    assert.deepEqual(refused, { passed: false, output: `connect ECONNREFUSED 127.0.0.1:${port}` });
  });

  test('http: a body that never ends (a stream, server-sent events) leaves no connection open after the try', BOUNDED, async () => {
    const streams = new Set<ServerResponse>();
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: hello\n\n');
      streams.add(response);
    });
    let open = 0;
    server.on('connection', (socket: Socket) => {
      open++;
      socket.on('close', () => open--);
    });
    const port = await listening(server);
    try {
      const probe = { kind: 'http' as const, url: `http://127.0.0.1:${port}/events`, status: undefined, ...TIMING };
      for (let tries = 0; tries < 5; tries++) assert.deepEqual(await tryProbe(probe, {}), { passed: true, output: 'HTTP 200' });
      // Each try has its answer at the status line: the connection it opened is closed by then, or at once after.
      await waitUntil(() => open === 0, 'every connection of the tries to close', 2000).catch(() => undefined);
      assert.equal(open, 0, 'connections still open after 5 tries');
    } finally {
      for (const response of streams) response.destroy();
      server.close();
    }
  });

  test('http and tcp: nobody listening fails with the reason', BOUNDED, async () => {
    const server = createTcpServer();
    const port = await listening(server);
    await new Promise((resolve) => server.close(resolve)); // a port that was just free
    const http = await tryProbe({ kind: 'http', url: `http://127.0.0.1:${port}/`, status: undefined, ...TIMING }, {});
    assert.equal(http.passed, false);
    assert.match(http.output, /ECONNREFUSED/);
    const tcp = await tryProbe({ kind: 'tcp', host: '127.0.0.1', port, ...TIMING }, {});
    assert.equal(tcp.passed, false);
    assert.match(tcp.output, /ECONNREFUSED/);
  });

  test('http: a server that accepts but never answers is cut at the timeout, and the result says so', BOUNDED, async () => {
    const silent = createTcpServer(() => {
      // accepts the connection, never answers
    });
    const port = await listening(silent);
    try {
      const http = await tryProbe({ kind: 'http', url: `http://127.0.0.1:${port}/`, status: undefined, ...TIMING, timeoutMs: 300 }, {});
      assert.deepEqual(http, { passed: false, output: "no answer within 300 ms (the probe's timeout)" });
    } finally {
      silent.close();
    }
  });

  test('a try cancelled from outside rejects with the cancellation, not a failed try', BOUNDED, async () => {
    const silent = createTcpServer(() => {
      // accepts the connection, never answers
    });
    const port = await listening(silent);
    try {
      const cancel = new AbortController();
      setTimeout(() => cancel.abort(new Cancelled('the run ends')), 100);
      await assert.rejects(tryProbe({ kind: 'http', url: `http://127.0.0.1:${port}/`, status: undefined, ...TIMING }, {}, cancel.signal), Cancelled);
    } finally {
      silent.close();
    }
  });

  test('tcp: a listener passes', BOUNDED, async () => {
    const server = createTcpServer((socket) => socket.end());
    const port = await listening(server);
    try {
      assert.equal((await tryProbe({ kind: 'tcp', host: '127.0.0.1', port, ...TIMING }, {})).passed, true);
    } finally {
      server.close();
    }
  });
});

describe('waiting on a probe', () => {
  test('untilPasses tries every interval until it passes, and reports every try', BOUNDED, async () => {
    const flag = join(scratch, 'up');
    const tries: boolean[] = [];
    setTimeout(() => writeFileSync(flag, ''), 200);
    const controller = new AbortController();
    const result = await untilPasses({ kind: 'exec', cmd: ['test', '-e', flag], ...TIMING }, {}, controller.signal, (r) => tries.push(r.passed));
    assert.equal(result.passed, true);
    assert.ok(tries.length >= 3, `it kept trying (${tries.length} tries)`);
    assert.deepEqual(tries.slice(-1), [true]);
    assert.ok(tries.slice(0, -1).every((passed) => !passed));
  });

  test('a try the wait cuts short is reported last, with what it had printed', BOUNDED, async () => {
    const tried: ProbeResult[] = [];
    const probe: OutsideProbe = { kind: 'exec', cmd: 'echo "replaying the WAL"; exec sleep 30', ...TIMING, timeoutMs: 20_000 };
    const wait = untilPasses(probe, {}, AbortSignal.timeout(500), (result) => tried.push(result));
    await assert.rejects(wait);
    assert.deepEqual(tried, [{ passed: false, output: 'replaying the WAL\n(still running when the wait ended)' }]);
  });

  test('a silent first try the wait cuts, sooner than its interval, is reported all the same: it is the only one, and that it hung is the answer', BOUNDED, async () => {
    const tried: ProbeResult[] = [];
    const probe: OutsideProbe = { kind: 'exec', cmd: ['sleep', '30'], ...TIMING, intervalMs: 10_000, timeoutMs: 20_000 };
    await assert.rejects(untilPasses(probe, {}, AbortSignal.timeout(300), (result) => tried.push(result)));
    assert.deepEqual(tried, [{ passed: false, output: 'still running when the wait ended' }]);
  });

  test('a silent try the deadline cuts after it hung longer than the tries before took is the answer: a server that now accepts and never answers is not reported as refusing', BOUNDED, async () => {
    const port = await freePort();
    const silent = createTcpServer(() => {
      // accepts the connection, never answers
    });
    const probe: OutsideProbe = { kind: 'http', url: `http://127.0.0.1:${port}/`, status: undefined, ...TIMING, intervalMs: 100, timeoutMs: 5000 };
    // The first try, at once, is refused; the listener is up well before the second.
    const wait = untilPassesWithin(probe, {}, 1000);
    await sleep(30);
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const ended = await wait;
      // Before: the refusal of the first try, though the server had been listening for 900 ms; then
      // 'still running when the wait ended', as if a request were a process.
      assert.deepEqual(ended, { passed: false, last: { passed: false, output: 'no answer when the wait ended' } });
    } finally {
      silent.close();
    }
  });

  test("a silent exec try the deadline cuts within its first seconds does not hide the answer of the try before: SPEC §9's report includes the probe's last output", BOUNDED, async () => {
    // The first try answers at once; every later one is silent (a shell slow to start on a loaded
    // machine looks the same to the wait as this sleep). Before: the later try, cut ~1.5 s in,
    // had run longer than the interval and than the first took, and 'still running when the wait
    // ended' replaced 'connection refused', so the report said nothing of why it was not ready.
    const tries = join(scratch, 'answered-then-silent');
    const probe: OutsideProbe = { kind: 'exec', cmd: ['sh', '-c', 'if [ -e "$1" ]; then exec sleep 30; fi; : > "$1"; echo "connection refused"; exit 2', 'sh', tries], ...TIMING, timeoutMs: 20_000 };
    const ended = await untilPassesWithin(probe, {}, 1900);
    assert.ok(!ended.passed && ended.last !== undefined, 'not passed, with a last try');
    assert.equal(describeTry(ended.last), 'connection refused\n(exit status 2)');
  });

  test('untilPasses waits for the start period before the first try', BOUNDED, async () => {
    const started = performance.now();
    await untilPasses({ kind: 'exec', cmd: ['true'], ...TIMING, startPeriodMs: 300 }, {}, new AbortController().signal, () => undefined);
    assert.ok(performance.now() - started >= 290);
  });

  test('cancelling a wait stops the probe process it is running', BOUNDED, async () => {
    const pidFile = join(scratch, 'cancelled.pid');
    const controller = new AbortController();
    const waiting = untilPasses({ kind: 'exec', cmd: `echo $$ > ${pidFile}; exec sleep 30`, ...TIMING, timeoutMs: 20_000 }, {}, controller.signal, () => undefined);
    await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the probe to start');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    controller.abort(new Cancelled('run ended'));
    await assert.rejects(waiting);
    await waitUntil(() => !isRunning(pid), 'the probe process to be gone', 3000);
  });

  test('untilDead resolves after `failures` failures in a row, not before', BOUNDED, async () => {
    const flag = join(scratch, 'alive');
    writeFileSync(flag, '');
    const controller = new AbortController();
    let resolved = false;
    const watching = untilDead({ kind: 'exec', cmd: ['test', '-e', flag], ...TIMING, failures: 3 }, {}, 0, controller.signal).then((result) => {
      resolved = true;
      return result;
    });
    await sleep(500);
    assert.equal(resolved, false, 'alive: it keeps watching');
    const removedAt = performance.now();
    rmSync(flag);
    const verdict = await watching;
    assert.equal(verdict.last.passed, false);
    // The streak's first failure is when it stopped being healthy (resetAfter counts healthy time):
    // the try under way at the removal or a later one; not the watch's first try, ~500 ms before.
    assert.ok(verdict.failingSince > removedAt - 400 && verdict.failingSince < performance.now(), `failingSince ${verdict.failingSince}, removed at ${removedAt}`);
    // One whose tries never passed was never seen healthy at all.
    const tries = join(scratch, 'tries');
    const never = await untilDead({ kind: 'exec', cmd: ['sh', '-c', 'echo >> "$1"; exit 1', 'sh', tries], ...TIMING, failures: 2 }, {}, 0, controller.signal);
    assert.equal(never.failingSince, -Infinity);
    assert.equal(readFileSync(tries, 'utf8'), '\n\n', 'the second failure in a row is the verdict: no third try');
  });

  test('untilDead under a loop starved past every timeout: a hung probe still fails the process, its late cuts excused once, not forever', BOUNDED, async () => {
    // Every try's timeout fires some 600 ms late, the loop held by something else (a starved
    // subvisor, a loaded machine), as it does once after a Ctrl-Z: that one cut is not counted.
    // Before, none was, and a probe hung for good never failed its process.
    const block = new Int32Array(new SharedArrayBuffer(4));
    const starving = setInterval(() => Atomics.wait(block, 0, 0, 700), 5);
    const controller = new AbortController();
    try {
      const verdict = await Promise.race([
        untilDead({ kind: 'exec', cmd: 'exec sleep 30', ...TIMING, timeoutMs: 100, failures: 1 }, {}, 0, controller.signal),
        sleep(12_000).then(() => undefined),
      ]);
      assert.ok(verdict !== undefined, 'the hung probe failed the process within 12 s');
      assert.match(verdict.last.output, /no answer within 100 ms/);
    } finally {
      clearInterval(starving);
      controller.abort(new Cancelled('test over'));
    }
  });
});

// A typed probe list keeps the union exhaustive in this file too.
export const examples: OutsideProbe[] = [{ kind: 'tcp', host: 'localhost', port: 1, ...TIMING }];
