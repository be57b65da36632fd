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
// Node 20's runner gives this one timeout to every test and to every file as a whole (each file is
// one test of the runner). The longest file, test/cli/control/commands.test.ts (since split by command), took 95 s on a
// loaded 2-core machine and passed 120 s on the next run, its last tests never run. A file's
// tests carry their own bounds; this is the net for those that do not, and for a file's sum.
const FILE_TIMEOUT_MS = 300_000;
const { status, signal } = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-timeout=${FILE_TIMEOUT_MS}`, ...files],
  { stdio: 'inherit' },
);
process.exit(status ?? (signal ? 1 : 0));
