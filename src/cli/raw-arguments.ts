import { node } from '../builtins.js';
import { UsageError } from './args.js';
import { printfFormat } from '../process/spawn/printf-format.js';

/**
 * Refuses a command with an argument that is not UTF-8 (see {@link changedArgument}): run with
 * U+FFFD in place of its bytes, it would do something else than asked (open another file, print
 * other text), and say nothing of it. The message shows how a shell makes those bytes from ASCII.
 */
export function refuseChangedArguments(command: readonly string[]): void {
  const changed = changedArgument(command);
  if (changed === undefined) return;
  const which = changed.index === 0 ? "the command's program name" : `the command's argument ${changed.index}`;
  const format = asPrintfFormat(changed.given);
  throw new UsageError(
    `${which} is not UTF-8 text, and Node.js can give a program only text: it would get U+FFFD in place of the bytes printf ${format} makes. ` +
      `Let a shell make them: in subvisor run -- sh -c '...', "$(printf ${format.replaceAll("'", '"')})" is that argument`,
  );
}

/** An argument of the command that Node changed on its way in, and the bytes it was given as. */
interface ChangedArgument {
  /** Its place in the command: 0 is the program. */
  readonly index: number;
  readonly given: Buffer;
}

/**
 * The first of `command`, the last words of this process's argv, that Node changed: an argument
 * that is not UTF-8 (a file name in Latin-1, `$'caf\xe9'`) is decoded with U+FFFD in place of its
 * bad bytes, and a child can be given only text, so it would get those U+FFFDs where timeout(1) or
 * `sh -c` pass the bytes on as they are. The bytes as given are still in /proc/self/cmdline, read
 * only when a U+FFFD says there may be something to find (a real U+FFFD is left alone). Undefined
 * when none changed, or when /proc cannot tell (none, or a process title over the argv).
 */
function changedArgument(command: readonly string[]): ChangedArgument | undefined {
  if (!command.some((arg) => arg.includes('\uFFFD'))) return undefined;
  const given = cmdlineTail(command.length);
  // The tail is the command only when each of its words decodes to the command's word: a process
  // title (`node --title`, in NODE_OPTIONS too) writes over the argv /proc shows, and what is left
  // there (the title, then NULs) would be read as a changed program name, refusing a real U+FFFD.
  if (given === undefined || command.some((arg, at) => given[at]?.toString('utf8') !== arg)) return undefined;
  const index = command.findIndex((arg, at) => !Buffer.from(arg, 'utf8').equals(given[at] as Buffer)); // at < command.length = given.length
  return index === -1 ? undefined : { index, given: given[index] as Buffer };
}

/** The last `count` arguments of this process as the kernel holds them, or undefined without /proc. */
function cmdlineTail(count: number): Buffer[] | undefined {
  let cmdline: Buffer;
  try {
    cmdline = node.fs.readFileSync('/proc/self/cmdline');
  } catch {
    return undefined;
  }
  // Each argument ends with a NUL, the last one included.
  const args: Buffer[] = [];
  let start = 0;
  for (let end = cmdline.indexOf(0); end !== -1; end = cmdline.indexOf(0, start)) {
    args.push(cmdline.subarray(start, end));
    start = end + 1;
  }
  return args.length < count ? undefined : args.slice(args.length - count);
}

/** The `printf` format, in single quotes, that makes `bytes` (see {@link printfFormat}). */
function asPrintfFormat(bytes: Buffer): string {
  return `'${printfFormat(bytes)}'`;
}
