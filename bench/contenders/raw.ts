// The baseline: what a careful user writes by hand on `node:child_process`. Spawn, read the pipe
// with `setEncoding('utf8')`, split it with a linear manual split, wait for 'close'. No options
// validated, no process group, no cancellation: the floor a library's overhead is measured from.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { withPromiseAll, didNotFail, fileAndArgs, LineCounter, type Contender, type FailureReport } from './contender.js';

/** How much of stderr the hand-written failure keeps: the same 16 KiB tail subvisor keeps. */
const TAIL_BYTES = 16 * 1024;

/** Resolves with the exit status once the child has exited and its pipes have closed. */
async function closed(child: ChildProcess): Promise<number> {
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  if (code === null) throw new Error(`child died of ${String(signal)}`);
  return code;
}

function checked(code: number, cmd: readonly string[]): void {
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited with status ${code}`);
}

export const contender: Contender = {
  async exitStatus(cmd) {
    const [file, args] = fileAndArgs(cmd);
    // The stdio subvisor's runProcess uses by default: stdin /dev/null, output inherited.
    return closed(spawn(file, args, { stdio: ['ignore', 'inherit', 'inherit'] }));
  },

  exitStatusesTogether(cmd, count) {
    return withPromiseAll(contender, cmd, count);
  },

  async relayLines(cmd) {
    const [file, args] = fileAndArgs(cmd);
    const sink = new LineCounter();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const stdout = child.stdout;
    stdout.setEncoding('utf8');
    // The start of a line whose newline has not arrived, kept as pieces and joined once: adding
    // each chunk to one string and searching it again would be quadratic on a long line.
    let held: string[] = [];
    stdout.on('data', (text: string) => {
      let newline = text.indexOf('\n');
      if (newline === -1) {
        held.push(text);
        return;
      }
      if (held.length === 0) sink.add(text.slice(0, newline));
      else {
        held.push(text.slice(0, newline));
        sink.add(held.join(''));
        held = [];
      }
      let start = newline + 1;
      while ((newline = text.indexOf('\n', start)) !== -1) {
        sink.add(text.slice(start, newline));
        start = newline + 1;
      }
      if (start < text.length) held.push(text.slice(start));
    });
    checked(await closed(child), cmd);
    if (held.length > 0) sink.add(held.join(''));
    return sink;
  },

  async failure(cmd) {
    const [file, args] = fileAndArgs(cmd);
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    // The last 16 KiB of stderr, in O(16 KiB): drop whole chunks from the front once the rest suffices.
    const chunks: Buffer[] = [];
    let size = 0;
    child.stderr.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      while (chunks.length > 1 && size - chunks[0]!.length >= TAIL_BYTES) size -= chunks.shift()!.length;
    });
    const code = await closed(child);
    if (code === 0) throw didNotFail(cmd);
    const tail = Buffer.concat(chunks, size);
    return Object.assign(new Error(`${cmd.join(' ')} exited with status ${code}`), { exitCode: code, stderr: tail.subarray(Math.max(0, tail.length - TAIL_BYTES)) });
  },

  describeFailure(error) {
    return error as FailureReport; // built just above with exactly these fields
  },
};

/**
 * The reference limit of S2: the pipe drained into strings (the same `setEncoding('utf8')`
 * decoding) without splitting, counting characters. No line reader can beat it.
 */
export async function drainStrings(cmd: readonly string[]): Promise<LineCounter> {
  const [file, args] = fileAndArgs(cmd);
  const sink = new LineCounter();
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    sink.chars += text.length;
  });
  checked(await closed(child), cmd);
  return sink;
}
