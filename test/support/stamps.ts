import { readFileSync } from 'node:fs';

/** The `EVENT NANOSECONDS` lines trap handlers appended to `file` (`date +%s%N`), as a map. */
export function stamps(file: string): Map<string, bigint> {
  return new Map(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string])
      .map(([event, ns]) => [event, BigInt(ns)]),
  );
}
