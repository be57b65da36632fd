/** How many `\n` `bytes` holds: the lines a write of them would have ended (every text given to one ends with its `\n`). */
export function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) count++;
  return count;
}
