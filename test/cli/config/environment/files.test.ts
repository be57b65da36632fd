import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { mergeEnvFiles, readEnvFile } from '../../../../src/cli/config/environment/files.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-env-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function envFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('an env file is read as node --env-file reads it: comments, export, quotes, last value wins', () => {
  const path = envFile('plain.env', ['# a comment', 'A=1', 'export B=two words', 'C="quoted # not a comment"', "D='single'", 'E="line\\nbreak"', 'A=again', 'EMPTY=', ''].join('\n'));
  const read = readEnvFile(path);
  assert.equal(read.kind, 'read'); // narrows `read`
  assert.deepEqual(read.variables, { A: 'again', B: 'two words', C: 'quoted # not a comment', D: 'single', E: 'line\nbreak', EMPTY: '' });
  assert.deepEqual(read.problems, []);
});

test('a leading byte-order mark (a Windows editor\'s) is not part of the first name', () => {
  const read = readEnvFile(envFile('bom.env', '\uFEFFBOMKEY=bomval\nNEXT=2\n'));
  assert.equal(read.kind, 'read');
  assert.deepEqual(read.variables, { BOMKEY: 'bomval', NEXT: '2' });
  assert.deepEqual(read.problems, []);
});

test('values are taken literally: ${...} in an env file is not expanded, and is warned of at its line, its default not shown', () => {
  const read = readEnvFile(envFile('literal.env', "A=1\nB=${A}-$A\nC='${A}'\nD=\"${KEY:-hunter2}\"\n"));
  assert.equal(read.kind, 'read');
  assert.deepEqual(read.variables, { A: '1', B: '${A}-$A', C: '${A}', D: '${KEY:-hunter2}' });
  // C is single-quoted: literal in dotenv and compose too, so written that way on purpose.
  assert.deepEqual(
    read.warnings.map(({ line, name, message }) => `${line} ${name}: ${message.split(',')[0] ?? ''}`),
    ['2 B: its value holds ${A}', '4 D: its value holds ${KEY…}'],
  );
  assert.doesNotMatch(JSON.stringify(read.warnings), /hunter2/);
});

