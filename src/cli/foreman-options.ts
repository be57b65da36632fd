import { join } from 'node:path';

// Someone moving from foreman or honcho types their `start` options to `subvisor up` first. None is
// taken as it is (each has a subvisor way already, and two ways to say one thing drift apart), but
// each is answered with that way, built from what was typed, rather than with a list of options.

/** An option of foreman's or honcho's `start`, and what to write for it: `value` is the word typed after it, if any. */
interface ForeignOption {
  readonly names: readonly string[];
  readonly instead: (value: string | undefined) => { readonly tool: string; readonly text: string };
}

const FORMATION_EXAMPLE = 'web=2 worker=1';

/**
 * The words of foreman's `-m web=2,worker=1` (`['web=2', 'worker=1']`), or undefined for a word
 * that is not one. foreman drops blanks inside it; its `all=N` has no word here, so a value with
 * one gives no words either. foreman's `web=0` leaves web out, as not naming it does here (a word
 * `web=0` is refused): it gives no word, and a value of nothing else gives none at all.
 */
export function foremanFormationWords(word: string): string[] | undefined {
  const parts = word.replace(/\s/g, '').split(',').filter((part) => part !== '');
  if (!parts.every((part) => /^[^=]+=\d+$/.test(part) && !part.startsWith('all='))) return undefined;
  const words = parts.filter((part) => !/=0+$/.test(part));
  return words.length > 0 ? words : undefined;
}

function formation(tool: string, value: string | undefined): { tool: string; text: string } {
  const words = value === undefined ? undefined : foremanFormationWords(value);
  return { tool, text: `the formation is words after up: subvisor up ${words?.join(' ') ?? FORMATION_EXAMPLE}` };
}

function root(tool: string, value: string | undefined): { tool: string; text: string } {
  return { tool, text: `processes run in the Procfile's directory: subvisor up -f ${join(value ?? 'DIR', 'Procfile')}` };
}

function timestamps(value: string | undefined): { tool: string; text: string } {
  return { tool: 'foreman', text: value === 'false' ? 'up shows no times unless given --timestamps: subvisor up' : 'up shows the times with --timestamps: subvisor up --timestamps' };
}

const FOREIGN_OPTIONS: readonly ForeignOption[] = [
  { names: ['m', 'formation'], instead: (value) => formation('foreman', value) },
  { names: ['concurrency'], instead: (value) => formation('honcho', value) },
  {
    // foreman's -c forces colour; honcho's takes the formation, which has an `=`.
    names: ['c', 'color'],
    instead: (value) =>
      value?.includes('=') === true ? formation('honcho', value) : { tool: 'foreman', text: 'colour is on for a terminal; to force it, FORCE_COLOR=1 subvisor up' },
  },
  { names: ['p', 'port'], instead: (value) => ({ tool: 'foreman', text: `the first PORT is the environment's: PORT=${value !== undefined && /^\d+$/.test(value) ? value : '5000'} subvisor up` }) },
  {
    names: ['t', 'timeout'],
    instead: (value) => ({ tool: 'foreman', text: `the time to stop before SIGKILL is --grace, with a unit: subvisor up --grace ${value !== undefined && /^\d+(?:\.\d+)?$/.test(value) ? value : '5'}s` }),
  },
  { names: ['d', 'root'], instead: (value) => root('foreman', value) },
  { names: ['app-root'], instead: (value) => root('honcho', value) },
  // foreman shows times unless told not to; up shows none unless told to.
  { names: ['no-timestamp'], instead: () => timestamps('false') },
  { names: ['timestamp'], instead: (value) => timestamps(value) },
  { names: ['procfile'], instead: (value) => ({ tool: 'foreman', text: `the config is given with -f: subvisor up -f ${value ?? 'Procfile'}` }) },
  {
    names: ['e', 'env'],
    instead: (value) => ({ tool: 'foreman', text: `a Procfile reads the .env beside it, and no other; to read ${value ?? 'another file'}, name it in a subvisor.yaml's envFile` }),
  },
];

/**
 * What to write instead of foreman's (or honcho's) `start` option `rawName` (`-m`, `--port`), given
 * `value`, the word typed with it or after it: `foreman's -m: the formation is words after up: subvisor up web=2 worker=1`.
 * Undefined for an option neither has.
 */
export function foremanOptionInstead(rawName: string, value: string | undefined): string | undefined {
  const instead = insteadOf(rawName.replace(/^-+/, ''), value);
  return instead === undefined ? undefined : `${instead.tool}'s ${rawName}: ${instead.text}`;
}

/**
 * What to write instead of the setting `name: value` of foreman's `.foreman` (its options'
 * long names: `port: 3000`): `the first PORT is the environment's: PORT=3000 subvisor up`.
 * Undefined for a name foreman's start has no option for.
 */
export function foremanSettingInstead(name: string, value: string | undefined): string | undefined {
  return insteadOf(name, value)?.text;
}

function insteadOf(name: string, value: string | undefined): { tool: string; text: string } | undefined {
  return FOREIGN_OPTIONS.find((candidate) => candidate.names.includes(name))?.instead(value);
}
