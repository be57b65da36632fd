// Behind the spawn gate (src/process/spawn/gate.ts) a command gets exactly what it would get
// without it: its environment (dash rewrites PWD, PPID, OPTIND and IFS and drops names that are
// not shell names; the gate undoes both), its pid, and a SpawnError when its exec fails in a way
// that looking first cannot foresee. `argv0` bypasses the gate, which gives each comparison its
// ungated side in the same process; a naive `sh -c 'exec "$@"'` is the control that shows the
// comparison catches what dash changes.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { Process, SpawnError, openNursery, runProcess, superviseRunProcess } from '../../../src/index.js';
import { waitUntil } from '../../support/processes.js';

const BOUNDED = { timeout: 20_000 };
const PRINT_ENV = ['/bin/cat', '/proc/self/environ'];

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'subvisor-gate-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The environment a command sees, as sorted NAME=VALUE entries. */
async function environmentSeen(cmd: string[], env: NodeJS.ProcessEnv, gated: boolean): Promise<string[]> {
  // argv0 equal to the program changes nothing the command sees, and bypasses the gate.
  const { stdout } = await runProcess(cmd, { env, captureStdout: true, ...(gated ? {} : { argv0: cmd[0] }) });
  return stdout.toString('latin1').split('\0').filter(Boolean).sort();
}

const environments: Record<string, NodeJS.ProcessEnv> = {
  'what dash rewrites (PWD, PPID, OPTIND, IFS)': { PATH: process.env.PATH, PWD: '/stale/dir', PPID: '7', OPTIND: '3', IFS: ':', KEEP: 'me' },
  'neither PWD nor PATH (dash would add PWD)': { KEEP: 'me' },
  'names that are not shell names (dash would drop them)': { PATH: process.env.PATH, 'a-b': '1', 'x.y': '2', 'npm_package_scripts_build:dev': 'tsc', KEEP: 'me' },
  'an OPTIND dash refuses to start with': { PATH: process.env.PATH, OPTIND: 'zz', KEEP: 'me' },
};

describe('spawn gate: the command sees what it would see without the gate', () => {
  for (const [what, env] of Object.entries(environments)) {
    test(`the environment, with ${what}`, BOUNDED, async () => {
      const expected = await environmentSeen(PRINT_ENV, env, false);
      assert.ok(expected.includes('KEEP=me'), 'the ungated side sees the environment given');
      assert.deepEqual(await environmentSeen(PRINT_ENV, env, true), expected);
    });
  }

  test('control: a naive gate (sh -c \'exec "$@"\') changes what the command sees, and the comparison says so', BOUNDED, async () => {
    const env = environments['names that are not shell names (dash would drop them)'] ?? {};
    const naive = await environmentSeen(['/bin/sh', '-c', 'exec "$@"', 'sh', ...PRINT_ENV], env, false);
    assert.notDeepEqual(naive, await environmentSeen(PRINT_ENV, env, false));
  });

  test('Process.pid is the command\'s own pid, and `shell: true` runs the same shell', BOUNDED, async () => {
    const lines: string[] = [];
    const logger = { io: (line: string) => void lines.push(line.slice(line.indexOf('] ') + 2)) };
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess('echo "$$ $0"; exec sleep 1000', { shell: true, relayStdout: true, logger, readyWhen: /./ }, ctx));
      assert.equal(lines[0], `${proc.pid} /bin/sh`);
      // The line comes before the shell's `exec sleep`: wait for that exec, under the same pid.
      const cmdline = (): string => readFileSync(`/proc/${proc.pid}/cmdline`, 'latin1');
      await waitUntil(() => cmdline().startsWith('sleep\0'), "the shell's exec of sleep");
      assert.match(cmdline(), /^sleep\0/, 'the pid is the command itself, after its exec');
      tn.cancel();
    });
  });

  test('in a cwd removed under the parent, the command\'s stderr holds only what it wrote (dash would add `getcwd() failed`)', BOUNDED, async () => {
    const gone = mkdtempSync(join(dir, 'gone-'));
    const home = process.cwd();
    process.chdir(gone);
    rmSync(gone, { recursive: true });
    try {
      const stderrOf = async (gated: boolean, env?: NodeJS.ProcessEnv): Promise<string> => {
        const cmd = ['/bin/echo', 'hi'];
        const { stderr } = await runProcess(cmd, { env, captureStdout: true, captureStderr: true, ...(gated ? {} : { argv0: cmd[0] }) });
        return stderr.toString();
      };
      assert.equal(await stderrOf(false), '', 'the ungated command writes nothing on stderr');
      assert.equal(await stderrOf(true), '');
      assert.equal(await stderrOf(true, { 'a-b': '1' }), '', 'through `env -i` too, for a name that is not a shell name');
      // dash reads a PWD that names its cwd instead of asking getcwd(); the command still gets the PWD it was given.
      const { stdout } = await runProcess(PRINT_ENV, { captureStdout: true, env: { PWD: '/was/here' } });
      assert.deepEqual(stdout.toString().split('\0').filter(Boolean), ['PWD=/was/here']);
    } finally {
      process.chdir(home);
    }
  });

  test('an exec that fails where looking first could not tell (a missing dynamic loader) is the same SpawnError, told by the gate\'s report', BOUNDED, async () => {
    const program = withMissingLoader(join(dir, 'no-loader'));
    // setTimeout frozen (Node's mock, never moved on): the cap on the wait for the gate's verdict
    // cannot end it, only the end of the gate's report can, however slow the machine. (A bound of
    // 2 s, the cap's own, told the two apart on an idle machine only.)
    mock.timers.enable({ apis: ['setTimeout'] });
    let error: unknown;
    try {
      error = await runProcess([program], { stderr: 'ignore' }).catch((reason: unknown) => reason);
    } finally {
      mock.timers.reset();
    }
    assert.ok(error instanceof SpawnError, `expected a SpawnError, got ${String(error)}`);
    assert.equal(error.code, 'ENOENT');
    assert.match(error.message, /exists but could not be executed \(ENOENT: a missing interpreter or dynamic loader\)/);
    // Control: the file is otherwise sound; without the gate, Node's own exec reports the same.
    const ungated = await runProcess([program], { argv0: program }).catch((reason: unknown) => reason);
    assert.ok(ungated instanceof SpawnError && ungated.code === 'ENOENT', String(ungated));
  });
});

/**
 * Writes a copy of /bin/true whose ELF interpreter (its dynamic loader) names a file that does
 * not exist: it looks like any executable, and only the kernel's exec finds out (ENOENT).
 */
function withMissingLoader(path: string): string {
  const elf = readFileSync('/bin/true');
  assert.equal(elf.toString('latin1', 1, 4), 'ELF');
  // 64-bit little-endian ELF: program headers at e_phoff (0x20), e_phentsize (0x36), e_phnum (0x38).
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const size = elf.readUInt16LE(0x36);
  const count = elf.readUInt16LE(0x38);
  for (let index = 0; index < count; index++) {
    const header = phoff + index * size;
    if (elf.readUInt32LE(header) !== 3) continue; // PT_INTERP
    const offset = Number(elf.readBigUInt64LE(header + 8));
    elf.write('/nonexistent/ld.so', offset, 'latin1'); // shorter than any real loader path, NUL kept
    elf[offset + '/nonexistent/ld.so'.length] = 0;
    writeFileSync(path, elf);
    chmodSync(path, 0o755);
    return path;
  }
  throw new Error('/bin/true has no PT_INTERP header (a static binary?)');
}
