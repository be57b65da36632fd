import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../cli.js';
import { firstProcess, problemAt, web } from './support.js';

test('stopSignal: a signal name, with or without SIG, in any case; absent means the runner\'s SIGTERM', () => {
  assert.equal(firstProcess(web('    stopSignal: SIGINT\n')).stopSignal, 'SIGINT');
  assert.equal(firstProcess(web('    stopSignal: QUIT\n')).stopSignal, 'SIGQUIT');
  assert.equal(firstProcess(web('    stopSignal: sigwinch\n')).stopSignal, 'SIGWINCH');
  assert.equal(firstProcess(web("    stopSignal: ' int '\n")).stopSignal, 'SIGINT', 'blanks around a quoted name are no part of it');
  assert.equal(firstProcess(web()).stopSignal, undefined);
});

test('stopSignal: a signal\'s second name is read as its first (SIGIOT is SIGABRT, poll is SIGIO): the name systemd knows', () => {
  assert.equal(firstProcess(web('    stopSignal: SIGIOT\n')).stopSignal, 'SIGABRT');
  assert.equal(firstProcess(web('    stopSignal: poll\n')).stopSignal, 'SIGIO');
});

test('stopSignal: SIGKILL and SIGSTOP are refused: the process could not shut down', () => {
  assert.match(problemAt(web('    stopSignal: SIGKILL\n'), 'SIGKILL'), /processes\.web\.stopSignal: SIGKILL cannot be caught, so the process gets no chance to shut down .*; use the signal the program shuts down on \(SIGTERM, the default, or SIGINT, SIGQUIT\.\.\.\)$/);
  assert.match(problemAt(web('    stopSignal: STOP\n'), 'STOP'), /processes\.web\.stopSignal: SIGSTOP only pauses the process/);
});

test('stopSignal: unknown names get "did you mean"; numbers are refused', () => {
  assert.match(problemAt(web('    stopSignal: SIGTREM\n'), 'SIGTREM'), /stopSignal: unknown signal 'SIGTREM'; use a signal name like SIGTERM, SIGINT or SIGQUIT; did you mean 'SIGTERM'\?$/);
  assert.match(problemAt(web('    stopSignal: trem\n'), 'trem'), /unknown signal 'trem'; .*; did you mean 'SIGTERM'\?$/);
  // Every name shares SIG: a made-up one is not close to anything for it.
  assert.match(problemAt(web('    stopSignal: SIGFOO\n'), 'SIGFOO'), /unknown signal 'SIGFOO'; use a signal name like SIGTERM, SIGINT or SIGQUIT$/);
  const number = 'expected a signal name like SIGINT, found the number 15; signal numbers differ between systems, names do not: write its name (here 15 is SIGTERM)';
  assert.match(problemAt(web('    stopSignal: 15\n'), '15'), new RegExp(`stopSignal: ${number.replace(/[()]/g, '\\$&')}$`));
  assert.match(problemAt(web('    stopSignal: [SIGINT]\n'), '[SIGINT]'), /stopSignal: expected a signal name like SIGINT, found a list/);
});

test('a signal number is told the same words quoted, unquoted and on the command line, with the name it has here', async () => {
  // Before: `stopSignal: "15"` and `--stop-signal 15` were "unknown signal '15'; use a signal name like SIGTERM", `stopSignal: 15` "found number 15".
  const said = 'expected a signal name like SIGINT, found the number 15; signal numbers differ between systems, names do not: write its name (here 15 is SIGTERM)';
  assert.ok(problemAt(web('    stopSignal: 15\n'), '15').endsWith(`processes.web.stopSignal: ${said}`));
  assert.ok(problemAt(web('    stopSignal: "15"\n'), '"15"').endsWith(`processes.web.stopSignal: ${said}`));
  const run = await runCli(['run', '--stop-signal', '15', '--', 'true']);
  assert.equal(run.code, 2);
  assert.equal(run.stderr.split('\n')[0], `subvisor: --stop-signal: ${said}`);
  // A number with no signal here is still told to be written as a name, without a guess.
  assert.match(problemAt(web('    stopSignal: 99\n'), '99'), /found the number 99; signal numbers differ between systems, names do not: write its name$/);
});

test('a signal number whose name here is refused (9, SIGKILL) is not told to write that name: it is told why the name is refused too', () => {
  // Before: "write its name (here 9 is SIGKILL)", a name then refused in turn.
  const kill = problemAt(web('    stopSignal: 9\n'), '9');
  assert.match(kill, /stopSignal: expected a signal name like SIGINT, found the number 9 \(here SIGKILL\); SIGKILL cannot be caught, so the process gets no chance to shut down .*; use the signal the program shuts down on \(SIGTERM, the default, or SIGINT, SIGQUIT\.\.\.\)$/);
  assert.doesNotMatch(kill, /write its name/);
  assert.match(problemAt(web('    stopSignal: 19\n'), '19'), /found the number 19 \(here SIGSTOP\); SIGSTOP only pauses the process/);
});

test('a signal number written with a sign, in hex or octal, or with a fraction (-15, 0x0F, 15.0) is told as 15 is, not called unknown', async () => {
  // Before: these were "unknown signal '-15'; use a signal name like SIGTERM, SIGINT or SIGQUIT", while 15 was told its name here.
  const said = (written: string): string => `expected a signal name like SIGINT, found the number ${written}; signal numbers differ between systems, names do not: write its name (here 15 is SIGTERM)`;
  for (const written of ['-15', '0x0F', '15.0', '+15', '0o17', '1.5e1']) {
    assert.ok(problemAt(web(`    stopSignal: ${written}\n`), written).endsWith(`processes.web.stopSignal: ${said(written)}`), written);
    assert.ok(problemAt(web(`    stopSignal: "${written}"\n`), `"${written}"`).endsWith(`processes.web.stopSignal: ${said(written)}`), `"${written}"`);
  }
  for (const written of ['-15', '0x0F']) {
    const run = await runCli(['run', `--stop-signal=${written}`, '--', 'true']);
    assert.equal(run.code, 2, written);
    assert.equal(run.stderr.split('\n')[0], `subvisor: --stop-signal: ${said(written)}`, written);
  }
  // One whose name here is refused is told why, as 9 is; one with no whole signal is told to write a name, without a guess.
  assert.match(problemAt(web('    stopSignal: -9\n'), '-9'), /found the number -9 \(here SIGKILL\); SIGKILL cannot be caught/);
  assert.match(problemAt(web('    stopSignal: 15.5\n'), '15.5'), /found the number 15\.5; signal numbers differ between systems, names do not: write its name$/);
  // Control: a word that is no number is still an unknown name.
  assert.match(problemAt(web('    stopSignal: 0xZZ\n'), '0xZZ'), /unknown signal '0xZZ'/);
});
