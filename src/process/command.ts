/** How a command is named in messages and relay tags: argv joined by spaces, or the shell string. */
export function formatCommand(cmd: readonly string[] | string): string {
  return typeof cmd === 'string' ? cmd : cmd.join(' ');
}
