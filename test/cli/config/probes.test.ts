import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LIVENESS_FAILURES, DEFAULT_LIVENESS_INTERVAL_MS, DEFAULT_PROBE_TIMEOUT_MS, DEFAULT_READY_INTERVAL_MS, logProbe, parseYamlConfig } from '../../../src/cli/config/index.js';
import { firstProcess, problemAt, web } from './support.js';

const env = { env: { PORT: '9090', DATA_DIR: '/srv/pg data', TOKEN: 'hunter2-secret' } };

test('ready: a string and { log } are the same log probe', () => {
  assert.deepEqual(firstProcess(web('    ready: "listening on \\\\d+"\n')).ready, logProbe(/listening on \d+/));
  assert.deepEqual(firstProcess(web("    ready: { log: 'listening on \\d+' }\n")).ready, logProbe(/listening on \d+/));
  assert.equal(firstProcess(web()).ready, undefined, 'no ready: ready on start');
});

test('ready: a log pattern is interpolated as every probe is, and keeps how the config writes it (its variable named, for what is said of it); a $ not followed by { is its own end of line', () => {
  assert.deepEqual(firstProcess(web('    ready: "listening on ${PORT:-8080}$"\n'), env).ready, logProbe(/listening on 9090$/, '/listening on ${PORT}$/'));
  assert.deepEqual(firstProcess(web('    ready: { log: "on ${PORT:-8080} $${x}" }\n'), { env: {} }).ready, logProbe(/on 8080 ${x}/));
  assert.match(problemAt(web('    ready: "${EMPTY}"\n'), '"${EMPTY}"', { env: {} }), /processes\.web\.ready: is empty once its variables are expanded, which every line matches/);
  // A pattern a variable broke is refused without showing the value (it may be a secret).
  const broken = problemAt(web('    ready: "token ${TOKEN}("\n'), '"token', env);
  assert.match(broken, /processes\.web\.ready: is not a valid regular expression \(Unterminated group\)/);
  assert.doesNotMatch(broken, /hunter2/);
});

test('ready: a variable\'s value in a log pattern is matched as text; a default written in the config is pattern', () => {
  const host = firstProcess(web('    ready: "listening on ${HOST}:${PORT}$"\n'), { env: { HOST: '127.0.0.1', PORT: '9090' } }).ready;
  assert.ok(host?.kind === 'log');
  assert.ok(host.pattern.test('listening on 127.0.0.1:9090'));
  assert.ok(!host.pattern.test('listening on 127x0y0z1:9090'), 'a dot in the value is a dot');
  const syntax = firstProcess(web('    ready: "mode ${MODE}"\n'), { env: { MODE: 'a(b|c)*[d' } }).ready;
  assert.ok(syntax?.kind === 'log' && syntax.pattern.test('mode a(b|c)*[d'), 'a value that is no valid pattern as such is matched as it is');
  assert.deepEqual(firstProcess(web('    ready: "port ${UNSET:-\\\\d+}"\n'), { env: {} }).ready, logProbe(/port \d+/));
});

test('ready: http, with its status and timing, the URL interpolated', () => {
  const text = web('    ready: { http: "http://127.0.0.1:${PORT:-8080}/health", status: 204, interval: 200ms, timeout: 2s, startPeriod: 1s }\n');
  const urlParts = ['http://127.0.0.1:', { name: 'PORT', value: '9090' }, '/health'];
  assert.deepEqual(firstProcess(text, env).ready, { kind: 'http', url: 'http://127.0.0.1:9090/health', urlParts, status: 204, intervalMs: 200, timeoutMs: 2000, startPeriodMs: 1000 });
  assert.deepEqual(firstProcess(text, { env: {} }).ready, { kind: 'http', url: 'http://127.0.0.1:8080/health', status: 204, intervalMs: 200, timeoutMs: 2000, startPeriodMs: 1000 });
});

test('ready: the documented defaults fill in what is not given; no status means any 2xx', () => {
  assert.deepEqual(firstProcess(web('    ready: { http: "https://localhost/health" }\n')).ready, {
    kind: 'http',
    url: 'https://localhost/health',
    status: undefined,
    intervalMs: DEFAULT_READY_INTERVAL_MS,
    timeoutMs: DEFAULT_PROBE_TIMEOUT_MS,
    startPeriodMs: 0,
  });
  assert.deepEqual([DEFAULT_READY_INTERVAL_MS, DEFAULT_PROBE_TIMEOUT_MS], [250, 5000]);
});

