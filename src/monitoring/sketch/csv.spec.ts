import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, parseCsv } from './csv.js';

describe('parseCsv', () => {
  it('reads a header and records', () => {
    expect(parseCsv('a,b\n1,2\n3,4\n')).toEqual({ header: ['a', 'b'], rows: [['1', '2'], ['3', '4']] });
  });

  it('reads the last record without a final line break', () => {
    expect(parseCsv('a,b\n1,2').rows).toEqual([['1', '2']]);
  });

  it('accepts CRLF and lone CR line breaks', () => {
    expect(parseCsv('a,b\r\n1,2\r\n3,4\r\n').rows).toEqual([['1', '2'], ['3', '4']]);
    expect(parseCsv('a\r1\r2').rows).toEqual([['1'], ['2']]);
  });

  it('drops a UTF-8 byte order mark, from text or bytes', () => {
    expect(parseCsv('\uFEFFa,b\n1,2').header).toEqual(['a', 'b']);
    expect(parseCsv(Buffer.from('\uFEFFa,b\n1,2', 'utf8')).header).toEqual(['a', 'b']);
  });

  it('reads quoted fields holding commas, doubled quotes and line breaks', () => {
    const text = 'name,note\n"Smith, J","said ""hi""\nthen left"\r\n"",x\n';
    expect(parseCsv(text).rows).toEqual([
      ['Smith, J', 'said "hi"\nthen left'],
      ['', 'x'],
    ]);
  });

  it('keeps empty fields, a trailing comma included', () => {
    expect(parseCsv('a,b,c\n,,\n1,,').rows).toEqual([
      ['', '', ''],
      ['1', '', ''],
    ]);
  });

  it('keeps a blank line as a record of one empty field, so row numbers stay the file’s', () => {
    expect(parseCsv('a,b\n1,2\n\n3,4\n').rows).toEqual([['1', '2'], [''], ['3', '4']]);
  });

  it('reads an empty input as no header and no rows', () => {
    expect(parseCsv('')).toEqual({ header: [], rows: [] });
  });

  it.each([
    ['a,b\n1,"2\n', 2, 'never closed'],
    ['a,b\n1,"2"x\n', 2, 'after a closing quote'],
    ['a,b\n1,2\n3,4"5\n', 3, 'quote inside an unquoted field'],
  ])('refuses malformed quoting and names the line: %j', (text, line, words) => {
    let err: unknown;
    try {
      parseCsv(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CsvSyntaxError);
    expect((err as CsvSyntaxError).line).toBe(line);
    expect((err as CsvSyntaxError).message).toContain(words);
  });

  it('reads back any table written with RFC 4180 quoting', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', '1', 'é'), maxLength: 6 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.array(field, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 6 }), (width, table) => {
        const rows = table.map((r) => r.slice(0, width));
        const quote = (f: string) => `"${f.replaceAll('"', '""')}"`;
        const text = rows.map((r) => r.map(quote).join(',')).join('\r\n');
        const parsed = parseCsv(text);
        expect([parsed.header, ...parsed.rows]).toEqual(rows);
      }),
    );
  });

  it('reads the 3.5 MB loan_default training fixture: 18,000 rows of 13 fields', () => {
    const { header, rows } = parseCsv(readFileSync(new URL('../../../test/fixtures/loan_default_xgb.train.csv', import.meta.url)));
    expect(header).toHaveLength(13);
    expect(header[0]).toBe('income');
    expect(rows).toHaveLength(18_000);
    expect(rows.every((r) => r.length === 13)).toBe(true);
  });
});
