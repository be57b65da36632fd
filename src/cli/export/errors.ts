/**
 * Why an export refused a config: something it has no way to say in the target's terms.
 * `code` is stable: `ERR_EXPORT_READY_LOG` (a `ready` log pattern, see `--ready-log=drop`),
 * `ERR_EXPORT_ENV_NAME` (a variable name systemd cannot carry), `ERR_EXPORT_PREFIX` (a unit name
 * prefix, or a unit name with it, systemd cannot take), `ERR_EXPORT_WRITE` (the output could not
 * be written; the fs error is the cause), `ERR_EXPORT_NAME` (a copy's Compose service name is
 * already a process's), `ERR_EXPORT_PATH` (a path a systemd unit cannot carry: a line break in it,
 * or blanks at its ends; or an `-o` for one file that names a directory), `ERR_EXPORT_UNSAFE_DIRECTORY`
 * (an `-o` directory another user owns or may replace, see ../others-may-write.ts). The message names the
 * process or the path and says what to do.
 */
export class ExportError extends Error {
  override readonly name = 'ExportError';

  constructor(
    readonly code: 'ERR_EXPORT_READY_LOG' | 'ERR_EXPORT_ENV_NAME' | 'ERR_EXPORT_PREFIX' | 'ERR_EXPORT_WRITE' | 'ERR_EXPORT_NAME' | 'ERR_EXPORT_PATH' | 'ERR_EXPORT_UNSAFE_DIRECTORY',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
