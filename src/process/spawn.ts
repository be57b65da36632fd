import type { ChildProcess, StdioOptions } from 'node:child_process';
import { node } from '../builtins.js';
import { SpawnError } from './errors.js';
import type { ResolvedRunOptions } from './options.js';
import { Process } from './process.js';

/** A spawned child: the public handle, plus the raw pieces only subvisor itself touches. */
export interface SpawnedChild {
  readonly proc: Process;
  readonly child: ChildProcess;
}

/**
 * Starts the child and resolves once it runs; rejects with a {@link SpawnError} naming the command
 * and the cause when it cannot start. Node reports most spawn failures as a later 'error' event
 * (and a few as a synchronous throw); both become this one rejection, with the cause diagnosed,
 * because "spawn ENOENT" alone cannot tell a missing program from a missing cwd or interpreter.
 */
export async function spawnProcess(options: ResolvedRunOptions): Promise<SpawnedChild> {
  const { cmd } = options;
  const stdio: StdioOptions = [options.stdin, options.stdout, options.stderr];
  let child: ChildProcess;
  try {
    const file = typeof cmd === 'string' ? cmd : (cmd[0] as string); // validated non-empty
    const args = typeof cmd === 'string' ? [] : cmd.slice(1);
    child = node.childProcess.spawn(file, args, {
      stdio,
      shell: options.shell,
      cwd: options.cwd,
      env: options.env,
      argv0: options.argv0,
      uid: options.uid,
      gid: options.gid,
      // detached on POSIX is setsid(): a new session with no controlling terminal, the child the
      // leader of its own process group, so one signal to the group reaches all it started.
      detached: options.newSession,
      windowsHide: true,
    });
  } catch (error) {
    throw diagnose(error, options);
  }
  // Every stream gets an 'error' listener at once: a stray EPIPE or ECONNRESET must never become
  // an unhandled 'error' that kills the parent. Reading errors also end the stream, so the drain
  // still sees its end.
  for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.on('error', ignoreStreamError);
  try {
    await node.events.once(child, 'spawn');
  } catch (error) {
    throw diagnose(error, options);
  }
  // A child that failed to spawn never emits 'exit'; one that spawned may still emit 'error' for a
  // failed kill(), which is not fatal.
  child.on('error', ignoreStreamError);
  if (options.input !== undefined && child.stdin) writeInput(child, options.input);
  return { proc: new Process(child, cmd), child };
}

function writeInput(child: ChildProcess, input: Buffer): void {
  // EPIPE here means the child exited (or closed stdin) without reading everything: its choice,
  // and not an error of ours (trio and subprocess ignore BrokenPipeError on input the same way).
  child.stdin?.end(input);
}

function ignoreStreamError(): void {
  // Named so its purpose is visible: EPIPE / ECONNRESET on a child's pipes are part of a child's
  // normal life (it exited, it closed its end); the exit status says whether that was a failure.
}

function diagnose(error: unknown, options: ResolvedRunOptions): SpawnError {
  const code = errorCode(error);
  const cwd = options.cwd instanceof URL ? node.url.fileURLToPath(options.cwd) : options.cwd;
  const base = { code, cwd, cause: error };
  if (cwd !== undefined && (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES')) {
    const problem = cwdProblem(cwd);
    if (problem) return new SpawnError(options.cmd, problem, base);
  }
  switch (code) {
    case 'ENOENT':
      return new SpawnError(options.cmd, missingProgram(options), base);
    case 'EACCES':
      return new SpawnError(options.cmd, `permission denied: ${programName(options)} is not executable by this user (is it a directory, or missing chmod +x?)`, base);
    case 'EMFILE':
    case 'ENFILE':
      return new SpawnError(options.cmd, `too many open files (${code}); raise the limit (ulimit -n) or run fewer children at once`, base);
    case 'EAGAIN':
      return new SpawnError(options.cmd, 'the system refused a new process (EAGAIN: process limit reached); run fewer children at once', base);
    case 'EPERM':
      return new SpawnError(options.cmd, 'operation not permitted (EPERM); uid/gid need privileges this process does not have', base);
    case 'E2BIG':
      return new SpawnError(options.cmd, 'the arguments and environment are too large (E2BIG); pass data through stdin or a file instead', base);
    default:
      return new SpawnError(options.cmd, error instanceof Error ? error.message : String(error), base);
  }
}

function cwdProblem(cwd: string): string | undefined {
  try {
    if (!node.fs.statSync(cwd).isDirectory()) return `the cwd ${cwd} is not a directory`;
    node.fs.accessSync(cwd, node.fs.constants.X_OK);
    return undefined;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return `the cwd ${cwd} does not exist`;
    if (code === 'EACCES') return `the cwd ${cwd} cannot be entered (permission denied)`;
    return `the cwd ${cwd} is unusable (${code ?? 'unknown error'})`;
  }
}

function missingProgram(options: ResolvedRunOptions): string {
  if (options.shell !== false) {
    const shell = typeof options.shell === 'string' ? options.shell : '/bin/sh';
    return `the shell ${shell} was not found`;
  }
  const program = programName(options);
  const path = resolveProgram(program, options);
  if (path === undefined) {
    return program.includes('/')
      ? `no such file: ${program}`
      : `${program} was not found on PATH (check the spelling, install it, or give its full path)`;
  }
  // The file is there, yet exec said ENOENT: the kernel could not find its interpreter.
  const interpreter = interpreterLine(path);
  return interpreter !== undefined
    ? `its interpreter line "${interpreter}" names a program that does not exist (fix the #! line of ${path})`
    : `${path} exists but could not be executed (ENOENT: a missing interpreter or dynamic loader)`;
}

function programName(options: ResolvedRunOptions): string {
  return typeof options.cmd === 'string' ? options.cmd : (options.cmd[0] as string); // validated non-empty
}

function resolveProgram(program: string, options: ResolvedRunOptions): string | undefined {
  const cwd = options.cwd instanceof URL ? node.url.fileURLToPath(options.cwd) : (options.cwd ?? process.cwd());
  const candidates = program.includes('/')
    ? [program.startsWith('/') ? program : node.path.join(cwd, program)]
    : (options.env?.PATH ?? process.env.PATH ?? '').split(node.path.delimiter).filter(Boolean).map((dir) => node.path.join(dir, program));
  return candidates.find((candidate) => {
    try {
      return node.fs.statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

function interpreterLine(path: string): string | undefined {
  try {
    const fd = node.fs.openSync(path, 'r');
    try {
      const head = Buffer.alloc(256);
      const length = node.fs.readSync(fd, head, 0, head.length, 0);
      const text = head.subarray(0, length).toString('utf8');
      return text.startsWith('#!') ? text.split('\n', 1)[0] : undefined;
    } finally {
      node.fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}
