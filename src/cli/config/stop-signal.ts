import { node } from '../../builtins.js';
import { askIfMeant, suggest } from '../../process/suggest.js';
import { printable } from './spawnable.js';

/** Every signal this system knows, by name. */
const SIGNALS = Object.keys(node.os.constants.signals);

/**
 * Second names of a signal, read as its first: systemd's `KillSignal=` knows only the first (it
 * ignores `SIGIOT` and stops with SIGTERM), and one name for one signal reads the same everywhere.
 */
const ALIASES: Readonly<Record<string, string>> = { SIGIOT: 'SIGABRT', SIGPOLL: 'SIGIO' };

/**
 * Signals a process cannot handle: it gets no chance to shut down (SIGKILL), or it is only paused
 * (SIGSTOP), and the stop waits out the whole grace for nothing.
 */
const UNCATCHABLE: Readonly<Record<string, string>> = {
  SIGKILL: 'SIGKILL cannot be caught, so the process gets no chance to shut down (a stop ends in SIGKILL after the grace anyway)',
  SIGSTOP: 'SIGSTOP only pauses the process, so the stop would wait out the whole grace for nothing',
};

/**
 * The signal that asks a process to stop, read from its name (`up`'s `stopSignal`, `run
 * --stop-signal`): as docker's `stop_signal` and systemd's `KillSignal=` read it, the `SIG` prefix
 * may be left out and the case does not matter (`int` is SIGINT). Numbers are refused, since they
 * differ between systems. Returns the signal, or what is wrong with `written`, said to be fixed.
 */
export function readStopSignal(written: string): { readonly signal: NodeJS.Signals } | { readonly problem: string } {
  if (/^\d+$/.test(written.trim())) return { problem: numberProblem(written.trim()) };
  const upper = written.trim().toUpperCase();
  const given = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const name = ALIASES[given] ?? given;
  if (!SIGNALS.includes(name)) {
    // Compared without the `SIG` every name shares, which would let `SIGFOO` pass for `SIGIOT`.
    const bare = (signal: string): string => signal.slice('SIG'.length);
    const guess = suggest(bare(given), SIGNALS.map(bare));
    return { problem: `unknown signal '${printable(written)}'; use a signal name like SIGTERM, SIGINT or SIGQUIT${askIfMeant(guess === undefined ? undefined : `SIG${guess}`)}` };
  }
  const uncatchable = uncatchableProblem(name);
  if (uncatchable !== undefined) return { problem: uncatchable };
  return { signal: name as NodeJS.Signals }; // one of os.constants.signals, which is what NodeJS.Signals lists
}

/**
 * What a signal number (`9`, a config's `stopSignal: 15` or `--stop-signal 15`) is told: one
 * wording wherever it is written, with the name the number has here, if any.
 */
function numberProblem(number: string): string {
  const here = Object.entries(node.os.constants.signals).find(([, value]) => String(value) === number.replace(/^0+(?=\d)/, ''))?.[0];
  // A number whose name is refused too (9, SIGKILL) is not sent to write that name, only to be refused again.
  const refused = here === undefined ? undefined : uncatchableProblem(here);
  if (here !== undefined && refused !== undefined) return `expected a signal name like SIGINT, found the number ${number} (here ${here}); ${refused}`;
  return `expected a signal name like SIGINT, found the number ${number}; signal numbers differ between systems, names do not: write its name${here === undefined ? '' : ` (here ${number} is ${here})`}`;
}

/** What a signal no process can shut down on (SIGKILL, SIGSTOP) is told; undefined for any other. */
function uncatchableProblem(name: string): string | undefined {
  const uncatchable = UNCATCHABLE[name];
  return uncatchable === undefined ? undefined : `${uncatchable}; use the signal the program shuts down on (SIGTERM, the default, or SIGINT, SIGQUIT...)`;
}
