/**
 * The most of one line of a child's output the failure report shows: some three rows of a wide
 * terminal. A line can be 16 KiB (the whole stderr tail on one line: a minified stack trace, a
 * JSON blob): in full it would bury the report's other lines.
 */
export const REPORT_LINE_CHARS = 300;

/**
 * One line of a child's output (its stderr tail, a probe's output) as the failure report shows it:
 * as a terminal left it, then cut to its end.
 *
 * A line rewritten in place with bare `\r`s (a progress meter: curl's, ffmpeg's `frame=` line) shows
 * its last state, the text after the last `\r` that something followed; often an error written over
 * the progress (`Conversion failed!`). Every state, as the log files and `logs` keep them, would fill
 * the 16 KiB tail with progress, the error at its very end. Not a terminal's overlay, which would keep
 * the end of a longer state after a shorter last one (`Conversion failed!=28.0 size=  1024kB`), a mix
 * nobody wrote; nor a line per state, as Node's readline and Python's universal newlines split them,
 * which would push the lines that came before the progress out of the report's last lines. Travis CI's
 * and AppVeyor's log viewers show the last state too.
 *
 * A line still longer than `chars` keeps its end, where such a line's error usually is, after the
 * number of characters cut: `(16544 characters cut) …Conversion failed!`.
 *
 * @param line - One line, without its line end.
 * @param chars - The most of it shown, in UTF-16 units (one fewer when the cut would split an emoji). Default {@link REPORT_LINE_CHARS}.
 */
export function asReportLine(line: string, chars = REPORT_LINE_CHARS): string {
  return endOf(lastState(line), chars);
}

/**
 * What a line rewritten in place with bare `\r`s shows last, as {@link asReportLine} explains: the
 * text after the last `\r` that something followed; the line itself when it has no `\r`.
 */
export function lastState(line: string): string {
  if (!line.includes('\r')) return line;
  // A `\r` nothing followed moves the cursor and writes nothing: the state before it stays.
  const states = line.split('\r');
  return states.findLast((state) => state !== '') ?? '';
}

function endOf(line: string, chars: number): string {
  if (line.length <= chars) return line;
  let from = line.length - chars;
  // A cut between the halves of a surrogate pair would show a lone half: U+FFFD.
  if (isLowSurrogate(line.charCodeAt(from))) from += 1;
  return `(${from} characters cut) …${line.slice(from)}`;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
