// The config layer of `subvisor up`: reading subvisor.yaml or a Procfile into validated,
// interpolated ProcessSpecs, and ordering them. Nothing here spawns; what touches disk is the
// reading of the config, of its env files and of the passwd file (see ConfigContext).
export { parseDuration, InvalidDurationError, MAX_DURATION_MS } from './duration.js';
export type { ConfigOptions } from './context.js';
export { InterpolationError, interpolate } from './environment/interpolate.js';
export type { Lookup } from './environment/interpolate.js';
export { ConfigError, formatProblem, sortProblems } from './errors.js';
export type { ConfigProblem } from './errors.js';
export { selectProcesses, startOrder } from './graph.js';
export { configFormat, loadConfig, readConfig } from './load.js';
export { DEFAULT_BASE_PORT, PORT_STEP, everyProcessName, foremanPorts, planProcesses, writtenBasePort } from './plan.js';
export type { PlanRequest } from './plan.js';
export { MAIN_REPLICAS, expandReplicas, replicaName } from './replicas.js';
export type { ExtraEnvironment } from './replicas.js';
export { InvalidSizeError, parseSize } from './size.js';
export type { ConfigFormat } from './load.js';
export { parseProcfile } from './procfile.js';
export {
  DEFAULT_LIVENESS_FAILURES,
  DEFAULT_LIVENESS_INTERVAL_MS,
  DEFAULT_LOG_DIR,
  DEFAULT_LOG_KEEP,
  DEFAULT_LOG_MAX_SIZE_BYTES,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_READY_INTERVAL_MS,
  DEFAULT_RESTART_BACKOFF_MS,
  DEFAULT_RESTART_MAX,
  DEFAULT_RESTART_MAX_BACKOFF_MS,
  DEFAULT_RESTART_RESET_AFTER_MS,
  NO_RESTART,
  PROCESS_NAME,
  logProbe,
  restartDelayMs,
  stopGraceMs,
} from './spec.js';
export type { Condition, Config, Dependency, LivenessProbe, LogFilesSpec, Probe, ProbeTiming, ProcessSpec, ProcessUser, RestartPolicy, SourceLocation } from './spec.js';
export { findUser, parsePasswd } from './user.js';
export { parseYamlConfig } from './yaml/parse.js';
