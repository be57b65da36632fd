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
  if (NUMBER.test(written.trim())) return { problem: numberProblem(written.trim()) };
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
 * A number as a signal may be written: digits, as `kill 15` reads them, with a sign (`-15`, as
 * `kill -15` writes it), a fraction or an exponent (`15.0`, `1.5e1`, YAML's numbers too), or in hex
 * or octal (`0x0F`, `0o17`, which YAML reads as 15). Each is a number, told as `15` is, not an
 * unknown signal name.
 */
const NUMBER = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?|0x[0-9a-f]+|0o[0-7]+)$/i;

/**
 * What a signal number (`9`, a config's `stopSignal: 15` or `--stop-signal 15`, `-15`, `0x0F`,
 * `15.0`) is told: one wording wherever and however it is written, with the name the number has
 * here, if any (`-15` is 15, the signal `kill -15` sends).
 */
function numberProblem(number: string): string {
  const value = Number(number.replace(/^[-+]/, ''));
  const here = Number.isSafeInteger(value) ? Object.entries(node.os.constants.signals).find(([, signal]) => signal === value)?.[0] : undefined;
  // A number whose name is refused too (9, SIGKILL) is not sent to write that name, only to be refused again.
  const refused = here === undefined ? undefined : uncatchableProblem(here);
  if (here !== undefined && refused !== undefined) return `expected a signal name like SIGINT, found the number ${number} (here ${here}); ${refused}`;
  return `expected a signal name like SIGINT, found the number ${number}; signal numbers differ between systems, names do not: write its name${here === undefined ? '' : ` (here ${value} is ${here})`}`;
}

/** What a signal no process can shut down on (SIGKILL, SIGSTOP) is told; undefined for any other. */
function uncatchableProblem(name: string): string | undefined {
  const uncatchable = UNCATCHABLE[name];
  return uncatchable === undefined ? undefined : `${uncatchable}; use the signal the program shuts down on (SIGTERM, the default, or SIGINT, SIGQUIT...)`;
}
