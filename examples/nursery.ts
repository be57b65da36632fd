// A nursery at work: a "server" task handed up the moment it is ready, clients that use it, a
// deadline, and a failure that cancels everything else and surfaces once, grouped.
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorGroup, TooSlowError, failAfter, openNursery } from '../src/index.js';

const say = (text: string): void => console.log(`${(performance.now() / 1000).toFixed(3)}s  ${text}`);

// 1. start(): the caller gets the value the task reports once it is up; the task runs on.
const served = await openNursery(async (tn) => {
  const port = await tn.start<number>(async ({ started, signal }) => {
    await sleep(50); // pretend to bind a socket
    say('server: listening on 8080');
    started(8080);
    try {
      await sleep(60_000, undefined, { signal });
    } catch {
      say('server: cancelled, shutting down');
    }
  });
  for (const client of ['a', 'b']) {
    tn.startSoon(async () => {
      await sleep(20);
      say(`client ${client}: talked to port ${port}`);
    });
  }
  await sleep(100);
  tn.cancel(); // the body decides the run is over; openNursery still waits for the server
  return port;
});
say(`nursery 1 returned ${served} after every task had finished`);

// 2. failAfter: a deadline that cancels the work it wraps.
try {
  await failAfter(30, (signal) => sleep(1000, undefined, { signal }));
} catch (error) {
  if (!(error instanceof TooSlowError)) throw error;
  say(`failAfter: ${error.message}`);
}

// 3. The first failure cancels the siblings; every real error comes out in one group.
try {
  await openNursery(async (tn) => {
    tn.startSoon(async ({ signal }) => {
      await sleep(60_000, undefined, { signal }).catch(() => say('worker: cancelled by the failure next door'));
    });
    tn.startSoon(async () => {
      await sleep(10);
      throw new Error('disk full');
    });
  });
} catch (error) {
  if (!(error instanceof ErrorGroup)) throw error;
  say(`nursery 2 failed once: ${error.message}`);
}
