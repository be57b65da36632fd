// Node 20's `--test` does not expand globs (21 does), and sh's `**` is not recursive,
// so the test files are listed here and handed to node's own runner.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const filter = process.argv.slice(2);
const files = readdirSync('test', { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.test.ts'))
  .filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)))
  .sort()
  .map((file) => `test/${file}`);
if (files.length === 0) {
  console.error(`no test files match ${filter.join(' ')}`);
  process.exit(1);
}
const { status, signal } = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-timeout=120000', ...files],
  { stdio: 'inherit' },
);
process.exit(status ?? (signal ? 1 : 0));
