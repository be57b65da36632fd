// `export -o` into a directory another user may write: a link put there as a unit's or env file's
// name would have the export (run as root, to write units) truncate, fill and chmod the file it
// leads to. Refused, as the log directory is (see src/cli/others-may-write.ts).
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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

const REFUSAL = /^subvisor: cannot export: the output directory .*\/out is open to other users: (every user may write it|another user \(uid 65534\) owns it); a link put there could lead what subvisor writes \(as root too\) to any file it may write; pick an -o that only you \(or root\) may write, or make that directory so \(chown, chmod go-w\)\n$/;

test('export systemd and compose to an -o every user may write are refused, and nothing is written through a link put there; the same link in a directory of its owner alone is followed', BOUNDED, async () => {
  const { config, victim, out } = project('shared');
  symlinkSync(victim, join(out, 'shared-web.env'));
  symlinkSync(victim, join(out, 'compose.yaml'));
  chmodSync(out, 0o1777);
  const units = await runCli(['export', 'systemd', '-f', config, '-o', out]);
  assert.equal(units.code, 2, units.stderr);
  assert.match(units.stderr, REFUSAL);
  const compose = await runCli(['export', 'compose', '-f', config, '-o', join(out, 'compose.yaml')]);
  assert.equal(compose.code, 2, compose.stderr);
  assert.match(compose.stderr, REFUSAL);
  assert.equal(readFileSync(victim, 'utf8'), 'not an env file\n');
  assert.equal(statSync(victim).mode & 0o777, 0o644);
  assert.equal(existsSync(join(out, 'shared-web.service')), false, 'nothing written');
  // Control: its owner's alone, the export writes through the link, as it always has.
  chmodSync(out, 0o755);
  const written = await runCli(['export', 'systemd', '-f', config, '-o', out]);
  assert.equal(written.code, 0, written.stderr);
  assert.match(readFileSync(victim, 'utf8'), /^SECRET='hunter2'$/m);
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
