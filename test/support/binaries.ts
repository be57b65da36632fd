import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Writes `/bin/true` at `path`, executable, marked as built for SPARC (ELF e_machine 2), which no
 * machine running these tests is: the system refuses to exec it with ENOEXEC. Returns `path`.
 */
export function writeForeignBinary(path: string): string {
  const elf = readFileSync('/bin/true');
  elf.writeUInt16LE(2, 18);
  writeFileSync(path, elf);
  chmodSync(path, 0o755);
  return path;
}
