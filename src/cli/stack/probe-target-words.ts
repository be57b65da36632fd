import { joinParts, partsAsWritten, type InterpolatedPart } from '../config/environment/interpolate.js';
import { valuesShown, type ValuesShown } from '../config/environment/shown-values.js';
import type { Probe } from '../config/spec.js';

/**
 * What an http or tcp try said (Node's `getaddrinfo ENOTFOUND HOST`, `connect ECONNREFUSED
 * HOST:PORT`), with the probe's target named as the config writes it when a variable made it
 * (`${API_HOST}`): the output goes into state lines, the report and `--json`, where a value from
 * `.env` is no more shown than in a command (see ./shown-command.ts). The whole target, then its
 * host, which Node's messages name alone; a host that only part of a variable made is named by the
 * target it is in. Nothing is hidden: besides Node's words, which name only the target, an output
 * holds what the server answered, and a short value (`H=e`) would hide it for no secret.
 */
export function targetAsWritten(output: string, probe: Probe): string {
  const parts = probe.kind === 'http' ? probe.urlParts : probe.kind === 'tcp' ? probe.addressParts : undefined;
  return parts === undefined ? output : valuesShown(portAsWritten(output, probe, parts), parts, { named: targetNames(probe, parts) }).text;
}

/**
 * `output` with the target's port named as the config writes it (`:${PORT}`) after any address:
 * Node's connect errors name the address a host name resolved to (`connect ECONNREFUSED
 * 127.0.0.1:8080` for `localhost:${PORT}`), and the URL's host and port are not one piece of an
 * http target, so neither the target nor its host names it. A port inside a value (`${URL}`,
 * `${ADDRESS}`) is named with its address, by the target (`the address of ${URL}`).
 */
function portAsWritten(output: string, probe: Probe, parts: readonly InterpolatedPart[]): string {
  const target = joinParts(parts);
  const port = probe.kind === 'tcp' ? String(probe.port) : portOf(target);
  if (port === undefined || port === '') return output;
  const at = probe.kind === 'tcp' ? target.lastIndexOf(`:${port}`) : target.indexOf(`:${port}`, portSearchStart(target));
  const written = at < 0 ? undefined : writtenSlice(parts, at + 1, at + 1 + port.length);
  if (at < 0 || written === port) return output;
  // After an address (`127.0.0.1`, `::1`, `[::1]`, a name), not inside a longer number nor an IPv6 group (`2001:80::1`).
  if (written !== undefined) return output.replace(new RegExp(`(?<=[\\w.\\]]):${port}(?![\\w:])`, 'g'), () => `:${written}`);
  const named = probe.kind === 'tcp' ? partsAsWritten(parts) : `the address of ${partsAsWritten(parts)}`;
  return output.replace(new RegExp(`(?<![\\w.:\\[\\]-])[\\w.:\\[\\]-]*[\\w\\]]:${port}(?!\\d)`, 'g'), () => named);
}

/** The port a URL writes (empty for the scheme's own), as Node's messages name it. */
function portOf(url: string): string | undefined {
  try {
    return new URL(url).port;
  } catch {
    return undefined;
  }
}

/**
 * Where a redirect points (a path on the probe's server, or a URL cut of its query and user), with
 * the probe's URL, its host or its path named as the config writes it (`/health/${TOKEN}/`), and
 * whether a variable's value still shows (see {@link valuesShown}): then it is not to be said. A
 * short value of the URL (`H=a`) may hide a location that does not hold it (`/health`).
 */
export function locationAsWritten(where: string, probe: HttpProbe): ValuesShown {
  const parts = probe.urlParts;
  return parts === undefined ? { text: where, showsValue: false } : valuesShown(portAsWritten(where, probe, parts), parts, { named: targetNames(probe, parts) });
}

type HttpProbe = Extract<Probe, { kind: 'http' }>;

/** The whole target, its host, and an http URL's path, each with how the config writes it (a host only part of a variable made: by its target). */
function targetNames(probe: Probe, parts: readonly InterpolatedPart[]): [string, string][] {
  const target = joinParts(parts);
  const written = partsAsWritten(parts);
  const named: [string, string][] = [[target, written]];
  const host = probe.kind === 'tcp' ? probe.host : hostnameOf(target);
  const at = host === undefined || host === '' ? -1 : target.indexOf(host, probe.kind === 'http' ? hostSearchStart(target) : 0);
  if (host !== undefined && at >= 0) named.push([host, writtenSlice(parts, at, at + host.length) ?? `the host of ${written}`]);
  const path = probe.kind === 'http' ? pathOf(target) : undefined;
  const pathAt = path === undefined || path === '/' ? -1 : target.indexOf(path, hostSearchStart(target));
  const pathWritten = path === undefined || pathAt < 0 ? undefined : writtenSlice(parts, pathAt, pathAt + path.length);
  if (path !== undefined && pathWritten !== undefined) named.push([path, pathWritten]);
  return named;
}

/** The path a URL names, as a redirect on its server names it. */
function pathOf(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

/**
 * Where a URL's host begins, at the latest: after `//` and any `user:password@`, so that a host
 * that is also a piece of the scheme or the user (`t`, of `http`) is found where it is.
 */
function hostSearchStart(url: string): number {
  const authority = url.indexOf('//') + 2;
  const end = url.slice(authority).search(/[/?#]/);
  const user = url.slice(authority, end < 0 ? undefined : authority + end).lastIndexOf('@');
  return user < 0 ? authority : authority + user + 1;
}

/** Where a URL's port may begin: after its host's start, and past an IPv6 host's brackets, whose `::1` holds a `:1`. */
function portSearchStart(url: string): number {
  const host = hostSearchStart(url);
  return url[host] === '[' ? Math.max(host, url.indexOf(']', host)) : host;
}

/** The host a URL names, as Node's errors name it (an IPv6 address without its brackets). */
function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

/**
 * The text from `start` to `end` of what `parts` make, as the config writes it; undefined when
 * a bound falls inside a variable's value (the slice would show a piece of it).
 */
function writtenSlice(parts: readonly InterpolatedPart[], start: number, end: number): string | undefined {
  let offset = 0;
  let written = '';
  for (const part of parts) {
    const value = typeof part === 'string' ? part : part.value;
    const from = Math.max(start, offset);
    const to = Math.min(end, offset + value.length);
    if (from < to) {
      if (typeof part === 'string') written += part.slice(from - offset, to - offset);
      else if (from === offset && to === offset + value.length) written += `\${${part.name}}`;
      else return undefined;
    }
    offset += value.length;
  }
  return written;
}
