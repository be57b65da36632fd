import { node } from '../../builtins.js';
import type { ResolvedRunOptions } from '../options.js';
import { closedOnTheCwdWay, cwdWay } from './diagnose.js';
import type { IdSwitch } from './groups.js';
import { installed } from './installed.js';

/** test(1), run as the child's user to ask the kernel whether it may search its cwd. */
const TEST = '/usr/bin/test';

/**
 * Whether the child's user may enter its cwd, for a child that goes without the gate (which asks
 * the same itself: see `CWD_CLOSED_STATUS` in ./gate.ts): asked of the kernel as that user (`test
 * -x` of the whole way to it), and only when it cannot be asked, told by the mode bits on the way.
 * Why not the mode bits alone: an ACL can close a directory whose bits are open (`setfacl -m
 * u:nobody:--- /srv`), and Node enters the cwd as root before it switches ids, so the child ran
 * there, every relative path open to it; and an ACL can open one whose bits are closed (`setfacl
 * -m u:nobody:r-x /srv`, a 0700 /srv), which the gate enters, so the bits must not refuse it here.
 *
 * Synchronous, one short exec (`test` is a builtin of none of these: it is the program), and only
 * for a child of another user started without the gate (`argv0`, E2BIG beside the gate, no
 * /bin/sh): rare enough that the start's other synchronous work dwarfs it.
 */
export function userMayEnterCwd(options: ResolvedRunOptions, ids: IdSwitch | undefined): boolean {
  return kernelLetsIn(options, ids) ?? closedOnTheCwdWay(options) === undefined;
}

/** The kernel's answer, as the child's user; undefined when it cannot be asked (no test(1), or its spawn failed). */
function kernelLetsIn(options: ResolvedRunOptions, ids: IdSwitch | undefined): boolean | undefined {
  if (!installed(TEST)) return undefined;
  // As the gate asks it: the absolute way, so every directory above the cwd is asked too.
  const asked = ['-x', cwdWay(options) ?? '.'];
  const probe = ids === undefined
    ? node.childProcess.spawnSync(TEST, asked, { uid: options.uid, gid: options.gid, cwd: options.cwd, env: {}, stdio: 'ignore' })
    : node.childProcess.spawnSync(ids.file, [...ids.args, TEST, ...asked], { cwd: options.cwd, env: {}, stdio: 'ignore' });
  if (probe.error !== undefined || probe.status === null || probe.status > 1) return undefined;
  return probe.status === 0;
}
