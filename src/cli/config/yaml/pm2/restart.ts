// pm2's restart keys as subvisor's `restart` (lib/God.js, handleExit, pm2 7). pm2 restarts an app
// that says nothing, at once, and gives up after `max_restarts` (16) runs shorter than
// `min_uptime` (1s); a run longer than that does not count. subvisor's defaults are stricter
// (3 restarts, reset after 60s up), so a file moved from pm2 gets pm2's written out: a process that
// crashes now and then is restarted on, as it was under pm2.

type App = Readonly<Record<string, unknown>>;

const PM2_MAX_RESTARTS = 16;
const PM2_MIN_UPTIME = '1s';
/** pm2's longest wait of `exp_backoff_restart_delay`, which grows 1.5 times a restart up to it. */
export const PM2_MAX_BACKOFF_MS = 15_000;
/** How long pm2 lets an app stay up before its `exp_backoff_restart_delay` starts again from the first (constants.js, EXP_BACKOFF_RESET_TIMER; its worker looks every 30s). */
export const PM2_BACKOFF_RESET_MS = 30_000;

/**
 * A pm2 time as a subvisor duration: a number (or digits) is milliseconds, and pm2's `min_uptime`
 * also takes `2s`, `5m`, `1h`. Undefined for none, or one pm2 does not take.
 */
export function pm2Duration(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? `${value}ms` : undefined;
  if (typeof value !== 'string') return undefined;
  const written = /^(\d+)([hms])?$/.exec(value.trim());
  return written === null ? undefined : `${written[1] ?? ''}${written[2] ?? 'ms'}`;
}

/** Whether pm2's `stop_exit_codes` lets only an exit 0 stop the app: subvisor's `on-failure`. */
export function stopsOnlyAtZero(codes: unknown): boolean {
  const list = Array.isArray(codes) ? codes : [codes];
  return list.length > 0 && list.every((code) => Number(code) === 0);
}

/** A number of pm2's (`max_restarts`, a time in ms: `restart_delay`), read as pm2 reads it (parseInt): undefined for none. */
export function pm2Number(value: unknown): number | undefined {
  const ms = typeof value === 'number' ? Math.trunc(value) : typeof value === 'string' ? Number.parseInt(value, 10) : Number.NaN;
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** pm2's first `count` waits of `exp_backoff_restart_delay: firstMs` (lib/God.js: the first, then `floor(min(15000, prev * 1.5))`). */
export function pm2ExpBackoffWaitsMs(firstMs: number, count: number): number[] {
  const waits = [firstMs];
  while (waits.length < count) waits.push(Math.floor(Math.min(PM2_MAX_BACKOFF_MS, (waits.at(-1) ?? firstMs) * 1.5)));
  return waits;
}

/** pm2's `exp_backoff_restart_delay: firstMs` as `backoff` and `maxBackoff`: from it, doubling up to pm2's longest (or it, when longer: `maxBackoff` is never below `backoff`). */
export function pm2ExpBackoff(firstMs: number): { backoffMs: number; maxBackoffMs: number } {
  return { backoffMs: firstMs, maxBackoffMs: Math.max(PM2_MAX_BACKOFF_MS, firstMs) };
}

/** The wait before restarts: pm2's `restart_delay` is the same each time, its exponential one grows up to 15s; none is none. */
function waits(app: App): Record<string, string> {
  const growing = pm2Number(app.exp_backoff_restart_delay);
  if (growing !== undefined) {
    const { backoffMs, maxBackoffMs } = pm2ExpBackoff(growing);
    return { backoff: `${backoffMs}ms`, maxBackoff: `${maxBackoffMs}ms` };
  }
  const fixed = pm2Number(app.restart_delay) ?? 0;
  // Doubling stops at maxBackoff: equal to backoff, every wait is the same.
  return fixed === 0 ? { backoff: '0ms' } : { backoff: `${fixed}ms`, maxBackoff: `${fixed}ms` };
}

/** The app's `restart`: `no` for `autorestart: false` (and `max_restarts: 0`, which pm2 spends at the first exit), else pm2's budget, waits and reset written out. */
export function pm2Restart(app: App): unknown {
  const max = pm2Number(app.max_restarts) ?? PM2_MAX_RESTARTS;
  if (app.autorestart === false || max === 0) return 'no';
  const policy = app.stop_exit_codes !== undefined && stopsOnlyAtZero(app.stop_exit_codes) ? 'on-failure' : 'always';
  return { policy, max, ...waits(app), resetAfter: pm2ResetAfter(app.min_uptime) };
}

/**
 * pm2's `min_uptime` as `resetAfter`. pm2 counts a run shorter than it, so `0` counts none and never
 * gives up; `resetAfter` takes no 0, and its shortest (1ms) forgets every run's restarts as pm2 does.
 */
export function pm2ResetAfter(minUptime: unknown): string {
  const written = pm2Duration(minUptime) ?? PM2_MIN_UPTIME;
  return /^0+[hms]*$/.test(written) ? '1ms' : written;
}
