#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { ConfigError } from './config/index.js';
import { USAGE, UsageError } from './args.js';
import { runCommand } from './commands/run.js';
import { upCommand } from './commands/up.js';
import { EXIT, dieOf, type Ending } from './exit-status.js';
import { SpawnError } from '../process/errors.js';

/** The `subvisor` command: dispatches, and turns every expected error into one line and a status. */
async function main(argv: readonly string[]): Promise<Ending> {
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
      return { exitCode: command === undefined ? EXIT.usage : EXIT.ok };
    case '-v':
    case '--version':
      process.stdout.write(`${version()}\n`);
      return { exitCode: EXIT.ok };
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Ends the program as `ending` says: killed by its signal, or with its status. */
function end(ending: Ending): void {
  if (ending.signal !== undefined) dieOf(ending.signal);
  process.exitCode = ending.exitCode;
}

try {
  end(await main(process.argv.slice(2)));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`subvisor: ${error.message}\n(see subvisor --help)\n`);
    end({ exitCode: EXIT.usage });
  } else if (error instanceof ConfigError) {
    process.stderr.write(`subvisor: ${error.message}\n`);
    end({ exitCode: EXIT.usage });
  } else if (error instanceof SpawnError) {
    process.stderr.write(`subvisor: ${error.message}\n`);
    end({ exitCode: error.code === 'ENOENT' ? EXIT.notFound : EXIT.cannotExecute });
  } else {
    throw error;
  }
}
