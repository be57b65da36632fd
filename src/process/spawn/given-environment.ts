import { node } from '../../builtins.js';
import { getLogger } from '../../log/logger.js';
import type { ResolvedRunOptions } from '../options.js';
import { childEnv } from './exec-args.js';

/**
 * The bytes this process was given for the environment variable `name`, when they are not UTF-8
 * and Node decoded them to `value` (U+FFFD in place of the bad bytes); else undefined.
 *
 * Why. Node decodes the environment as UTF-8 and can give a child only text, so a value in
 * Latin-1 (a path made under a Latin-1 locale) would reach the command with
 * U+FFFD where timeout(1) or `sh -c` pass the bytes on. The bytes as given are still in
 * /proc/self/environ, read once. A value the program set itself, or a real U+FFFD, does not
 * decode from those bytes, and is left alone.
 */
export function givenBytes(name: string, value: string): Buffer | undefined {
  if (!value.includes('\uFFFD')) return undefined;
  const given = initialEnvironment().get(name);
  if (given === undefined || given.toString('utf8') !== value || given.equals(Buffer.from(value, 'utf8'))) return undefined;
  return given;
}

let initial: ReadonlyMap<string, Buffer> | undefined;
let anyNotUtf8: boolean | undefined;

/**
 * Whether some variable was given at exec as bytes that are not UTF-8: only such a one can make
 * {@link givenBytes} answer, whatever the program sets later. Found once, on the first spawn that
 * asks, by the same test givenBytes makes.
 */
function initialHasBytesNotUtf8(): boolean {
  anyNotUtf8 ??= [...initialEnvironment().values()].some((given) => !given.equals(Buffer.from(given.toString('utf8'), 'utf8')));
  return anyNotUtf8;
}

/** This process's environment as the kernel was given it at exec (later changes are not in it), or empty without /proc. */
function initialEnvironment(): ReadonlyMap<string, Buffer> {
  initial ??= parseEnviron(readEnviron());
  return initial;
}

function readEnviron(): Buffer {
  try {
    return node.fs.readFileSync('/proc/self/environ');
  } catch {
    return Buffer.alloc(0);
  }
}

/** `NAME=VALUE` entries, each ended by a NUL; the first of a name repeated wins, as getenv() finds it. */
function parseEnviron(environ: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  let start = 0;
  for (let end = environ.indexOf(0); end !== -1; end = environ.indexOf(0, start)) {
    const entry = environ.subarray(start, end);
    const equals = entry.indexOf(0x3d);
    const name = equals === -1 ? undefined : entry.subarray(0, equals).toString('utf8');
    if (name !== undefined && !entries.has(name)) entries.set(name, entry.subarray(equals + 1));
    start = end + 1;
  }
  return entries;
}

const warnedNames = new Set<string>();

/**
 * Warns, once per name, of each variable of the child's environment given as bytes that are not
 * UTF-8, for a spawn that cannot pass them on (no spawn gate, or one through `env -i`): the command
 * then gets U+FFFD in their place, which it cannot tell from a value it was meant to get. The
 * value is not shown (environments hold secrets). Cheap when there is nothing to say: a search for
 * U+FFFD in each value.
 */
export function warnOfUnpassedBytes(options: ResolvedRunOptions): void {
  // Without such a variable at exec there is nothing to find, and the child's environment (every
  // variable of ours, read through process.env's C++ accessors) need not be gone through on each spawn.
  if (!initialHasBytesNotUtf8()) return;
  for (const [name, value] of childEnv(options)) {
    if (warnedNames.has(name) || givenBytes(name, value) === undefined) continue;
    warnedNames.add(name);
    getLogger().warning(
      `the environment variable ${name} is not UTF-8 text: the command gets it with U+FFFD in place of its bytes, as Node.js can pass only text; ` +
        'set it in UTF-8, or let a shell make its bytes (sh -c \'NAME="$(printf ...)" exec CMD\')',
    );
  }
}
