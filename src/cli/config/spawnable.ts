/**
 * What a spawn can carry: the checks that keep a config from failing at spawn time, after the
 * processes before it in the start order are already running. Node refuses these values only
 * when it spawns (ERR_INVALID_ARG_VALUE, with the value in the message), so the config check
 * refuses them first, at their place in the file and without showing the value.
 */

/**
 * Why `text` cannot be a command, an argument, a directory or an environment value, or undefined
 * when it can. A NUL byte ends a C string: the operating system has no way to pass one.
 */
export function unspawnableValue(text: string): string | undefined {
  return text.includes('\0') ? 'contains a NUL byte, which no command, argument, directory or environment value can hold; remove it' : undefined;
}

/**
 * Why `key` cannot be an environment variable's name, or undefined when it can: `NAME=value` is
 * how the environment is passed, so a name cannot be empty or hold `=` (the split would move it
 * into the value), nor a NUL byte.
 */
export function unspawnableEnvName(key: string): string | undefined {
  if (key === '') return 'is not a usable variable name: it is empty';
  if (key.includes('=')) return 'is not a usable variable name: it contains =, which separates a name from its value';
  if (key.includes('\0')) return 'is not a usable variable name: it contains a NUL byte';
  return undefined;
}

/**
 * `text` as a message may show it: control characters (a NUL, an escape sequence) written as
 * JSON escapes, so a message never carries them to the terminal raw.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => JSON.stringify(char).slice(1, -1));
}
