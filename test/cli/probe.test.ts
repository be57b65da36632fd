// `subvisor probe` (SPEC §11): one probe, tried until it passes (exit 0) or its --timeout passes
// (exit 1), against a real HTTP server, a TCP listener and commands.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../support/network.js';
import { runCli, startCli } from './cli.js';

const BOUNDED = { timeout: 30_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-probe-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function listening(server: Server | ReturnType<typeof createTcpServer>, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closed(server: Server | ReturnType<typeof createTcpServer>): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('subvisor probe --http', () => {
  test('passes on a 2xx, or on exactly --status', BOUNDED, async () => {
    const server = createServer((request, response) => {
      response.statusCode = request.url === '/teapot' ? 418 : 204;
      response.end();
    });
    const port = await listening(server);
    try {
      assert.equal((await runCli(['probe', '--http', `http://127.0.0.1:${port}/health`])).code, 0);
      assert.equal((await runCli(['probe', '--http', `http://127.0.0.1:${port}/teapot`, '--status', '418', '--timeout', '2s'])).code, 0);
      const wrong = await runCli(['probe', '--http', `http://127.0.0.1:${port}/teapot`, '--timeout', '300ms', '--interval', '50ms']);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /did not pass within 300 ms; last try: HTTP 418/);
    } finally {
      await closed(server);
    }
  });

  test("an https:// URL to a server that speaks plain HTTP fails in one line: OpenSSL's message ends in a newline, which is not shown as one more line", BOUNDED, async () => {
    const server = createServer((_request, response) => response.end('ok'));
    const port = await listening(server);
    try {
      const run = await runCli(['probe', '--http', `https://127.0.0.1:${port}/`, '--timeout', '300ms', '--interval', '50ms']);
      assert.equal(run.code, 1, run.stderr);
      // Before: "last try:", the message indented on a line of its own, then a line of blanks.
      assert.match(run.stderr, /^subvisor probe: did not pass within 300 ms; last try: write EPROTO [^\n]*wrong version number[^\n]*\n$/);
    } finally {
      await closed(server);
    }
  });

  test('--interval is the pause between tries: the try after a failed one comes an interval later', BOUNDED, async () => {
    const tries: number[] = [];
    const server = createServer((_request, response) => {
      tries.push(performance.now());
      response.statusCode = tries.length === 1 ? 503 : 200;
      response.end();
    });
    const port = await listening(server);
    try {
      const ended = await runCli(['probe', '--http', `http://127.0.0.1:${port}/`, '--interval', '1500ms', '--timeout', '10s']);
      assert.equal(ended.code, 0, ended.stderr);
      assert.equal(tries.length, 2);
      const pauseMs = (tries[1] ?? 0) - (tries[0] ?? 0);
      assert.ok(pauseMs >= 1450, `the second try came ${Math.round(pauseMs)} ms after the first`);
    } finally {
      await closed(server);
    }
  });

  test('keeps trying every --interval until the server answers', BOUNDED, async () => {
    const port = await freePort();
    const probe = startCli(['probe', '--http', `http://127.0.0.1:${port}/`, '--interval', '50ms', '--timeout', '10s']);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const server = createServer((_request, response) => response.end('ok'));
    await listening(server, port);
    try {
      const ended = await probe.done;
      assert.equal(ended.code, 0, ended.stderr);
    } finally {
      await closed(server);
    }
  });
});

describe('subvisor probe --tcp', () => {
  test('passes once something listens, fails with exit 1 at the deadline otherwise', BOUNDED, async () => {
    const server = createTcpServer((socket) => socket.destroy());
    const port = await listening(server);
    try {
      assert.equal((await runCli(['probe', '--tcp', `127.0.0.1:${port}`])).code, 0);
    } finally {
      await closed(server);
    }
    const started = performance.now();
    const refused = await runCli(['probe', '--tcp', `127.0.0.1:${port}`, '--timeout', '500ms', '--interval', '100ms']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ECONNREFUSED/);
    assert.ok(performance.now() - started < 5000, 'the deadline is the overall one');
  });
});

describe('subvisor probe where localhost is ::1 and 127.0.0.1 (/etc/hosts as Debian writes it)', () => {
  // A mount namespace of its own (unprivileged, through a user namespace) with that /etc/hosts: the
  // host running the tests may name localhost 127.0.0.1 only.
  const hosts = join(scratch, 'hosts');
  writeFileSync(hosts, '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n');
  const execVia = ['unshare', '-rm', 'sh', '-c', `mount --bind '${hosts}' /etc/hosts && exec "$0" "$@"`];

  test('a server on one of the two addresses is found whichever comes first; nobody on either says both refusals', BOUNDED, async () => {
    const v4 = createServer((_request, response) => response.end('ok'));
    const port = await listening(v4);
    const v6 = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => v6.listen(0, '::1', resolve));
    const v6Port = (v6.address() as AddressInfo).port;
    try {
      assert.equal((await runCli(['probe', '--http', `http://localhost:${port}/`, '--timeout', '5s'], { execVia })).code, 0);
      assert.equal((await runCli(['probe', '--tcp', `localhost:${v6Port}`, '--timeout', '5s'], { execVia })).code, 0);
    } finally {
      await closed(v4);
      await closed(v6);
    }
    // Before, the error of two refused addresses (an AggregateError) has no message: "last try: " and nothing.
    const http = await runCli(['probe', '--http', `http://localhost:${port}/`, '--timeout', '300ms', '--interval', '50ms'], { execVia });
    assert.equal(http.code, 1, http.stderr);
    assert.match(http.stderr, new RegExp(`last try: connect ECONNREFUSED (::1:${port}; connect ECONNREFUSED 127\\.0\\.0\\.1|127\\.0\\.0\\.1:${port}; connect ECONNREFUSED ::1):${port}\n$`));
    const tcp = await runCli(['probe', '--tcp', `localhost:${port}`, '--timeout', '300ms', '--interval', '50ms'], { execVia });
    assert.equal(tcp.code, 1, tcp.stderr);
    assert.match(tcp.stderr, new RegExp(`last try: connect ECONNREFUSED .*127\\.0\\.0\\.1:${port}`));
  });
});

