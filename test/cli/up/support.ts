// Shared by the tests of `subvisor up` in this folder: configs in fresh directories of one scratch
// directory (removed after the file's tests), and reading what a run printed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export const scratch = mkdtempSync(join(tmpdir(), 'subvisor-up-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
/** How many configs {@link config} has written: the next one's directory is `c${configs}`. */
export let configs = 0;

/** Writes a config file into its own fresh directory and returns its path. */
export function config(text: string, name = 'subvisor.yaml'): string {
  const dir = join(scratch, `c${configs++}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The lines of `stdout` that `name` printed or that are said of it (`name | ...`, `name * ...`). */
export function linesOf(stdout: string, name: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith(`${name} `));
}

/** The `keys` of `record`, in that order. */
export function pick(record: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, record?.[key]]));
}
