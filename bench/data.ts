// The input files of the benchmark, generated once under bench/.data/ (gitignored) and reused:
// a file is rebuilt only when missing or of the wrong size. Each is written to a temporary name
// and renamed into place, so an interrupted run never leaves a short file that looks finished.
import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DATA_DIR = fileURLToPath(new URL('./.data/', import.meta.url));

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** Every line of a lines file is this many bytes, its `\n` included: ASCII, so characters = bytes. */
export const LINE_BYTES = 100;

/** What a reader of a lines file must deliver: the exact counts, and the first line to compare with. */
export interface LinesFile {
  readonly path: string;
  readonly bytes: number;
  readonly lines: number;
  /** Characters of all lines together, without their newlines. */
  readonly lineChars: number;
  readonly firstLine: string;
}

/** Writes generated blocks of this size: big enough that the generator costs a second, not minutes. */
const BLOCK_BYTES = MiB;

/**
 * The line at `index` (from 0) of every lines file, without its newline: distinct lines (a counter
 * and a rotating alphabet), so a reader cannot skip, repeat or reorder any unseen.
 */
export function lineText(index: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const head = `${String(index).padStart(10, '0')} `;
  const shift = index % alphabet.length;
  const filler = (alphabet.slice(shift) + alphabet.slice(0, shift)).repeat(2);
  return head + filler.slice(0, LINE_BYTES - 1 - head.length);
}

/**
 * About `approxBytes` of 100-byte lines (whole lines only, so the size is the largest multiple of
 * 100 that fits). 256 MiB takes a couple of seconds to write; it is written once.
 */
export function linesFile(approxBytes: number): LinesFile {
  const lines = Math.floor(approxBytes / LINE_BYTES);
  const bytes = lines * LINE_BYTES;
  const path = `${DATA_DIR}lines-${bytes}.txt`;
  ensureFile(path, bytes, (write) => {
    const perBlock = Math.floor(BLOCK_BYTES / LINE_BYTES);
    for (let first = 0; first < lines; first += perBlock) {
      let block = '';
      for (let index = first; index < Math.min(lines, first + perBlock); index++) block += `${lineText(index)}\n`;
      write(Buffer.from(block, 'latin1'));
    }
  });
  return { path, bytes, lines, lineChars: lines * (LINE_BYTES - 1), firstLine: lineText(0) };
}

/** One line of `bytes` ASCII characters and no newline at all: the child that never ends its line. */
export function longLineFile(bytes: number): string {
  const path = `${DATA_DIR}long-line-${bytes}.txt`;
  ensureFile(path, bytes, (write) => {
    const block = Buffer.alloc(BLOCK_BYTES, 'x');
    for (let written = 0; written < bytes; written += BLOCK_BYTES) write(block.subarray(0, Math.min(BLOCK_BYTES, bytes - written)));
  });
  return path;
}

function ensureFile(path: string, bytes: number, generate: (write: (chunk: Uint8Array) => void) => void): void {
  try {
    if (statSync(path).size === bytes) return;
  } catch {
    // missing: generate it below
  }
  mkdirSync(DATA_DIR, { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    generate((chunk) => {
      for (let offset = 0; offset < chunk.length; ) offset += writeSync(fd, chunk, offset);
    });
  } finally {
    closeSync(fd);
  }
  const written = statSync(temporary).size;
  if (written !== bytes) throw new Error(`bench data: ${temporary} has ${written} bytes, expected ${bytes}`);
  renameSync(temporary, path);
}
