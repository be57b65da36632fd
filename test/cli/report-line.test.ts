import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { asReportLine, REPORT_LINE_CHARS } from '../../src/cli/report-line.js';

describe('asReportLine: a line of a failed child as the report shows it', () => {
  test('a line rewritten with \\r shows its last state, not a mix of the states (a terminal overlay)', () => {
    assert.equal(asReportLine('frame= 2999 fps=25 size=  1024kB\rframe= 3000 fps=25 size=  1024kB\rConversion failed!'), 'Conversion failed!');
    assert.equal(asReportLine('\rget 10%\rget 100%'), 'get 100%');
  });

  test('a \\r that nothing followed leaves the state before it', () => {
    assert.equal(asReportLine('get 100%\r'), 'get 100%');
    assert.equal(asReportLine('get 10%\r\rget 100%\r\r'), 'get 100%');
    assert.equal(asReportLine('\r\r'), '');
  });

  test('a line with no \\r and no longer than the limit is shown as it is', () => {
    fc.assert(fc.property(fc.string({ maxLength: REPORT_LINE_CHARS }).filter((line) => !line.includes('\r')), (line) => asReportLine(line) === line));
  });

  test('a longer line keeps its end, after how many characters were cut; the two add up to the line', () => {
    const line = `${'x'.repeat(1000)} error: at the end`;
    const shown = asReportLine(line);
    assert.equal(shown, `(${line.length - REPORT_LINE_CHARS} characters cut) …${line.slice(-REPORT_LINE_CHARS)}`);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }).filter((text) => !text.includes('\r')), fc.integer({ min: 1, max: 30 }), (text, chars) => {
        const cut = /^\((\d+) characters cut\) …/.exec(asReportLine(text, chars));
        if (cut === null) return asReportLine(text, chars) === text && text.length <= chars;
        const kept = asReportLine(text, chars).slice(cut[0].length);
        return Number(cut[1]) + kept.length === text.length && text.endsWith(kept) && kept.length <= chars;
      }),
    );
  });

  test('the cut never splits an emoji into a lone half', () => {
    const shown = asReportLine(`${'a'.repeat(10)}${'🚀'.repeat(10)}`, 5);
    assert.equal(shown, '(26 characters cut) …🚀🚀');
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(shown));
  });
});
