import { isScalar, isSeq, type YAMLMap } from 'yaml';
import {
  DEFAULT_LIVENESS_FAILURES,
  DEFAULT_LIVENESS_INTERVAL_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_READY_INTERVAL_MS,
  logProbe,
  type LivenessProbe,
  type Probe,
  type ProbeTiming,
} from '../spec.js';
import { isMapping, key, type At, type KeyEntry, type KeyTable, type Node, type Reader } from './reader.js';
import { commandWithParts, describe, duration, expansionNote, interpolatedParts, listItem, positiveDuration, positiveInteger, scalarText, text } from './values.js';
import { joinParts, partsAsWritten, readsVariable, type InterpolatedPart } from '../environment/interpolate.js';
import { escapeRegExp, invalidPattern } from '../regexp.js';
import { goDuration, isDurationText, parseDuration } from '../duration.js';
import { httpUrlProblem, isHttpStatus, parseHostPort } from '../probe-targets.js';

// `ready` and `liveness` (SPEC §9): a check of one kind, `log`, `http`, `tcp` or `exec`, with its
// timing. `ready: "pattern"` is short for `ready: { log: pattern }`.

type Check =
  | { readonly kind: 'log'; readonly pattern: RegExp; readonly patternAsWritten?: string }
  | { readonly kind: 'http'; readonly url: string; readonly urlParts?: readonly InterpolatedPart[] }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly addressParts?: readonly InterpolatedPart[] }
  | { readonly kind: 'exec'; readonly cmd: readonly string[] | string; readonly cmdParts?: readonly (readonly InterpolatedPart[])[] };

/** A probe being read. */
interface ProbeDraft {
  /** Each kind given, in file order: one is right, more is a problem. */
  readonly checks: { check: Check; at: At }[];
  status?: number;
  intervalMs?: number;
  timeoutMs?: number;
  startPeriodMs?: number;
  failures?: number;
}

const KINDS = 'log, http, tcp or exec';
const EXAMPLE = '`{ http: "http://127.0.0.1:8080/health" }`, `{ tcp: "127.0.0.1:5432" }` or `{ exec: pg_isready }`';

/** `ready`: a regular expression for an output line, or a probe mapping of {@link READY_KEYS}. */
export function readiness(at: At, reader: Reader): Probe | undefined {
  if (!isMapping(at.node)) {
    const log = logPattern(at, reader, `a regular expression (as a string) or a probe like ${EXAMPLE}`);
    return log === undefined ? undefined : logProbe(log.pattern, log.patternAsWritten);
  }
  return readProbe(at, reader, READY_KEYS, DEFAULT_READY_INTERVAL_MS);
}

/** `liveness`: a probe mapping of {@link LIVENESS_KEYS}; never a log pattern. */
export function liveness(at: At, reader: Reader): LivenessProbe | undefined {
  if (!isMapping(at.node)) {
    const hint = isScalar(at.node) ? `; a log line cannot tell that a process is alive (a quiet process is not a dead one), so liveness has no pattern form: use ${EXAMPLE}` : `; e.g. ${EXAMPLE}`;
    reader.reportAt(at, `expected a probe mapping, found ${describe(at.node)}${hint}`);
    return undefined;
  }
  const draft: ProbeDraft = { checks: [] };
  const probe = readProbe(at, reader, LIVENESS_KEYS, DEFAULT_LIVENESS_INTERVAL_MS, draft);
  return probe === undefined ? undefined : { ...probe, failures: draft.failures ?? DEFAULT_LIVENESS_FAILURES };
}

function readProbe(at: At, reader: Reader, table: KeyTable<ProbeDraft>, defaultIntervalMs: number, draft: ProbeDraft = { checks: [] }): Probe | undefined {
  if (!isMapping(at.node)) return undefined; // callers check; this narrows
  reader.readMapping(at.node, table, draft, at);
  const [first] = draft.checks;
  if (first === undefined) return undefined;
  const timing: ProbeTiming = { intervalMs: draft.intervalMs ?? defaultIntervalMs, timeoutMs: draft.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, startPeriodMs: draft.startPeriodMs ?? 0 };
  const { check } = first;
  if (check.kind === 'log') return logProbe(check.pattern, check.patternAsWritten);
  if (check.kind === 'http') return { ...timing, ...check, status: draft.status };
  return { ...timing, ...check };
}

