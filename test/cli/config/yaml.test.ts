import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, NO_RESTART, logProbe, parseYamlConfig, type ProcessSpec } from '../../../src/cli/config/index.js';
import { configError, firstProcess, lines, problemAt } from './support.js';

const FILE = 'conf/subvisor.yaml';
const CONF_DIR = resolve('conf');

/** The single problem reported for `text`, asserting it sits at `line`:`column`. */
function onlyProblem(text: string, line: number, column: number): string {
  const error = configError(() => parseYamlConfig(text, FILE));
  assert.equal(error.problems.length, 1, error.message);
  assert.equal(error.line, line, error.message);
  assert.equal(error.column, column, error.message);
  assert.ok(error.message.startsWith(`${FILE}:${line}:${column}: `), error.message);
  return error.message;
}

/** A valid process body to build variants from: the control each error test starts from. */
const web = (extra = ''): string => `processes:\n  web:\n    cmd: node server.js\n${extra}`;

test('the example of SPEC.md §5 parses to the specs it describes', () => {
  const text = [
    'processes:',
    '  db:',
    '    cmd: ./scripts/db.sh',
    '    ready: "listening on \\\\d+"',
    '  web:',
    '    cmd: [node, server.js]',
    '    env: { PORT: "8080" }',
    '    dependsOn: [db]',
    '    ready: "ready"',
    '    restart: { policy: on-failure, max: 3 }',
    '  test:',
    '    cmd: npm run e2e',
    '    dependsOn: [web]',
    '    main: true',
    '',
  ].join('\n');
  const source = (line: number) => ({ file: FILE, line, column: 3 });
  const expected: ProcessSpec[] = [
    { name: 'db', cmd: './scripts/db.sh', cwd: CONF_DIR, ready: logProbe(/listening on \d+/), dependsOn: [], restart: NO_RESTART, task: false, main: false, source: source(2) },
    {
      name: 'web',
      cmd: ['node', 'server.js'],
      cwd: CONF_DIR,
      env: { PORT: '8080' },
      envNames: ['PORT'],
      dependsOn: [{ name: 'db', condition: 'ready' }],
      ready: logProbe(/ready/),
      restart: { policy: 'on-failure', max: 3, backoffMs: 500, maxBackoffMs: 30_000, resetAfterMs: 60_000 },
      task: false,
      main: false,
      source: source(5),
    },
    { name: 'test', cmd: 'npm run e2e', cwd: CONF_DIR, dependsOn: [{ name: 'web', condition: 'ready' }], restart: NO_RESTART, task: false, main: true, source: source(11) },
  ];
  assert.deepEqual(parseYamlConfig(text, FILE), { file: FILE, processes: expected });
  // Control: deepEqual does look inside the regex.
  assert.notDeepEqual(/listening on \d+/, /listening on d+/);
});

test('optional keys get their documented defaults and values', () => {
  const text = web(
    [
      '    cwd: ../srv',
      '    ready: up',
      '    readyTimeout: 30s',
      '    grace: 2500',
      '    restart: on-failure',
      '',
    ].join('\n'),
  );
  const [spec] = parseYamlConfig(text, FILE).processes;
  assert.equal(spec?.cwd, resolve('srv'));
  assert.equal(spec.readyTimeoutMs, 30_000);
  assert.equal(spec.grace, 2500);
  assert.deepEqual(spec.restart, { policy: 'on-failure', max: 3, backoffMs: 500, maxBackoffMs: 30_000, resetAfterMs: 60_000 });
  assert.deepEqual(parseYamlConfig(web('    restart: { policy: on-failure, max: 5, backoff: 2s }\n'), FILE).processes[0]?.restart, {
    policy: 'on-failure',
    max: 5,
    backoffMs: 2000,
    maxBackoffMs: 30_000,
    resetAfterMs: 60_000,
  });
  assert.deepEqual(parseYamlConfig(web('    restart: no\n'), FILE).processes[0]?.restart, NO_RESTART);
  // Without a cwd the process runs next to its config, wherever subvisor was started.
  assert.equal(parseYamlConfig(web(), FILE).processes[0]?.cwd, CONF_DIR);
  assert.equal(parseYamlConfig(web(), '/abs/subvisor.yaml').processes[0]?.cwd, '/abs');
});

test('a cwd that is empty is refused; when a variable emptied it, the variable is named', () => {
  assert.match(problemAt(web('    cwd: ""\n'), '""'), /processes\.web\.cwd: is empty; give a directory/);
  assert.match(problemAt(web('    cwd: "${UNSET_DIR}"\n'), '"${UNSET_DIR}"', { env: {} }), /processes\.web\.cwd: is empty once \$\{UNSET_DIR\} is expanded \(UNSET_DIR is not set\); give a directory/);
});

test('env numbers and booleans are taken as written, so PORT: 8080 works and 3.10 keeps its zero', () => {
  const text = web('    env: { PORT: 8080, VERSION: 3.10, DEBUG: true, HEX: 0x1F, NAME: "8080", EMPTY: "" }\n');
  assert.deepEqual(parseYamlConfig(text, FILE).processes[0]?.env, { PORT: '8080', VERSION: '3.10', DEBUG: 'true', HEX: '0x1F', NAME: '8080', EMPTY: '' });
});

test('cmd list items that are plain numbers are taken as written too', () => {
  const text = 'processes:\n  nap:\n    cmd: [sleep, 5, 0.50]\n';
  assert.deepEqual(parseYamlConfig(text, FILE).processes[0]?.cmd, ['sleep', '5', '0.50']);
});

test('anchors and aliases can share values between processes', () => {
  const text = [
    'processes:',
    '  a:',
    '    cmd: x',
    '    env: &common { STAGE: dev }',
    '  b:',
    '    cmd: y',
    '    env: *common',
    '',
  ].join('\n');
  assert.deepEqual(
    parseYamlConfig(text, FILE).processes.map((spec) => spec.env),
    [{ STAGE: 'dev' }, { STAGE: 'dev' }],
  );
});

test("YAML 1.1's ordered mappings (!!omap, !!pairs) are refused where they are written, with what to write instead", () => {
  // Control: the same entries as a plain list of mappings are read, and refused as no command.
  assert.match(onlyProblem('processes:\n  a:\n    cmd: [a: 1]\n', 3, 11), /processes\.a\.cmd\[0\]: expected a string, found a mapping/);
  for (const tag of ['!!omap', '!!pairs']) {
    for (const key of ['cmd', 'dependsOn', 'x-shared']) {
      const written = `    ${key}: ${tag} [b: 1]`;
      const text = `processes:\n  a:\n${key === 'cmd' ? '' : '    cmd: x\n'}${written}\n`;
      // At the list the tag makes, on the line of its key.
      assert.match(onlyProblem(text, key === 'cmd' ? 3 : 4, written.indexOf('[') + 1), new RegExp(`processes\\.a\\.${key}: YAML's ${tag} \\(an ordered mapping\\) is not read here: remove the tag, and write a mapping \\(\\{ b: 1 \\}\\) or a list`), `${key}: ${tag}`);
    }
  }
});

