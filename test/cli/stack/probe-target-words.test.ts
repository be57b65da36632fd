import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { targetAsWritten } from '../../../src/cli/stack/probe-target-words.js';
import type { Probe } from '../../../src/cli/config/spec.js';

const timing = { intervalMs: 250, timeoutMs: 5000, startPeriodMs: 0 };

describe('targetAsWritten: a probe target made by a variable is named as the config writes it', () => {
  test("a host Node's error names alone (getaddrinfo ENOTFOUND HOST) is named by the variables that made it", () => {
    const probe: Probe = { kind: 'tcp', host: 's3cr3t.internal', port: 5432, addressParts: [{ name: 'TOKEN', value: 's3cr3t' }, '.internal:5432'], ...timing };
    assert.equal(targetAsWritten('getaddrinfo ENOTFOUND s3cr3t.internal', probe), 'getaddrinfo ENOTFOUND ${TOKEN}.internal');
  });

  test('a host that only part of a variable made is named by the whole address, not by a piece of the value', () => {
    const probe: Probe = { kind: 'tcp', host: 's3cr3t.internal', port: 5432, addressParts: [{ name: 'ADDRESS', value: 's3cr3t.internal:5432' }], ...timing };
    assert.equal(targetAsWritten('getaddrinfo ENOTFOUND s3cr3t.internal', probe), 'getaddrinfo ENOTFOUND the host of ${ADDRESS}');
  });

  test("an http URL's host is named as written; a written host and a variable in the query leave the output as it is", () => {
    const named: Probe = { kind: 'http', url: 'http://s3cr3t.internal:8080/health', status: undefined, urlParts: ['http://', { name: 'HOST', value: 's3cr3t.internal' }, ':8080/health'], ...timing };
    assert.equal(targetAsWritten('getaddrinfo EAI_AGAIN s3cr3t.internal', named), 'getaddrinfo EAI_AGAIN ${HOST}');
    const query: Probe = { kind: 'http', url: 'http://127.0.0.1:1/?t=s3cr3t', status: undefined, urlParts: ['http://127.0.0.1:1/?t=', { name: 'T', value: 's3cr3t' }], ...timing };
    assert.equal(targetAsWritten('connect ECONNREFUSED 127.0.0.1:1', query), 'connect ECONNREFUSED 127.0.0.1:1');
  });

  test("a host that is also a piece of ordinary words (e, a) is named only where the output names the host: Node's words and other text are left whole", () => {
    const tcp: Probe = { kind: 'tcp', host: 'e', port: 5432, addressParts: [{ name: 'H', value: 'e' }, ':5432'], ...timing };
    assert.equal(targetAsWritten('getaddrinfo ENOTFOUND e', tcp), 'getaddrinfo ENOTFOUND ${H}');
    assert.equal(targetAsWritten('timed out after 1000 ms', tcp), 'timed out after 1000 ms');
    const http: Probe = { kind: 'http', url: 'http://a:8080/x', status: undefined, urlParts: ['http://', { name: 'H', value: 'a' }, ':8080/x'], ...timing };
    assert.equal(targetAsWritten('getaddrinfo ENOTFOUND a', http), 'getaddrinfo ENOTFOUND ${H}');
  });

  test("an http URL's host is found where the URL has it, after the scheme and any user: a host that is also a letter of http is still named by its variable", () => {
    const probe: Probe = { kind: 'http', url: 'http://t:8080/x', status: undefined, urlParts: ['http://', { name: 'H', value: 't' }, ':8080/x'], ...timing };
    assert.equal(targetAsWritten('getaddrinfo ENOTFOUND t', probe), 'getaddrinfo ENOTFOUND ${H}');
    const user: Probe = { kind: 'http', url: 'http://db:pw@db:8080/x', status: undefined, urlParts: ['http://db:pw@', { name: 'H', value: 'db' }, ':8080/x'], ...timing };
    assert.equal(targetAsWritten('getaddrinfo ENOTFOUND db', user), 'getaddrinfo ENOTFOUND ${H}');
  });

  test("an http URL's port a variable made is found after an IPv6 host's brackets (`[::1]:${PORT}`, PORT=1), and named only where it follows the address, not in a group of one", () => {
    const loopback: Probe = { kind: 'http', url: 'http://[::1]:1/x', status: undefined, urlParts: ['http://[::1]:', { name: 'PORT', value: '1' }, '/x'], ...timing };
    assert.equal(targetAsWritten('connect ECONNREFUSED ::1:1', loopback), 'connect ECONNREFUSED ::1:${PORT}');
    const group: Probe = { kind: 'http', url: 'http://[2001:8080::1]:8080/x', status: undefined, urlParts: ['http://[2001:8080::1]:', { name: 'PORT', value: '8080' }, '/x'], ...timing };
    assert.equal(targetAsWritten('connect ECONNREFUSED 2001:8080::1:8080', group), 'connect ECONNREFUSED 2001:8080::1:${PORT}');
  });
});
