// whereValuesLead with real directories and links: what a cwd made by a variable resolves to, past the config's own words.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { whereValuesLead } from '../../../../src/cli/config/environment/values-lead.js';

const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'subvisor-values-lead-')));
after(() => rmSync(scratch, { recursive: true, force: true }));

test("the directories a link the value names leads to are given, not those the config's own words lead to, through a link of their own too", () => {
  // own -> real: the config's link; real/ab/s3cr3t -> data/s3cr3t/app: the value's.
  mkdirSync(join(scratch, 'real', 'ab'), { recursive: true });
  mkdirSync(join(scratch, 'data', 's3cr3t', 'app'), { recursive: true });
  symlinkSync(join(scratch, 'real'), join(scratch, 'own'));
  symlinkSync(join(scratch, 'data', 's3cr3t', 'app'), join(scratch, 'real', 'ab', 's3cr3t'));
  const led = whereValuesLead(join(scratch, 'own', 'ab', 's3cr3t'), [`${scratch}/own/`, { name: 'V', value: 'ab/s3cr3t' }]);
  assert.deepEqual(led, [join(scratch, 'data'), join(scratch, 'data', 's3cr3t'), join(scratch, 'data', 's3cr3t', 'app')]);
  // Control: a path no variable made leads nowhere a value chose.
  assert.deepEqual(whereValuesLead(join(scratch, 'own', 'ab', 's3cr3t'), [`${scratch}/own/ab/s3cr3t`]), []);
});
