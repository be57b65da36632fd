import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { InterpolationError, interpolate, interpolateParts } from '../../../../src/cli/config/environment/interpolate.js';

const SECRET = 'hunter2-secret';
const variables: Record<string, string> = { PORT: '8080', EMPTY: '', TOKEN: SECRET, DIR: '/var/lib/my data' };
const lookup = (name: string): string | undefined => (Object.hasOwn(variables, name) ? variables[name] : undefined);

/** The message of the InterpolationError `text` throws, checked to show no value. */
function refused(text: string): string {
  try {
    interpolate(text, lookup);
  } catch (error) {
    assert.ok(error instanceof InterpolationError, String(error));
    for (const value of Object.values(variables).filter((value) => value !== '')) assert.ok(!error.message.includes(value), `shows a value: ${error.message}`);
    return error.message;
  }
  assert.fail(`${text} was accepted`);
}

test('${NAME} is the value, or empty when unset', () => {
  assert.equal(interpolate('--port ${PORT}', lookup), '--port 8080');
  assert.equal(interpolate('[${UNSET}]', lookup), '[]');
  assert.equal(interpolate('${DIR}/pgdata', lookup), '/var/lib/my data/pgdata');
  assert.equal(interpolate('${PORT}${PORT}', lookup), '80808080');
});

test('${NAME:-default} takes the default when the variable is unset or empty (POSIX :-)', () => {
  assert.equal(interpolate('${PORT:-3000}', lookup), '8080');
  assert.equal(interpolate('${UNSET:-3000}', lookup), '3000');
  assert.equal(interpolate('${EMPTY:-3000}', lookup), '3000');
  assert.equal(interpolate('${UNSET:-}', lookup), '');
  assert.equal(interpolate('${UNSET:-a b:c-d}', lookup), 'a b:c-d');
  // The default may use variables itself, and is expanded only when it is used.
  assert.equal(interpolate('${UNSET:-${PORT}}', lookup), '8080');
  assert.equal(interpolate('${PORT:-${MISSING:?not needed}}', lookup), '8080');
});

test('${NAME:?message} is the value, or an error with the message, never a value', () => {
  assert.equal(interpolate('${PORT:?set PORT}', lookup), '8080'); // control
  assert.equal(refused('initdb -D ${DATA_DIR:?set DATA_DIR}'), 'DATA_DIR is not set (or is empty): set DATA_DIR');
  assert.equal(refused('${EMPTY:?give it a value}'), 'EMPTY is not set (or is empty): give it a value');
  assert.equal(refused('${DATA_DIR:?}'), 'DATA_DIR is not set (or is empty); set it in the environment, in .env or in an envFile');
  // The message is shown as written, so a variable in it cannot put its value in the error.
  assert.equal(refused('${DATA_DIR:?not ${TOKEN}}'), 'DATA_DIR is not set (or is empty): not ${TOKEN}');
  assert.equal(refused('${UNSET:-${DATA_DIR:?nested}}'), 'DATA_DIR is not set (or is empty): nested');
});

test('$${ is a literal ${, and every other $ is left for the shell', () => {
  assert.equal(interpolate('echo $${HOME}', lookup), 'echo ${HOME}');
  assert.equal(interpolate('echo $$ $PORT $1 $? $ "$@" a$b', lookup), 'echo $$ $PORT $1 $? $ "$@" a$b');
  assert.equal(interpolate('$${UNCLOSED', lookup), '${UNCLOSED');
  assert.equal(interpolate('cost: 5$', lookup), 'cost: 5$');
  assert.equal(interpolate('$$${PORT}', lookup), '$${PORT}'); // `$${` is read first, wherever it starts
  assert.equal(interpolate('{PORT} $ {PORT}', lookup), '{PORT} $ {PORT}');
});

test('a literal ${ in a default keeps its } (the form ends at its own), whether the default is used or not', () => {
  assert.equal(interpolate('${PORT:-$${V}}', lookup), '8080');
  assert.equal(interpolate('${PORT:-x$${V}y} and', lookup), '8080 and');
  assert.equal(interpolate('${UNSET:-$${V}}', lookup), '${V}');
  assert.equal(interpolate('${UNSET:-x$${V}y}', lookup), 'x${V}y');
  assert.equal(interpolate('${EMPTY:-a$${V:-${PORT}}b}', lookup), 'a${V:-8080}b');
});

