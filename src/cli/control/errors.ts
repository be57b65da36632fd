/**
 * Something about the control socket that the user has to act on: no run listening, another run
 * holding the socket, a socket of another user, a path too long for a Unix socket, an error reply
 * of the run. The CLI prints the message and exits with status 1 (2 for a name the run does not have: statusOfRefusal).
 */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    message: string,
    /** `ERR_SUBVISOR_…`, stable: what a script may test. */
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The code of the run's reply to a name it has no process by (`restart wrk`): a usage mistake, see statusOfRefusal. */
export const UNKNOWN_PROCESS = 'ERR_SUBVISOR_UNKNOWN_PROCESS';
