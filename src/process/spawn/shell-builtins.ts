/**
 * Commands a shell runs itself, that no PATH holds as a program (on most systems): a name of these
 * that exec did not find was meant for a shell, not misspelt. POSIX's special built-ins, and the
 * built-ins of bash and dash that scripts most often hand on (`source`, `export`, `cd`). Where a
 * system ships one as a program (Fedora's /usr/bin/cd), it is found, and this list is not asked.
 * Each says which shell has it: `sh`, every shell; `bash`, bash (and zsh) but not dash, which is
 * /bin/sh on Debian and Ubuntu, so that `sh -c 'source FILE'` is not found there either.
 */
export const SHELL_BUILTINS: ReadonlyMap<string, 'sh' | 'bash'> = new Map([
  ...(['.', ':', 'alias', 'bg', 'break', 'cd', 'command', 'continue', 'eval', 'exec', 'exit', 'export', 'fg', 'getopts', 'hash', 'jobs', 'local'] as const).map((name) => [name, 'sh'] as const),
  ...(['readonly', 'return', 'set', 'shift', 'times', 'trap', 'type', 'ulimit', 'umask', 'unalias', 'unset', 'wait'] as const).map((name) => [name, 'sh'] as const),
  ...(['builtin', 'declare', 'let', 'popd', 'pushd', 'shopt', 'source', 'typeset'] as const).map((name) => [name, 'bash'] as const),
]);
