// Someone moving from pm2 or overmind types their commands to subvisor first (`subvisor list`,
// `subvisor delete web`, `subvisor connect web`). None is taken as it is (each has a subvisor way
// already, and two ways to say one thing drift apart), but each is answered with that way, built
// from the names typed after it, rather than with "unknown command" alone.

import { isJavaScriptName } from './config/javascript.js';

/** What to write for another tool's command, and whose command it is. */
interface Answer {
  readonly tool: string;
  readonly text: string;
}

/** The process names typed after a command (`web`, not `--lines` or pm2's `all`), or `NAME` when there are none. */
function namesOf(rest: readonly string[]): string {
  const names = rest.filter((word) => !word.startsWith('-') && word !== 'all');
  return names.length === 0 ? 'NAME' : names.join(' ');
}

const ENDS_THE_RUN = 'the run ends with Ctrl-C where `subvisor up` runs (or SIGINT or SIGTERM to it); `subvisor stop NAME` stops one process';

/** Each command word, with what to write instead. */
const FOREIGN_COMMANDS: Readonly<Record<string, (rest: readonly string[]) => Answer>> = {
  list: () => ({ tool: 'pm2', text: 'the processes of the run started with `up` here: subvisor ps' }),
  jlist: () => ({ tool: 'pm2', text: 'the processes of the run, as JSON: subvisor ps --json' }),
  status: () => ({ tool: 'overmind', text: 'the processes of the run started with `up` here: subvisor ps' }),
  monit: () => ({ tool: 'pm2', text: 'the states of the processes: subvisor ps; their output: subvisor logs -f' }),
  describe: (rest) => ({ tool: 'pm2', text: `one process's state, pid, uptime and restarts: subvisor ps ${namesOf(rest)}` }),
  delete: (rest) => ({ tool: 'pm2', text: `a process is one of the config: subvisor stop ${namesOf(rest)} stops it (start runs it again); to delete it, remove it from the config` }),
  reload: (rest) => ({ tool: 'pm2', text: `subvisor restart ${namesOf(rest)} stops it (and what depends on it), then starts them again; there is no cluster to reload one copy at a time` }),
  scale: (rest) => ({ tool: 'pm2', text: `copies of a process are \`replicas: ${rest[1] ?? 'N'}\` in subvisor.yaml, or \`subvisor up ${rest[0] ?? 'NAME'}=${rest[1] ?? 'N'}\` for a Procfile` }),
  save: () => ({ tool: 'pm2', text: 'the config file is the list of processes already; to start them at boot: subvisor export systemd' }),
  startup: () => ({ tool: 'pm2', text: 'to start the processes at boot, as systemd units: subvisor export systemd' }),
  resurrect: () => ({ tool: 'pm2', text: 'the config file is the list of processes: subvisor up' }),
  kill: () => ({ tool: 'overmind', text: ENDS_THE_RUN }),
  quit: () => ({ tool: 'overmind', text: ENDS_THE_RUN }),
  connect: (rest) => ({ tool: 'overmind', text: `a process here has no terminal (it reads /dev/null); to follow its output: subvisor logs -f ${namesOf(rest)}` }),
  echo: () => ({ tool: 'overmind', text: "to follow every process's output: subvisor logs -f" }),
};

/** Other names of the same commands. */
const ALIASES: Readonly<Record<string, string>> = { ls: 'list', l: 'list', prettylist: 'jlist', dashboard: 'monit', dash: 'monit', show: 'describe', info: 'describe', del: 'delete', gracefulReload: 'reload', unstartup: 'startup', attach: 'connect' };

/**
 * What to write instead of another tool's command `word` (`list`, `delete`, `connect`), given the
 * words typed after it: `pm2's delete: ... subvisor stop web ...`. Undefined for a word none of
 * them has as a command.
 */
export function foreignCommandInstead(word: string, rest: readonly string[]): string | undefined {
  const name = Object.hasOwn(ALIASES, word) ? ALIASES[word] : word;
  const instead = name !== undefined && Object.hasOwn(FOREIGN_COMMANDS, name) ? FOREIGN_COMMANDS[name]?.(rest) : undefined;
  return instead === undefined ? undefined : `${instead.tool}'s ${word}: ${instead.text}`;
}

/** A script as pm2's `start` takes it (`app.js`, `./bin/www`): no process name has a `/` or ends so. */
const SCRIPT = /\/|\.(?:[cm]?[jt]s|py|rb|sh)$/i;

/**
 * A config file, which pm2's `start` runs whole (`ecosystem.config.js`, any `.json` or `.yml`) and
 * up reads with `-f` (`dev.yaml`): never a script to give to `run`. Tried before {@link SCRIPT}.
 */
const ECOSYSTEM = /(?:^|\/)ecosystem(?:\.config)?\.[cm]?js$|\.config\.[cm]?js$|\.(?:json|ya?ml)$/i;

/** How `subvisor run` supervises `script` alone: under node for JavaScript, as pm2 runs it. */
function scriptCommand(script: string): string {
  return isJavaScriptName(script) ? `node ${script}` : script;
}

/**
 * What to write instead of `subvisor start WORD`, when WORD is a script or an ecosystem file as
 * pm2's `start` takes it rather than a process of a running stack: `subvisor run -- node app.js`,
 * or `up -f ecosystem.config.js`. Undefined when no word looks like one, or every such word is one
 * of `processNames` (the config's, which may name a process `server.js`).
 */
export function pm2StartInstead(names: readonly string[], processNames: ReadonlySet<string> = new Set()): string | undefined {
  const foreign = names.filter((name) => !processNames.has(name));
  const ecosystem = foreign.find((name) => ECOSYSTEM.test(name));
  if (ecosystem !== undefined) return `pm2's start ${ecosystem}: the processes of a config file run with up: subvisor up -f ${ecosystem}`;
  const script = foreign.find((name) => SCRIPT.test(name));
  if (script === undefined) return undefined;
  return `pm2's start ${script}: subvisor start NAME starts a stopped process of a running stack; to supervise one command: subvisor run -- ${scriptCommand(script)}; several: the processes of a subvisor.yaml, run by subvisor up`;
}

/**
 * What to write instead of `subvisor up WORD`, when WORD is a script or an ecosystem file as
 * pm2's `start` takes them, not a process name: `subvisor up -f ecosystem.config.js`, or
 * `subvisor run -- node app.js`. Undefined for a word that may be a name.
 */
export function pm2UpWordInstead(word: string): string | undefined {
  if (ECOSYSTEM.test(word)) return `'${word}' is a config file, as pm2's start takes it; up reads one with -f: subvisor up -f ${word}`;
  if (!SCRIPT.test(word)) return undefined;
  return `'${word}' is a script, as pm2's start takes it; up runs the processes of a config: to supervise it alone, subvisor run -- ${scriptCommand(word)}; several: the processes of a subvisor.yaml`;
}
