/**
 * The most names a line of the CLI lists before saying how many more: a run may have hundreds of
 * processes (`replicas: 50`), and a request up to 1 MiB of names, while a line is read at a glance.
 */
const SHOWN_NAMES = 5;

/**
 * `names` as one line lists them: `a, b, c`, and past {@link SHOWN_NAMES}, the first of them and
 * how many more (`a, b, c, d, e and 45 more`). `shown` writes each name listed (default: as it is);
 * only those listed are written, so a long list costs no more than a short one.
 */
export function namesInWords(names: readonly string[], shown: (name: string) => string = (name) => name): string {
  const listed = names.slice(0, SHOWN_NAMES).map(shown).join(', ');
  return names.length > SHOWN_NAMES ? `${listed} and ${names.length - SHOWN_NAMES} more` : listed;
}