test('any other ${...} is left whole for the shell, with nothing inside it expanded; so is a ${ that nothing closes', () => {
  const untouched = ['${f%.txt}', '${#PORT}', '${1}', '${}', '${PORT-3000}', '${PORT:+x}', '${PORT:=x}', '${PORT?msg}', '${PORT BAR}', '${f%${PORT}}', '${f%{x}}y', 'echo ${PORT', 'echo ${', '${UNSET:-x'];
  for (const text of untouched) assert.equal(interpolate(text, lookup), text, text);
  assert.equal(interpolate('for f in *.txt; do echo ${f%.txt} ${PORT}; done', lookup), 'for f in *.txt; do echo ${f%.txt} 8080; done');
  // Inside a default: left as written, and it does not close the default early.
  assert.equal(interpolate('${UNSET:-${f%.txt}}', lookup), '${f%.txt}');
  assert.equal(interpolate('${PORT:-${f%.txt}}', lookup), '8080');
  // Never closed: only its own `${` is left; a form after it is still a form, failing or not.
  assert.equal(interpolate('${UNSET:-${PORT}', lookup), '${UNSET:-8080');
  assert.equal(refused('${UNSET:-${DATA_DIR:?nested}'), 'DATA_DIR is not set (or is empty): nested');
});

test('each ${ is read once: unclosed forms nested in each other take linear time, and nesting past 100 is refused, not a stack overflow', () => {
  const started = performance.now();
  // Read again from each enclosing `${` that is never closed, these took 2^n: 26 levels, 8 s.
  assert.equal(interpolate(`echo ${'${U:-'.repeat(60)}`, lookup), `echo ${'${U:-'.repeat(60)}`);
  assert.equal(interpolate('${X:-${f%'.repeat(30), lookup), '${X:-${f%'.repeat(30));
  assert.equal(interpolate(`${'${A:-'.repeat(100)}x${'}'.repeat(100)}`, lookup), 'x');
  assert.ok(performance.now() - started < 1000, `${Math.round(performance.now() - started)} ms`);
  assert.match(refused(`${'${A:-'.repeat(101)}x${'}'.repeat(101)}`), /^the `\$\{` at character 501 holds forms nested more than 100 deep; write `\$\$\{` for those the shell should read$/);
  assert.match(refused(`echo ${'${U:-'.repeat(20_000)}`), /nested more than 100 deep/);
});

test('a value is inserted as it is: it is never interpolated again', () => {
  const nested = (name: string): string | undefined => ({ A: '${B}', B: 'b' })[name];
  assert.equal(interpolate('${A}', nested), '${B}');
});

test('text without ${ comes back unchanged, whatever it holds', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom('$', '{', '}', 'a', ':', '-', '?', ' ') }).filter((text) => !text.includes('${')),
      (text) => assert.equal(interpolate(text, lookup), text),
    ),
    { numRuns: 500 },
  );
});

test('writing every ${ as $${ makes any text come back literally', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('$', '{', '}', 'a', ':', '-', '?') }), (text) => {
      // A function, not the string '$${': in a replacement string `$$` means one `$`.
      assert.equal(interpolate(text.replaceAll('${', () => '$${'), lookup), text);
    }),
    { numRuns: 1000 },
  );
});

test('onUnset hears of each ${NAME} read as empty because NAME is unset, and of no other form', () => {
  const heard: string[] = [];
  const text = '${UNSET} ${EMPTY} ${PORT} ${UNSET:-d} ${UNSET2:-${INNER}} ${PORT:-${NOT_USED}} $${LITERAL} ${f%.txt}';
  assert.equal(interpolate(text, lookup, { onUnset: (name) => heard.push(name) }), '  8080 d  8080 ${LITERAL} ${f%.txt}');
  assert.deepEqual(heard, ['UNSET', 'INNER']);
});

test('onLeft hears of each form compose expands and subvisor leaves as written, where it is read, and of no other', () => {
  const heard: string[] = [];
  const text = '${PORT-3000} ${P?msg} ${P+x} ${P:+x} ${UNSET:-${D-1}} ${PORT:-${NOT_USED-1}} $${LITERAL-1} ${f%.txt} ${PORT:=x} ${#P} ${UNCLOSED-1';
  const expanded = interpolate(text, lookup, { onLeft: (name, operator) => heard.push(`${name}${operator}`) });
  assert.equal(expanded, '${PORT-3000} ${P?msg} ${P+x} ${P:+x} ${D-1} 8080 ${LITERAL-1} ${f%.txt} ${PORT:=x} ${#P} ${UNCLOSED-1', 'still left as written');
  assert.deepEqual(heard, ['PORT-', 'P?', 'P+', 'P:+', 'D-']);
});

test('the parts name each value a variable gave, and the written text between; a used default is written text', () => {
  assert.deepEqual(interpolateParts('a ${TOKEN}-${EMPTY:-${PORT}} ${NOPE:-x} ${NOPE} $${TOKEN} $$', lookup), [
    'a ',
    { name: 'TOKEN', value: SECRET },
    '-',
    { name: 'PORT', value: '8080' },
    ' x  ${TOKEN} $$',
  ]);
});
