import { node } from '../builtins.js';

/**
 * Those of the standard streams (by fd) that are terminals, and which of them has hung up since.
 *
 * A terminal that goes away (its tmux session or ssh connection ends, its window is closed) hangs
 * up: the kernel sends SIGHUP to the shell that leads its session, and the shell passes it on to
 * its jobs. When nobody passes it on (the job was disowned, or runs in a session of its own), the
 * signs are left on the streams: every write to a hung-up terminal fails with EIO, and so does every
 * ioctl, which is how `isatty()` asks, so it no longer looks like a terminal. Asking is one system
 * call and writes nothing, so it can be asked while there is nothing to write.
 */
export class Terminals {
  private readonly fds: readonly number[];

  constructor(fds: readonly number[]) {
    this.fds = fds.filter((fd) => node.tty.isatty(fd));
  }

  /** Whether any of them was a terminal when this was made. */
  get any(): boolean {
    return this.fds.length > 0;
  }

  /** The first of them that has hung up since (or been closed), if any. */
  hungUp(): number | undefined {
    return this.fds.find((fd) => !node.tty.isatty(fd));
  }
}
