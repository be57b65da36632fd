import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseYamlConfig } from '../../../src/cli/config/index.js';
import { configError } from './support.js';

// The README's whole configs (```yaml blocks that start with `processes:`) are read as a user's
// file would be, so the documented keys cannot drift from the reader. The snippets of single keys
// are checked inside a process.
const blocks = [...readFileSync('README.md', 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);

test('the README\'s subvisor.yaml examples are accepted', () => {
  const whole = blocks.filter((block) => block.startsWith('processes:'));
  assert.ok(whole.length >= 1, 'no whole config in the README');
  for (const block of whole) assert.doesNotThrow(() => parseYamlConfig(block, 'subvisor.yaml', { env: {} }), block);
});

test('the README\'s probe and interpolation snippets are accepted inside a process', () => {
  const snippets = blocks.filter((block) => !block.startsWith('processes:')).flatMap((block) => block.split('\n').filter((line) => /^[a-z]+: /.test(line)));
  assert.ok(snippets.length >= 8, `found only ${snippets.length} snippets`);
  // Control: a snippet the reader refuses is caught.
  configError(() => parseYamlConfig('processes:\n  web:\n    cmd: x\n    ready: { colour: red }\n', 'subvisor.yaml', { env: {} }));
  for (const snippet of snippets) {
    const key = snippet.split(':')[0];
    const text = key === 'cmd' ? `processes:\n  web:\n    ${snippet}\n` : `processes:\n  web:\n    cmd: x\n    ${snippet}\n`;
    assert.doesNotThrow(() => parseYamlConfig(text, 'subvisor.yaml', { env: { DATA_DIR: '/d' } }), snippet);
  }
});