/** A probe key that says which kind it is and what it checks: interpolated, as every probe is. */
function kindKey(read: (at: At, reader: Reader) => Check | undefined, more: Omit<KeyEntry<ProbeDraft>, 'read'> = {}): KeyEntry<ProbeDraft> {
  return key(read, (draft, check, at) => draft.checks.push({ check, at }), { ...more, interpolated: true });
}

/** The keys both kinds of probe have. */
const COMMON_KEYS: Readonly<Record<string, KeyEntry<ProbeDraft>>> = {
  http: kindKey(httpCheck, { alsoKnownAs: ['url', 'httpget', 'get'] }),
  status: key(httpStatus, (draft, status) => (draft.status = status), { alsoKnownAs: ['statuscode', 'code', 'expectedstatus'] }),
  tcp: kindKey(tcpCheck, { alsoKnownAs: ['tcpsocket', 'port', 'socket', 'connect'] }),
  exec: kindKey(execCheck, { alsoKnownAs: ['cmd', 'command', 'run', 'test'] }),
  interval: key(positiveDuration('the pause between two tries'), (draft, ms) => (draft.intervalMs = ms), { alsoKnownAs: ['period', 'every', 'periodseconds'] }),
  timeout: key(positiveDuration('the time one try may take'), (draft, ms) => (draft.timeoutMs = ms), { alsoKnownAs: ['timeoutseconds'] }),
  startPeriod: key(duration, (draft, ms) => (draft.startPeriodMs = ms), { alsoKnownAs: ['initialdelay', 'initialdelayseconds', 'startupdelay'] }),
};

/** The keys of `ready: { ... }`. */
export const READY_KEYS: KeyTable<ProbeDraft> = {
  keys: {
    log: kindKey((at, reader) => {
      const log = logPattern(at, reader, 'a regular expression (as a string)');
      return log === undefined ? undefined : { kind: 'log', ...log };
    }, { alsoKnownAs: ['pattern', 'regex', 'line', 'match'] }),
    ...COMMON_KEYS,
    failures: {
      read: (at, _draft, reader) => reader.reportAt({ ...at, node: at.keyNode ?? at.node }, 'applies only to `liveness`: `ready` waits until the probe passes once (bounded by `readyTimeout`); remove it'),
      unlisted: true,
    },
    // Answered once every key is read (see triesBound), since the answer needs the interval.
    retries: { read: () => undefined, unlisted: true },
    failure_threshold: { read: () => undefined, unlisted: true },
  },
  finish: (draft, seen, owner, reader) => {
    triesBound(draft, seen, reader);
    checkProbe(draft, seen, owner, reader);
  },
};

/**
 * docker compose's healthcheck `retries` (process-compose's `failure_threshold`), copied onto
 * `ready`: there, the tries end when the probe passes or `readyTimeout` runs out (under up, none by
 * default: it waits as long as it takes), so the bound they gave is answered as that time.
 */
function triesBound(draft: ProbeDraft, seen: ReadonlyMap<string, At>, reader: Reader): void {
  for (const name of ['retries', 'failure_threshold']) {
    const at = seen.get(name);
    if (at === undefined) continue;
    const tries = isScalar(at.node) && typeof at.node.value === 'number' && Number.isSafeInteger(at.node.value) && at.node.value > 0 ? at.node.value : undefined;
    const untilPassed = "`ready` is tried until it passes, for as long as the process's `readyTimeout` allows";
    const theirs = name === 'retries' ? `compose's ${tries} retries` : `process-compose's ${tries} tries (failure_threshold)`;
    const bound =
      tries !== undefined && seen.has('interval') && draft.intervalMs !== undefined
        ? `${theirs} ${goDuration(draft.intervalMs)} apart are about \`readyTimeout: ${goDuration(tries * draft.intervalMs)}\` (beside \`ready\`)`
        : 'write that time as `readyTimeout` (beside `ready`), e.g. `readyTimeout: 30s`';
    reader.reportAt({ ...at, node: at.keyNode ?? at.node }, `${untilPassed}; ${bound}; remove \`${name}\``);
  }
}