test('ready: tcp takes HOST:PORT, [IPv6]:PORT, and variables', () => {
  const timing = { intervalMs: 250, timeoutMs: 5000, startPeriodMs: 0 };
  assert.deepEqual(firstProcess(web('    ready: { tcp: "127.0.0.1:5432" }\n')).ready, { kind: 'tcp', host: '127.0.0.1', port: 5432, ...timing });
  assert.deepEqual(firstProcess(web('    ready: { tcp: "[::1]:5432" }\n')).ready, { kind: 'tcp', host: '::1', port: 5432, ...timing });
  assert.deepEqual(firstProcess(web('    ready: { tcp: "localhost:${PORT}" }\n'), env).ready, { kind: 'tcp', host: 'localhost', port: 9090, addressParts: ['localhost:', { name: 'PORT', value: '9090' }], ...timing });
});

test('ready: exec is a shell string or an argv list, interpolated (an argument stays one argument)', () => {
  const timing = { intervalMs: 250, timeoutMs: 5000, startPeriodMs: 0 };
  const dataDir = { name: 'DATA_DIR', value: '/srv/pg data' };
  assert.deepEqual(firstProcess(web('    ready: { exec: "pg_isready -h ${DATA_DIR} && echo $$" }\n'), env).ready, { kind: 'exec', cmd: 'pg_isready -h /srv/pg data && echo $$', cmdParts: [['pg_isready -h ', dataDir, ' && echo $$']], ...timing });
  assert.deepEqual(firstProcess(web('    ready: { exec: [pg_isready, -h, "${DATA_DIR}"] }\n'), env).ready, { kind: 'exec', cmd: ['pg_isready', '-h', '/srv/pg data'], cmdParts: [['pg_isready'], ['-h'], [dataDir]], ...timing });
});

test('liveness: the same kinds plus failures, with the liveness defaults', () => {
  assert.deepEqual(firstProcess(web('    liveness: { exec: "pg_isready -h ${DATA_DIR}", interval: 5s, failures: 5 }\n'), env).liveness, {
    kind: 'exec',
    cmd: 'pg_isready -h /srv/pg data',
    cmdParts: [['pg_isready -h ', { name: 'DATA_DIR', value: '/srv/pg data' }]],
    intervalMs: 5000,
    timeoutMs: 5000,
    startPeriodMs: 0,
    failures: 5,
  });
  assert.deepEqual(firstProcess(web('    liveness: { tcp: "127.0.0.1:6379" }\n')).liveness, {
    kind: 'tcp',
    host: '127.0.0.1',
    port: 6379,
    intervalMs: DEFAULT_LIVENESS_INTERVAL_MS,
    timeoutMs: DEFAULT_PROBE_TIMEOUT_MS,
    startPeriodMs: 0,
    failures: DEFAULT_LIVENESS_FAILURES,
  });
  assert.deepEqual([DEFAULT_LIVENESS_INTERVAL_MS, DEFAULT_LIVENESS_FAILURES], [10_000, 3]);
  assert.equal(firstProcess(web('    liveness: { http: "http://127.0.0.1/", status: 200 }\n')).liveness?.kind, 'http');
});

test('a probe checks exactly one thing: none or two kinds are refused', () => {
  assert.match(problemAt(web('    ready: { interval: 1s }\n'), 'ready'), /processes\.web\.ready: has no check; give one of log, http, tcp or exec, e\.g\./);
  const two = web('    ready: { tcp: "127.0.0.1:1", http: "http://127.0.0.1/" }\n');
  assert.match(problemAt(two, 'http:'), /processes\.web\.ready\.http: a probe checks one thing, and `tcp` is given already; keep one of log, http, tcp or exec$/);
});

