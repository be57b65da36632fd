import type { Variable } from './quote.js';

/**
 * What systemd sets in every service's environment itself (the manager's `PATH` and `LANG`, and
 * `User=`'s `USER`, `LOGNAME`, `HOME`, `SHELL`): a value read from subvisor's own environment under
 * one of these names is this machine's, and written into the env file it would replace the unit's
 * own for the whole service, so it stays written into the command as it is (they are no secrets).
 */
const SET_BY_SYSTEMD: ReadonlySet<string> = new Set(['PATH', 'LANG', 'USER', 'LOGNAME', 'HOME', 'SHELL']);

/** The name under which the env file gives a command the value interpolation read for NAME, when the unit's NAME holds another. */
const INTERPOLATED_PREFIX = 'SUBVISOR_INTERPOLATED_';

/**
 * The variables a unit's command lines (`ExecStart=`, `ExecStartPost=`) leave to systemd to
 * expand, `${NAME}`, rather than carrying their values: a unit is 0644, and `systemctl show`
 * prints its command lines to every user, while the env file it reads (0600) is its own user's
 * and root's. A value from `.env`, an env file or subvisor's environment may be a secret.
 *
 * systemd replaces `${NAME}` with the value in the unit's environment, whole, as one piece of the
 * word, as interpolation does, so the command runs with the value subvisor read only where the
 * unit's environment gives NAME that value:
 * - the env file holds NAME with that value: `${NAME}`;
 * - the env file has no NAME (the value came from subvisor's environment, which it leaves out):
 *   NAME is added to the env file, as `up` hands its environment to the child, and `${NAME}`;
 * - the env file gives NAME another value (the process's `env` sets it, or subvisor's environment
 *   overrode `.env`'s): the value is added to the env file as `SUBVISOR_INTERPOLATED_NAME`, and
 *   `${SUBVISOR_INTERPOLATED_NAME}`. The process sees one variable more than under `up`; written
 *   as it is, the value would be in the unit for every user to read. (systemd's `UnsetEnvironment=`
 *   cannot take the extra one away: it applies before the command line is expanded.)
 * - NAME is one systemd sets itself: the value, as it is.
 */
export class UnitVariables {
  readonly #environment: ReadonlyMap<string, string>;
  readonly #added = new Map<string, string>();
  readonly #renamed = new Map<string, string>();

  constructor(environment: readonly (readonly [string, string])[]) {
    this.#environment = new Map(environment);
  }

  /** The name the unit's environment gives this value under (see above), so a command may read it there; undefined when it is written as it is. */
  nameOf({ name, value }: Variable): string | undefined {
    const inFile = this.#held(name);
    if (inFile === value) return name;
    if (SET_BY_SYSTEMD.has(name)) return undefined;
    if (inFile === undefined) {
      this.#added.set(name, value);
      return name;
    }
    return this.#renamedFor(name, value);
  }

  /** The variables {@link nameOf} added to the env file from subvisor's environment, in the order it first met them. */
  added(): [string, string][] {
    return [...this.#added];
  }

  /** The values {@link nameOf} added to the env file under a name of their own, in the order it first met them. */
  renamed(): [string, string][] {
    return [...this.#renamed];
  }

  #held(name: string): string | undefined {
    return this.#environment.get(name) ?? this.#added.get(name) ?? this.#renamed.get(name);
  }

  /** `SUBVISOR_INTERPOLATED_NAME`, or with `_2`, `_3`, ... when the environment has that name with another value. */
  #renamedFor(name: string, value: string): string {
    for (let index = 1; ; index++) {
      const renamed = `${INTERPOLATED_PREFIX}${name}${index === 1 ? '' : `_${index}`}`;
      const held = this.#held(renamed);
      if (held === value) return renamed;
      if (held === undefined) {
        this.#renamed.set(renamed, value);
        return renamed;
      }
    }
  }
}
