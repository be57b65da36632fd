// The contenders by name. Loaded lazily, so a runner process holds only the library it measures.
import type { Contender } from './contender.js';

export const CONTENDER_NAMES = ['raw', 'subvisor', 'execa', 'tinyexec', 'nano-spawn'] as const;
export type ContenderName = (typeof CONTENDER_NAMES)[number];

// Literal import() calls, so that the compiler follows them when it builds the runner.
const loaders: Record<ContenderName, () => Promise<{ contender: Contender }>> = {
  raw: () => import('./raw.js'),
  subvisor: () => import('./subvisor.js'),
  execa: () => import('./execa.js'),
  tinyexec: () => import('./tinyexec.js'),
  'nano-spawn': () => import('./nano-spawn.js'),
};

export async function loadContender(name: ContenderName): Promise<Contender> {
  return (await loaders[name]()).contender;
}

export function isContenderName(name: string): name is ContenderName {
  return (CONTENDER_NAMES as readonly string[]).includes(name);
}

/** The libraries subvisor is compared with, as opposed to subvisor itself and the raw baseline. */
export function isPeer(name: ContenderName): boolean {
  return name !== 'raw' && name !== 'subvisor';
}
