/**
 * The overall deadline of `subvisor probe` when `--timeout` is not given (SPEC §11): long enough
 * for a server's usual start, short enough that a unit or a script waiting on it fails visibly.
 * Apart from commands/probe.ts so that the help text, loaded with every command, can state it
 * without loading the probes.
 */
export const DEFAULT_PROBE_DEADLINE_MS = 30_000;