test("an ordered mapping nested deep in a list shows its path as a syntax problem's is shown: its first levels, then how many", () => {
  // Control: a few levels deep, the whole path.
  assert.match(onlyProblem('processes:\n  a:\n    cmd: x\n    x-deep: [[!!omap [b: 1]]]\n', 4, 22), /: processes\.a\.x-deep\[0\]\[0\]: YAML's !!omap/);
  const depth = 40;
  const message = onlyProblem(`processes:\n  a:\n    cmd: x\n    x-deep: ${'['.repeat(depth)}!!omap [b: 1]${']'.repeat(depth)}\n`, 4, 20 + depth);
  assert.match(message, /: processes\.a\.x-deep(\[0\]){9}…\(43 levels\): YAML's !!omap/);
});

test('a value nested deeper than the parser can follow is refused in words about the config, not as a stack overflow', () => {
  // Control: a few hundred levels are read (and refused only as no command).
  assert.match(onlyProblem(`processes:\n  a:\n    cmd: ${'['.repeat(300)}${']'.repeat(300)}\n`, 3, 11), /processes\.a\.cmd\[0\]: expected a string, found a list/);
  const error = configError(() => parseYamlConfig(`processes:\n  a:\n    cmd: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, FILE));
  assert.equal(error.problems.length, 1, error.message);
  assert.match(error.message, /processes\.a: YAML syntax: nested too deeply to read \(brackets or indentation hundreds of levels deep\); a config needs a few levels: close what is opened, or write the value flatter$/);
  assert.doesNotMatch(error.message, /call stack/);
});

test('brackets opened hundreds deep and never closed are one problem, its path cut to its first levels, not one long line per level', () => {
  // Control for the cut: a few levels show the whole path (and were said once per level too, before).
  assert.match(onlyProblem('processes: [[[\n', 1, 14), /^conf\/subvisor\.yaml:1:14: processes\[0\]\[0\]: YAML syntax: the \[ that opens here is never closed/);
  // The parser repeats its error once per level: 300 lines of 300 `[0]` each, 319 KB, before.
  const message = onlyProblem(`processes: ${'['.repeat(300)}\n`, 1, 311);
  assert.match(message, /: processes(\[0\]){11}…\(300 levels\): YAML syntax: the \[ that opens here is never closed/);
  assert.ok(message.length < 1000, `${message.length} characters`);
  // A key given twice that deep is placed by the same path.
  const twice = onlyProblem(`processes: ${'['.repeat(300)}{a: 1, a: 2}${']'.repeat(300)}\n`, 1, 319);
  assert.match(twice, /: processes(\[0\]){11}…\(302 levels\): YAML syntax: the key is given twice/);
});

test('a key thousands of characters long (binary read as YAML) is shown cut in the path, so each problem stays a line', () => {
  // Control: a key of ordinary length is shown whole.
  assert.match(onlyProblem(`processes:\n  a: { cmd: x }\n${'k'.repeat(80)}: 1\n`, 3, 1), new RegExp(`^${FILE}:3:1: ${'k'.repeat(80)}: unknown key`));
  const message = onlyProblem(`processes:\n  a: { cmd: x }\n${'k'.repeat(1000)}: 1\n`, 3, 1);
  assert.match(message, new RegExp(`^${FILE}:3:1: ${'k'.repeat(80)}…: unknown key`));
  // Past 1024 characters it is a syntax error, placed the same way.
  const syntax = onlyProblem(`processes:\n  a: { cmd: x }\n${'k'.repeat(10_000)}: 1\n`, 3, 1);
  assert.match(syntax, new RegExp(`^${FILE}:3:1: ${'k'.repeat(80)}…: YAML syntax: `));
  assert.ok(syntax.length < 1000, `${syntax.length} characters`);
  assert.ok(message.length < 1000, `${message.length} characters`);
});

test("a parser's message quoting a token thousands of characters long is cut, so each problem stays a line", () => {
  const short = configError(() => parseYamlConfig(`processes: {}\n]${'x'.repeat(10)}\n`, FILE));
  // Control: a short token is quoted whole.
  assert.match(short.message, /2:2: processes: YAML syntax: Unexpected scalar token in YAML stream: "x{10}"$/m);
  const long = configError(() => parseYamlConfig(`processes: {}\n]${'x'.repeat(5000)}\n`, FILE));
  assert.match(long.message, /2:2: processes: YAML syntax: Unexpected scalar token in YAML stream: "x+…$/m);
  assert.ok(long.message.length < 1000, `${long.message.length} characters`);
});

test('a cut key or parser message never ends in half of a character (an emoji astride the cut is left out whole)', () => {
  // A lone surrogate is no character: written out as UTF-8 it becomes U+FFFD, or a JSON line a strict reader refuses.
  const halfCharacter = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  // The 80th and 81st UTF-16 units of the key are one emoji.
  const key = onlyProblem(`processes:\n  a: { cmd: x }\n${'k'.repeat(79)}😀${'k'.repeat(20)}: 1\n`, 3, 1);
  assert.match(key, new RegExp(`^${FILE}:3:1: ${'k'.repeat(79)}…: unknown key`));
  assert.doesNotMatch(key, halfCharacter);
  // The parser quotes the token after 41 characters of its own: the 160th and 161st units are one emoji.
  const reason = configError(() => parseYamlConfig(`processes: {}\n]${'x'.repeat(118)}😀${'x'.repeat(100)}\n`, FILE)).message;
  assert.match(reason, new RegExp(`YAML syntax: Unexpected scalar token in YAML stream: "${'x'.repeat(118)}…$`, 'm'));
  assert.doesNotMatch(reason, halfCharacter);
});

test('10 000 aliases are read in linear time (it was 112 s), each resolved to its anchor', () => {
  // In a child process, so that a quadratic read (synchronous: no test timeout can stop it) is
  // cut off at 30 s instead of running for minutes. That cut-off is the guard: no bound on the time
  // it took, which a loaded machine can stretch (a 10 s bound read 12 s under load).
  const script = `
    import { parseYamlConfig } from './src/cli/config/index.js';
    const lines = ['processes:', '  p0:', '    cmd: &cmd [node, server.js]', '    env: &common { STAGE: dev }'];
    for (let i = 1; i < 10_000; i++) lines.push('  p' + i + ':', '    cmd: *cmd', '    env: *common');
    const { processes } = parseYamlConfig(lines.join('\\n'), 'many.yaml');
    const last = processes.at(-1);
    console.log(JSON.stringify({ count: processes.length, cmd: last.cmd, env: last.env }));
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.signal, null, `still reading after 30 s ${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  const outcome = JSON.parse(run.stdout) as { count: number; cmd: string[]; env: Record<string, string> };
  assert.deepEqual([outcome.count, outcome.cmd, outcome.env], [10_000, ['node', 'server.js'], { STAGE: 'dev' }]);
});

test('a YAML syntax error is reported at its line and column, and only syntax errors are', () => {
  assert.doesNotThrow(() => parseYamlConfig(web(), FILE)); // control
  const message = onlyProblem('processes:\n  web:\n    cmd: a\n    cmd: b\n  db: {}\n', 4, 5);
  assert.match(message, /YAML syntax: the key is given twice/);
});

test('a key given twice is named by its path, with the line it was first given at', () => {
  const message = onlyProblem('processes:\n  web:\n    cmd: a\n    env: { A: 1 }\n    cmd: b\n', 5, 5);
  assert.match(message, /: processes\.web\.cmd: YAML syntax: the key is given twice \(first at line 3\); a mapping's keys must be unique/);
  const both = configError(() => parseYamlConfig('processes:\n  web: { cmd: a, env: { A: 1, A: 2 } }\n  db: { cmd: b }\n  web: { cmd: c }\n', FILE));
  assert.deepEqual(
    both.problems.map((problem) => [problem.line, problem.column, problem.path]),
    [
      [2, 31, 'processes.web.env.A'],
      [4, 3, 'processes.web'],
    ],
  );
  assert.match(both.message, /processes\.web: YAML syntax: the key is given twice \(first at line 2\)/);
});

test('a quote never closed is reported where it opens, not at the end of the file it ran into', () => {
  assert.doesNotThrow(() => parseYamlConfig('processes:\n  web:\n    cmd: "echo hi"\n  db:\n    cmd: echo db\n', FILE)); // control
  assert.match(onlyProblem('processes:\n  web:\n    cmd: "echo hi\n  db:\n    cmd: echo db\n', 3, 10), /YAML syntax: the " that opens here is never closed, so the rest of the file is read as its text/);
  // In a flow list the parser also misses the `]` at the same spot: that is the quote's doing, said once.
  assert.match(onlyProblem("processes:\n  web:\n    cmd: [sh, -c, 'echo x]\n    env: { B: 1 }\n", 3, 19), /YAML syntax: the ' that opens here is never closed/);
});

test('a YAML syntax error names the process it is in (SPEC §5: file, line and name), and the key where that is known', () => {
  const cases: [string, string, number, number, string][] = [
    ['an unclosed flow list, at its [', 'processes:\n  db:\n    cmd: echo db\n  web:\n    cmd: [node, server.js\n    ready: x\n', 5, 10, 'processes.web.cmd'],
    // The parser notices at the next key, here the next process's: not the one to fix.
    ['an unclosed flow list as the last key of a process', 'processes:\n  web:\n    cmd: [node, [a, b], server.js\n  db:\n    cmd: echo db\n', 3, 10, 'processes.web.cmd'],
    ['an unclosed flow mapping as the last key of the last process', 'processes:\n  db:\n    cmd: echo db\n  web:\n    env: { A: "1"\nlogs: { dir: x }\n', 5, 10, 'processes.web.env'],
    ['a tab as indentation', 'processes:\n  db:\n    cmd: echo db\n  web:\n\tcmd: echo web\n', 5, 1, 'processes.web'],
    ['a key indented too far', 'processes:\n  db:\n    cmd: echo db\n  web:\n    cmd: echo web\n     ready: x\n', 5, 10, 'processes.web'],
    ['a quote never closed, at its key', 'processes:\n  db:\n    cmd: echo db\n  web:\n    cmd: "echo unclosed\n    ready: x\n', 5, 10, 'processes.web.cmd'],
    // The parser reads a key lined up with neither as a process of its own: a process's key is its process's.
    ['a key of the process a space short', 'processes:\n  db:\n    cmd: echo db\n  web:\n    cmd: echo web\n   env: { X: "1" }\n', 6, 4, 'processes.web'],
    ['a process name a space too deep', 'processes:\n  db:\n    cmd: echo db\n   web:\n    cmd: echo web\n', 4, 4, 'processes.web'],
  ];
  for (const [what, text, line, column, path] of cases) {
    const error = configError(() => parseYamlConfig(text, FILE));
    const first = error.problems[0];
    assert.deepEqual([first?.line, first?.column, first?.path, first?.process], [line, column, path, 'web'], `${what}: ${error.message}`);
    assert.ok(error.message.startsWith(`${FILE}:${line}:${column}: ${path}: YAML syntax: `), `${what}: ${error.message}`);
    assert.equal(error.process, 'web', what);
  }
  const topLevel = configError(() => parseYamlConfig('processes:\n  web: { cmd: a }\nlogs: { dir: [x\n', FILE));
  assert.deepEqual([topLevel.path, topLevel.process], ['logs', undefined], topLevel.message);
  assert.match(configError(() => parseYamlConfig('processes:\n  web:\n    cmd: [node, server.js\n  db:\n    cmd: echo db\n', FILE)).message, /:3:10: processes\.web\.cmd: YAML syntax: the \[ that opens here is never closed \(or a line of it is not indented past its key\); close it with \] where the list ends$/);
  assert.match(configError(() => parseYamlConfig('processes:\n  db:\n    cmd: echo db\n   web:\n    cmd: echo web\n', FILE)).message, /:4:4: processes\.web: YAML syntax: `web` at column 4 lines up with no key before it \(the mapping it is read into has its keys at column 3\); indent it as the keys it belongs with$/);
});

test('a regex with a backslash in double quotes gets a hint about YAML escapes', () => {
  assert.doesNotThrow(() => parseYamlConfig(web('    ready: "listening on \\\\d+"\n'), FILE)); // control: doubled
  const message = onlyProblem(web('    ready: "listening on \\d+"\n'), 4, 26);
  assert.match(message, /YAML syntax: Invalid escape sequence \\d; in double quotes write a backslash as \\\\/);
});

test('indentation with tabs is refused at its line with what to do: indent with spaces', () => {
  assert.doesNotThrow(() => parseYamlConfig('processes:\n  web:\n    cmd: echo hi\n', FILE)); // control: spaces
  const error = configError(() => parseYamlConfig('processes:\n\tweb:\n\t\tcmd: echo hi\n', FILE));
  assert.match(error.message, /^conf\/subvisor\.yaml:2:1: .*YAML syntax: Tabs are not allowed as indentation; indent with spaces \(two per level is usual\)$/m);
});

test('a second document is refused where it starts, in words about the config, not the parser\'s API', () => {
  const message = onlyProblem('---\nprocesses:\n  a: { cmd: "echo a" }\n---\nprocesses:\n  b: { cmd: "echo b" }\n', 4, 1);
  assert.match(message, /YAML syntax: a second document starts here; a config is one document: remove this `---` and what follows, or merge it into the first$/);
  assert.doesNotMatch(message, /parseAllDocuments/);
});

test('a top level that is not a mapping is refused at 1:1', () => {
  assert.match(onlyProblem('- web\n- db\n', 1, 1), /expected a mapping at the top level, found a list; start with `processes:`/);
});

test('an empty file is refused, without a line since there is nothing to point at', () => {
  for (const text of ['', '# only a comment\n']) {
    const error = configError(() => parseYamlConfig(text, FILE));
    assert.equal(error.message, `${FILE}: the file has no processes; start with \`processes:\` and one entry per process, e.g. \`processes: { web: { cmd: node server.js } }\``);
    assert.equal(error.line, undefined);
  }
});

test('a missing processes key is refused, and a misspelt one gets a suggestion', () => {
  const error = configError(() => parseYamlConfig('procesess:\n  web: { cmd: x }\n', FILE));
  assert.deepEqual(lines(error), [
    `${FILE}:1:1: procesess: unknown key; did you mean 'processes'? (known keys here: envFile, logs, processes)`,
    `${FILE}:1:1: missing \`processes\`; start with \`processes:\` and one entry per process, e.g. \`processes: { web: { cmd: node server.js } }\``,
  ]);
});

test('a leading byte order mark (an editor on Windows) is no part of the first line: columns are as shown, as in a Procfile', () => {
  assert.match(onlyProblem('\uFEFFprocesses: { web: { cmd: "x } }\n', 1, 26), /processes\.web\.cmd: YAML syntax: the " that opens here is never closed/);
  assert.deepEqual(parseYamlConfig('\uFEFFprocesses:\n  web: { cmd: x }\n', FILE).processes[0]?.source, { file: FILE, line: 2, column: 3 });
  assert.match(lines(configError(() => parseYamlConfig('\uFEFFprocesess: {}\n', FILE)))[0] ?? '', /^conf\/subvisor\.yaml:1:1: procesess: unknown key/);
});

test('a docker compose file\'s `services` is pointed to `processes`, and its services are read as processes, so one run lists every key to change', () => {
  const error = configError(() => parseYamlConfig('services:\n  web: { command: x, image: nginx }\n  db: { cmd: y, dependsOn: [nope] }\n', FILE));
  assert.deepEqual(lines(error), [
    `${FILE}:1:1: services: is docker compose's word; write \`processes:\` (its services are read as processes below, to list what else to change)`,
    `${FILE}:2:3: services.web: missing \`cmd\`; add the command to run, e.g. \`cmd: node server.js\` (run by sh -c) or \`cmd: [node, server.js]\` (argv)`,
    `${FILE}:2:10: services.web.command: unknown key; did you mean 'cmd'? (known keys here: cmd, cwd, env, envFile, ready, readyTimeout, liveness, dependsOn, task, restart, main, stopSignal, grace, user, replicas, watch)`,
    `${FILE}:2:22: services.web.image: is docker compose's; subvisor runs commands on this machine, not images: give what the image runs as \`cmd\` (installed here), and remove \`image\``,
    `${FILE}:3:29: services.db.dependsOn[0]: unknown process 'nope' (known: web)`,
  ]);
  // Never a config without processes, whatever services holds.
  assert.deepEqual(lines(configError(() => parseYamlConfig('services: [web]\n', FILE))), [
    `${FILE}:1:1: services: is docker compose's word; write \`processes:\``,
    `${FILE}:1:11: services: expected a mapping of process names to processes, found a list; write \`name:\` then the process's keys indented below it`,
  ]);
  assert.deepEqual(lines(configError(() => parseYamlConfig('services:\n', FILE))), [`${FILE}:1:1: services: is docker compose's word; write \`processes:\`; start with \`processes:\` and one entry per process, e.g. \`processes: { web: { cmd: node server.js } }\``]);
  // With processes: written too, services is only refused, not read again.
  assert.deepEqual(lines(configError(() => parseYamlConfig('processes:\n  web: { cmd: x }\nservices:\n  db: { image: y }\n', FILE))), [
    `${FILE}:3:1: services: is docker compose's word; write \`processes:\`, which this file has already: move these entries under it`,
  ]);
});

test('processes must be a non-empty mapping', () => {
  assert.match(onlyProblem('processes: [web, db]\n', 1, 12), /processes: expected a mapping of process names to processes, found a list/);
  assert.match(onlyProblem('processes: {}\n', 1, 1), /processes: no processes listed/);
  assert.match(onlyProblem('processes:\n', 1, 1), /processes: no processes listed/);
});

test('unknown process keys are refused with "did you mean" when one is close', () => {
  assert.doesNotThrow(() => parseYamlConfig(web('    dependsOn: []\n'), FILE)); // control: the right spelling
  const cases: [string, string][] = [
    ['depends_on', 'dependsOn'],
    ['readiness', 'ready'],
    ['command', 'cmd'],
    ['environment', 'env'],
    ['working_dir', 'cwd'],
    ['ready_timeout', 'readyTimeout'],
    ['restrat', 'restart'],
  ];
  for (const [wrong, right] of cases) {
    const message = onlyProblem(web(`    ${wrong}: []\n`), 4, 5);
    assert.ok(message.includes(`processes.web.${wrong}: unknown key; did you mean '${right}'? (known keys here: cmd, cwd, env,`), message);
  }
  const far = onlyProblem(web('    colour: red\n'), 4, 5);
  assert.ok(far.includes('processes.web.colour: unknown key (known keys here:'), far);
});

test('a process without cmd is refused at its name', () => {
  const message = onlyProblem('processes:\n  web:\n    dependsOn: []\n', 2, 3);
  assert.match(message, /processes\.web: missing `cmd`; add the command to run, e\.g\. `cmd: node server\.js`/);
});

test('an empty cmd is refused: empty string, blank string, empty list, no value', () => {
  assert.match(onlyProblem('processes:\n  web:\n    cmd: ""\n', 3, 10), /processes\.web\.cmd: is empty; give the command to run/);
  assert.match(onlyProblem('processes:\n  web:\n    cmd: "  "\n', 3, 10), /processes\.web\.cmd: is empty/);
  assert.match(onlyProblem('processes:\n  web:\n    cmd: []\n', 3, 10), /processes\.web\.cmd: is an empty list/);
  assert.match(onlyProblem('processes:\n  web:\n    cmd:\n', 3, 5), /processes\.web\.cmd: has no value/);
  assert.match(onlyProblem('processes:\n  web:\n    cmd: ["", x]\n', 3, 11), /processes\.web\.cmd\[0\]: the program name is empty/);
});

test('cmd list items must be strings (or plain scalars), not mappings, lists or nothing', () => {
  assert.match(onlyProblem('processes:\n  web:\n    cmd: [node, { a: 1 }]\n', 3, 17), /processes\.web\.cmd\[1\]: expected a string, found a mapping; quote it/);
  assert.match(onlyProblem('processes:\n  web:\n    cmd: [node, [a]]\n', 3, 17), /processes\.web\.cmd\[1\]: expected a string, found a list/);
  assert.match(onlyProblem('processes:\n  web:\n    cmd: [node, null]\n', 3, 17), /processes\.web\.cmd\[1\]: expected a string, found nothing/);
  assert.match(onlyProblem('processes:\n  web:\n    cmd: { a: 1 }\n', 3, 10), /processes\.web\.cmd: expected a string \(run by sh -c\) or a list \(argv\), found a mapping/);
});

test("env written as compose's list (- NAME=value) is answered with the mapping to write, by name, never a value", () => {
  const list = onlyProblem(web('    env:\n      - PGDATA=/srv/hunter2-secret\n      - LOG_LEVEL=debug\n      - HOME\n'), 5, 7);
  assert.match(list, /processes\.web\.env: expected a mapping of variable names to values, found compose's list form; write `env: \{ PGDATA: \.\.\., LOG_LEVEL: \.\.\. \}` \(each `NAME=value` as `NAME: value`\); a bare `- HOME` passes the variable on, as subvisor does with every variable of its environment, so leave it out$/);
  assert.doesNotMatch(list, /hunter2|debug/);
  assert.match(onlyProblem(web('    env: [HOME, USER]\n'), 4, 10), /found compose's list form; a bare `- HOME` passes the variable on, as subvisor does with every variable of its environment, so remove `env`$/);
  // The control: a list of anything else gets the general answer.
  assert.match(onlyProblem(web('    env: [{ A: 1 }]\n'), 4, 10), /processes\.web\.env: expected a mapping of variable names to values, found a list; e\.g\. `env: \{ PORT: "8080" \}`$/);
});

test('env must be a mapping of names to scalars; errors never show the value', () => {
  assert.match(onlyProblem(web('    env: [A=1]\n'), 4, 10), /processes\.web\.env: expected a mapping of variable names to values, found compose's list form; write `env: \{ A: \.\.\. \}`/);
  assert.match(onlyProblem(web('    env: { TOKEN: }\n'), 4, 12), /processes\.web\.env\.TOKEN: has no value; write `""` for an empty string/);
  const nested = onlyProblem(web('    env: { TOKEN: { value: hunter2-secret } }\n'), 4, 19);
  assert.match(nested, /processes\.web\.env\.TOKEN: expected a string, found a mapping/);
  assert.doesNotMatch(nested, /hunter2/);
  assert.match(onlyProblem(web('    env: { "A=B": x }\n'), 4, 12), /processes\.web\.env\.A=B: is not a usable variable name: it contains =/);
});

test('a value no spawn can carry (a NUL byte) is refused at its place, without showing it', () => {
  const nul = 'contains a NUL byte, which no command, argument, directory or environment value can hold; remove it';
  // Control: the same configs without the NUL byte are accepted.
  for (const ok of ['    cmd: [node, "a-b"]\n', '    cmd: node\n    env: { TOKEN: "hunter2-b" }\n', '    cmd: node\n    cwd: "dir-b"\n']) {
    assert.doesNotThrow(() => parseYamlConfig(`processes:\n  web:\n${ok}`, FILE), ok);
  }
  const cases: [text: string, line: number, column: number, path: string][] = [
    ['    cmd: "node\\0x"\n', 3, 10, 'processes.web.cmd'],
    ['    cmd: "node \x00x"\n', 3, 10, 'processes.web.cmd'], // a raw NUL byte in the file, too
    ['    cmd: [node, "a\\0b"]\n', 3, 17, 'processes.web.cmd[1]'],
    ['    cmd: node\n    env: { TOKEN: "hunter2\\0b" }\n', 4, 19, 'processes.web.env.TOKEN'],
    ['    cmd: node\n    cwd: "dir\\0b"\n', 4, 10, 'processes.web.cwd'],
  ];
  for (const [body, line, column, path] of cases) {
    const message = onlyProblem(`processes:\n  web:\n${body}`, line, column);
    assert.equal(message, `${FILE}:${line}:${column}: ${path}: ${nul}`);
  }
});

test('an environment variable name no spawn can carry is refused, shown with its control characters escaped', () => {
  assert.equal(onlyProblem(web('    env: { "": x }\n'), 4, 12), `${FILE}:4:12: processes.web.env."": is not a usable variable name: it is empty`);
  assert.equal(onlyProblem(web('    env: { "A\\0B": x }\n'), 4, 12), `${FILE}:4:12: processes.web.env.A\\u0000B: is not a usable variable name: it contains a NUL byte`);
});

test('ready must be a valid regex; the regex error is shown', () => {
  assert.doesNotThrow(() => parseYamlConfig(web("    ready: '(ok)'\n"), FILE)); // control: balanced
  const message = onlyProblem(web("    ready: '(ok'\n"), 4, 12);
  // Before: V8's whole message, `(Invalid regular expression: /(ok/: Unterminated group)`, the pattern said twice.
  assert.ok(message.endsWith('processes.web.ready: is not a valid regular expression (Unterminated group); fix the pattern (a JavaScript RegExp, without flags)'), message);
  const error = configError(() => parseYamlConfig(web("    ready: '(ok'\n"), FILE));
  assert.ok(error.cause instanceof SyntaxError, 'the RegExp error is kept as the cause');
  assert.match(onlyProblem(web("    ready: ''\n"), 4, 12), /processes\.web\.ready: is empty, which every line matches/);
  assert.match(onlyProblem(web('    ready: [a]\n'), 4, 12), /processes\.web\.ready: expected a regular expression \(as a string\) or a probe like `\{ http: .*, found a list/);
});

test('durations are checked: readyTimeout, grace and backoff', () => {
  assert.match(onlyProblem(web('    ready: up\n    readyTimeout: soon\n'), 5, 19), /processes\.web\.readyTimeout: invalid duration 'soon': expected a number with a unit/);
  assert.match(onlyProblem(web('    ready: up\n    readyTimeout: 0\n'), 5, 19), /processes\.web\.readyTimeout: must be longer than 0/);
  assert.match(onlyProblem(web('    readyTimeout: 5s\n'), 4, 5), /processes\.web\.readyTimeout: has no effect without `ready`/);
  assert.match(onlyProblem(web('    grace: -1s\n'), 4, 12), /processes\.web\.grace: invalid duration '-1s'/);
  assert.match(onlyProblem(web('    grace: [1]\n'), 4, 12), /processes\.web\.grace: expected a duration like 500ms, 30s or 2m, found a list/);
  assert.match(onlyProblem(web('    restart: { policy: on-failure, backoff: 1d }\n'), 4, 45), /processes\.web\.restart\.backoff: invalid duration '1d'/);
});

test('dependsOn naming an unknown process names it, lists the known ones (not itself) and suggests', () => {
  const text = (dependency: string): string =>
    ['processes:', '  db:', '    cmd: x', '  web:', '    cmd: y', `    dependsOn: [${dependency}]`, '  test:', '    cmd: z', ''].join('\n');
  assert.doesNotThrow(() => parseYamlConfig(text('db'), FILE)); // control
  const error = configError(() => parseYamlConfig(text('dbb'), FILE));
  assert.equal(error.message, `${FILE}:6:17: processes.web.dependsOn[0]: unknown process 'dbb' (known: db, test); did you mean 'db'?`);
  assert.equal(error.process, 'web');
  assert.equal(error.path, 'processes.web.dependsOn[0]');
  assert.match(configError(() => parseYamlConfig(text('cache'), FILE)).message, /unknown process 'cache' \(known: db, test\)$/);
});

test('dependsOn must be a list of names', () => {
  assert.match(onlyProblem(web('    dependsOn: db\n'), 4, 16), /processes\.web\.dependsOn: expected a list of process names or a mapping of names to conditions, found a string; write a list: `dependsOn: \[db\]`/);
  assert.match(onlyProblem(web('    dependsOn: [[db]]\n'), 4, 17), /processes\.web\.dependsOn\[0\]: expected a process name, found a list/);
});

test('a process depending on itself is refused as such', () => {
  const message = onlyProblem(web('    dependsOn: [web]\n'), 4, 17);
  assert.match(message, /processes\.web\.dependsOn\[0\]: 'web' depends on itself; remove it from its own dependsOn/);
});

test('a dependency cycle is refused, named in dependency order, at the edge that closes it', () => {
  const text = (last: string): string =>
    [
      'processes:',
      '  db:',
      '    cmd: x',
      `    dependsOn: [${last}]`,
      '  web:',
      '    cmd: y',
      '    dependsOn: [db]',
      '  test:',
      '    cmd: z',
      '    dependsOn: [web]',
      '',
    ].join('\n');
  assert.doesNotThrow(() => parseYamlConfig(text(''), FILE)); // control: no edge back, no cycle
  const two = onlyProblem(text('web'), 4, 17);
  assert.ok(two.includes("processes.db.dependsOn[0]: dependency cycle db -> web -> db (each depends on the next)"), two);
  const three = onlyProblem(text('test'), 4, 17);
  assert.ok(three.includes('dependency cycle db -> test -> web -> db'), three);
  assert.equal(configError(() => parseYamlConfig(text('test'), FILE)).process, 'db');
});

test('restart: an unknown policy, a bad max or options the policy ignores are refused', () => {
  assert.match(onlyProblem(web('    restart: sometimes\n'), 4, 14), /processes\.web\.restart: unknown restart policy 'sometimes'; use `no`, `on-failure` or `always`$/);
  assert.match(
    onlyProblem(web('    restart: { policy: on_failure }\n'), 4, 24),
    /processes\.web\.restart\.policy: unknown restart policy 'on_failure'; use `no`, `on-failure` or `always`; did you mean 'on-failure'\?/,
  );
  for (const max of ['0', '-1', '1.5', '"3"']) {
    const message = onlyProblem(web(`    restart: { policy: on-failure, max: ${max} }\n`), 4, 41);
    assert.match(message, /processes\.web\.restart\.max: must be a positive whole number of restarts/, max);
  }
  assert.doesNotThrow(() => parseYamlConfig(web('    restart: { policy: on-failure, max: 1 }\n'), FILE)); // control
  // Digits past what a double holds (YAML reads them as Infinity) are a whole positive number too
  // large, shown as written, not a number of the wrong kind; -1e400 is still not positive.
  for (const max of ['1e400', '9007199254740993']) {
    assert.match(onlyProblem(web(`    restart: { policy: on-failure, max: ${max} }\n`), 4, 41), new RegExp(`processes\\.web\\.restart\\.max: too many restarts: ${max}; give at most 9007199254740991$`), max);
  }
  assert.match(onlyProblem(web('    restart: { policy: on-failure, max: -1e400 }\n'), 4, 41), /processes\.web\.restart\.max: must be a positive whole number of restarts, found number -1e400;/);
  assert.match(onlyProblem(web('    restart: { policy: no, max: 2 }\n'), 4, 33), /processes\.web\.restart\.max: applies only to `on-failure` and `always`/);
  assert.match(onlyProblem(web('    restart: { max: 2 }\n'), 4, 5), /processes\.web\.restart: missing `policy`/);
  assert.match(onlyProblem(web('    restart: { policy: no, tries: 2 }\n'), 4, 28), /processes\.web\.restart\.tries: unknown key \(known keys here: policy, max, backoff, maxBackoff, resetAfter\)/);
});

test('more than one main process is refused, naming the first', () => {
  const text = (second: string): string =>
    ['processes:', '  a:', '    cmd: x', '    main: true', '  b:', '    cmd: y', `    main: ${second}`, ''].join('\n');
  assert.doesNotThrow(() => parseYamlConfig(text('false'), FILE)); // control
  const message = onlyProblem(text('true'), 7, 11);
  assert.match(message, /processes\.b\.main: only one process can be main, and 'a' already is/);
  assert.match(onlyProblem(web('    main: yes\n'), 4, 11), /processes\.web\.main: expected true or false, found a string; write `main: true`/);
});

test('process names must start with a letter or digit and use only letters, digits, _, . and -', () => {
  for (const good of ['web', 'Web2', '2web', 'api.v2', 'my_db-1']) {
    assert.doesNotThrow(() => parseYamlConfig(`processes:\n  ${good}:\n    cmd: x\n`, FILE), good);
  }
  for (const bad of ['-web', '.web', '"my web"', '"web:1"', '"wéb"']) {
    const message = onlyProblem(`processes:\n  ${bad}:\n    cmd: x\n`, 2, 3);
    assert.match(message, /: invalid process name '.*': a process name must start with a letter or digit/, bad);
  }
});

test('an invalid process name is named once, quoted, at `processes` (or `services`), not also in the path before it', () => {
  // Before: "processes.we b: invalid process name 'we b': ..." said the name twice.
  const cases: [string, string, string][] = [
    ['processes', '"we b"', "processes: invalid process name 'we b': a process name must"],
    ['processes', '"web "', "processes: invalid process name 'web ': a process name must"],
    ['services', '"we b"', "services: invalid process name 'we b': a process name must"],
    ['processes', '""', 'processes: a process name cannot be empty: a process name must'],
  ];
  for (const [top, name, expected] of cases) {
    const error = configError(() => parseYamlConfig(`${top}:\n  ${name}:\n    cmd: x\n`, FILE, { env: {} }));
    const line = lines(error).find((problem) => problem.includes('process name')) ?? '';
    assert.ok(line.startsWith(`${FILE}:2:3: ${expected}`), `${name}: ${error.message}`);
  }
});

test('a name with a letter outside ASCII is told that only ASCII letters are taken, since by the rule alone it is all letters', () => {
  for (const bad of ['wéb', 'ünï', 'дб']) {
    assert.match(onlyProblem(`processes:\n  ${bad}:\n    cmd: x\n`, 2, 3), /: invalid process name '.*': .*use only ASCII letters, digits, _, \. and -$/, bad);
  }
});

test('a process given as a string or nothing is refused with an example', () => {
  assert.match(onlyProblem('processes:\n  web: node server.js\n', 2, 8), /processes\.web: expected the process's keys \(at least `cmd`\), found a string; e\.g\. `web: \{ cmd: node server\.js \}`/);
  assert.match(onlyProblem('processes:\n  web:\n', 2, 3), /processes\.web: expected the process's keys \(at least `cmd`\), found nothing/);
});

test('every problem is reported at once, one per line in file order; the fields are the first one', () => {
  const text = [
    'processes:',
    '  web:',
    '    cmd: y',
    '    dependsOn: [dbb]',
    '    restart: sometimes',
    '  test:',
    '    comand: z',
    '',
  ].join('\n');
  const error = configError(() => parseYamlConfig(text, FILE));
  assert.deepEqual(lines(error), [
    `${FILE}:4:17: processes.web.dependsOn[0]: unknown process 'dbb' (known: test)`,
    `${FILE}:5:14: processes.web.restart: unknown restart policy 'sometimes'; use \`no\`, \`on-failure\` or \`always\``,
    `${FILE}:6:3: processes.test: missing \`cmd\`; add the command to run, e.g. \`cmd: node server.js\` (run by sh -c) or \`cmd: [node, server.js]\` (argv)`,
    `${FILE}:7:5: processes.test.comand: unknown key; did you mean 'cmd'? (known keys here: cmd, cwd, env, envFile, ready, readyTimeout, liveness, dependsOn, task, restart, main, stopSignal, grace, user, replicas, watch)`,
  ]);
  assert.equal(error.problems.length, 4);
  assert.deepEqual([error.file, error.line, error.column, error.path, error.process], [FILE, 4, 17, 'processes.web.dependsOn[0]', 'web']);
  assert.deepEqual(
    error.problems.map((problem) => problem.process),
    ['web', 'web', 'test', 'test'],
  );
  assert.ok(error instanceof ConfigError && error.name === 'ConfigError');
});

describe('merge keys (<<) and x- keys work as docker compose reads them', () => {
  const shared = 'x-defaults: &defaults\n  restart: on-failure\n  grace: 2s\n  env: &env { A: "1", B: "2" }\n';

  test('a merged key is taken unless the mapping writes it, and the first of a list of merges wins', () => {
    const text = `${shared}processes:\n  web:\n    <<: *defaults\n    cmd: x\n    grace: 3s\n    env: { <<: *env, B: "3" }\n  job:\n    <<: [{ grace: 1s }, *defaults]\n    cmd: y\n`;
    const [web, job] = parseYamlConfig(text, FILE, { env: {} }).processes;
    assert.deepEqual([web?.restart.policy, web?.grace, web?.env], ['on-failure', 3000, { A: '1', B: '3' }]);
    assert.deepEqual([job?.restart.policy, job?.grace, job?.env], ['on-failure', 1000, { A: '1', B: '2' }]);
  });

  test('a mistake in a merged mapping is reported where it is written, under the path of the process that merged it', () => {
    const text = 'x-defaults: &defaults\n  gracee: 2s\nprocesses:\n  web: { <<: *defaults, cmd: x }\n';
    assert.match(onlyProblem(text, 2, 3), /: processes\.web\.gracee: unknown key; did you mean 'grace'\?/);
  });

  test('a merge of what is no mapping is refused at it, with the forms that work', () => {
    assert.match(onlyProblem(web('    <<: 5\n'), 4, 9), /: processes\.web\.<<: a merge key `<<` takes a mapping or a list of them \(`<<: \*defaults`, `<<: \[\*defaults, \*logging\]`\), found number 5$/);
  });

  test('a merge of what is no mapping is refused at the merge, not at the anchor it names', () => {
    const text = 'x-name: &name hello\nprocesses:\n  web:\n    <<: [{ grace: 1s }, *name]\n    cmd: x\n';
    assert.match(onlyProblem(text, 4, 25), /: processes\.web\.<<: a merge key `<<` takes a mapping or a list of them .*, found a list holding a string$/);
    assert.match(onlyProblem('x-name: &name hello\nprocesses:\n  web: { <<: *name, cmd: x }\n', 3, 14), /found a string$/);
  });

  test('merges of merges are read in time linear in the file: a mapping merged twice adds nothing the second time', () => {
    const levels = Array.from({ length: 23 }, (_, i) => `x-a${i + 1}: &a${i + 1} { <<: [*a${i}, *a${i}] }\n`).join('');
    const text = `x-a0: &a0 { grace: 1s }\n${levels}processes:\n  web: { <<: *a23, cmd: x }\n`;
    const started = Date.now();
    assert.equal(firstProcess(text).grace, 1000);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });

  test('a second merge key in one mapping is refused at it, with the list form to write instead', () => {
    const text = 'x-a: &a { grace: 1s }\nx-b: &b { grace: 2s }\nprocesses:\n  web:\n    <<: *a\n    <<: *b\n    cmd: x\n';
    assert.match(onlyProblem(text, 6, 5), /: processes\.web\.<<: a second merge key in one mapping, which YAML tools read differently \(PyYAML's last wins, others' first\); list them in one: `<<: \[\*first, \*second\]` \(the first listed wins\)$/);
  });

  test('processes that only merge a mapping with no process in it are refused as no processes, as `processes: {}` is', () => {
    assert.match(onlyProblem('x-none: &none {}\nprocesses:\n  <<: *none\n', 2, 1), /: processes: no processes listed; /);
  });

  test('a mapping that merges itself is read once, not for ever', () => {
    assert.equal(firstProcess('processes:\n  web: &web\n    <<: *web\n    cmd: x\n').cmd, 'x');
  });

  test('an x- key is left unread at the top level and in a process, where compose allows one (a service); a quoted \'<<\' is an ordinary key', () => {
    assert.equal(firstProcess('x-anything: [1, { no: keys checked }]\nprocesses:\n  web: { cmd: x }\n').cmd, 'x');
    assert.equal(firstProcess(web('    x-aws-role: { no: keys checked }\n')).cmd, 'node server.js');
    // Not in a value of ours, which has no compose twin to copy one from.
    assert.match(onlyProblem(web('    ready: { tcp: "h:1", x-note: 1 }\n'), 4, 26), /: processes\.web\.ready\.x-note: unknown key/);
    assert.match(onlyProblem(web('    "<<": { cmd: y }\n'), 4, 5), /: processes\.web\.<<: unknown key/);
    assert.match(onlyProblem('xdefaults: 1\nprocesses:\n  web: { cmd: x }\n', 1, 1), /: xdefaults: unknown key/);
  });
});

test('an alias that names no anchor before it is said so, where it is, not taken for a missing value', () => {
  assert.match(onlyProblem('processes:\n  web: { cmd: x, env: { X: *nope } }\n', 2, 28), /: YAML alias \*nope names no anchor defined before it: define &nope above it, or fix the name$/);
  // An anchor further down does not count: YAML reads an alias only from what came before it.
  assert.match(onlyProblem('processes:\n  a: { cmd: *later }\n  b: { cmd: &later y }\n', 2, 13), /YAML alias \*later names no anchor/);
});

test('the directory of a relative cwd is the config file\'s, not the current one', () => {
  assert.equal(dirname(FILE), 'conf'); // control: the probe's file does live in a subdirectory
  assert.equal(parseYamlConfig(web('    cwd: sub\n'), FILE).processes[0]?.cwd, resolve('conf/sub'));
  assert.equal(parseYamlConfig(web('    cwd: /tmp\n'), FILE).processes[0]?.cwd, '/tmp');
});

test('warnings: ${SUBVISOR_REPLICA} outside a command (an env value, a probe address, a ready pattern) does not send to $SUBVISOR_REPLICA, which nothing would read there', () => {
  const config = parseYamlConfig(
    'processes:\n  web:\n    cmd: [/bin/sh, -c, "echo ${SUBVISOR_REPLICA}"]\n    replicas: 2\n    env: { PORT: "800${SUBVISOR_REPLICA}" }\n    ready: { http: "http://127.0.0.1:800${SUBVISOR_REPLICA}/" }\n  api:\n    cmd: [node, -e, "${SUBVISOR_REPLICA}"]\n    replicas: 2\n    ready: "copy ${SUBVISOR_REPLICA} up"\n',
    FILE,
    { env: {} },
  );
  const messages = new Map(config.warnings?.map((warning) => [warning.path, warning.message]));
  // A shell's list item is its script: the shell's $SUBVISOR_REPLICA is the way there. Another
  // program's (node -e) is read by no shell: $SUBVISOR_REPLICA would reach it as written.
  assert.match(messages.get('processes.web.cmd[2]') ?? '', /; write \$SUBVISOR_REPLICA for the shell to read in each copy$/);
  for (const path of ['processes.web.env.PORT', 'processes.web.ready.http', 'processes.api.ready', 'processes.api.cmd[2]']) {
    const message = messages.get(path) ?? '';
    assert.match(message, /before the copies exist, and no shell reads this value later, so every copy gets the same; work out what differs by copy in a command, which a shell runs in each copy \(`cmd: PORT=\$\(\(8000 \+ SUBVISOR_REPLICA\)\) node server\.js`, or an `exec` probe\), or read SUBVISOR_REPLICA in the program$/, path);
  }
});

test('warnings: a form compose expands and subvisor leaves as written is one in a setting (cwd, env), and none in a command or after $${', () => {
  const config = parseYamlConfig('processes:\n  web:\n    cmd: [sh, -c, "echo ${A-1} ${B:+x}"]\n    cwd: "${DIR?set DIR}"\n    env: { A: "${A:+x}", B: "$${B-1}", C: "${UNSET:-${C+x}}", D: "${SET:-${D-x}}" }\n', FILE, { env: { SET: '1' } });
  assert.deepEqual(
    config.warnings?.map((warning) => [warning.line, warning.column, warning.path, warning.message.split(':')[0]]),
    [
      [4, 10, 'processes.web.cwd', '${DIR?…} is passed on as written'],
      [5, 15, 'processes.web.env.A', '${A'],
      [5, 43, 'processes.web.env.C', '${C+…} is passed on as written'],
    ],
  );
  const [cwd, plus] = config.warnings ?? [];
  assert.match(cwd?.message ?? '', /; write \$\{DIR:\?…\} \(an empty DIR is refused too\), or \$\$\{DIR\?…\} to mean it as written$/);
  assert.match(plus?.message ?? '', /, and has no \$\{NAME:\+word\}; set the value itself, or \$\$\{A:\+…\} to mean it as written$/);
});

test('warnings: an unset ${VAR} read as empty is one, at its place; ${SUBVISOR_REPLICA} says to leave it to the shell', () => {
  const config = parseYamlConfig('processes:\n  web:\n    cmd: "echo ${NOPE} ${NOPE:-x} ${SUBVISOR_REPLICA}"\n    replicas: 2\n    env: { A: "${SET}" }\n', FILE, { env: { SET: '1' } });
  assert.deepEqual(
    config.warnings?.map((warning) => [warning.line, warning.column, warning.path, warning.message.split(';')[0]]),
    [
      [3, 10, 'processes.web.cmd', '${NOPE} is not set, so it is read as empty'],
      [3, 10, 'processes.web.cmd', '${SUBVISOR_REPLICA} is read as empty: it is expanded when the config is read, before the copies exist'],
    ],
  );
  assert.equal(parseYamlConfig('processes:\n  web:\n    cmd: "echo ${SET} ${NOPE:-}"\n', FILE, { env: { SET: '1' } }).warnings, undefined, 'none: nothing unset was read as empty');
});

test("warnings: compose's $$NAME in a command the shell reads is one: the shell reads $$ as its pid", () => {
  // Compose's $$ is a literal $, so `sh -c "echo $$HOME"` copied from a compose file printed the pid and HOME.
  const config = parseYamlConfig('processes:\n  web:\n    cmd: "echo $$HOME $$$$ $${HOME} ${$}X"\n    ready: { exec: [sh, -c, "test -n $$PGDATA"] }\n', FILE, { env: {} });
  assert.deepEqual(
    config.warnings?.map((warning) => [warning.line, warning.column, warning.path, warning.message]),
    [
      [3, 10, 'processes.web.cmd', "$$HOME is the shell's pid followed by HOME: compose's $$ is a literal $, here the shell reads the command; write $HOME for the shell to expand HOME, or ${$}HOME to mean the pid"],
      [4, 29, 'processes.web.ready.exec[2]', "$$PGDATA is the shell's pid followed by PGDATA: compose's $$ is a literal $, here the shell reads the command; write $PGDATA for the shell to expand PGDATA, or ${$}PGDATA to mean the pid"],
    ],
  );
  // The control: where no shell reads it ([node, -e, ...]), $$ is passed on as written, without a word.
  assert.equal(parseYamlConfig('processes:\n  web:\n    cmd: [node, -e, "x = \'$$HOME\'"]\n', FILE, { env: {} }).warnings, undefined);
});

test('warnings: no $$NAME word where the shell does not read $$: single-quoted, escaped, or an argument after the sh -c script', () => {
  // In '...' and after a backslash the shell takes $ as written; `[sh, -c, script, arg]` passes arg on as $0 unread.
  const config = parseYamlConfig(
    'processes:\n  web:\n    cmd: "perl -e \'print $$ref\' \\\\$$HOME \\"$$USER\\""\n  job:\n    cmd: [bash, -o, pipefail, -ec, \'echo "$0"\', "$$HOME"]\n',
    FILE,
    { env: {} },
  );
  assert.deepEqual(
    config.warnings?.map((warning) => [warning.path, warning.message.split(':')[0]]),
    [['processes.web.cmd', "$$USER is the shell's pid followed by USER"]],
    'only the double-quoted $$USER, which the shell reads as its pid',
  );
});
