// The watchdog acts as its parent's user (root under `up` with `user:` processes) on what comes
// down its pipe, which a gated child run as another user holds for a moment (see
// src/process/spawn/gate.ts). A line naming no process of ours (-1: every process; 0: its own
// group; 1: init) or carrying anything but numbers is not taken: `kill -- -1` as root ends the
// machine, and a grace that is not a number goes into the shell's arithmetic (code, under bash).
// Staged in a PID namespace of its own, so the old behaviour kills only what the test started.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

/**
 * In a new PID namespace: a sleeper no one registered, then a parent that writes `lines` to its
 * watchdog's pipe and is SIGKILLed. Says whether the sleeper outlived the watchdog's turn (a
 * zombie, killed and not yet reaped by the namespace's shell, counts as killed; `expectKilled`
 * waits up to 15 s for the kill, else 1.5 s). `SLEEPER` in
 * `lines` stands for the sleeper's pid, which is also its process group's.
 */
function sleeperSurvives(lines: string, dir: string, { bashAsSh = false, expectKilled = false } = {}): { survived: boolean; output: string } {
  const watchdog = pathToFileURL(resolve('src/process/stop/watchdog.ts')).href;
  const parent = `
    const { registrationPipe } = await import(${JSON.stringify(watchdog)});
    const pipe = await registrationPipe();
    if (pipe === undefined) throw new Error('no watchdog');
    pipe.stream.write(${JSON.stringify(lines)}.replaceAll('SLEEPER', process.env.SLEEPER), () => process.kill(process.pid, 'SIGKILL'));`;
  // /bin/sh is bash on some systems (Fedora): the namespace's own mounts stage it without touching the machine's.
  const script = `${bashAsSh ? 'mount --bind /bin/bash /bin/sh || exit 1\n' : ''}setsid sleep 30 </dev/null >/dev/null 2>&1 & sleeper=$!
    SLEEPER=$sleeper "$1" --import tsx --input-type=module -e "$2"
    tick=0
    while :; do
      state=$(sed 's/.*) //' "/proc/$sleeper/stat" 2>/dev/null | cut -d' ' -f1)
      case $state in ''|Z|X) echo killed; break ;; esac
      tick=$((tick + 1))
      [ "$tick" -lt "$3" ] || { echo survived; kill -9 "$sleeper"; break; }
      sleep 0.1
    done`;
  // A survival is seen by waiting 1.5 s; a kill is seen as it comes, so a slow machine only waits longer.
  const ticks = expectKilled ? 150 : 15;
  const run = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', script, 'sh', process.execPath, parent, String(ticks)], { cwd: resolve('.'), encoding: 'utf8', timeout: 40_000, env: { ...process.env, SUBVISOR_WATCHDOG: '1', MARK: join(dir, 'ran') } });
  const output = `${run.stdout}${run.stderr}`;
  assert.match(run.stdout, /^(survived|killed)$/m, output);
  return { survived: /^survived$/m.test(run.stdout), output };
}

test('the watchdog takes no line that names every process, its own group or init, nor one whose grace or signal is not a number', { timeout: 120_000 }, (t) => {
  if (process.getuid?.() !== 0) return t.skip('staged as root only (a PID namespace of its own)');
  if (spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status !== 0) {
    assert.notEqual(process.env.CI, 'true', 'CI as root has unshare (util-linux): this test must run there');
    return t.skip('unshare --pid --mount-proc is not available here');
  }
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-watchdog-lines-'));
  try {
    for (const line of ['+ -1 0 15\n', '+ -01 0 15\n', '+ -0001 0 15\n', '+ 1 0 15\n', '+ -0 0 15\n', '+ -1.5 0 15\n']) {
      const seen = sleeperSurvives(line, dir);
      assert.ok(seen.survived, `${JSON.stringify(line)}: the sleeper was killed\n${seen.output}`);
    }
    const mark = join(dir, 'ran');
    for (const bashAsSh of [false, true]) {
      // Beside a line of its own, which it still acts on: a bad line ends nothing (dash's arithmetic error ended the watchdog).
      const bad = `+ 99999 x[$(touch\${IFS}${mark})] 15\n+ 99998 0 15;touch${mark}\n+ 99997 0 x\n`;
      const code = sleeperSurvives(`${bad}+ -SLEEPER 0 15\n`, dir, { bashAsSh, expectKilled: true });
      assert.equal(code.survived, false, `after the bad lines, the sleeper's own line is still acted on\n${code.output}`);
      assert.equal(existsSync(mark), false, `nothing in a line is run (${bashAsSh ? 'bash' : 'dash'} as /bin/sh)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
