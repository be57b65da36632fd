// The public API of subvisor, listed by name: nothing internal leaks through a wildcard.

// The declarations name Node's types (Buffer, NodeJS.Signals, node:stream), so they ask for them
// themselves: under TypeScript 6's default `types: []`, with skipLibCheck, every such name in
// them read as `any` without a word. `preserve` keeps the directive in dist/index.d.ts (since
// TypeScript 5.5, declaration emit drops one without it).
/// <reference types="node" preserve="true" />

// Structured concurrency
export { openNursery } from './core/nursery.js';
export type { HandsUp, Nursery, NurseryOptions, Task, TaskContext } from './core/nursery.js';
export { Cancelled, ErrorGroup, NotStartedError, TooSlowError, collapseErrorGroup } from './core/errors.js';
export { failAfter, moveOnAfter } from './core/timeouts.js';
export type { DeadlineOptions } from './core/timeouts.js';

// Processes
export { runProcess } from './process/run.js';
export type { CapturedProcess } from './process/run.js';
export { CompletedProcess } from './process/completed.js';
export type { CompletedProcessInit } from './process/completed.js';
export { superviseRunProcess } from './process/supervise.js';
export type { SuperviseOptions } from './process/supervise-options.js';
export type { ReadyWhen } from './process/readiness.js';
export type { OutputLine } from './process/relay.js';
export { Process } from './process/process.js';
export { CalledProcessError, ExitedBeforeReadyError, OutputClosedBeforeReadyError, OutputLimitError, ReadyTimeoutError, SpawnError, StopDeniedError } from './process/errors.js';
export type { CalledProcessErrorInit, SpawnErrorOptions } from './process/errors.js';
export type { OutputOption, RunProcessOptions, StdinOption } from './process/options.js';
export { DEFAULT_MAX_LINE_BYTES, LineSplitter } from './process/output/lines.js';
export type { LineSplitterOptions } from './process/output/lines.js';

// Logging
export { LEVELS, UnknownLevelError } from './log/levels.js';
export type { LevelName } from './log/levels.js';
export { getLogger } from './log/logger.js';
export type { Logger, LogMethod } from './log/logger.js';
export { configureLogging } from './log/config.js';
export type { LoggingConfig, LoggingOptions } from './log/config.js';
export type { LogFields, LogRecord, LogSink } from './log/record.js';
export { createConsoleSink } from './log/sinks/console.js';
export type { ConsoleSinkOptions } from './log/sinks/console.js';
export { createNdjsonSink } from './log/sinks/ndjson.js';
export type { NdjsonSinkOptions } from './log/sinks/ndjson.js';
export { neutraliseControlSequences } from './log/sanitize.js';
export { MissingLevelMethodError, resolveLevelMethod } from './log/structural.js';
export type { LevelMethodLogger } from './log/structural.js';
