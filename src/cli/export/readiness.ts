import { logPatternInWords, type Config, type ProcessSpec } from '../config/spec.js';
import { ExportError } from './errors.js';

/**
 * Refuses a config with log-line readiness (`ready: "regex"`, `{ log: regex }`), unless `drop`:
 * neither systemd nor Compose can watch a process's output for a line, and a dependent started
 * without the wait might find nothing ready. With `--ready-log=drop` the caller writes a comment
 * instead. Every such process is named at once, so one run lists all the fixes.
 */
export function checkLogReadiness(config: Config, drop: boolean): void {
  if (drop) return;
  const names = config.processes.filter(hasLogReadiness).map((spec) => spec.name);
  if (names.length === 0) return;
  throw new ExportError(
    'ERR_EXPORT_READY_LOG',
    `${names.length === 1 ? 'process' : 'processes'} ${names.join(', ')}: log-line readiness (\`ready: "regex"\`) cannot be checked from outside the process; ` +
      'replace it with an http, tcp or exec probe, or pass --ready-log=drop to export without it (dependents then start once it has started)',
  );
}

export function hasLogReadiness(spec: ProcessSpec): boolean {
  return spec.ready?.kind === 'log';
}

/** The comment line that says a log pattern was dropped. */
export function droppedLogNote(spec: ProcessSpec): string | undefined {
  if (spec.ready?.kind !== 'log') return undefined;
  return `ready: the log line ${logPatternInWords(spec.ready)} is left out (--ready-log=drop): dependents start once ${spec.name} has started`;
}
