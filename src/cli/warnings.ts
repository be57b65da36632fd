import { createOutput } from './output.js';
import { shownAsText } from '../log/sanitize.js';

/** A warning of the CLI's own: its words, and the fields its `--json` record adds (a config problem's place). */
export interface Warning {
  readonly text: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * Says `warnings` at once, before anything else can be said (a refusal of the run, its first
 * process): `subvisor: warning: ...` on stderr, or with `json` one record each on stdout,
 * `"event":"warning"` with its words in `line`, since a `--json` reader reads only stdout's
 * records. Their output is written out before this resolves: said on the run's own output, they
 * were dropped when the run was refused before it existed, and came after the refusal of a second
 * `up`, whose output was never closed.
 */
export async function sayWarnings(warnings: readonly Warning[], json: boolean): Promise<void> {
  if (!json) return warnInWords(warnings);
  if (warnings.length === 0) return;
  const output = createOutput({ names: [], json: true });
  for (const { text, fields } of warnings) output.report(text, { stream: 'report', event: 'warning', line: text, ...fields });
  await output.close();
}

/** Says `warnings` on stderr, `subvisor: warning: ...` each, their control characters shown as text. */
export function warnInWords(warnings: readonly Warning[]): void {
  if (warnings.length === 0) return;
  process.stderr.write(warnings.map(({ text }) => `subvisor: warning: ${shownAsText(text)}\n`).join(''));
}
