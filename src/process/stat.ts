import type { Stats } from 'node:fs';
import { node } from '../builtins.js';

/**
 * What is at `path`, symlinks followed, or undefined when nothing can be seen there (it is missing,
 * or a directory on the way may not be entered): for the questions that only want a yes where
 * there is something to see (`statOf(path)?.isDirectory() === true`).
 */
export function statOf(path: string): Stats | undefined {
  try {
    return node.fs.statSync(path);
  } catch {
    return undefined;
  }
}

/** The path `path` resolves to (every symlink on the way followed), or undefined when it cannot be resolved (see {@link statOf}). */
export function canonicalPathOf(path: string): string | undefined {
  try {
    return node.fs.realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The path `path` resolves to as the kernel resolves it (realpath(3)): a `..` after a symlink is the
 * parent of the link's target, where {@link canonicalPathOf} reads `LINK/..` away before following
 * anything. Undefined when it cannot be resolved.
 */
export function physicalPathOf(path: string): string | undefined {
  try {
    return node.fs.realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/** What is at `path` itself, a symlink not followed, or undefined when nothing can be seen there (see {@link statOf}). */
export function lstatOf(path: string): Stats | undefined {
  try {
    return node.fs.lstatSync(path);
  } catch {
    return undefined;
  }
}
