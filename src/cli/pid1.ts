import { sayWarnings } from './warnings.js';

/**
 * The warning `subvisor up` and `run` give once at start when they are PID 1 (the first process
 * of a container without `--init`), in words on stderr or with `json` as a `"event":"warning"`
 * record on stdout (see {@link sayWarnings}). PID 1 inherits every orphan of its namespace, and
 * Node reaps only the children it spawned itself: a grandchild whose parent died first would stay
 * a zombie for the container's life. An init that reaps (`docker run --init`, tini) fixes it; the
 * stack itself still stops gracefully on the runtime's SIGTERM (exit status 143).
 */
export async function warnWhenPid1(json: boolean): Promise<void> {
  if (process.pid !== 1) return;
  await sayWarnings([{ text: PID1_WARNING }], json);
}

const PID1_WARNING =
  'running as PID 1: orphaned grandchildren would stay zombies (Node reaps only its own children); ' +
  'run the container with `docker run --init` (or tini as its entrypoint), or `init: true` in Compose';
