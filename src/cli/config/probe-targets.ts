// What an http or tcp probe may aim at: read the same way from a config's `ready`/`liveness`
// (yaml/probes.ts) and from `subvisor probe --http/--tcp/--status` (commands/probe.ts). Each caller
// words its own message: these say only what is wrong.

/** A URL whose authority ends in a `:` with no port after it. */
const EMPTY_PORT = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:(?=[/?#]|$)/i;

/** A scheme and its `//` in front, as a whole URL starts (blanks before it are the URL parser's to drop). */
const SCHEME = /^\s*[a-z][a-z\d+.-]*:\/\//i;

/**
 * What keeps `url` from being an http probe's: no scheme at all (`localhost:8080`, which the URL
 * parser reads as the scheme `localhost:`), not a URL, another scheme, or a `:` with no port
 * after it (`http://127.0.0.1:${PORT}/` with PORT unset, which would read as port 80, which nobody
 * meant).
 *
 * @returns The problem, or `undefined` when `url` is an http:// or https:// URL with its port.
 */
export function httpUrlProblem(url: string): { readonly kind: 'no-scheme' } | { readonly kind: 'invalid' } | { readonly kind: 'scheme'; readonly protocol: string } | { readonly kind: 'no-port' } | undefined {
  const protocol = URL.canParse(url) ? new URL(url).protocol : undefined;
  const http = protocol === 'http:' || protocol === 'https:';
  if (!http && !SCHEME.test(url)) return { kind: 'no-scheme' };
  if (protocol === undefined) return { kind: 'invalid' };
  if (!http) return { kind: 'scheme', protocol };
  // Read as the URL parser reads it: without the blanks and controls around it, tabs and newlines dropped.
  return EMPTY_PORT.test(url.trim().replace(/[\t\n\r]/g, '')) ? { kind: 'no-port' } : undefined;
}

/** Whether `code` is an HTTP status a probe can require: an integer from 100 to 599. */
export function isHttpStatus(code: number): boolean {
  return Number.isInteger(code) && code >= 100 && code <= 599;
}

/** `HOST:PORT`, or `[IPV6]:PORT`. */
const HOST_PORT = /^(?:\[([^\]]+)\]|([^\s:[\]]+)):(\d+)$/;

/** A tcp probe's target, or what keeps a text from being one. */
export type HostPort = { readonly host: string; readonly port: number } | { readonly problem: 'not-host-port' | 'port-out-of-range' };

/**
 * Reads `HOST:PORT` or `[IPV6]:PORT`, blanks around it ignored.
 *
 * @returns The host (without an IPv6 address's brackets) and a port from 1 to 65535; else the
 * problem: `not-host-port` when the text has not that shape, `port-out-of-range` when the port is
 * 0 or past 65535.
 */
export function parseHostPort(text: string): HostPort {
  const match = HOST_PORT.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  if (host === undefined) return { problem: 'not-host-port' };
  const port = Number(match?.[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { problem: 'port-out-of-range' };
  return { host, port };
}