test('http: not a URL, or not http(s), is refused at the value without showing it', () => {
  for (const [bad, from] of [['"not a url ${TOKEN}"', ' once \\$\\{TOKEN\\} is expanded'], ['"127.0.0.1:8080/health"', ''], ['"${NOT_SET}"', ' once \\$\\{NOT_SET\\} is expanded \\(NOT_SET is not set\\)']] as const) {
    const message = problemAt(web(`    ready: { http: ${bad} }\n`), bad, env);
    assert.match(message, new RegExp(`processes\\.web\\.ready\\.http: needs a whole URL, with http:// or https:// in front${from}, like \`http://127\\.0\\.0\\.1:8080/health\`; for a plain port use \`tcp: "HOST:PORT"\`$`));
    assert.doesNotMatch(message, /hunter2|127\.0\.0\.1:8080\/health"/);
  }
  assert.match(problemAt(web('    ready: { http: "ftp://${TOKEN}@host/" }\n'), '"ftp', env), /ready\.http: must be an http:\/\/ or https:\/\/ URL, not ftp:; for a plain port use `tcp: "HOST:PORT"`/);
  // A host and port without http:// in front is no scheme named after the host ("not localhost:").
  assert.match(problemAt(web('    ready: { http: "localhost:8080" }\n'), '"localhost', env), /ready\.http: needs a whole URL, with http:\/\/ or https:\/\/ in front, like `http:\/\/127\.0\.0\.1:8080\/health`; for a plain port use `tcp: "HOST:PORT"`$/);
});

test('http: a \':\' with no port after it (an unset ${PORT}) is refused, saying which variable is not set; it would read as port 80', () => {
  // The last two as the URL parser reads them: blanks around it dropped, a tab in it too.
  for (const bad of ['"http://127.0.0.1:${NOT_SET}/health"', '"http://127.0.0.1:${NOT_SET}"', '"https://[::1]:${NOT_SET}?q=1"', '" http://127.0.0.1:${NOT_SET}/ "', '"http://127.0.0.1:${NOT_SET}\\t/x"']) {
    const message = problemAt(web(`    ready: { http: ${bad} }\n`), bad, env);
    assert.match(message, /processes\.web\.ready\.http: has a ':' with no port after it once \$\{NOT_SET\} is expanded \(NOT_SET is not set\); write the port/, bad);
  }
  // Control: with the port, or without the ':' (the scheme's own), it is a probe.
  for (const good of ['http://127.0.0.1:8080/', 'http://127.0.0.1/', 'http://[::1]/x:y', 'http://h/?a=b:']) assert.equal(firstProcess(web(`    ready: { http: "${good}" }\n`)).ready?.kind, 'http', good);
});

test('http and tcp: a form compose expands and subvisor leaves as written (${PORT-8080}) is named in the refusal, with what subvisor expands', () => {
  const http = problemAt(web('    ready: { http: "http://${HOST:-127.0.0.1}:${PORT-8080}/health" }\n'), '"http', { env: {} });
  assert.match(http, /ready\.http: is not a valid URL once \$\{HOST\} is expanded \(HOST is not set\), with \$\{PORT-…\} left as written \(only \$\{NAME\}, \$\{NAME:-default\} and \$\{NAME:\?message\} are expanded\); write a whole one/);
  const tcp = problemAt(web('    ready: { tcp: "127.0.0.1:${PG_PORT-5432}" }\n'), '"127', { env: {} });
  assert.match(tcp, /ready\.tcp: expected HOST:PORT with \$\{PG_PORT-…\} left as written \(only .* are expanded\), like `127/);
  assert.doesNotMatch(tcp, /5432"/, 'the default written is not shown');
});

test('status: a whole number from 100 to 599, and only with http', () => {
  for (const bad of ['99', '600', '"200"', '2.5']) {
    assert.match(problemAt(web(`    ready: { http: "http://h/", status: ${bad} }\n`), bad), /ready\.status: expected an HTTP status from 100 to 599, found .*; leave it out to accept any 2xx/, bad);
  }
  assert.match(problemAt(web('    ready: { tcp: "h:1", status: 200 }\n'), 'status'), /ready\.status: applies only to an `http` probe; remove it \(a tcp probe has no status\)/);
});

test('tcp: anything but HOST:PORT with a port from 1 to 65535 is refused, without showing the value', () => {
  for (const bad of ['"5432"', '5432', '"host:"', '"::1:5432"', '"host:port"']) {
    const message = problemAt(web(`    ready: { tcp: ${bad} }\n`), bad, env);
    assert.match(message, /ready\.tcp: expected HOST:PORT, like `127\.0\.0\.1:5432`, `localhost:6379` or `\[::1\]:5432`$/, bad);
  }
  // A value from variables names them (and those not set), never showing what they hold.
  const fromToken = problemAt(web('    ready: { tcp: "${TOKEN}" }\n'), '"${TOKEN}"', env);
  assert.match(fromToken, /ready\.tcp: expected HOST:PORT once \$\{TOKEN\} is expanded, like `127\.0\.0\.1:5432`/);
  assert.doesNotMatch(fromToken, /hunter2/);
  assert.match(problemAt(web('    ready: { tcp: "127.0.0.1:${PG_PORT}" }\n'), '"127', env), /ready\.tcp: expected HOST:PORT once \$\{PG_PORT\} is expanded \(PG_PORT is not set\), like/);
  for (const bad of ['"h:0"', '"h:65536"']) assert.match(problemAt(web(`    ready: { tcp: ${bad} }\n`), bad), /ready\.tcp: has a port out of range; a TCP port is a number from 1 to 65535/);
});

test('exec: empty commands are refused as cmd is', () => {
  assert.match(problemAt(web('    ready: { exec: "" }\n'), '""'), /ready\.exec: is empty; give the command to run/);
  assert.match(problemAt(web('    ready: { exec: [] }\n'), '[]'), /ready\.exec: is an empty list/);
  assert.match(problemAt(web('    ready: { exec: "${UNSET}" }\n'), '"${'), /ready\.exec: is empty once its variables are expanded/);
});

test('timing: interval and timeout must be longer than 0; startPeriod may be 0', () => {
  assert.doesNotThrow(() => firstProcess(web('    ready: { tcp: "h:1", startPeriod: 0s }\n')));
  assert.match(problemAt(web('    ready: { tcp: "h:1", interval: 0 }\n'), '0 }'), /ready\.interval: must be longer than 0; give the pause between two tries/);
  assert.match(problemAt(web('    liveness: { tcp: "h:1", timeout: 0ms }\n'), '0ms'), /liveness\.timeout: must be longer than 0; give the time one try may take/);
  assert.match(problemAt(web('    ready: { tcp: "h:1", startPeriod: soon }\n'), 'soon'), /ready\.startPeriod: invalid duration 'soon'/);
});

test('a readyTimeout within the ready probe\'s startPeriod is refused: no try could be made before it', () => {
  // Before: accepted, and the process always failed at its readyTimeout with "no try finished before the timeout".
  const text = web('    ready: { tcp: "h:1", startPeriod: 2s }\n    readyTimeout: 1s\n');
  assert.match(problemAt(text, '1s\n'), /processes\.web\.readyTimeout: is 1000 ms, and `ready` is not tried in its first 2000 ms \(its startPeriod\): it could never pass; make readyTimeout longer than startPeriod, or startPeriod shorter/);
  assert.doesNotThrow(() => firstProcess(web('    ready: { tcp: "h:1", startPeriod: 2s }\n    readyTimeout: 3s\n')));
  // A log probe is not tried, it watches: its startPeriod changes nothing.
  assert.doesNotThrow(() => firstProcess(web('    ready: { log: up, startPeriod: 2s }\n    readyTimeout: 1s\n')));
});

test('a log probe takes interval, timeout and startPeriod as every probe does (SPEC §9), and is still a log probe', () => {
  for (const key of ['interval: 1s', 'timeout: 1s', 'startPeriod: 1s']) {
    const spec = firstProcess(web(`    ready: { log: up, ${key} }\n`));
    assert.equal(spec.ready?.kind, 'log', key);
  }
  // Control: a bad duration there is still refused at its place.
  assert.match(problemAt(web('    ready: { log: up, interval: soon }\n'), 'soon'), /ready\.interval: invalid duration 'soon'/);
});

test('failures belongs to liveness; a log pattern cannot be a liveness probe', () => {
  assert.match(problemAt(web('    ready: { tcp: "h:1", failures: 3 }\n'), 'failures'), /ready\.failures: applies only to `liveness`: `ready` waits until the probe passes once/);
  assert.match(problemAt(web('    liveness: "listening"\n'), '"listening"'), /liveness: expected a probe mapping, found a string; a log line cannot tell that a process is alive/);
  assert.match(problemAt(web('    liveness: { log: up }\n'), 'log'), /liveness\.log: a log line cannot tell that a process is alive \(a quiet process is not a dead one\); check it with/);
  for (const bad of ['0', '-1', '1.5']) assert.match(problemAt(web(`    liveness: { tcp: "h:1", failures: ${bad} }\n`), `${bad} }`), /liveness\.failures: must be a positive whole number of failed tries in a row/);
});

test('unknown probe keys get "did you mean", and the list leaves out keys that are only refused', () => {
  const cases: [probe: string, wrong: string, right: string][] = [
    ['ready', 'url', 'http'],
    ['ready', 'command', 'exec'],
    ['ready', 'period', 'interval'],
    ['ready', 'initialDelay', 'startPeriod'],
    ['ready', 'regex', 'log'],
    ['liveness', 'retries', 'failures'],
    ['liveness', 'intervall', 'interval'],
  ];
  for (const [probe, wrong, right] of cases) {
    const message = problemAt(web(`    ${probe}: { tcp: "h:1", ${wrong}: x }\n`), wrong);
    assert.ok(message.includes(`processes.web.${probe}.${wrong}: unknown key; did you mean '${right}'?`), message);
  }
  assert.ok(problemAt(web('    ready: { tcp: "h:1", colour: x }\n'), 'colour').endsWith('(known keys here: log, http, status, tcp, exec, interval, timeout, startPeriod)'));
  assert.ok(problemAt(web('    liveness: { tcp: "h:1", colour: x }\n'), 'colour').endsWith('(known keys here: http, status, tcp, exec, interval, timeout, startPeriod, failures)'));
});

test('an unset ${VAR:?} in a probe is refused at the value, with the message and no value', () => {
  const message = problemAt(web('    ready: { exec: "pg_isready -h ${DATA_DIR:?set DATA_DIR} ${TOKEN}" }\n'), '"pg_isready', { env: { TOKEN: 'hunter2-secret' } });
  assert.match(message, /processes\.web\.ready\.exec: DATA_DIR is not set \(or is empty\): set DATA_DIR$/);
  assert.doesNotMatch(message, /hunter2/);
});

test('readyTimeout bounds any ready probe, and still means nothing without one', () => {
  assert.equal(firstProcess(web('    ready: { tcp: "h:1" }\n    readyTimeout: 30s\n')).readyTimeoutMs, 30_000);
  assert.match(problemAt(web('    liveness: { tcp: "h:1" }\n    readyTimeout: 30s\n'), 'readyTimeout'), /readyTimeout: has no effect without `ready`/);
});

test("exec: a list copied from compose's healthcheck test, with its CMD or CMD-SHELL first, is refused with the command to write", () => {
  // Run as it is, CMD-SHELL would be the program: each try fails with "not found on PATH", and only at run time.
  const cmd = problemAt(web('    ready: { exec: [CMD, pg_isready, -h, "/run/pg data"] }\n'), 'CMD');
  assert.match(cmd, /processes\.web\.ready\.exec\[0\]: is docker compose's CMD, which names no program here; write the argv without it: `exec: \[pg_isready, -h, "\/run\/pg data"\]`$/);
  const shell = problemAt(web('    liveness: { exec: [CMD-SHELL, "pg_isready || exit 1"] }\n'), 'CMD');
  assert.match(shell, /processes\.web\.liveness\.exec\[0\]: is docker compose's CMD-SHELL, which names no program here; write the shell command alone \(run by sh -c\): `exec: "pg_isready \|\| exit 1"`$/);
  const none = problemAt(web('    ready: { exec: [NONE] }\n'), 'NONE');
  assert.match(none, /processes\.web\.ready\.exec\[0\]: is docker compose's NONE, which turns the check off; remove this probe instead$/);
  // The control: a program of another name, and CMD past the first item, are an argv as ever.
  assert.deepEqual(firstProcess(web('    ready: { exec: [cmd-check, CMD] }\n')).ready, { kind: 'exec', cmd: ['cmd-check', 'CMD'], intervalMs: 250, timeoutMs: 5000, startPeriodMs: 0 });
});

test("process-compose's *_seconds keys lead to the duration with its unit, since a bare number here is milliseconds", () => {
  // `interval: 10` would be accepted as 10 ms: the guess alone led to a probe a thousand times too eager.
  const cases: [wrong: string, right: string][] = [
    ['period_seconds', 'interval'],
    ['timeout_seconds', 'timeout'],
    ['initial_delay_seconds', 'startPeriod'],
  ];
  for (const [wrong, right] of cases) {
    const message = problemAt(web(`    ready: { tcp: "h:1", ${wrong}: 10 }\n`), wrong);
    assert.ok(message.includes(`processes.web.ready.${wrong}: unknown key; did you mean \`${right}: 10s\`? (a bare number there is milliseconds)`), message);
  }
  // The control: a value written with a unit, or not a number, gets the plain guess.
  assert.ok(problemAt(web('    ready: { tcp: "h:1", period_seconds: 2s }\n'), 'period_seconds').includes("did you mean 'interval'? (known keys"));
});

