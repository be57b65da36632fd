// The claim file of .subvisor/ (src/cli/control/claim-lock.ts), made in this process, whose pid
// names its draft: a name put at the draft's place before the run is not written through.
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { claimPath } from '../../../src/cli/control/claim-lock.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-claim-lock-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

for (const [kind, plant] of [
  ['a link', symlinkSync],
  ['a hard link', linkSync],
] as const) {
  test(`${kind} put where the claim's draft is written leaves the file it leads to as it was; the claim gets a token of its own`, { timeout: 10_000 }, async (t) => {
    if (process.platform !== 'linux') return t.skip("claims are Linux's");
    const dir = mkdtempSync(join(scratch, 'run-'));
    const own = join(dir, '.subvisor');
    mkdirSync(own, { mode: 0o700 });
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep me\n');
    plant(victim, join(own, `.claim.${process.pid}`));
    const claimed = await claimPath(join(own, 'control.sock'), true);
    try {
      assert.equal(typeof claimed, 'object', 'the claim is held');
      assert.equal(readFileSync(victim, 'utf8'), 'keep me\n');
      assert.match(readFileSync(join(own, 'claim'), 'utf8'), /^[0-9a-f]{32}$/);
    } finally {
      if (typeof claimed === 'object') claimed.close();
    }
  });
}