describe('subvisor probe, one try', () => {
  test('an --interval as long as --timeout leaves room for one try, which answers at once: a failed one does not wait out the deadline', BOUNDED, async () => {
    const tries = join(scratch, 'one-try');
    const started = performance.now();
    const failed = await runCli(['probe', '--exec', `echo try >> ${tries}; echo refused >&2; exit 1`, '--interval', '20s', '--timeout', '20s']);
    const tookMs = performance.now() - started;
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(failed.stderr, 'subvisor probe: did not pass in its one try (--interval is no shorter than --timeout); last try:\n    refused\n    (exit status 1)\n');
    assert.equal(readFileSync(tries, 'utf8'), 'try\n');
    assert.ok(tookMs < 15_000, `answered after ${Math.round(tookMs)} ms, not at the 20 s deadline`);
    // The one try has the whole deadline, not the 5 s a try of many is cut at.
    const slow = await runCli(['probe', '--exec', 'sleep 5.5', '--interval', '8s', '--timeout', '8s']);
    assert.equal(slow.code, 0, slow.stderr);
  });
});

describe('subvisor probe --exec', () => {
  test('passes when the command exits 0, run under sh -c, retried until it does', BOUNDED, async () => {
    const marker = join(scratch, 'marker');
    // Passes only on the third try: the command counts its tries in a file.
    const cmd = `n=$(cat ${marker} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${marker}; test $n -ge 3`;
    const run = await runCli(['probe', '--exec', cmd, '--interval', '20ms', '--timeout', '10s']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await runCli(['probe', '--exec', 'cat ' + marker])).code, 0);
    const failing = await runCli(['probe', '--exec', 'echo not yet >&2; exit 3', '--timeout', '200ms', '--interval', '50ms']);
    assert.equal(failing.code, 1);
    // Its line comes indented under the message, then how the try ended: its exit status, or, on a
    // loaded machine where the deadline cut it after its line, why it was cut.
    assert.match(failing.stderr, /last try:\n {4}not yet\n {4}\((exit status 3|still running when the wait ended)\)\n/);
  });

  test('a failed try says how it exited: its status (before: only what it printed), or the signal that killed it', BOUNDED, async () => {
    const said = await runCli(['probe', '--exec', 'echo "no response"; exit 2', '--timeout', '10s', '--interval', '10s']);
    assert.equal(said.code, 1);
    assert.equal(said.stderr, 'subvisor probe: did not pass in its one try (--interval is no shorter than --timeout); last try:\n    no response\n    (exit status 2)\n');
    const silent = await runCli(['probe', '--exec', 'exit 4', '--timeout', '10s', '--interval', '10s']);
    assert.match(silent.stderr, /; last try: exit status 4\n$/);
    const killed = await runCli(['probe', '--exec', 'kill -KILL $$', '--timeout', '10s', '--interval', '10s']);
    assert.match(killed.stderr, /; last try: died of SIGKILL\n$/);
  });

  test('a try that printed more than is kept of it: what is shown starts on a whole character, with no U+FFFD the command never wrote', BOUNDED, async () => {
    // 1500 two-byte characters and an `x`: 3001 bytes, so the last 2048 start in a character's middle.
    const script = join(scratch, 'accents.js');
    writeFileSync(script, "process.stdout.write('\\u00e9'.repeat(1500) + 'x\\n'); process.exitCode = 3;\n");
    // One try with the whole deadline: a node slow to start on a busy machine is not cut.
    const run = await runCli(['probe', '--exec', `'${process.execPath}' '${script}'`, '--timeout', '20s', '--interval', '20s']);
    assert.equal(run.code, 1, run.stderr);
    const shown = /last try:\n {4}(\S+)\n {4}\(exit status 3\)\n/.exec(run.stderr)?.[1] ?? assert.fail(run.stderr);
    assert.ok(!shown.includes('\ufffd'), `no replacement character: ${JSON.stringify(shown.slice(0, 10))}`);
    assert.equal(shown, `${'\u00e9'.repeat(1023)}x`);
  });

  test("what a try printed is shown as text, as up's report shows it: its escapes cannot clear the terminal or retitle the window", BOUNDED, async () => {
    const run = await runCli(['probe', '--exec', String.raw`printf '\033[31mred\033[0m \033[2J\033]0;pwned\007 \302\233?25l\n'; exit 1`, '--timeout', '10s', '--interval', '10s']);
    assert.equal(run.code, 1);
    // Before: the bytes as the command wrote them, ESC, BEL and the 8-bit CSI included.
    assert.equal(run.stderr, 'subvisor probe: did not pass in its one try (--interval is no shorter than --timeout); last try:\n    red \\x1b[2J\\x1b]0;pwned\\x07 \\x9b?25l\n    (exit status 1)\n');
  });

  test('a try the deadline cuts says what it had printed, each line indented under the message', BOUNDED, async () => {
    const run = await runCli(['probe', '--exec', 'echo "waiting for the socket"; exec sleep 20', '--timeout', '400ms']);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'subvisor probe: did not pass within 400 ms; last try:\n    waiting for the socket\n    (still running when the wait ended)\n');
  });

  test('a try that hangs is cut at the overall deadline', BOUNDED, async () => {
    const started = performance.now();
    const run = await runCli(['probe', '--exec', 'sleep 20', '--timeout', '400ms']);
    assert.equal(run.code, 1);
    assert.ok(performance.now() - started < 5000, `ended after ${performance.now() - started} ms`);
    // Silent, and the only try: that it hung is what there is to say.
    assert.equal(run.stderr, 'subvisor probe: did not pass within 400 ms; last try: still running when the wait ended\n');
  });
});

