// Micro-benchmark of LineSplitter, the splitter behind per-line relay of a child's output.
//
//   npx tsx bench/lines.ts            (add --expose-gc to collect garbage between runs)
//
// 1. Throughput on ~64 MiB of 100-byte lines in 64 KiB chunks (Node's read size for a pipe), against
//    the raw baseline a relay would otherwise hand-roll: `stream.setEncoding('utf8')` plus an
//    indexOf('\n')/slice split with a string residual. Measured twice: on the bare splitting
//    (the decoder setEncoding installs, StringDecoder, called directly), where any overhead of
//    LineSplitter shows undiluted, and through a real Readable stream, as the relay runs.
// 2. A single 64 MiB line without a newline: time, and 64 MiB against 16 MiB to show the time
//    grows linearly, with the default limit (cut into 1 MiB pieces) and with the line held whole
//    (next to the floor of only decoding and joining, to tell the cost of holding 64 MiB apart).
//    The naive residual + chunk split is timed at 4 and 16 MiB for contrast (64 MiB would take
//    minutes).
//
// Runs alternate between the contenders, flipping their order each round, and report medians.
import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from '../src/process/output/lines.js';

const MiB = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const ROUNDS = 11;
const WARMUP_ROUNDS = 2;

/** What every contender calls per line: cheap, but its result is checked so it cannot be skipped. */
class Sink {
  lines = 0;
  units = 0;
  readonly onLine = (line: string): void => {
    this.lines += 1;
    this.units += line.length;
  };
}

type Contender = (chunks: readonly Buffer[], sink: Sink) => void | Promise<void>;

function splitterContender(maxLineBytes = DEFAULT_MAX_LINE_BYTES): Contender {
  return (chunks, sink) => {
    const splitter = new LineSplitter(sink.onLine, { maxLineBytes });
    for (const chunk of chunks) splitter.push(chunk);
    splitter.end();
  };
}

/** The raw baseline's split: every complete line of `text` to the sink; returns the rest. */
function emitCompleteLines(text: string, sink: Sink): string {
  let start = 0;
  let newline: number;
  while ((newline = text.indexOf('\n', start)) !== -1) {
    sink.onLine(text.slice(start, newline));
    start = newline + 1;
  }
  return text.slice(start);
}

/** The raw baseline: StringDecoder (what setEncoding('utf8') uses) and a string residual. */
const baseline: Contender = (chunks, sink) => {
  const decoder = new StringDecoder('utf8');
  let residual = '';
  for (const chunk of chunks) residual = emitCompleteLines(residual + decoder.write(chunk), sink);
  residual += decoder.end();
  if (residual.length > 0) sink.onLine(residual);
};

const streamedSplitter: Contender = async (chunks, sink) => {
  const splitter = new LineSplitter(sink.onLine);
  const stream = Readable.from(chunks, { objectMode: false });
  for await (const chunk of stream) splitter.push(chunk as Buffer);
  splitter.end();
};

const streamedBaseline: Contender = async (chunks, sink) => {
  const stream = Readable.from(chunks, { objectMode: false });
  stream.setEncoding('utf8');
  let residual = '';
  for await (const decoded of stream) residual = emitCompleteLines(residual + (decoded as string), sink);
  if (residual.length > 0) sink.onLine(residual);
};

/** The least any splitter holding a whole line must do: shows what holding 64 MiB costs by itself. */
const holdWhole: Contender = (chunks, sink) => {
  const decoder = new StringDecoder('utf8');
  const pieces = chunks.map((chunk) => decoder.write(chunk));
  pieces.push(decoder.end());
  sink.onLine(pieces.join(''));
};

function chunksOf(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += CHUNK_BYTES) chunks.push(bytes.subarray(start, start + CHUNK_BYTES));
  return chunks;
}

/** About `totalBytes` of lines of exactly `lineBytes` bytes (newline included), drawn from `alphabet`. */
function lines(totalBytes: number, lineBytes: number, alphabet: string): Buffer[] {
  const chars = Array.from(alphabet); // by code point: 😀 is one character
  // A few distinct lines (the alphabet rotated), so lines differ without building each one.
  const variants = chars.map((_, offset) => {
    let text = '';
    for (let index = 0; Buffer.byteLength(text) + 4 <= lineBytes - 1; index++) text += chars[(offset + index) % chars.length] ?? '';
    return Buffer.from(`${text}${'.'.repeat(lineBytes - 1 - Buffer.byteLength(text))}\n`);
  });
  const count = Math.floor(totalBytes / lineBytes);
  return chunksOf(Buffer.concat(Array.from({ length: count }, (_, index) => variants[index % variants.length] ?? Buffer.alloc(0))));
}

