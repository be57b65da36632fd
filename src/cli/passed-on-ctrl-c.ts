import { node } from '../builtins.js';
import { JAVASCRIPT_NAME } from './config/javascript.js';

/**
 * Programs that pass every SIGINT they get on to their whole process tree, so that a Ctrl-C in
 * their terminal reaches a program they run twice: from the terminal (they share its foreground
 * process group) and again from them. concurrently (`conc` is its short name) kills with
 * tree-kill, which lists the tree one `ps` per process before it signals anyone: its copy came
 * 20 ms to over 200 ms after the terminal's, later the deeper the tree and the busier the machine.
 * npm, run in the same terminal, does not pass a Ctrl-C on (one copy, measured).
 */
const PASSES_CTRL_C_ON = new Set(['concurrently', 'conc']);

/** What /proc tells of a process: its parent, process group, its terminal's foreground group, and its argv. */
export interface ProcessFacts {
  readonly ppid: number;
  readonly pgrp: number;
  /** The foreground process group of its controlling terminal; -1 without a terminal. */
  readonly tpgid: number;
  readonly argv: readonly string[];
}

/**
 * The name of the program above `pid` that passes a Ctrl-C on to it (see
 * {@link PASSES_CTRL_C_ON}), when a Ctrl-C in its terminal would reach it from both: `pid` is in
 * its terminal's foreground group, and so is that program (it got the same Ctrl-C). Undefined
 * otherwise: then each Ctrl-C comes once. Only the foreground group is searched: a program
 * above it (the shell) did not get the Ctrl-C, so has none to pass on. `factsOf` defaults to
 * reading /proc; a process that cannot be read ends the search.
 */
export function ctrlCPassedOnBy(pid: number = process.pid, factsOf: (pid: number) => ProcessFacts | undefined = procFacts): string | undefined {
  const self = factsOf(pid);
  if (self === undefined || self.tpgid <= 0 || self.pgrp !== self.tpgid) return undefined;
  // A bound on the walk: a tree this deep is none a person runs, and the walk stays cheap.
  let above = self.ppid;
  for (let depth = 0; depth < 32 && above > 1; depth += 1) {
    const facts = factsOf(above);
    if (facts === undefined || facts.pgrp !== self.tpgid) return undefined;
    const name = programName(facts.argv);
    if (name !== undefined) return name;
    above = facts.ppid;
  }
  return undefined;
}

/** The relaying program `argv` runs, if it runs one: as `concurrently ...` or as `node .../concurrently.js ...`. */
function programName(argv: readonly string[]): string | undefined {
  for (const word of argv.slice(0, 2)) {
    const name = node.path.basename(word).replace(JAVASCRIPT_NAME, '');
    if (PASSES_CTRL_C_ON.has(name)) return name;
  }
  return undefined;
}

/** {@link ProcessFacts} of `pid` from /proc, or undefined when it cannot be read (gone, or hidden by `hidepid`). */
function procFacts(pid: number): ProcessFacts | undefined {
  try {
    const stat = node.fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold blanks and parentheses itself: the fields start after the last `)`.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = node.fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((word) => word !== '');
    return { ppid: Number(fields[1]), pgrp: Number(fields[2]), tpgid: Number(fields[5]), argv };
  } catch {
    return undefined;
  }
}
