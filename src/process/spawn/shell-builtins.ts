/**
 * Commands a shell runs itself, that no PATH holds as a program (on most systems): a name of these
 * that exec did not find was meant for a shell, not misspelt. POSIX's special built-ins, and the
 * built-ins of bash and dash that scripts most often hand on (`source`, `export`, `cd`). Where a
 * system ships one as a program (Fedora's /usr/bin/cd), it is found, and this list is not asked.
 */
export const SHELL_BUILTINS: ReadonlySet<string> = new Set([
  '.', ':', 'alias', 'bg', 'break', 'builtin', 'cd', 'command', 'continue', 'declare', 'eval', 'exec', 'exit', 'export', 'fg',
  'getopts', 'hash', 'jobs', 'let', 'local', 'popd', 'pushd', 'readonly', 'return', 'set', 'shift', 'shopt', 'source', 'times',
  'trap', 'type', 'typeset', 'ulimit', 'umask', 'unalias', 'unset', 'wait',
]);