function singleLine(totalBytes: number): Buffer[] {
  return chunksOf(Buffer.alloc(totalBytes, 'x'));
}

/** Node's global gc(), present only under --expose-gc. */
const exposedGc = (globalThis as { gc?: () => void }).gc;

function collectGarbage(): void {
  exposedGc?.();
}

async function timeOnce(contender: Contender, chunks: readonly Buffer[], sink: Sink): Promise<number> {
  collectGarbage();
  const start = process.hrtime.bigint();
  await contender(chunks, sink);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

/** Median milliseconds of each contender, run in alternating order; checks they saw the same text. */
async function race(
  contenders: Record<string, Contender>,
  chunks: readonly Buffer[],
  rounds = ROUNDS,
): Promise<Record<string, number>> {
  const names = Object.keys(contenders);
  const times = new Map<string, number[]>(names.map((name) => [name, []]));
  const seen = new Map<string, string>();
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const sink = new Sink();
      const ms = await timeOnce(contenders[name] as Contender, chunks, sink);
      if (round >= WARMUP_ROUNDS) times.get(name)?.push(ms);
      // Only the text must agree: a limit legitimately emits a long line as several pieces.
      seen.set(name, `${sink.units} UTF-16 units`);
    }
  }
  if (new Set(seen.values()).size !== 1) throw new Error(`contenders disagree: ${JSON.stringify(Object.fromEntries(seen))}`);
  return Object.fromEntries(names.map((name) => [name, median(times.get(name) ?? [])]));
}

const mbPerSecond = (bytes: number, ms: number): string => `${((bytes / MiB) / (ms / 1000)).toFixed(0)} MiB/s`;

async function throughput(title: string, chunks: readonly Buffer[]): Promise<void> {
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const bare = await race({ splitter: splitterContender(), baseline }, chunks);
  const streamed = await race({ splitter: streamedSplitter, baseline: streamedBaseline }, chunks);
  console.log(`\n${title}: ${(bytes / MiB).toFixed(0)} MiB in ${chunks.length} chunks of 64 KiB, median of ${ROUNDS}`);
  for (const [how, result] of [['bare', bare], ['stream', streamed]] as const) {
    const { splitter = NaN, baseline: raw = NaN } = result;
    console.log(
      `  ${how.padEnd(7)} LineSplitter ${splitter.toFixed(1).padStart(7)} ms (${mbPerSecond(bytes, splitter)})` +
        `  baseline ${raw.toFixed(1).padStart(7)} ms (${mbPerSecond(bytes, raw)})` +
        `  ratio ${(splitter / raw).toFixed(3)}`,
    );
  }
}

async function longLine(): Promise<void> {
  console.log(`\nOne line without a newline, in 64 KiB chunks, median of 5`);
  const contenders: Record<string, Contender> = {
    'LineSplitter, 1 MiB limit (cut)': splitterContender(),
    'LineSplitter, 256 MiB limit (held whole)': splitterContender(256 * MiB),
    'floor: decode, keep every piece, join once': holdWhole,
  };
  const small = await race(contenders, singleLine(16 * MiB), 5);
  const large = await race(contenders, singleLine(64 * MiB), 5);
  for (const name of Object.keys(contenders)) {
    const ms16 = small[name] ?? NaN;
    const ms64 = large[name] ?? NaN;
    console.log(
      `  ${name.padEnd(44)} 16 MiB ${ms16.toFixed(1).padStart(6)} ms  64 MiB ${ms64.toFixed(1).padStart(6)} ms` +
        `  64/16 = ${(ms64 / ms16).toFixed(2)} (linear: 4)`,
    );
  }
  const naive = { naive: baseline };
  const naive4 = (await race(naive, singleLine(4 * MiB), 3)).naive ?? NaN;
  const naive16 = (await race(naive, singleLine(16 * MiB), 3)).naive ?? NaN;
  console.log(
    `  ${'naive residual + chunk split'.padEnd(44)}  4 MiB ${naive4.toFixed(1).padStart(6)} ms  16 MiB ${naive16.toFixed(1).padStart(6)} ms` +
      `  16/4 = ${(naive16 / naive4).toFixed(2)} (quadratic: 16)`,
  );
}

console.log(`node ${process.version}${exposedGc ? ', gc between runs' : ''}`);
await throughput('ASCII, 100-byte lines', lines(64 * MiB, 100, 'abcdefghijklmnopqrstuvwxyz0123456789 '));
await throughput('UTF-8 (é € 😀 mixed in), 100-byte lines', lines(64 * MiB, 100, 'abcé€😀xyz '));
await longLine();
