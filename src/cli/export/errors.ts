/**
 * Why an export refused a config: something it has no way to say in the target's terms.
 * `code` is stable: `ERR_EXPORT_READY_LOG` (a `ready` log pattern, see `--ready-log=drop`),
 * `ERR_EXPORT_ENV_NAME` (a variable name systemd cannot carry), `ERR_EXPORT_PREFIX` (a unit name
 * prefix systemd cannot take). The message names the process and says what to do.
 */
export class ExportError extends Error {
  override readonly name = 'ExportError';

  constructor(
    readonly code: 'ERR_EXPORT_READY_LOG' | 'ERR_EXPORT_ENV_NAME' | 'ERR_EXPORT_PREFIX',
    message: string,
  ) {
    super(message);
  }
}