/** The keys of `liveness: { ... }`. */
export const LIVENESS_KEYS: KeyTable<ProbeDraft> = {
  keys: {
    ...COMMON_KEYS,
    failures: key(positiveInteger('failed tries in a row', 'one failure is enough with `failures: 1`'), (draft, failures) => (draft.failures = failures), {
      alsoKnownAs: ['retries', 'failurethreshold', 'threshold'],
    }),
    log: {
      read: (at, _draft, reader) =>
        reader.reportAt({ ...at, node: at.keyNode ?? at.node }, `a log line cannot tell that a process is alive (a quiet process is not a dead one); check it with ${EXAMPLE}, or move the pattern to \`ready\``),
      unlisted: true,
    },
  },
  finish: (draft, seen, owner, reader) => checkProbe(draft, seen, owner, reader),
};

/**
 * Exactly one kind; `status` only with `http`. SPEC §9 gives every probe `interval`, `timeout` and
 * `startPeriod`, so a log probe takes them too, though it is not polled (each line is checked as it
 * comes, and `readyTimeout` bounds the wait): they are accepted and have no effect there.
 */
function checkProbe(draft: ProbeDraft, seen: ReadonlyMap<string, At>, owner: At, reader: Reader): void {
  const kinds = [...seen.keys()].filter((name) => ['log', 'http', 'tcp', 'exec'].includes(name));
  const [first, ...others] = kinds;
  if (first === undefined) {
    // A `log` key on liveness has been refused in its own words already.
    if (!seen.has('log')) reader.report(owner.keyNode ?? owner.node, owner.path, `has no check; give one of ${KINDS}, e.g. ${EXAMPLE}`, owner.process);
    return;
  }
  for (const other of others) {
    const at = seen.get(other);
    if (at !== undefined) reader.report(at.keyNode, at.path, `a probe checks one thing, and \`${first}\` is given already; keep one of ${KINDS}`, owner.process);
  }
  const status = seen.get('status');
  if (status !== undefined && first !== 'http') reader.report(status.keyNode, status.path, `applies only to an \`http\` probe; remove it (a ${first} probe has no status)`, owner.process);
}

/**
 * A regular expression for an output line, not empty, interpolated as every probe is (`listening on
 * ${PORT:-8080}`; a `$` not followed by `{` is the regex's own end of line). A variable's value is
 * matched as text: `${HOST}` set to `127.0.0.1` matches its dots, not any character.
 */
function logPattern(at: At, reader: Reader, expected: string): { pattern: RegExp; patternAsWritten?: string } | undefined {
  const written = text(expected)(at, reader);
  if (written === undefined) return undefined;
  warnNotText(at, written, reader);
  const parts = interpolatedParts(at, written, reader, { quote: escapeRegExp });
  if (parts === undefined) return undefined;
  const pattern = joinParts(parts);
  if (pattern === '') {
    reader.reportAt(at, `is empty${written === '' ? '' : ' once its variables are expanded'}, which every line matches; remove \`ready\` to count the process ready as soon as it starts`);
    return undefined;
  }
  try {
    // Named as written (`/token ${API_TOKEN} ok/`) where no line matched it: a value from `.env` is no more shown than in a command.
    return readsVariable([parts]) ? { pattern: new RegExp(pattern), patternAsWritten: `/${partsAsWritten(parts)}/` } : { pattern: new RegExp(pattern) };
  } catch (error) {
    reader.reportAt(at, `is ${invalidPattern(error)}`, error);
    return undefined;
  }
}

/** Whether `readyTimeout` takes `written` (a duration longer than 0, as positiveDuration reads it). */
function takenAsReadyTimeout(written: string): boolean {
  try {
    return parseDuration(written) > 0;
  } catch {
    return false;
  }
}

