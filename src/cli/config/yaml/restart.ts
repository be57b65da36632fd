import { isScalar } from 'yaml';
import { NO_RESTART, type RestartPolicy } from '../spec.js';
import { didYouMean, suggest } from '../../../process/suggest.js';
import { isMapping, key, type At, type KeyTable, type ReadValue, type Reader } from './reader.js';
import { describe, duration, positiveDuration, positiveInteger, scalarText } from './values.js';

// `restart` (SPEC §9): a policy name, or a mapping with the policy and its bounds. Every field of
// the result is filled in, from the defaults of spec.ts where the file gives none.

const POLICIES = ['no', 'on-failure', 'always'] as const;
type PolicyName = (typeof POLICIES)[number];
const USE = '`no`, `on-failure` or `always`';

/** `restart`: a policy name, or a mapping of {@link RESTART_KEYS}. */
export function restartPolicy(at: At, reader: Reader): RestartPolicy | undefined {
  if (isMapping(at.node)) {
    const draft: RestartDraft = {};
    reader.readMapping(at.node, RESTART_KEYS, draft, at);
    if (draft.policy === undefined) return undefined;
    return {
      policy: draft.policy,
      max: draft.max ?? NO_RESTART.max,
      backoffMs: draft.backoffMs ?? NO_RESTART.backoffMs,
      maxBackoffMs: draft.maxBackoffMs ?? NO_RESTART.maxBackoffMs,
      resetAfterMs: draft.resetAfterMs ?? NO_RESTART.resetAfterMs,
    };
  }
  if (!isScalar(at.node)) {
    reader.reportAt(at, `expected ${USE} or a mapping like \`{ policy: on-failure, max: 3 }\`, found ${describe(at.node)}`);
    return undefined;
  }
  const policy = policyName(at, reader);
  return policy === undefined ? undefined : { ...NO_RESTART, policy };
}

interface RestartDraft {
  policy?: PolicyName;
  max?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  resetAfterMs?: number;
}

const policyName: ReadValue<PolicyName> = (at, reader) => {
  const name = isScalar(at.node) ? scalarText(at.node) : undefined;
  const known = POLICIES.find((policy) => policy === name);
  if (known !== undefined) return known;
  const shown = name === undefined ? describe(at.node) : `'${name}'`;
  reader.reportAt(at, `unknown restart policy ${shown}; use ${USE}${name === undefined ? '' : guess(name)}`);
  return undefined;
};

/**
 * What another tool's word for a policy means here. process-compose's `exit_on_failure` restarts
 * nothing and ends the run, which is `no` (the nearest spelling, `on-failure`, would restart it);
 * docker's `on-failure:3` carries a bound that `on-failure` alone would drop.
 */
function guess(name: string): string {
  const bounded = /^(on[-_]?failure|always):(\d+)$/i.exec(name.trim());
  if (bounded !== null) return `; did you mean \`{ policy: ${suggest(bounded[1] ?? '', POLICIES) ?? 'on-failure'}, max: ${bounded[2] ?? ''} }\`?`;
  return didYouMean(name, POLICIES, { unlessstopped: 'always', onfailure: 'on-failure', never: 'no', exitonfailure: 'no', false: 'no' });
}

/** The bounds of a policy, which `no` has no use for. */
const BOUNDS = ['max', 'backoff', 'maxBackoff', 'resetAfter'];

/** The keys of `restart: { ... }`. */
export const RESTART_KEYS: KeyTable<RestartDraft> = {
  keys: {
    policy: key(policyName, (draft, policy) => (draft.policy = policy), { required: 'missing `policy`; add `policy: on-failure` (or `always`, or `no`)' }),
    max: key(positiveInteger('restarts', 'use `policy: no` for none'), (draft, max) => (draft.max = max), { alsoKnownAs: ['maxrestarts', 'retries', 'limit', 'attempts'] }),
    backoff: key(duration, (draft, ms) => (draft.backoffMs = ms), { alsoKnownAs: ['delay', 'wait'] }),
    maxBackoff: key(duration, (draft, ms) => (draft.maxBackoffMs = ms), { alsoKnownAs: ['maxdelay', 'maxwait'] }),
    resetAfter: key(positiveDuration('how long a process must stay healthy for its restarts to be forgotten'), (draft, ms) => (draft.resetAfterMs = ms), {
      alsoKnownAs: ['window', 'resetwindow', 'reset'],
    }),
  },
  finish: (draft, seen, owner, reader) => {
    if (draft.policy === 'no') {
      for (const name of BOUNDS) {
        const at = seen.get(name);
        if (at !== undefined) reader.reportAt(at, 'applies only to `on-failure` and `always`; remove it or change the policy');
      }
      return;
    }
    const backoffMs = draft.backoffMs ?? NO_RESTART.backoffMs;
    const maxBackoffMs = draft.maxBackoffMs ?? NO_RESTART.maxBackoffMs;
    if (backoffMs <= maxBackoffMs) return;
    // Said at whichever of the two is written: the other is the default.
    const at = seen.get('maxBackoff') ?? seen.get('backoff');
    const said = (ms: number, given: boolean): string => `${ms} ms${given ? '' : ', the default'}`;
    const message = `\`backoff\` (${said(backoffMs, seen.has('backoff'))}) is longer than \`maxBackoff\` (${said(maxBackoffMs, seen.has('maxBackoff'))}), where the doubling stops; shorten \`backoff\` or raise \`maxBackoff\``;
    if (at !== undefined) reader.report(at.node, at.path, message, owner.process);
  },
};