describe('subvisor probe after a Ctrl-Z', () => {
  test('stopped past its --timeout while what it checks came up: one more try when continued, and it passes', BOUNDED, async () => {
    const up = join(scratch, 'came-up');
    const probe = startCli(['probe', '--exec', `test -f ${up}`, '--interval', '50ms', '--timeout', '1s']);
    await sleep(300); // a few failed tries first
    process.kill(probe.pid, 'SIGSTOP');
    writeFileSync(up, '');
    await sleep(1500);
    probe.kill('SIGCONT');
    const run = await probe.done;
    assert.equal(run.code, 0, run.stderr);
  });
});

describe('subvisor probe: usage', () => {
  test('exactly one check, a valid one, and valid durations; exit 2 otherwise', BOUNDED, async () => {
    for (const args of [[], ['--http', 'http://x', '--tcp', 'x:1'], ['--tcp', 'nohost'], ['--tcp', 'h:70000'], ['--http', 'ftp://x/'], ['--exec', 'true', '--status', '200'], ['--http', 'http://x/', '--status', 'ok'], ['--exec', 'true', '--timeout', 'soon'], ['--exec', 'true', '--timeout', '0'], ['--exec', 'true', '--interval', '0']]) {
      const run = await runCli(['probe', ...args]);
      assert.equal(run.code, 2, `probe ${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^subvisor: /);
    }
  });

  test('--interval 0 is refused, as in the config: tries back to back would be a busy loop', BOUNDED, async () => {
    const run = await runCli(['probe', '--exec', 'exit 1', '--interval', '0', '--timeout', '1s']);
    assert.equal(run.stderr, "subvisor: --interval must be longer than 0: it is the pause between tries (default 250ms)\n(see subvisor probe --help)\n");
  });

  test('--http with a URL that does not parse says so, not that the scheme is wrong', BOUNDED, async () => {
    const bad = await runCli(['probe', '--http', 'http://127.0.0.1:99999/', '--timeout', '1s']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /^subvisor: --http: not a valid URL \(a port over 65535, a blank in the host\?\); write a whole one, like http:\/\/127\.0\.0\.1:8080\/health$/m);
    const scheme = await runCli(['probe', '--http', 'ftp://127.0.0.1/', '--timeout', '1s']);
    assert.match(scheme.stderr, /^subvisor: --http needs an http:\/\/ or https:\/\/ URL, not ftp:; for a plain port use --tcp HOST:PORT$/m);
  });

  test('--http without its http:// says that is what is missing: not a bad port or host, nor a scheme named after the host', BOUNDED, async () => {
    // Before: `127.0.0.1:8080/health` was "not a valid URL (a port over 65535, a blank in the
    // host?)", and `localhost:8080` "needs an http:// or https:// URL, not localhost:".
    for (const url of ['127.0.0.1:8080/health', 'localhost:8080', 'example.com']) {
      const run = await runCli(['probe', '--http', url, '--timeout', '1s']);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stderr, 'subvisor: --http needs a whole URL, with http:// or https:// in front, like http://127.0.0.1:8080/health; for a plain port use --tcp HOST:PORT\n(see subvisor probe --help)\n', url);
    }
  });

  test("--http with a ':' and no port (an unset $PORT in the shell) is refused, not probed on port 80", BOUNDED, async () => {
    const run = await runCli(['probe', '--http', 'http://127.0.0.1:/health', '--timeout', '1s']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^subvisor: --http: the URL has a ':' with no port after it \(an unset variable\?\); write the port/);
  });
});
