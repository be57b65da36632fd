import { isScalar } from 'yaml';
import { MAIN_REPLICAS, MAX_REPLICAS, namesTakenByCopies, tooManyReplicas } from '../replicas.js';
import type { ProcessDraft } from './keys.js';
import type { At, Reader } from './reader.js';
import { positiveInteger } from './values.js';

// `replicas: N` (SPEC §10): N copies of a process, `NAME.1` ... `NAME.N`. The copies are made by
// planProcesses (config/replicas.ts); here the count is read and the names it will make checked.

export { MAIN_REPLICAS };

/** `replicas`: a whole number from 1 to MAX_REPLICAS (config/replicas.ts). */
export function replicaCount(at: At, reader: Reader): number | undefined {
  // Past the cap, however large (`1e400`, read as Infinity): the cap is what to say, with the digits written.
  if (isScalar(at.node) && typeof at.node.value === 'number' && at.node.value > MAX_REPLICAS) {
    reader.reportAt(at, tooManyReplicas(at.node.value, at.node.source) ?? '');
    return undefined;
  }
  const count = positiveInteger('copies', 'e.g. `replicas: 2` runs NAME.1 and NAME.2')(at, reader);
  const refused = count === undefined ? undefined : tooManyReplicas(count);
  if (refused === undefined) return count;
  reader.reportAt(at, refused);
  return undefined;
}

/** Every copy's name (`web.1`, `web.2`) must be free: see {@link namesTakenByCopies}. */
export function replicaNamesFree(drafts: readonly ProcessDraft[], reader: Reader): void {
  for (const { taken, copyOf } of namesTakenByCopies(drafts.map((draft) => draft.spec))) {
    const at = drafts.find((draft) => draft.spec === taken)?.at;
    if (at === undefined) continue;
    reader.report(at.keyNode ?? at.node, at.path, `the name '${taken.name}' is taken by a copy of '${copyOf.name}' (replicas: ${copyOf.replicas ?? 1}); rename this process`, taken.name);
  }
}
