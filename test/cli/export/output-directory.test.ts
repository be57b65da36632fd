// `export -o` into a directory another user may write: a link put there as a unit's or env file's
// name would have the export (run as root, to write units) truncate, fill and chmod the file it
// leads to. In a sticky one (/tmp) the files are made new and renamed there; one another user owns
// or may replace is refused (see src/cli/others-may-write.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../cli.js';

const BOUNDED = { timeout: 60_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-export-out-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A project whose .env holds a secret, and a file of the user's (0644) that a link may lead to. */
function project(name: string): { config: string; victim: string; out: string } {
  const dir = join(scratch, name);
  mkdirSync(dir);
  writeFileSync(join(dir, '.env'), 'SECRET=hunter2\n');
  const config = join(dir, 'subvisor.yaml');
  writeFileSync(config, 'processes:\n  web: { cmd: [node, web.js] }\n');
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'not an env file\n');
  chmodSync(victim, 0o644);
  const out = join(dir, 'out');
  mkdirSync(out);
  return { config, victim, out };
}

const REFUSAL = /^subvisor: cannot export: the output directory .*\/out is open to other users: another user \(uid 65534\) owns it; a link put there could lead what subvisor writes \(as root too\) to any file it may write; pick an -o that only you \(or root\) may write, or make that directory so \(chown, chmod go-w\)\n$/;

test('export systemd and compose to a sticky -o every user may write (/tmp) put new files there, over a link put there first, not through it; not sticky, it is refused', BOUNDED, async () => {
  const { config, victim, out } = project('shared');
  symlinkSync(victim, join(out, 'shared-web.env'));
  symlinkSync(victim, join(out, 'compose.yaml'));
  chmodSync(out, 0o1777);
  const units = await runCli(['export', 'systemd', '-f', config, '-o', out]);
  assert.equal(units.code, 0, units.stderr);
  const compose = await runCli(['export', 'compose', '-f', config, '-o', join(out, 'compose.yaml')]);
  assert.equal(compose.code, 0, compose.stderr);
  assert.equal(readFileSync(victim, 'utf8'), 'not an env file\n');
  assert.equal(statSync(victim).mode & 0o777, 0o644);
  const env = lstatSync(join(out, 'shared-web.env'));
  assert.ok(env.isFile(), 'the link is replaced by a file');
  assert.equal(env.mode & 0o777, 0o600);
  assert.match(readFileSync(join(out, 'shared-web.env'), 'utf8'), /^SECRET='hunter2'$/m);
  assert.ok(lstatSync(join(out, 'compose.yaml')).isFile());
  assert.match(readFileSync(join(out, 'compose.yaml'), 'utf8'), /^services:$/m);
  assert.match(readFileSync(join(out, 'shared-web.service'), 'utf8'), /^\[Service\]$/m);
  assert.deepEqual(readdirSync(out).filter((name) => name.includes('.subvisor-')), [], 'no file left under a name of its own');
  // Not sticky: another user may replace the files after, or the directory under them.
  chmodSync(out, 0o777);
  const refused = await runCli(['export', 'systemd', '-f', config, '-o', join(out, 'units')]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /the output directory .*\/out\/units is under .*\/out, and that directory is open to other users: every user may write it; /);
  // Control: its owner's alone, the export writes through a link there, as it always has.
  chmodSync(out, 0o755);
  rmSync(join(out, 'shared-web.env'));
  symlinkSync(victim, join(out, 'shared-web.env'));
  const written = await runCli(['export', 'systemd', '-f', config, '-o', out]);
  assert.equal(written.code, 0, written.stderr);
  assert.match(readFileSync(victim, 'utf8'), /^SECRET='hunter2'$/m);
});

test('export compose -o straight in /tmp writes the file', BOUNDED, async () => {
  const { config } = project('plain');
  const output = join('/tmp', `subvisor-export-${process.pid}.yaml`);
  try {
    const run = await runCli(['export', 'compose', '-f', config, '-o', output]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(readFileSync(output, 'utf8'), /^services:$/m);
  } finally {
    rmSync(output, { force: true });
  }
});

test('export systemd to an -o another user owns, or to one to be made under it, is refused and makes nothing (staged as root)', BOUNDED, async (t) => {
  if (process.getuid?.() !== 0) return t.skip('staged as root only (chown to another uid)');
  const { config, out } = project('theirs');
  chownSync(out, 65534, 65534);
  const run = await runCli(['export', 'systemd', '-f', config, '-o', out]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, REFUSAL);
  const below = await runCli(['export', 'systemd', '-f', config, '-o', join(out, 'units')]);
  assert.equal(below.code, 2, below.stderr);
  assert.match(below.stderr, /the output directory .*\/out\/units is under .*\/out, and that directory is open to other users: another user \(uid 65534\) owns it; /);
  assert.equal(existsSync(join(out, 'units')), false, 'a refused export makes no directory');
});

test('an -o directory the export makes is its own even under umask 000, so the export goes on into it (SPEC §11: -o DIR is created when missing)', BOUNDED, async () => {
  const { config } = project('umask');
  // A umask of 000 (some container entrypoints set it) would make every directory mkdir creates world-writable.
  const underUmask0 = ['sh', '-c', 'umask 000 && exec "$@"', 'sh'];
  const units = join(scratch, 'umask', 'made', 'units');
  const unitsRun = await runCli(['export', 'systemd', '-f', config, '-o', units], { execVia: underUmask0 });
  assert.equal(unitsRun.code, 0, unitsRun.stderr);
  assert.ok(existsSync(join(units, 'umask.target')));
  const composeFile = join(scratch, 'umask', 'made-too', 'compose.yaml');
  const composeRun = await runCli(['export', 'compose', '-f', config, '-o', composeFile], { execVia: underUmask0 });
  assert.equal(composeRun.code, 0, composeRun.stderr);
  assert.ok(existsSync(composeFile));
  // The control: the umask does reach what is run so.
  assert.equal(spawnSync(underUmask0[0] ?? 'sh', [...underUmask0.slice(1), 'sh', '-c', 'umask'], { encoding: 'utf8' }).stdout.trim(), '0000');
});