test('a ${ that is no closed reference (a password holding `${abc`, `a${b c}`, compose\'s escape `$${NAME}`) is not warned of: the message would show a piece of the value', () => {
  const read = readEnvFile(envFile('not-references.env', 'PASSWORD=x${abc\nOTHER=a${b c}\nESCAPED=$${KEPT}\nLAST=${NAME}\n'));
  assert.equal(read.kind, 'read');
  assert.deepEqual(read.variables, { PASSWORD: 'x${abc', OTHER: 'a${b c}', ESCAPED: '$${KEPT}', LAST: '${NAME}' });
  assert.deepEqual(
    read.warnings.map(({ line, name }) => `${line} ${name}`),
    ['4 LAST'],
    'only the closed reference, the control that the warning is still given',
  );
  assert.doesNotMatch(JSON.stringify(read.warnings), /abc|\$\{b/);
});

test('a long value of unclosed ${NAME:-... is read in one pass: each ${ is looked at once, not scanned from again to the end', () => {
  // 2 MB of `${A:-`, no `}`: looking for the closing brace from every `${` anew took minutes
  // (quadratic), and up hung on it. Read in a child, which the timeout can stop (a regular
  // expression cannot be interrupted in this process); one pass takes milliseconds.
  const file = envFile('long-unclosed.env', `TOKEN=${'${A:-'.repeat(400_000)}\nLAST=\${NAME:-x}\n`);
  const reader = `import { readEnvFile } from './src/cli/config/environment/files.ts'; const read = readEnvFile(${JSON.stringify(file)}); console.log(JSON.stringify([read.variables.TOKEN.length, read.warnings.map((w) => w.line)]));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', reader], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.signal, null, 'the read finished');
  assert.deepEqual(JSON.parse(run.stdout), [2_000_000, [2]], run.stderr);
});

test('a missing file and a directory are told apart', () => {
  assert.deepEqual(readEnvFile(join(dir, 'nope.env')), { kind: 'missing' });
  mkdirSync(join(dir, 'a-dir.env'));
  const read = readEnvFile(join(dir, 'a-dir.env'));
  assert.equal(read.kind, 'unreadable');
  assert.equal(read.reason, 'it is a directory');
});

test('a variable no spawn can carry is left out and named with its line, never its value', () => {
  const path = envFile('bad.env', ['GOOD=1', 'TOKEN="hunter2\0secret"', 'a line without equals', 'NEXT=2', ''].join('\n'));
  const read = readEnvFile(path);
  assert.equal(read.kind, 'read');
  assert.deepEqual(Object.keys(read.variables), ['GOOD']);
  assert.deepEqual(
    read.problems.map((problem) => [problem.line, problem.name, problem.message]),
    [
      [2, 'TOKEN', 'its value contains a NUL byte, which no environment value can hold; remove it'],
      [3, 'NEXT', 'is not read: the line before it, with no `=`, ran into its name; write `NAME=value` lines'],
    ],
  );
  assert.ok(!JSON.stringify(read.problems).includes('hunter2'));
  assert.ok(!JSON.stringify(read.problems).includes('equals'), 'the line without `=` may be a value whose `=` was forgotten: not shown');
});

test('a last line with no `=`, which Node drops without a word, is warned of, never shown; YAML\'s `NAME: value` is named as such; a quoted value spanning lines is no such line', () => {
  const yaml = readEnvFile(envFile('yaml-form.env', 'OTHER=1\nBAZ: hunter2\n# a comment\n\n'));
  assert.equal(yaml.kind, 'read');
  assert.deepEqual(yaml.variables, { OTHER: '1' });
  assert.deepEqual(yaml.warnings, [
    { line: 2, name: 'BAZ', message: "this line sets nothing: it has no `=`, and is dropped; `BAZ: ...` is YAML's form, which Node's --env-file does not read: write BAZ=value" },
  ]);
  const forgotten = readEnvFile(envFile('forgotten.env', 'OTHER=1\nTOKEN hunter2\n'));
  assert.equal(forgotten.kind, 'read');
  assert.deepEqual(forgotten.warnings, [{ line: 2, name: '', message: 'this line sets nothing: it has no `=`, and is dropped; write `NAME=value`' }]);
  assert.ok(!JSON.stringify([yaml.warnings, forgotten.warnings]).includes('hunter2'));
  const spanning = readEnvFile(envFile('spanning.env', 'A="x\nmulti"\nC="y\nend"\n'));
  assert.equal(spanning.kind, 'read');
  assert.deepEqual(spanning.variables, { A: 'x\nmulti', C: 'y\nend' });
  assert.deepEqual(spanning.warnings, [], 'the control: a value that ends on a line with no `=` is read whole');
});

test('a bad name is placed at the line that holds the whole of it, not at an earlier line that begins the same way', () => {
  const path = envFile('prefix.env', ['FOO_BAR=1', 'FOO', 'BAZ=2', ''].join('\n'));
  const read = readEnvFile(path);
  assert.equal(read.kind, 'read');
  assert.deepEqual(
    read.problems.map((problem) => [problem.line, problem.name]),
    [[2, 'BAZ']],
  );
});

test('`export` with more than one space (or a tab) before the name is named at its own line, with what to write', () => {
  const path = envFile('export.env', ['A=1', '', '# c', 'export  FOO=1', 'export\tBAR=2', 'export OK=3', ''].join('\n'));
  const read = readEnvFile(path);
  assert.equal(read.kind, 'read');
  assert.deepEqual(read.variables, { A: '1', OK: '3' });
  const hint = 'is not a usable variable name: write `export NAME=value` with one space after `export`, or `NAME=value`';
  assert.deepEqual(
    read.problems.map((problem) => [problem.line, problem.name, problem.message]),
    [
      [4, ' FOO', hint],
      [5, 'export\\tBAR', hint],
    ],
  );
});

test('merging: later files win, and a file listed twice counts at its last place', () => {
  const a = { path: '/a.env', variables: { X: 'a', A: 'a' }, names: ['X', 'A'] };
  const b = { path: '/b.env', variables: { X: 'b', B: 'b' }, names: ['X', 'B'] };
  assert.deepEqual(mergeEnvFiles([a, b]), { envFromFiles: { X: 'b', A: 'a', B: 'b' }, envFiles: ['/a.env', '/b.env'], envNames: ['X', 'A', 'B'] });
  assert.deepEqual(mergeEnvFiles([a, b, a]), { envFromFiles: { X: 'a', B: 'b', A: 'a' }, envFiles: ['/b.env', '/a.env'], envNames: ['X', 'B', 'A'] });
  assert.equal(mergeEnvFiles([]), undefined);
});

test('a value cut at a # written right after it is read as Node reads it, with a warning at its line; a quoted one, or a comment after a blank, is not', () => {
  const path = envFile('hash.env', ['PASS=abc#123', 'COLOR=#fff', 'PORT=8080 # the port', 'QUOTED="a#b"', "SINGLE='#x'", 'PASS2=x', 'PASS2=y#z', ''].join('\n'));
  const read = readEnvFile(path);
  assert.equal(read.kind, 'read');
  assert.deepEqual(read.variables, { PASS: 'abc', COLOR: '', PORT: '8080', QUOTED: 'a#b', SINGLE: '#x', PASS2: 'y' });
  assert.deepEqual(
    read.warnings.map((warning) => [warning.line, warning.name]),
    [
      [1, 'PASS'],
      [2, 'COLOR'],
      [7, 'PASS2'],
    ],
  );
  assert.match(read.warnings[0]?.message ?? '', /^its value ends before its `#`: Node and dotenv read a comment from there \(compose would not\); quote the value to keep it \(PASS="\.\.\."\)/);
  assert.ok(!JSON.stringify(read.warnings).includes('123'), 'no value is shown');
});

test('a value cut at a # is warned of in a file with Windows line ends too, at its line', () => {
  const read = readEnvFile(envFile('hash-crlf.env', ['A=1', 'PASS=abc#123', 'PORT=8080 # the port', 'COLOR=#fff', ''].join('\r\n')));
  assert.equal(read.kind, 'read');
  assert.deepEqual(read.variables, { A: '1', PASS: 'abc', PORT: '8080', COLOR: '' });
  assert.deepEqual(
    read.warnings.map((warning) => [warning.line, warning.name]),
    [
      [2, 'PASS'],
      [4, 'COLOR'],
    ],
  );
});

test('a quoted value Node ends before its line does (a \\" inside, text after the closing quote) is read as Node reads it, with a warning at its line', () => {
  const path = envFile('quote-tail.env', ['TOKEN="a\\"b"', "SINGLE='x'y", 'FINE="ok" # a comment', "ALSO='ok'", ''].join('\r\n'));
  const read = readEnvFile(path);
  assert.equal(read.kind, 'read');
  assert.deepEqual(read.variables, { TOKEN: 'a\\', SINGLE: 'x', FINE: 'ok', ALSO: 'ok' });
  assert.deepEqual(
    read.warnings.map((warning) => [warning.line, warning.name]),
    [
      [1, 'TOKEN'],
      [2, 'SINGLE'],
    ],
  );
  assert.match(read.warnings[0]?.message ?? '', /^what follows the " that ends its value is dropped: Node ends a quoted value at the next " \(a backslash does not escape it\) and reads nothing after it on the line; quote a value holding " with ' \(TOKEN='a"b'\)/);
});

test('a quote never closed, which takes the lines after it into its value, is warned of at its line, naming the variables it took', () => {
  const path = envFile('unclosed.env', ['FIRST=1', 'OPEN="abc', 'LOST=2', 'export GONE="3"', 'LAST=4', ''].join('\n'));
  const read = readEnvFile(path);
  assert.equal(read.kind, 'read');
  assert.deepEqual(read.variables, { FIRST: '1', OPEN: 'abc\nLOST=2\nexport GONE=', LAST: '4' });
  assert.deepEqual(
    read.warnings.map((warning) => [warning.line, warning.name, warning.message]),
    [[2, 'OPEN', 'its "-quoted value runs on to the " on line 4, so the lines that would set LOST, GONE are read into it instead: its closing " is missing; close it where the value ends']],
  );
});

test('a value quoted over several lines on purpose (a PEM key, its base64 padded with =) is read without a word', () => {
  const pem = ['KEY="-----BEGIN PUBLIC KEY-----', 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA', 'AB==', 'QUJD=', '-----END PUBLIC KEY-----"', 'NEXT=1', ''].join('\n');
  const read = readEnvFile(envFile('pem.env', pem));
  assert.equal(read.kind, 'read');
  assert.equal(read.variables['NEXT'], '1');
  assert.deepEqual(read.warnings, []);
});

test('a value closed on purpose over several lines, holding NAME=value lines, is read without a word', () => {
  const read = readEnvFile(envFile('multi.env', ['CONFIG="', 'LEVEL=debug', 'MODE=fast', '"', "PROPS='A=1", "B=2' # two", 'NEXT=1', ''].join('\n')));
  assert.equal(read.kind, 'read');
  assert.deepEqual(read.variables, { CONFIG: '\nLEVEL=debug\nMODE=fast\n', PROPS: 'A=1\nB=2', NEXT: '1' });
  assert.deepEqual(read.warnings, []);
});

test('an empty value followed by a blank and a comment (KEY= # fill in) is read empty without a word', () => {
  const read = readEnvFile(envFile('empty-comment.env', ['API_KEY= # fill in', 'TOKEN=   # later', 'COLOR=#fff', ''].join('\n')));
  assert.equal(read.kind, 'read');
  assert.deepEqual(read.variables, { API_KEY: '', TOKEN: '', COLOR: '' });
  assert.deepEqual(read.warnings.map((warning) => [warning.line, warning.name]), [[3, 'COLOR']]);
});

test('a big env file gets each warning and problem at its own line, the last assignment of a name given twice', () => {
  const lines: string[] = [];
  const warned: [number, string][] = [];
  const refused: [number, string][] = [];
  for (let i = 0; i < 1000; i++) {
    lines.push(`DUP${i}=a#early`, `PASS${i}=abc#${i}`, `export TOKEN${i}="a\\"b"`, `OK${i}="fine" # comment`, `NUL${i}="x\0y"`, `DUP${i}=b#late`);
    const base = lines.length - 6;
    warned.push([base + 2, `PASS${i}`], [base + 3, `TOKEN${i}`], [base + 6, `DUP${i}`]);
    refused.push([base + 5, `NUL${i}`]);
  }
  const read = readEnvFile(envFile('big.env', lines.join('\r\n')));
  assert.equal(read.kind, 'read');
  assert.equal(Object.keys(read.variables).length, 4000);
  assert.deepEqual(
    read.warnings.map((warning) => [warning.line, warning.name]),
    warned.sort((a, b) => a[0] - b[0]),
  );
  // Problems come in parseEnv's order (by name); their lines are what is checked.
  assert.deepEqual(
    read.problems.map((problem) => [problem.line, problem.name]).sort((a, b) => Number(a[0]) - Number(b[0])),
    refused,
  );
});
