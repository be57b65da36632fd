#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { ConfigError } from './config/index.js';
import { USAGE, UsageError } from './args.js';
import { runCommand } from './commands/run.js';
import { upCommand } from './commands/up.js';
import { EXIT } from './exit-status.js';
import { SpawnError } from '../process/errors.js';

/** The `subvisor` command: dispatches, and turns every expected error into one line and a status. */
async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'up':
      return upCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? EXIT.usage : EXIT.ok;
    case '-v':
    case '--version':
      process.stdout.write(`${version()}\n`);
      return EXIT.ok;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`subvisor: ${error.message}\n(see subvisor --help)\n`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof ConfigError) {
    process.stderr.write(`subvisor: ${error.message}\n`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof SpawnError) {
    process.stderr.write(`subvisor: ${error.message}\n`);
    process.exitCode = error.code === 'ENOENT' ? EXIT.notFound : EXIT.cannotExecute;
  } else {
    throw error;
  }
}
