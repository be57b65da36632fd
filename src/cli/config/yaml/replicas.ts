import { MAIN_REPLICAS, replicaName, tooManyReplicas } from '../replicas.js';
import type { ProcessDraft } from './keys.js';
import type { At, Reader } from './reader.js';
import { positiveInteger } from './values.js';

// `replicas: N` (SPEC §10): N copies of a process, `NAME.1` ... `NAME.N`. The copies are made by
// planProcesses (config/replicas.ts); here the count is read and the names it will make checked.

export { MAIN_REPLICAS };

/** `replicas`: a whole number from 1 to MAX_REPLICAS (config/replicas.ts). */
export function replicaCount(at: At, reader: Reader): number | undefined {
  const count = positiveInteger('copies', 'e.g. `replicas: 2` runs NAME.1 and NAME.2')(at, reader);
  const refused = count === undefined ? undefined : tooManyReplicas(count);
  if (refused === undefined) return count;
  reader.reportAt(at, refused);
  return undefined;
}

/** Every copy's name (`web.1`, `web.2`) must be free: a process of that name would take its place in output, dependencies and logs. */
export function replicaNamesFree(drafts: readonly ProcessDraft[], reader: Reader): void {
  const names = new Set(drafts.map((draft) => draft.spec.name));
  for (const draft of drafts) {
    const count = draft.spec.replicas ?? 1;
    if (count < 2) continue;
    for (let index = 1; index <= count; index++) {
      const name = replicaName(draft.spec.name, index);
      if (!names.has(name)) continue;
      const at = drafts.find((other) => other.spec.name === name)?.at ?? draft.at;
      reader.report(at.keyNode ?? at.node, at.path, `the name '${name}' is taken by a copy of '${draft.spec.name}' (replicas: ${count}); rename this process`, name);
    }
  }
}
