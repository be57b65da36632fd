import type { Variable } from './quote.js';

/**
 * What systemd sets in every service's environment itself (the manager's `PATH` and `LANG`, and
 * `User=`'s `USER`, `LOGNAME`, `HOME`, `SHELL`): a value read from subvisor's own environment under
 * one of these names is this machine's, and written into the env file it would replace the unit's
 * own for the whole service, so it stays written into the command as it is (they are no secrets).
 */
const SET_BY_SYSTEMD: ReadonlySet<string> = new Set(['PATH', 'LANG', 'USER', 'LOGNAME', 'HOME', 'SHELL']);

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
 *   overrode `.env`'s) or NAME is one systemd sets itself: the value, as it is, as before.
 */
export class UnitVariables {
  readonly #environment: ReadonlyMap<string, string>;
  readonly #added = new Map<string, string>();

  constructor(environment: readonly (readonly [string, string])[]) {
    this.#environment = new Map(environment);
  }

  /** Whether the unit's environment gives `name` this value (see above), so a command may read it there. */
  leaves({ name, value }: Variable): boolean {
    const inFile = this.#environment.get(name) ?? this.#added.get(name);
    if (inFile === undefined && !SET_BY_SYSTEMD.has(name)) this.#added.set(name, value);
    else if (inFile !== value) return false;
    return true;
  }

  /** The variables {@link leaves} added to the env file, in the order it first met them. */
  added(): [string, string][] {
    return [...this.#added];
  }
}
