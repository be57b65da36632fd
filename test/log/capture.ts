// Test helpers: a stream that keeps what is written to it, and a scope that captures log records.
import { Writable } from 'node:stream';
import { configureLogging, type LoggingOptions } from '../../src/log/config.js';
import type { LogRecord } from '../../src/log/record.js';

/** A Writable that keeps every chunk as text, and claims to be a TTY when told to. */
export class CaptureStream extends Writable {
  readonly chunks: string[] = [];
  readonly isTTY: boolean;

  constructor({ isTTY = false }: { isTTY?: boolean } = {}) {
    super({ decodeStrings: false });
    this.isTTY = isTTY;
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(String(chunk));
    callback();
  }

  get text(): string {
    return this.chunks.join('');
  }
}

/**
 * Runs `fn` with records going to an array (and the given threshold), then restores the global
 * configuration, whatever `fn` did.
 */
export function captureRecords(level: LoggingOptions['level'], fn: () => void): LogRecord[] {
  const records: LogRecord[] = [];
  const previous = configureLogging({ level, sink: (record) => records.push(record) });
  try {
    fn();
  } finally {
    configureLogging(previous);
  }
  return records;
}
