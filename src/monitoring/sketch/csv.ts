/**
 * RFC 4180 CSV: a header row, then records; fields separated by commas,
 * records by CRLF or LF (a lone CR too); a field in double quotes may hold
 * commas, line breaks and doubled quotes (""). A UTF-8 byte order mark is
 * dropped. One quirk is refused rather than guessed at: a quote inside an
 * unquoted field, or text after a closing quote, is a syntax error naming
 * its line, because spreadsheets that write those have usually shifted a
 * column and every value after it would be read into the wrong feature.
 */
export interface CsvTable {
  header: string[];
  /** Records after the header, each as written (a record may have more or fewer fields than the header). */
  rows: string[][];
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    /** 1-based physical line of the input where the problem is. */
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

export function decodeCsvText(input: string | Uint8Array): string {
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function parseCsv(input: string | Uint8Array): CsvTable {
  const text = decodeCsvText(input);
  const records: string[][] = [];
  const n = text.length;
  let i = 0;
  let record: string[] = [];
  // Scans one field per iteration; the loop ends after the last record.
  while (i < n) {
    let field: string;
    if (text.charCodeAt(i) === QUOTE) {
      const open = i;
      let value = '';
      let from = i + 1;
      for (;;) {
        const close = text.indexOf('"', from);
        if (close < 0) throw new CsvSyntaxError('a quoted field is never closed', lineAt(text, open));
        if (text.charCodeAt(close + 1) === QUOTE) {
          value += text.slice(from, close + 1);
          from = close + 2;
          continue;
        }
        value += text.slice(from, close);
        i = close + 1;
        break;
      }
      const next = i < n ? text.charCodeAt(i) : LF;
      if (next !== COMMA && next !== LF && next !== CR) {
        throw new CsvSyntaxError('text after a closing quote; a quote inside a quoted field is written ""', lineAt(text, i));
      }
      field = value;
    } else {
      const start = i;
      let c = 0;
      while (i < n) {
        c = text.charCodeAt(i);
        if (c === COMMA || c === LF || c === CR) break;
        if (c === QUOTE) throw new CsvSyntaxError('a quote inside an unquoted field; quote the whole field', lineAt(text, i));
        i++;
      }
      field = text.slice(start, i);
    }
    record.push(field);
    if (i >= n) break;
    const sep = text.charCodeAt(i);
    i++;
    if (sep === COMMA) {
      // A trailing comma ends the record with an empty field.
      if (i >= n) record.push('');
      continue;
    }
    if (sep === CR && text.charCodeAt(i) === LF) i++;
    // A blank line is a record of one empty field, so row numbers stay the file's.
    records.push(record);
    record = [];
  }
  if (record.length) records.push(record);
  const header = records.shift() ?? [];
  return { header, rows: records };
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) line++;
  }
  return line;
}
