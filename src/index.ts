// The public API of subvisor, listed by name: nothing internal leaks through a wildcard.
export { openNursery } from './core/nursery.js';
export type { Nursery, NurseryOptions, Task, TaskContext } from './core/nursery.js';
export { Cancelled, ErrorGroup, TooSlowError, collapseErrorGroup } from './core/errors.js';
export { failAfter, moveOnAfter } from './core/timeouts.js';
export type { DeadlineOptions } from './core/timeouts.js';
