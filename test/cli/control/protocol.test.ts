// The control protocol's request reader: only well-formed requests pass, each refusal with a code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inPieces } from '../../../src/cli/control/handler.js';
import { BadRequest, parseRequest } from '../../../src/cli/control/protocol.js';

function refusal(text: string): { code: string; id: number | null } {
  try {
    parseRequest(text);
  } catch (error) {
    assert.ok(error instanceof BadRequest);
    return { code: error.code, id: error.id };
  }
  assert.fail(`accepted: ${text}`);
}

test('parseRequest reads the commands of SPEC §10, with their defaults', () => {
  assert.deepEqual(parseRequest('{"v":1,"id":1,"command":"ps"}'), { v: 1, id: 1, command: 'ps' });
  assert.deepEqual(parseRequest('{"v":2,"id":5,"command":"ps","names":["web"]}'), { v: 2, id: 5, command: 'ps', names: ['web'] });
  assert.deepEqual(parseRequest('{"v":1,"id":2,"command":"restart","names":["web","db"]}'), { v: 1, id: 2, command: 'restart', names: ['web', 'db'] });
  assert.deepEqual(parseRequest('{"v":1,"id":3,"command":"logs"}'), { v: 1, id: 3, command: 'logs', names: [], lines: 100, follow: false });
  assert.deepEqual(parseRequest('{"v":1,"id":4,"command":"logs","names":["a"],"lines":5,"follow":true}'), { v: 1, id: 4, command: 'logs', names: ['a'], lines: 5, follow: true });
});

test('parseRequest refuses what is not a request, keeping the id when there is one', () => {
  assert.deepEqual(refusal('nope'), { code: 'ERR_SUBVISOR_BAD_REQUEST', id: null });
  assert.deepEqual(refusal('[1]'), { code: 'ERR_SUBVISOR_BAD_REQUEST', id: null });
  assert.deepEqual(refusal('{"v":1,"command":"ps"}'), { code: 'ERR_SUBVISOR_BAD_REQUEST', id: null });
  assert.deepEqual(refusal('{"id":5,"command":"ps"}'), { code: 'ERR_SUBVISOR_PROTOCOL_VERSION', id: 5 });
  assert.deepEqual(refusal('{"v":1,"id":6,"command":"kill"}'), { code: 'ERR_SUBVISOR_UNKNOWN_COMMAND', id: 6 });
  // Malformed, not unknown: a request without a command (or with one that is no name) is the script's bug.
  assert.deepEqual(refusal('{"v":1,"id":12}'), { code: 'ERR_SUBVISOR_BAD_REQUEST', id: 12 });
  assert.deepEqual(refusal('{"v":1,"id":13,"command":null}'), { code: 'ERR_SUBVISOR_BAD_REQUEST', id: 13 });
  assert.deepEqual(refusal('{"v":1,"id":14,"command":["ps"]}'), { code: 'ERR_SUBVISOR_BAD_REQUEST', id: 14 });
  assert.deepEqual(refusal('{"v":1,"id":7,"command":"stop"}'), { code: 'ERR_SUBVISOR_BAD_REQUEST', id: 7 });
  assert.deepEqual(refusal('{"v":1,"id":8,"command":"stop","names":"web"}'), { code: 'ERR_SUBVISOR_BAD_REQUEST', id: 8 });
  assert.deepEqual(refusal('{"v":2,"id":15,"command":"ps","names":"web"}'), { code: 'ERR_SUBVISOR_BAD_REQUEST', id: 15 });
  assert.deepEqual(refusal('{"v":1,"id":9,"command":"logs","lines":-1}'), { code: 'ERR_SUBVISOR_BAD_REQUEST', id: 9 });
  assert.deepEqual(refusal('{"v":1,"id":10,"command":"logs","lines":1.5}'), { code: 'ERR_SUBVISOR_BAD_REQUEST', id: 10 });
  assert.deepEqual(refusal('{"v":1,"id":11,"command":"logs","follow":1}'), { code: 'ERR_SUBVISOR_BAD_REQUEST', id: 11 });
});

test('a request without its version or its command is told which key is missing, never "undefined"', () => {
  const message = (text: string): string => {
    try {
      parseRequest(text);
    } catch (error) {
      assert.ok(error instanceof BadRequest);
      return error.message;
    }
    assert.fail(`accepted: ${text}`);
  };
  assert.equal(message('{"id":5,"command":"ps"}'), 'malformed request: `v`, the protocol version, is missing; send "v":2 (this run speaks version 1 or 2)');
  assert.equal(message('{"v":2,"id":6}'), 'malformed request: `command` is missing: the run knows ps, stop, start, restart, logs');
  // The control: a version or command that is there but unknown is named as given.
  assert.match(message('{"v":9,"id":5,"command":"ps"}'), /^unsupported protocol version 9: /);
  assert.match(message('{"v":2,"id":6,"command":"kill"}'), /^unknown command "kill": /);
  assert.equal(message('{"v":2,"id":7,"command":5}'), 'malformed request: `command` must be a string, not 5: the run knows ps, stop, start, restart, logs');
});

test('a logs reply goes in pieces of at most the given text, in order, a longer line alone, nothing lost or repeated', () => {
  assert.deepEqual(inPieces(['aaaa', 'bb', 'cc', 'dddddddd', 'e', ''], 5), [['aaaa'], ['bb', 'cc'], ['dddddddd'], ['e', '']]);
  assert.deepEqual(inPieces([], 5), []);
  // Exactly the most a piece may hold is one piece, not two.
  assert.deepEqual(inPieces(['bb', 'ccc'], 5), [['bb', 'ccc']]);
  // A process's whole tail (4 MiB in 400 KB lines) in 1 MiB pieces: each under a client's 16 MiB limit even at six JSON bytes a character.
  const tail = Array.from({ length: 10 }, (_, index) => String(index).repeat(400_000));
  const pieces = inPieces(tail, 1024 * 1024);
  assert.deepEqual(pieces.flat(), tail);
  assert.ok(pieces.length > 1 && pieces.every((piece) => piece.join('').length <= 1024 * 1024), pieces.map((piece) => piece.length).join(' '));
});

test('a command a reply repeats is cut to 80 characters without splitting an emoji astride the cut', () => {
  const unknown = (command: string): string => {
    try {
      parseRequest(JSON.stringify({ v: 2, id: 1, command }));
    } catch (error) {
      assert.ok(error instanceof BadRequest);
      return error.message;
    }
    assert.fail(`accepted: ${command}`);
  };
  // Control: the cut is there, at 80 characters of the command's JSON text.
  assert.match(unknown('k'.repeat(200)), /^unknown command "k{79}…: /);
  // The emoji's halves are units 80 and 81 of the JSON text: left out whole, not half of it shown.
  assert.match(unknown(`${'k'.repeat(78)}😀${'k'.repeat(10)}`), /^unknown command "k{78}…: /);
});
