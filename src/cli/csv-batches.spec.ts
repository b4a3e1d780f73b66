import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../monitoring/sketch/csv.js';
import { CsvBatcher } from './csv-batches.js';

function batchesOf(text: string, batchRows: number, chunkSize: number): string[] {
  const b = new CsvBatcher(batchRows);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += chunkSize) out.push(...b.push(text.slice(i, i + chunkSize)));
  out.push(...b.end());
  return out;
}

describe('splitting a CSV file into batches of whole records', () => {
  it('starts every batch with the header and keeps quoted line breaks inside their record', () => {
    const text = 'id,note\n1,"a\nb"\n2,plain\n3,"x,""y"""\n';
    const batches = batchesOf(text, 2, 3);
    expect(batches).toEqual(['id,note\n1,"a\nb"\n2,plain\n', 'id,note\n3,"x,""y"""\n']);
  });

  it('takes a last record without a line break and skips blank lines', () => {
    expect(batchesOf('id\n1\n\n2', 10, 100)).toEqual(['id\n1\n2\n']);
  });

  it('yields, whatever the chunk and batch sizes, exactly the records a CSV parser reads from the whole file', () => {
    const field = fc.oneof(fc.stringMatching(/^[a-z0-9 ]{0,6}$/), fc.stringMatching(/^[a-z,\n"]{0,6}$/).map((s) => `"${s.replace(/"/g, '""')}"`));
    fc.assert(
      fc.property(fc.array(fc.tuple(field, field), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 13 }), (rows, batchRows, chunk) => {
        const text = `a,b\n${rows.map((r) => r.join(',')).join('\n')}\n`;
        const whole = parseCsv(text).rows;
        const batched = batchesOf(text, batchRows, chunk).flatMap((b) => {
          const t = parseCsv(b);
          expect(t.header).toEqual(['a', 'b']);
          return t.rows;
        });
        expect(batched).toEqual(whole.filter((r) => !(r.length === 1 && r[0] === '')));
      }),
    );
  });
});