test("compose's healthcheck retries on ready is answered with the readyTimeout they add up to", () => {
  // `ready` is tried until it passes; without readyTimeout under up, as long as it takes. Compose's retries bounded it.
  const counted = problemAt(web('    ready: { exec: pg_isready, interval: 5s, retries: 5 }\n'), 'retries');
  assert.match(counted, /processes\.web\.ready\.retries: `ready` is tried until it passes, for as long as the process's `readyTimeout` allows; compose's 5 retries 5s apart are about `readyTimeout: 25s` \(beside `ready`\); remove `retries`$/);
  const uncounted = problemAt(web('    ready: { exec: pg_isready, failure_threshold: 3 }\n'), 'failure_threshold');
  assert.match(uncounted, /ready\.failure_threshold: `ready` is tried until it passes, for as long as the process's `readyTimeout` allows; write that time as `readyTimeout` \(beside `ready`\), e\.g\. `readyTimeout: 30s`; remove `failure_threshold`$/);
  // process-compose's failure_threshold is named as its own, not as compose's retries.
  const threshold = problemAt(web('    ready: { exec: pg_isready, interval: 5s, failure_threshold: 2 }\n'), 'failure_threshold');
  assert.match(threshold, /; process-compose's 2 tries \(failure_threshold\) 5s apart are about `readyTimeout: 10s` \(beside `ready`\); remove `failure_threshold`$/);
  // The control: on liveness, retries are its failures.
  assert.match(problemAt(web('    liveness: { exec: pg_isready, retries: 3 }\n'), 'retries'), /liveness\.retries: unknown key; did you mean 'failures'\?/);
});

test("process-compose's exec: { command } and http_get: { host, port, path, scheme } are answered with the value to write", () => {
  assert.match(problemAt(web('    ready: { exec: { command: "pg_isready -q" } }\n'), '{ command'), /processes\.web\.ready\.exec: is process-compose's form; write the command itself: `exec: "pg_isready -q"`$/);
  const http = problemAt(web('    liveness: { http: { host: 127.0.0.1, scheme: http, path: /health, port: 8080 } }\n'), '{ host');
  assert.match(http, /processes\.web\.liveness\.http: is process-compose's form; write the URL: `http: "http:\/\/127\.0\.0\.1:8080\/health"`$/);
  assert.match(problemAt(web('    ready: { http: { port: 3000 } }\n'), '{ port'), /write the URL: `http: "http:\/\/HOST:3000\/"`$/);
  // The control: a mapping of nothing process-compose writes keeps the general answer.
  assert.match(problemAt(web('    ready: { exec: { run: x } }\n'), '{ run'), /ready\.exec: expected a string \(run by sh -c\) or a list \(argv\), found a mapping$/);
  assert.match(problemAt(web('    ready: { http: { url: x } }\n'), '{ url'), /ready\.http: expected a URL like http:\/\/127\.0\.0\.1:8080\/health, found a mapping$/);
});

test('a ready pattern YAML reads as a number or a boolean is taken as written, with a warning that says what it became and how to mean it', () => {
  // Before: `ready: 5` became /5/ without a word.
  const example = '`{ http: "http://127.0.0.1:8080/health" }`, `{ tcp: "127.0.0.1:5432" }` or `{ exec: pg_isready }`';
  const probeHint = `; for a probe, write one like ${example}`;
  const cases: [string, string, string][] = [
    ['5', 'processes.web.ready', `number 5 is read as the log pattern /5/: the process is ready at the first output line it matches; to mean that, quote it (\`ready: "5"\`), which this warning is not given for${probeHint}`],
    ['true', 'processes.web.ready', `boolean true is read as the log pattern /true/: the process is ready at the first output line it matches; to mean that, quote it (\`ready: "true"\`), which this warning is not given for${probeHint}`],
    // Under `log:` a log pattern was chosen: no probe is suggested.
    ['{ log: 1.50 }', 'processes.web.ready.log', 'number 1.50 is read as the log pattern /1.50/: the process is ready at the first output line it matches; to mean that, quote it (`log: "1.50"`), which this warning is not given for'],
  ];
  for (const [written, path, said] of cases) {
    const config = parseYamlConfig(`processes:\n  web:\n    cmd: x\n    ready: ${written}\n`, 'subvisor.yaml', { env: {} });
    const [spec] = config.processes;
    assert.equal(spec?.ready?.kind, 'log', written);
    assert.deepEqual(
      (config.warnings ?? []).map((warning) => [warning.path, warning.message]),
      [[path, said]],
      written,
    );
  }
  // Control: quoted, it is text as meant, and nothing is said.
  assert.deepEqual(parseYamlConfig('processes:\n  web:\n    cmd: x\n    ready: "5"\n', 'subvisor.yaml', { env: {} }).warnings ?? [], []);
});

test('a ready pattern written unquoted as a duration (5s, 500ms, 1m) is taken as written, with the warning a number gets and the readyTimeout it likely meant', () => {
  // Before: `ready: 5s` became /5s/ without a word, while `ready: 5` was warned of.
  const example = '`{ http: "http://127.0.0.1:8080/health" }`, `{ tcp: "127.0.0.1:5432" }` or `{ exec: pg_isready }`';
  const probeHint = `; for a probe, write one like ${example}`;
  const said = (written: string, key: string, hint: string): string =>
    `${written}, a duration, is read as the log pattern /${written}/: the process is ready at the first output line it matches; to mean that, quote it (\`${key}: "${written}"\`), which this warning is not given for; for the time the process may take to be ready, write \`readyTimeout: ${written}\` beside \`ready\`${hint}`;
  const warnings = (ready: string): [string | undefined, string][] =>
    (parseYamlConfig(`processes:\n  web:\n    cmd: x\n    ready: ${ready}\n`, 'subvisor.yaml', { env: {} }).warnings ?? []).map((warning) => [warning.path, warning.message]);
  for (const written of ['5s', '500ms', '1m', '1m30s', '.5s']) {
    assert.deepEqual(warnings(written), [['processes.web.ready', said(written, 'ready', probeHint)]], written);
    assert.equal(firstProcess(web(`    ready: ${written}\n`)).ready?.kind, 'log', written);
  }
  assert.deepEqual(warnings('{ log: 5s }'), [['processes.web.ready.log', said('5s', 'log', '')]]);
  // Controls: quoted it is text as meant, and a real pattern is no duration: nothing is said.
  for (const pattern of ['"5s"', "'500ms'", 'listening', 'ready in 5s', '5 s', '5sec', 'ms', '^\\d+s$']) assert.deepEqual(warnings(pattern), [], pattern);
});

test('a duration-looking ready pattern names readyTimeout only where readyTimeout would take it', () => {
  // Before: `ready: 0s` was told to write `readyTimeout: 0s` ("must be longer than 0"), and `ready: 1000h`
  // `readyTimeout: 1000h` ("longer than the longest a timer can wait"): advice that is itself refused.
  const messages = (ready: string): string[] => (parseYamlConfig(`processes:\n  web:\n    cmd: x\n    ready: ${ready}\n`, 'subvisor.yaml', { env: {} }).warnings ?? []).map((warning) => warning.message);
  for (const written of ['0s', '0ms', '1000h', '0m0s']) {
    const said = messages(written);
    assert.equal(said.length, 1, written);
    assert.match(said[0] ?? '', new RegExp(`^${written}, a duration, is read as the log pattern /${written}/`), written);
    assert.doesNotMatch(said[0] ?? '', /readyTimeout/, written);
    // What it would have advised is refused there, which is why it is not.
    assert.throws(() => parseYamlConfig(`processes:\n  web:\n    cmd: x\n    ready: up\n    readyTimeout: ${written}\n`, 'subvisor.yaml', { env: {} }), /processes\.web\.readyTimeout: /, written);
  }
  // Control: a duration readyTimeout takes is still named, and taken there.
  assert.match(messages('596h')[0] ?? '', /write `readyTimeout: 596h` beside `ready`/);
  assert.equal(firstProcess(web('    ready: up\n    readyTimeout: 596h\n')).readyTimeoutMs, 596 * 3_600_000);
});