/**
 * Warns of a pattern YAML read as a number or a boolean (`ready: 5`, `ready: true`), or written,
 * unquoted, as a duration (`ready: 5s`, `500ms`, `1m30s`): it is taken as the text it was written
 * as, a pattern like any other, but a bare 5 may as well have meant seconds or a port, and `5s` a
 * time to wait, and nothing would say so until the process never became ready. Quoted, it is
 * text, as meant, and not warned of.
 */
function warnNotText(at: At, written: string, reader: Reader): void {
  if (!isScalar(at.node)) return;
  const duration = typeof at.node.value === 'string' && at.node.type === 'PLAIN' && isDurationText(written);
  if (typeof at.node.value === 'string' && !duration) return;
  const key = at.path.slice(at.path.lastIndexOf('.') + 1);
  // Under `log:` a log pattern was chosen: a probe is no answer to what was meant there.
  const probeHint = key === 'log' ? '' : `; for a probe, write one like ${EXAMPLE}`;
  // A duration was most likely meant as the time `ready` may take: its key is named, where it would
  // take that duration (not `0s`, or `1000h`, longer than a timer waits: those would be refused there).
  const timeHint = duration && takenAsReadyTimeout(written) ? `; for the time the process may take to be ready, write \`readyTimeout: ${written}\` beside \`ready\`` : '';
  const what = duration ? `${written}, a duration,` : describe(at.node);
  reader.warnAt(
    at,
    `${what} is read as the log pattern /${written}/: the process is ready at the first output line it matches; to mean that, quote it (\`${key}: ${JSON.stringify(written)}\`), which this warning is not given for${timeHint}${probeHint}`,
  );
}

/**
 * `http`: an http:// or https:// URL, interpolated. What is wrong with it is said without showing
 * it, since a variable may have put a secret in it (a token in the query).
 */
function httpCheck(at: At, reader: Reader): Check | undefined {
  const written = isMapping(at.node) ? processComposeUrl(at.node, reader) : undefined;
  if (written !== undefined) {
    reader.reportAt(at, `is process-compose's form; write the URL: \`http: ${JSON.stringify(written)}\``);
    return undefined;
  }
  const asWritten = text('a URL like http://127.0.0.1:8080/health')(at, reader);
  const urlParts = asWritten === undefined ? undefined : interpolatedParts(at, asWritten, reader, { warnLeft: true });
  if (urlParts === undefined) return undefined;
  const url = joinParts(urlParts);
  const problem = httpUrlProblem(url);
  // Node's URL error is not kept as the cause: it carries the input.
  if (problem?.kind === 'invalid') reader.reportAt(at, `is not a valid URL${expansionNote(at)}; write a whole one, like \`http://127.0.0.1:8080/health\``);
  else if (problem?.kind === 'no-scheme') reader.reportAt(at, `needs a whole URL, with http:// or https:// in front${expansionNote(at)}, like \`http://127.0.0.1:8080/health\`; for a plain port use \`tcp: "HOST:PORT"\``);
  else if (problem?.kind === 'scheme') reader.reportAt(at, `must be an http:// or https:// URL, not ${problem.protocol}; for a plain port use \`tcp: "HOST:PORT"\`, for anything else \`exec\``);
  else if (problem?.kind === 'no-port') reader.reportAt(at, `has a ':' with no port after it${expansionNote(at)}; write the port, like \`http://127.0.0.1:8080/health\`, or leave out the ':' for the scheme's own`);
  if (problem !== undefined) return undefined;
  return readsVariable([urlParts]) ? { kind: 'http', url, urlParts } : { kind: 'http', url };
}

/** `exec`: a command, as `cmd` is; exit 0 passes. */
function execCheck(at: At, reader: Reader): Check | undefined {
  if (composeTestForm(at, reader)) return undefined;
  const theirs = isMapping(at.node) ? scalarWord(reader.valueOf(at.node, 'command')) : undefined;
  if (theirs !== undefined) {
    reader.reportAt(at, `is process-compose's form; write the command itself: \`exec: ${JSON.stringify(theirs)}\``);
    return undefined;
  }
  const read = commandWithParts(at, reader);
  if (read === undefined) return undefined;
  return readsVariable(read.parts) ? { kind: 'exec', cmd: read.cmd, cmdParts: read.parts } : { kind: 'exec', cmd: read.cmd };
}

