import { readHead } from './file-head.js';

/**
 * The machine the ELF file at `path` is built for (its `e_machine`); undefined when it is not an
 * ELF file or cannot be read. What tells "built for another architecture" from "a program for this
 * machine that the system would not run" when an exec fails with ENOEXEC.
 */
export function machineOf(path: string): number | undefined {
  const head = readHead(path, HEADER_BYTES);
  if (head === undefined || head.length < HEADER_BYTES || head.readUInt32BE(0) !== ELF_MAGIC) return undefined;
  // EI_DATA (byte 5): 1 little-endian, 2 big-endian; e_machine is the half-word at 18.
  return head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
}

/** The machine this process runs on: the one Node's own binary is built for. */
export function ownMachine(): number | undefined {
  ownMachineCache ??= { machine: machineOf(process.execPath) };
  return ownMachineCache.machine;
}

/** An `e_machine` as people name it (`x86-64`, `AArch64`), or its number when it is a rare one. */
export function machineName(machine: number): string {
  return MACHINE_NAMES[machine] ?? `ELF machine ${machine}`;
}

const ELF_MAGIC = 0x7f454c46; // "\x7fELF"
const HEADER_BYTES = 20;

const MACHINE_NAMES: Readonly<Record<number, string>> = {
  2: 'SPARC',
  3: 'x86 (32-bit)',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 'IBM S/390',
  40: 'ARM (32-bit)',
  43: 'SPARC64',
  62: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
  258: 'LoongArch',
};

let ownMachineCache: { readonly machine: number | undefined } | undefined;
