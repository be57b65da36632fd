import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/cli/config/index.js';

/** Runs `parse`, asserting it throws a ConfigError, and returns it. */
export function configError(parse: () => unknown): ConfigError {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError, but the config was accepted');
}

/** The message's lines, one per problem. */
export function lines(error: ConfigError): string[] {
  return error.message.split('\n');
}
