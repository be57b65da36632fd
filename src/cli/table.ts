import { displayWidth, padToWidth } from './text-width.js';

/**
 * Rows of cells as text columns two spaces apart, each as wide as its widest cell in terminal
 * columns (a CJK character or an emoji takes two), so a wide character in one row does not push
 * the rest of that row out of line. The last column is not padded.
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const columns = Math.max(0, ...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, column) => Math.max(0, ...rows.map((row) => displayWidth(row[column] ?? ''))));
  return rows.map((row) => `${row.map((cell, column) => (column === row.length - 1 ? cell : padToWidth(cell, widths[column] ?? 0))).join('  ')}\n`).join('');
}
