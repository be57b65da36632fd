import assert from 'node:assert/strict';
import { ConfigError, parseYamlConfig, type ConfigOptions, type ProcessSpec } from '../../../src/cli/config/index.js';

/** Runs `parse`, asserting it throws a ConfigError, and returns it. */
export function configError(parse: () => unknown): ConfigError {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_SUBVISOR_CONFIG');
    return error;
  }
  assert.fail('expected a ConfigError, but the config was accepted');
}

/** The message's lines, one per problem. */
export function lines(error: ConfigError): string[] {
  return error.message.split('\n');
}

/** Where the config of the parse-only tests claims to live (it need not exist). */
export const FILE = 'conf/subvisor.yaml';

/**
 * The one problem `text` has, read as {@link FILE} with `options` (by default an empty parent
 * environment, so the tests do not depend on the one they run in), asserting it sits at
 * `line`:`column`; returns the message.
 */
export function onlyProblem(text: string, line: number, column: number, options: ConfigOptions = { env: {} }): string {
  const error = configError(() => parseYamlConfig(text, FILE, options));
  assert.equal(error.problems.length, 1, error.message);
  assert.ok(error.message.startsWith(`${FILE}:${line}:${column}: `), `expected ${line}:${column}, got: ${error.message}`);
  return error.message;
}

/** The first process of `text`, read as {@link FILE} with `options` (by default an empty parent environment). */
export function firstProcess(text: string, options: ConfigOptions = { env: {} }): ProcessSpec {
  const [spec] = parseYamlConfig(text, FILE, options).processes;
  assert.ok(spec !== undefined);
  return spec;
}

/** A valid process to build variants from: the control each error test starts from. */
export const web = (extra = ''): string => `processes:\n  web:\n    cmd: node server.js\n${extra}`;

/** The 1-based line and column of the first `needle` in `text` (after `from`, when given). */
export function positionOf(text: string, needle: string, from = ''): { line: number; column: number } {
  const start = from === '' ? 0 : text.indexOf(from);
  const index = text.indexOf(needle, start);
  assert.ok(start >= 0 && index >= 0, `${needle} is not in the text`);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/**
 * The one problem `text` has, asserting it sits where `needle` is written (its first occurrence
 * after `from`); returns the message. Options as in {@link onlyProblem}.
 */
export function problemAt(text: string, needle: string, options?: ConfigOptions, from?: string): string {
  const { line, column } = positionOf(text, needle, from);
  return onlyProblem(text, line, column, options);
}
