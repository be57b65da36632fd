import type * as AsyncHooks from 'node:async_hooks';
import type * as BufferModule from 'node:buffer';
import type * as ChildProcess from 'node:child_process';
import type Events from 'node:events';
import type * as Fs from 'node:fs';
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type * as Net from 'node:net';
import type * as Os from 'node:os';
import type * as Path from 'node:path';
import type * as StringDecoder from 'node:string_decoder';
import type * as TimersPromises from 'node:timers/promises';
import type * as Tty from 'node:tty';
import type * as Url from 'node:url';
import type * as Util from 'node:util';

/*
 * The library reaches Node's built-in modules through here, on first use, instead of importing
 * them. What `await import('subvisor')` costs is paid by every program that uses it, on every
 * start, before it does anything (the bench's S5), and a static ESM `import` of a builtin is
 * dearer than it looks: it builds a namespace of all the module's exports, which runs every lazy
 * getter (`import { readFileSync } from 'node:fs'` loads fs/promises, fs streams and readline;
 * `node:util` loads parseArgs and MIME), and it loads modules such as child_process, with net,
 * dgram and the streams under it, that a program importing subvisor only for its nursery never
 * needs. `require` of a builtin returns the module object as is, and only when asked.
 * The command line goes through here too: `subvisor run` has no probe, so it has no business
 * loading http, https and with them TLS and crypto (with fs's and util's namespaces, ~15 ms of
 * every start).
 *
 * `process.getBuiltinModule` is Node's own way to do that; it is why package.json's `engines` asks
 * for Node 20.16 or newer. Node added it in 22.3 and backported it to 20.16, so Node 21 and
 * 22.0–22.2 lack it though `>=20.16` admits them: there this throws, the first time a builtin is asked for, an
 * error that says to upgrade. Before it, the only synchronous way to a `require` is `createRequire` from
 * `node:module`, which would have to be imported at the top (and cost every program again) or
 * behind a top-level await, which makes the module async: `require()` of it and CommonJS bundlers
 * then fail, even where the await is never reached.
 */
function load(id: string): unknown {
  // Typed as always present by @types/node 20.19; absent on Node 20.0–20.15, 21 and 22.0–22.2.
  if (typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule !== 'function') {
    throw new Error(`subvisor needs Node 20.16 or newer, and 22.3 or newer past Node 20 (for process.getBuiltinModule); this is Node ${process.version}: upgrade Node`);
  }
  return process.getBuiltinModule(id);
}

/** The builtins the library and its command line use, each loaded the first time its property is read. */
interface Builtins {
  readonly asyncHooks: typeof AsyncHooks;
  readonly buffer: typeof BufferModule;
  readonly childProcess: typeof ChildProcess;
  readonly events: typeof Events;
  readonly fs: typeof Fs;
  readonly http: typeof Http;
  readonly https: typeof Https;
  readonly net: typeof Net;
  readonly os: typeof Os;
  readonly path: typeof Path;
  readonly stringDecoder: typeof StringDecoder;
  readonly timersPromises: typeof TimersPromises;
  readonly tty: typeof Tty;
  readonly url: typeof Url;
  readonly util: typeof Util;
}

const IDS: Record<keyof Builtins, string> = {
  asyncHooks: 'node:async_hooks',
  buffer: 'node:buffer',
  childProcess: 'node:child_process',
  events: 'node:events',
  fs: 'node:fs',
  http: 'node:http',
  https: 'node:https',
  net: 'node:net',
  os: 'node:os',
  path: 'node:path',
  stringDecoder: 'node:string_decoder',
  timersPromises: 'node:timers/promises',
  tty: 'node:tty',
  url: 'node:url',
  util: 'node:util',
};

/**
 * `node.fs.readFileSync(…)` reads like the import it replaces. Each getter replaces itself with
 * the loaded module, so hot paths (a line splitter per stream, a spawn per request) pay a plain
 * property read after the first use.
 */
export const node = {} as Builtins;
for (const [name, id] of Object.entries(IDS)) {
  Object.defineProperty(node, name, {
    configurable: true,
    enumerable: true,
    get(): unknown {
      const module: unknown = load(id);
      Object.defineProperty(node, name, { value: module, enumerable: true });
      return module;
    },
  });
}
