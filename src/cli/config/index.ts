// The config layer of `subvisor up`: reading subvisor.yaml or a Procfile into validated
// ProcessSpecs, and ordering them. Pure: nothing here spawns, and only loadConfig touches disk.
export { parseDuration, InvalidDurationError, MAX_DURATION_MS } from './duration.js';
export { ConfigError, formatProblem } from './errors.js';
export type { ConfigProblem } from './errors.js';
export { selectProcesses, startOrder } from './graph.js';
export { configFormat, loadConfig } from './load.js';
export type { ConfigFormat } from './load.js';
export { parseProcfile } from './procfile.js';
export { DEFAULT_RESTART_BACKOFF_MS, DEFAULT_RESTART_MAX, NO_RESTART, PROCESS_NAME, logProbe, restartDelayMs } from './spec.js';
export type { Condition, Config, Dependency, LivenessProbe, Probe, ProcessSpec, RestartPolicy, SourceLocation } from './spec.js';
export { parseYamlConfig } from './yaml/parse.js';
