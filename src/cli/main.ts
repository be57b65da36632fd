#!/usr/bin/env node
// The `subvisor` command. Its subcommands (run, up) arrive with the CLI issue; until then it says so.
const usage = `usage:
  subvisor run [--label L] [--ready REGEX] [--timeout DUR] [--grace DUR] [--json] -- CMD ARGS...
  subvisor up [-f FILE] [NAME...]

(not implemented yet in this version: use the library API)`;

process.stdout.write(`${usage}\n`);
process.exitCode = process.argv.length > 2 ? 2 : 0;
