import { closeSync, openSync, readSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { quoteCommand } from '../../../../process/command.js';

// What pm2 runs for an app (lib/Common.js, prepareAppConf and resolveInterpreter, pm2 7), as one
// `cmd` for `sh -c`: its interpreter, the interpreter's arguments, the script, then the app's.

type App = Readonly<Record<string, unknown>>;

/** pm2's interpreter for a script by its extension (lib/API/interpreter.json; `.ts` is bun's since pm2 5.3.1). */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  '.sh': 'bash',
  '.py': 'python',
  '.rb': 'ruby',
  '.php': 'php',
  '.pl': 'perl',
  '.js': 'node',
  '.coffee': 'coffee',
  '.ls': 'lsc',
  '.ts': 'bun',
  '.tsx': 'bun',
};

/** How many bytes pm2 reads of a script to tell a program from a script (its isbinaryfile). */
const SNIFFED_BYTES = 512;

/** What pm2 runs for an app: its `cmd`, and what pm2 sets in its environment for the interpreter. */
export interface Pm2Run {
  readonly cmd: string;
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The app's `cmd`, as a shell string: pm2 runs a script whose extension names no interpreter
 * under node unless it is a program (`bin/www`, express-generator's, is JavaScript), so the
 * script's first bytes decide, as they do for pm2; a script with a blank is a shell command
 * (pm2 runs `bash -c SCRIPT`, and drops `args`). Under python, pm2 sets PYTHONUNBUFFERED=1 over
 * the app's own: python holds what it prints to a pipe until its buffer fills or it exits, and a
 * worker's lines would come late, or never for one killed. `dir` is the app's directory; `onPath`
 * tells whether a program is on the PATH it runs with.
 */
export function pm2Run(app: App, dir: string, onPath: (program: string) => boolean): Pm2Run {
  const script = text(app.script ?? app.exec ?? app.command) ?? 'SCRIPT';
  if (script.includes(' ')) return { cmd: script, env: {} };
  const interpreter = text(app.interpreter ?? app.exec_interpreter) ?? interpreterOf(script, dir, onPath);
  const runs = interpreter === undefined || interpreter === 'none';
  // A program in the app's directory is named by its path: a bare name is looked up in PATH.
  const scriptWord = runs && !script.includes('/') && isFile(resolve(dir, script)) ? `./${script}` : script;
  const words = [runs ? undefined : interpreter, runs ? undefined : wordsOf(app.node_args ?? app.interpreter_args ?? app.interpreterArgs), quoteCommand([scriptWord]), wordsOf(app.args)];
  const cmd = words.filter((word) => word !== undefined && word !== '').join(' ');
  return { cmd, env: !runs && interpreter.includes('python') ? { PYTHONUNBUFFERED: '1' } : {} };
}

/**
 * pm2's interpreter for `script` where the app names none: by its extension, else node unless the
 * file is a program. A name that is no file in `dir` is looked up in PATH (npm, a program on
 * PATH): run as it is, its `#!` line choosing (npm's is node's); a missing path is taken for
 * JavaScript, pm2's default.
 */
function interpreterOf(script: string, dir: string, onPath: (program: string) => boolean): string | undefined {
  const byExtension = BY_EXTENSION[extname(script)];
  // pm2 takes python3 where there is no python (as on Debian and Ubuntu by default).
  if (byExtension === 'python' && !onPath('python') && onPath('python3')) return 'python3';
  if (byExtension !== undefined) return byExtension;
  const head = firstBytes(resolve(dir, script));
  if (head === undefined) return script.includes('/') ? 'node' : undefined;
  // pm2 also counts bytes that are not text; every program format has a NUL in its header (ELF's, Mach-O's).
  return head.includes(0) ? undefined : 'node';
}

/** The first bytes of the file at `path`, or undefined when it is no file it can read. */
function firstBytes(path: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const bytes = Buffer.alloc(SNIFFED_BYTES);
    return bytes.subarray(0, readSync(fd, bytes, 0, SNIFFED_BYTES, 0));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function isFile(path: string): boolean {
  return firstBytes(path) !== undefined;
}

/** An array of words (pm2 passes it as argv, unexpanded) quoted for `sh -c`; a string as written. */
function wordsOf(value: unknown): string | undefined {
  return Array.isArray(value) ? quoteCommand(value.map(String)) : text(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
