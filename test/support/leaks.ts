import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { afterEach, before, beforeEach } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { runProcess } from '../../src/index.js';

interface Resources {
  readonly pipes: number;
  readonly timers: number;
  readonly sigterm: number;
}

// Only pipes and sockets are counted: tsx writes its compile cache through regular-file fds that
// open and close on their own schedule.
function resources(): Resources {
  let pipes = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (/^(pipe|socket):/.test(readlinkSync(`/proc/self/fd/${fd}`))) pipes++;
    } catch {
      // closed between readdir and readlink (the readdir's own fd, for one)
    }
  }
  return {
    pipes,
    timers: process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length,
    sigterm: process.listenerCount('SIGTERM'),
  };
}

/**
 * Each test of the file must leave no pipe, socket, timer or signal listener behind: a run is
 * finished only when everything it acquired is released. Call once at the top of a test file.
 */
export function checkNothingLeaksAroundEachTest(): void {
  let baseline: Resources | undefined;
  before(async () => {
    // The first spawn of a process makes Node/libuv open an fd it keeps for the process's life
    // (measured: one, once, also with a bare child_process.spawn); the watchdog's pipe stays too.
    // Spend them here, outside any test.
    await runProcess(['true']);
  });
  // Signal listeners are installed only while a child is alive, so between tests there are as many
  // as before subvisor ever ran a child (not merely as many as before this test).
  const sigtermAtLoad = process.listenerCount('SIGTERM');
  beforeEach(() => {
    baseline = { ...resources(), sigterm: sigtermAtLoad };
  });
  afterEach(async () => {
    // A stdin pipe's handle may close a few loop turns after the run settled: give it those turns
    // (bounded), then insist.
    const deadline = performance.now() + 1000;
    while (performance.now() < deadline && !isDeepStrictEqual(resources(), baseline)) await sleep(10);
    assert.deepEqual(resources(), baseline, 'a test left pipes, sockets, timers or signal listeners behind');
  });
}
