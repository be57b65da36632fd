import type { ProcessSpec } from '../config/spec.js';
import type { OutsideProbe } from '../stack/probes.js';
import { goDuration } from '../config/duration.js';
import { shellWord } from './quote.js';

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

/** The probe as a person reads it in a comment: `http http://...`, `tcp HOST:PORT`, `exec CMD`. */
export function describeProbe(probe: OutsideProbe): string {
  const [, what = ''] = checkArguments(probe);
  return `${probe.kind} ${what}${probe.kind === 'http' && probe.status !== undefined ? ` (status ${probe.status})` : ''}`;
}
