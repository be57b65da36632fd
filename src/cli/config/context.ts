import { readEnvFile, type EnvFileRead } from './environment/files.js';
import { memberGroups, parsePasswd } from './user.js';
import type { ProcessUser } from './spec.js';
import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';
import { OWN_ID_MAPS, setgroupsDenied, unmappedIds, type IdMapFiles } from '../../process/spawn/id-map.js';
import { installedSetpriv } from '../../process/spawn/groups.js';

/**
 * What reading a config takes from outside the file, for {@link loadConfig}, `parseYamlConfig`
 * and `parseProcfile`. Each has the default a real run wants; tests pass their own.
 */
export interface ConfigOptions {
  /**
   * The parent's environment: what `${VAR}` reads, over `.env` and the env files. Default
   * `process.env`. Only read, never copied into the plan: the runner merges the environment.
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * The uid subvisor runs as, which decides whether `user:` may name another user (only root can
   * start a process as someone else). Default `process.getuid()`.
   */
  readonly uid?: number | undefined;
  /** Where `user:` is looked up. Default `/etc/passwd`. */
  readonly passwdFile?: string | undefined;
  /** Where the supplementary groups of a `user:` are looked up. Default `/etc/group`; one that cannot be read gives none. */
  readonly groupFile?: string | undefined;
  /** Whether util-linux's setpriv, which gives a `user:` its supplementary groups, is installed. Default: looked for. */
  readonly setpriv?: boolean | undefined;
  /**
   * Where the user namespace's id maps are read, which say whether a `user:` can be taken here
   * at all (a rootless container maps a range of ids, `unshare -r` only root). Default this
   * process's own (`/proc/self/uid_map` and `gid_map`); `null`: not looked at (an export runs
   * elsewhere).
   */
  readonly idMapFiles?: IdMapFiles | null | undefined;
}

/** The passwd file's users, or why it could not be read. */
export type Users = { readonly users: readonly ProcessUser[] } | { readonly reason: string; readonly cause: unknown };

/**
 * The {@link ConfigOptions} with their defaults resolved (the one place they are), and what the
 * read of one config fetches from disk, each fetched once: env files (several processes may list
 * the same one) and the passwd file (only when a process has a `user`).
 */
export class ConfigContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly uid: number;
  readonly passwdFile: string;
  readonly groupFile: string;
  readonly setpriv: boolean;
  readonly idMapFiles: IdMapFiles | null;
  private readonly envFiles = new Map<string, EnvFileRead>();
  private passwd: Users | undefined;
  private groupText: string | undefined;

  constructor(options: ConfigOptions = {}) {
    this.env = options.env ?? process.env;
    // process.getuid is missing only on Windows, where no process can be started as another user.
    this.uid = options.uid ?? process.getuid?.() ?? -1;
    this.passwdFile = options.passwdFile ?? '/etc/passwd';
    this.groupFile = options.groupFile ?? '/etc/group';
    this.setpriv = options.setpriv ?? installedSetpriv() !== undefined;
    this.idMapFiles = options.idMapFiles === undefined ? OWN_ID_MAPS : options.idMapFiles;
  }

  /** Which of `user`'s uid and gid the user namespace does not map (`uid 70`); none when the maps are not looked at. */
  unmappedIds(user: ProcessUser): string[] {
    return this.idMapFiles === null ? [] : unmappedIds(user.uid, user.gid, this.idMapFiles);
  }

  /**
   * Why the supplementary `groups` of a process run here cannot all be given it (setpriv missing,
   * a namespace that denies setgroups, ids it does not map), and those it can. The spawn would
   * refuse them (see process/spawn/groups.ts) after the processes before it had started, in words
   * about a `groups` option that a config does not have; an export's (no maps) are all given.
   */
  givableGroups(groups: readonly number[]): { groups: readonly number[]; reason?: string } {
    if (this.uid !== 0 || this.idMapFiles === null) return { groups };
    if (!this.setpriv) return { groups: [], reason: 'setting supplementary groups needs setpriv, which is not installed; install util-linux' };
    if (setgroupsDenied(this.idMapFiles)) {
      return { groups: [], reason: `this user namespace denies setting groups (${this.idMapFiles.setgroups ?? 'setgroups'} says deny, as unshare -r sets it); run subvisor outside this namespace to give them` };
    }
    const maps = this.idMapFiles;
    const unmapped = groups.filter((group) => unmappedIds(undefined, group, maps).length > 0);
    if (unmapped.length === 0) return { groups };
    return { groups: groups.filter((group) => !unmapped.includes(group)), reason: `gid ${unmapped.join(', ')} ${unmapped.length === 1 ? 'is' : 'are'} not mapped in this user namespace (see ${maps.gid}); map ${unmapped.length === 1 ? 'it' : 'them'}, or run subvisor outside this namespace` };
  }

  /** A variable of the parent's environment; only its own keys (never `constructor` and kin). */
  parentVariable(name: string): string | undefined {
    return Object.hasOwn(this.env, name) ? this.env[name] : undefined;
  }

  /**
   * The env file at `path` (absolute), read on first use; `first` says whether this call read it,
   * so what is wrong inside a file is reported once however many processes list it.
   */
  envFile(path: string): { readonly read: EnvFileRead; readonly first: boolean } {
    const known = this.envFiles.get(path);
    if (known !== undefined) return { read: known, first: false };
    const read = readEnvFile(path);
    this.envFiles.set(path, read);
    return { read, first: true };
  }

  /** The supplementary groups of `user` in {@link groupFile} (read on first use): none when it cannot be read, as initgroups has then none to give. */
  groupsOf(user: ProcessUser): number[] {
    if (this.groupText === undefined) {
      try {
        this.groupText = node.fs.readFileSync(this.groupFile, 'utf8');
      } catch {
        this.groupText = '';
      }
    }
    return memberGroups(this.groupText, user.name, user.gid);
  }

  /** The users of {@link passwdFile}, read on first use. */
  users(): Users {
    if (this.passwd === undefined) {
      try {
        this.passwd = { users: parsePasswd(node.fs.readFileSync(this.passwdFile, 'utf8')) };
      } catch (error) {
        const code = errnoCode(error);
        this.passwd = { reason: code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error), cause: error };
      }
    }
    return this.passwd;
  }
}
