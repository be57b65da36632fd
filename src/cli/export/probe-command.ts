import type { ProcessSpec } from '../config/spec.js';
import type { OutsideProbe } from '../stack/probes.js';
import { goDuration } from '../config/duration.js';
import { shellWord, shellWordOf, type NameOf } from './quote.js';
import { joinParts, partsAsWritten, readsVariable, type InterpolatedPart } from '../config/environment/interpolate.js';

/**
 * How long a process's ready probe may take to pass once exported: its `readyTimeout`, else 90 s,
 * systemd's own default `TimeoutStartSec=` (`subvisor up` would wait for ever, which a service
 * manager should not), so the units and the containers behave as their users expect.
 */
export function exportedReadyDeadlineMs(spec: ProcessSpec): number {
  return spec.readyTimeoutMs ?? 90_000;
}

/**
 * The arguments of `subvisor probe` that try `probe` as `subvisor up` would: its check, its
 * `interval`, and `deadlineMs` as `--timeout`. An exec probe's argv becomes one shell word list
 * (`--exec` runs under `sh -c`), each word quoted so it reaches the program unchanged.
 */
export function probeArguments(probe: OutsideProbe, deadlineMs: number): string[] {
  return [...checkArguments(probe), '--interval', goDuration(probe.intervalMs), '--timeout', goDuration(deadlineMs)];
}

/**
 * The arguments of `subvisor probe` that try `probe` once, cut at its `timeout`: an interval as
 * long as the deadline leaves room for no second try (a Compose healthcheck's test: Docker retries).
 */
export function oneTryArguments(probe: OutsideProbe): string[] {
  return [...checkArguments(probe), '--interval', goDuration(probe.timeoutMs), '--timeout', goDuration(probe.timeoutMs)];
}

/**
 * {@link probeArguments}, each as a word interpolation made (see `ProcessSpec.cmdParts`), so a
 * variable `nameOf` names is read where the probe runs: the URL and a string exec keep their
 * pieces; an argv exec is one shell script, where such a variable is `"$NAME"`, which the shell
 * of `--exec` reads from its environment.
 */
export function probeArgumentWords(probe: OutsideProbe, deadlineMs: number, nameOf: NameOf): InterpolatedPart[][] {
  const words: InterpolatedPart[][] = probeArguments(probe, deadlineMs).map((argument) => [argument]);
  const value = checkValueWord(probe, nameOf);
  if (value !== undefined) words[1] = value;
  return words;
}

/** The value {@link checkArguments} gives (`--http URL`, `--exec CMD`) as a word, when it has the pieces that make it. */
function checkValueWord(probe: OutsideProbe, nameOf: NameOf): InterpolatedPart[] | undefined {
  const makes = (parts: readonly InterpolatedPart[] | undefined, value: string): parts is readonly InterpolatedPart[] => parts !== undefined && joinParts(parts) === value;
  if (probe.kind === 'http') return makes(probe.urlParts, probe.url) ? [...probe.urlParts] : undefined;
  // `subvisor probe --tcp` reads HOST:PORT as the config did, so the text as written is the same address.
  if (probe.kind === 'tcp') return probe.addressParts === undefined ? undefined : [...probe.addressParts];
  if (probe.cmdParts === undefined) return undefined;
  const { cmd, cmdParts } = probe;
  if (typeof cmd === 'string') return makes(cmdParts[0], cmd) ? [...cmdParts[0]] : undefined;
  if (cmdParts.length !== cmd.length || cmd.some((word, index) => !makes(cmdParts[index], word))) return undefined;
  return [cmdParts.map((word) => shellWordOf(word, nameOf)).join(' ')];
}

function checkArguments(probe: OutsideProbe): string[] {
  switch (probe.kind) {
    case 'http':
      return ['--http', probe.url, ...(probe.status === undefined ? [] : ['--status', String(probe.status)])];
    case 'tcp':
      return ['--tcp', probe.host.includes(':') ? `[${probe.host}]:${probe.port}` : `${probe.host}:${probe.port}`];
    case 'exec':
      return ['--exec', typeof probe.cmd === 'string' ? probe.cmd : probe.cmd.map(shellWord).join(' ')];
  }
}

/**
 * The probe as a person reads it in a comment: `http http://...`, `tcp HOST:PORT`, `exec CMD`, a
 * variable's value named (`${TOKEN}`), not shown: a comment is in a file others may read.
 */
export function describeProbe(probe: OutsideProbe): string {
  // Whole words, since a comment is not run: `pg_isready -h ${DATA_DIR}`, as the config has it.
  const argv = probe.kind === 'exec' && typeof probe.cmd !== 'string' ? probe.cmdParts?.map((word) => (readsVariable([word]) ? partsAsWritten(word) : shellWord(joinParts(word)))).join(' ') : undefined;
  const value = checkValueWord(probe, () => undefined);
  const [, what = ''] = argv !== undefined ? [undefined, argv] : value !== undefined ? [undefined, partsAsWritten(value)] : checkArguments(probe);
  return `${probe.kind} ${what}${probe.kind === 'http' && probe.status !== undefined ? ` (status ${probe.status})` : ''}`;
}
