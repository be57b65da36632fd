import { delimiter } from 'node:path';
import type { ProcessSpec } from '../config/spec.js';
import { childEnvironment } from '../stack/attempt.js';
import { statOf } from '../../process/stat.js';
import { DEFAULT_PATH, findOnPath } from '../../process/spawn/diagnose.js';
import { exportedEnvironment } from './environment.js';

/**
 * Where systemd looks for an `ExecStart=` program named without a path, and the `PATH` a unit's
 * processes get when its environment sets none: a fixed list, not the PATH of whoever exported or
 * started it (systemd.exec(5); `/sbin` and `/bin` count on systems that keep them apart from `/usr`).
 */
export const SYSTEMD_PATH: readonly string[] = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * What a person should hear about the programs of `processes` under systemd: for each one named
 * without a path that `up` finds on its PATH (the parent's, or `env`'s), a line when the unit would
 * find none or another (an nvm `node` is not in systemd's path; `/usr/bin/node` may be an older one).
 * For an argv command, systemd looks in {@link SYSTEMD_PATH}; for a string, the unit's shell looks
 * on the unit's PATH (`env`'s, else {@link SYSTEMD_PATH}), so only its first word can be judged, and
 * is (after an `exec`). A program neither finds is left to `up`, which says so when it runs.
 *
 * @param parentEnv - The environment `up` would run under (the caller's).
 */
export function programsSystemdMisses(processes: readonly ProcessSpec[], parentEnv: NodeJS.ProcessEnv): string[] {
  const said = new Set<string>();
  const lines: string[] = [];
  for (const spec of processes) {
    const owner = spec.replica?.of ?? spec.name;
    const program = typeof spec.cmd === 'string' ? firstWord(spec.cmd) : spec.cmd[0];
    if (program === undefined || program === '' || program.includes('/') || said.has(owner)) continue;
    const upFinds = lookUp(program, (childEnvironment(spec, parentEnv).PATH ?? DEFAULT_PATH).split(delimiter));
    if (upFinds === undefined) continue;
    const unitPath = typeof spec.cmd === 'string' ? (Object.fromEntries(exportedEnvironment(spec)).PATH?.split(delimiter) ?? SYSTEMD_PATH) : SYSTEMD_PATH;
    const unitFinds = lookUp(program, unitPath);
    if (unitFinds !== undefined && sameFile(unitFinds, upFinds)) continue;
    said.add(owner);
    const where = typeof spec.cmd === 'string' ? `the unit's shell looks only in ${listed(unitPath)} (the unit's PATH)` : `systemd looks for a program named without a path only in ${listed(unitPath)}`;
    const found = unitFinds === undefined ? 'finds none there' : `finds another there (${unitFinds})`;
    const fix = typeof spec.cmd === 'string' ? 'give its full path in cmd, or set PATH in env' : 'give its full path in cmd';
    lines.push(`process ${owner}: up runs ${program} from ${upFinds}, found on its PATH; ${where}, and ${found}; ${fix}`);
  }
  return lines;
}

/**
 * The program a shell command starts with, when it is a plain word (`exec node server.js` and
 * `PORT=3000 node server.js` give `node`), and not one the shell runs itself: `echo starting;
 * exec node server.js` runs sh's own echo whatever the PATH holds, so the PATH says nothing of it.
 */
function firstWord(command: string): string | undefined {
  // Assignments before it (`PORT=3000 node server.js`) set its environment: the program follows them.
  const word = /^\s*(?:[A-Za-z_][A-Za-z0-9_]*=[^\s'"`$\\]*\s+)*(?:exec\s+)?([A-Za-z0-9_.+-]+)(?:\s|$)/.exec(command)?.[1];
  return word === undefined || SHELL_BUILTINS.has(word) ? undefined : word;
}

/** What POSIX sh (dash, bash) runs itself, never looked up on the PATH. */
const SHELL_BUILTINS = new Set(['echo', 'printf', 'test', 'true', 'false', 'cd', 'pwd', 'kill', 'read', 'set', 'export', 'unset', 'exit', 'trap', 'wait', 'umask', 'ulimit', 'shift', 'eval', 'command', 'type', 'alias', 'getopts', 'readonly', 'return', 'times', 'hash', 'jobs', 'fg', 'bg']);

/** The first `dir/program` exec could run, as execvp and systemd look; an entry that is not absolute (the cwd, which neither export can name) is skipped. */
function lookUp(program: string, dirs: readonly string[]): string | undefined {
  return findOnPath(program, dirs.filter((dir) => dir.startsWith('/')));
}

/** Whether two paths lead to one file (`/bin/sh` and `/usr/bin/sh` where `/bin` is a link). */
function sameFile(a: string, b: string): boolean {
  const [one, other] = [statOf(a), statOf(b)];
  return one !== undefined && other !== undefined && one.dev === other.dev && one.ino === other.ino;
}

function listed(dirs: readonly string[]): string {
  return dirs.length === 1 ? (dirs[0] ?? '') : `${dirs.slice(0, -1).join(', ')} and ${dirs.at(-1) ?? ''}`;
}
