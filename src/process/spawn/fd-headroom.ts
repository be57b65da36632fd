import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';

/**
 * `'EMFILE'` (or `'ENFILE'`) when the parent has too few free file descriptors to spawn a child
 * with `stdio`, so that the spawn is not tried; undefined when it has enough.
 *
 * Why not let the spawn fail by itself: libuv makes the child's pipes first (two fds each), then a
 * pipe of its own (two more) to learn whether the exec worked. When only that last one runs out,
 * Node reports EMFILE and returns before it wraps the parent's ends of the pipes in streams, so
 * nothing can ever close them: one fd per pipe is lost for the parent's life, at each such
 * failure (3 per child here, its stdout, stderr and gate verdict; seen on Node 20 with plain
 * `child_process.spawn` too). A run near its limit, failing and retrying, so loses what it has
 * left. The fds are opened and closed here, in the same turn as the spawn that follows, so what was
 * free here is free there (only the thread pool could take one in between: a rare failure, and
 * then the leak, no worse than without this).
 */
export function fdShortage(stdio: readonly unknown[]): 'EMFILE' | 'ENFILE' | undefined {
  const needed = 2 * stdio.filter(isNewPipe).length + 2;
  const opened: number[] = [];
  try {
    for (let i = 0; i < needed; i++) opened.push(node.fs.openSync('/dev/null', 'r'));
    return undefined;
  } catch (error) {
    const code = errnoCode(error);
    // Anything else (no /dev/null in a bare chroot) says nothing about fds: the spawn decides.
    return code === 'EMFILE' || code === 'ENFILE' ? code : undefined;
  } finally {
    for (const fd of opened) node.fs.closeSync(fd);
  }
}

/** Whether a stdio entry gets a new pipe (a socket pair, on Unix); an entry left out of the first three is one too. */
function isNewPipe(entry: unknown, index: number): boolean {
  return entry === 'pipe' || entry === 'overlapped' || (index < 3 && (entry === undefined || entry === null));
}