/**
 * Whether `at` is docker compose's healthcheck `test` list, copied as it is (`test` leads here):
 * its first item says how compose runs the rest, and is no program. Run as one, every try would
 * fail with "CMD-SHELL was not found on PATH", and only once the process is up; refused here with
 * the command to write, built from the list as written (before interpolation: it is the config's text).
 */
function composeTestForm(at: At, reader: Reader): boolean {
  if (!isSeq(at.node)) return false;
  const [first, ...rest] = at.node.items.map((item) => reader.deref(item));
  const marker = isScalar(first) ? first.value : undefined;
  if (marker !== 'CMD' && marker !== 'CMD-SHELL' && marker !== 'NONE') return false;
  const words = rest.map((item) => (isScalar(item) ? String(item.value) : ''));
  const markerAt = listItem(at, 0, first ?? at.node);
  const is = `is docker compose's ${marker}`;
  if (marker === 'NONE') reader.reportAt(markerAt, `${is}, which turns the check off; remove this probe instead`);
  else if (marker === 'CMD') reader.reportAt(markerAt, `${is}, which names no program here; write the argv without it: \`exec: [${words.map(flowItem).join(', ')}]\``);
  else reader.reportAt(markerAt, `${is}, which names no program here; write the shell command alone (run by sh -c): \`exec: ${JSON.stringify(words.join(' '))}\``);
  return true;
}

/** A list item as a YAML flow list can hold it: plain when it is a plain word, else double-quoted. */
function flowItem(word: string): string {
  return /^[\w./=+-]+$/.test(word) && !/^[-=]$/.test(word) ? word : JSON.stringify(word);
}

/**
 * The URL process-compose's `http_get: { host, port, path, scheme }` asks (its scheme defaults to
 * http, its path to /; it has no default host), or undefined for a mapping of none of those keys.
 */
function processComposeUrl(map: YAMLMap.Parsed, reader: Reader): string | undefined {
  const [host, port, path, scheme] = ['host', 'port', 'path', 'scheme'].map((name) => scalarWord(reader.valueOf(map, name)));
  if (host === undefined && port === undefined && path === undefined) return undefined;
  return `${(scheme ?? 'http').toLowerCase()}://${host ?? 'HOST'}${port === undefined ? '' : `:${port}`}${path?.startsWith('/') === true ? path : `/${path ?? ''}`}`;
}

/** A scalar's text (a number as written), or undefined for anything else. */
function scalarWord(node: Node): string | undefined {
  return isScalar(node) ? scalarText(node) : undefined;
}

/** `status`: the one HTTP status that passes (without it, any 2xx passes). */
function httpStatus(at: At, reader: Reader): number | undefined {
  const value = isScalar(at.node) ? at.node.value : undefined;
  if (typeof value === 'number' && isHttpStatus(value)) return value;
  reader.reportAt(at, `expected an HTTP status from 100 to 599, found ${describe(at.node)}; leave it out to accept any 2xx`);
  return undefined;
}

/** `tcp`: `HOST:PORT`, interpolated; checked without showing it. */
function tcpCheck(at: At, reader: Reader): Check | undefined {
  const asWritten = text('"HOST:PORT", like "127.0.0.1:5432"')(at, reader);
  const addressParts = asWritten === undefined ? undefined : interpolatedParts(at, asWritten, reader, { warnLeft: true });
  if (addressParts === undefined) return undefined;
  const parsed = parseHostPort(joinParts(addressParts));
  if (!('problem' in parsed)) return readsVariable([addressParts]) ? { kind: 'tcp', ...parsed, addressParts } : { kind: 'tcp', ...parsed };
  if (parsed.problem === 'not-host-port') reader.reportAt(at, `expected HOST:PORT${expansionNote(at)}, like \`127.0.0.1:5432\`, \`localhost:6379\` or \`[::1]:5432\``);
  else reader.reportAt(at, `has a port out of range${expansionNote(at)}; a TCP port is a number from 1 to 65535`);
  return undefined;
}
