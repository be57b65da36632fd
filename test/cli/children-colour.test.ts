// Children are told to colour (FORCE_COLOR) when subvisor colours its own output on a terminal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { BIN, runCli } from './cli.js';

const BOUNDED = { timeout: 30_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-children-colour-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** What the child says FORCE_COLOR is. */
const SHOW = 'echo "force=[${FORCE_COLOR-unset}]"';

/** The CLI on a pseudo-terminal (script(1)), with `env` (FORCE_COLOR and NO_COLOR left out unless given); what the terminal showed, without colours. */
async function onTerminal(args: string, env: NodeJS.ProcessEnv, cwd = scratch): Promise<string> {
  const terminal = spawn('script', ['-qfec', `"${process.execPath}" "${BIN}" ${args}`, '/dev/null'], {
    cwd,
    // An undefined value leaves the variable out. CI too: Node reads a terminal's depth from it (16 colours under CI=true).
    env: { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined, CI: undefined, TERM: 'xterm-256color', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let seen = '';
  terminal.stdout.setEncoding('utf8').on('data', (chunk: string) => (seen += chunk));
  try {
    const [code] = (await once(terminal, 'close')) as [number | null];
    assert.equal(code, 0, seen);
    return stripVTControlCharacters(seen).replaceAll('\r', '');
  } finally {
    terminal.kill('SIGKILL');
  }
}

describe('children are told to colour when subvisor colours on a terminal', () => {
  test('run on a 256-colour terminal: the child gets FORCE_COLOR=2', BOUNDED, async () => {
    const seen = await onTerminal(`run --label show -- sh -c '${SHOW.replaceAll("'", "'\\''")}'`, {});
    assert.match(seen, /^show \| force=\[2\]$/m, seen);
  });

  test('up likewise; a process\'s own env (FORCE_COLOR: "0") comes after it', BOUNDED, async () => {
    const dir = mkdtempSync(join(scratch, 'up-'));
    writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  told: { cmd: ${JSON.stringify(SHOW)} }\n  mine: { cmd: ${JSON.stringify(SHOW)}, env: { FORCE_COLOR: "0" } }\n`);
    const seen = await onTerminal('up', {}, dir);
    assert.match(seen, /^told +\| force=\[2\]$/m, seen);
    assert.match(seen, /^mine +\| force=\[0\]$/m, seen);
  });

  test('up: an env file\'s FORCE_COLOR or NO_COLOR, and a process\'s own NO_COLOR, are set already: nothing is added', BOUNDED, async () => {
    const dir = mkdtempSync(join(scratch, 'up-env-file-'));
    const SHOW_BOTH = 'echo "force=[${FORCE_COLOR-unset}] no=[${NO_COLOR-unset}]"';
    writeFileSync(join(dir, 'quiet.env'), 'NO_COLOR=1\n');
    writeFileSync(join(dir, 'plain.env'), 'FORCE_COLOR=0\n');
    writeFileSync(
      join(dir, 'subvisor.yaml'),
      `processes:\n  quiet: { cmd: ${JSON.stringify(SHOW_BOTH)}, envFile: quiet.env }\n  plain: { cmd: ${JSON.stringify(SHOW_BOTH)}, envFile: plain.env }\n  mine: { cmd: ${JSON.stringify(SHOW_BOTH)}, env: { NO_COLOR: "1" } }\n  told: { cmd: ${JSON.stringify(SHOW_BOTH)} }\n`,
    );
    const seen = await onTerminal('up', {}, dir);
    // Before: FORCE_COLOR=2 came with the parent's environment, above the env files, and beside a NO_COLOR it overrides.
    assert.match(seen, /^quiet +\| force=\[unset\] no=\[1\]$/m, seen);
    assert.match(seen, /^plain +\| force=\[0\] no=\[unset\]$/m, seen);
    assert.match(seen, /^mine +\| force=\[unset\] no=\[1\]$/m, seen);
    assert.match(seen, /^told +\| force=\[2\] no=\[unset\]$/m, seen);
  });

  test('NO_COLOR (even empty), a FORCE_COLOR already set, TERM=dumb: nothing is added', BOUNDED, async () => {
    const run = `run --label show -- sh -c '${SHOW.replaceAll("'", "'\\''")}'`;
    assert.match(await onTerminal(run, { NO_COLOR: '1' }), /^show \| force=\[unset\]$/m);
    assert.match(await onTerminal(run, { NO_COLOR: '' }), /^show \| force=\[unset\]$/m);
    assert.match(await onTerminal(run, { FORCE_COLOR: '1' }), /^show \| force=\[1\]$/m);
    assert.match(await onTerminal(run, { TERM: 'dumb' }), /^show \| force=\[unset\]$/m);
  });

  test('not on a terminal (a pipe), or with --json on one: nothing is added', BOUNDED, async () => {
    // runCli sets both unless told otherwise: undefined leaves them out.
    const piped = await runCli(['run', '--label', 'show', '--', 'sh', '-c', SHOW], { env: { FORCE_COLOR: undefined, NO_COLOR: undefined } });
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stdout, /^show \| force=\[unset\]$/m);
    const json = await onTerminal(`run --json --label show -- sh -c '${SHOW.replaceAll("'", "'\\''")}'`, {});
    assert.match(json, /"line":"force=\[unset\]"/, json);
  });
});
