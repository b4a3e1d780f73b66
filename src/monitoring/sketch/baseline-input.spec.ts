import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '../../common/errors.js';
import { parseBaselineUpload, type BaselineSpec } from './baseline-input.js';
import { buildBaselineSketch } from './baseline-sketch.js';

const spec: BaselineSpec = { featureNames: ['age', 'income', 'region'], categorical: ['region'], labelColumn: 'label' };
const read = (text: string, s: BaselineSpec = spec) => parseBaselineUpload(Buffer.from(text, 'utf8'), s);

function refusal(text: string, s: BaselineSpec = spec): ValidationFailed {
  try {
    read(text, s);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationFailed);
    const v = err as ValidationFailed;
    expect(v.code).toBe('VALIDATION_FAILED');
    expect(v.kind).toBe('invalid');
    expect(v.details.field).toBe('baseline');
    return v;
  }
  throw new Error('expected the baseline to be refused');
}

const rowsOf = (text: string) => {
  const r = read(text);
  if (r.kind !== 'rows') throw new Error('expected rows');
  return { ...r, columns: r.columns.map((c) => Array.from(c)), labels: r.labels && Array.from(r.labels) };
};

describe('parseBaselineUpload: CSV', () => {
  it('reads columns in feature order, whatever the header order, with the label apart', () => {
    expect(rowsOf('region,label,income,age\n1,0,50000,41\n2,1,62000.5,35\n')).toEqual({
      kind: 'rows',
      rowCount: 2,
      columns: [
        [41, 35],
        [50000, 62000.5],
        [1, 2],
      ],
      labels: [0, 1],
    });
  });

  it('reads empty, NaN, null and NA as missing values', () => {
    const r = rowsOf('age,income,region\n,NaN,null\nNA,1,2\n');
    expect(r.columns[0]).toEqual([NaN, NaN]);
    expect(r.columns[1]).toEqual([NaN, 1]);
    expect(r.columns[2]).toEqual([NaN, 2]);
    expect(r.labels).toBeUndefined();
  });

  it('drops a label column that holds no value at all', () => {
    expect(rowsOf('age,income,region,label\n1,2,3,\n4,5,6,\n').labels).toBeUndefined();
  });

  it('skips blank lines, CRLF and a byte order mark', () => {
    expect(rowsOf('\uFEFFage,income,region\r\n1,2,3\r\n\r\n4,5,6\r\n').rowCount).toBe(2);
  });

  it('refuses a column that is neither a feature nor the label, by name', () => {
    const v = refusal('age,income,region,zip\n1,2,3,4\n');
    expect(v.details.column).toBe('zip');
    expect(v.message).toContain('"zip"');
    expect(v.message).toContain('label column "label"');
  });

  it('refuses a missing feature column, by name', () => {
    const v = refusal('age,region\n1,2\n');
    expect(v.details.column).toBe('income');
    expect(v.message).toContain('no column for feature "income"');
  });

  it('refuses a value that is not a number, naming the column and row', () => {
    const v = refusal('age,income,region\n1,2,3\n4,lots,6\n');
    expect(v.details).toMatchObject({ column: 'income', row: 2 });
    expect(v.message).toContain('"lots" is not a number');
    expect(v.message).toContain('missing value');
  });

  it('refuses a label that is not a number, naming the row', () => {
    expect(refusal('age,income,region,label\n1,2,3,yes\n').details).toMatchObject({ column: 'label', row: 1 });
  });

  it('refuses a row with the wrong number of fields', () => {
    const v = refusal('age,income,region\n1,2,3\n4,5\n');
    expect(v.details.row).toBe(2);
    expect(v.message).toContain('2 fields, but the header has 3');
  });

  it('refuses a duplicated header', () => {
    expect(refusal('age,age,income,region\n1,1,2,3\n').details.column).toBe('age');
  });

  it('refuses a header with no rows and an empty upload', () => {
    expect(refusal('age,income,region\n').message).toContain('no rows');
    expect(refusal('  \n').message).toContain('empty');
  });

  it('refuses malformed CSV, naming the line', () => {
    const v = refusal('age,income,region\n1,"2,3\n');
    expect(v.details.line).toBe(2);
  });

  it('reads the loan_default validation fixture: 6,000 rows, 12 features and the label', () => {
    const expected = JSON.parse(readFileSync(new URL('../../../test/fixtures/loan_default_xgb.expected.json', import.meta.url), 'utf8'));
    const r = parseBaselineUpload(readFileSync(new URL('../../../test/fixtures/loan_default_xgb.valid.csv', import.meta.url)), {
      featureNames: expected.feature_names,
      categorical: expected.categorical_features,
      labelColumn: expected.label_column,
    });
    if (r.kind !== 'rows') throw new Error('expected rows');
    expect(r.rowCount).toBe(6000);
    expect(r.columns).toHaveLength(12);
    expect(r.columns[0][0]).toBe(38829.359375);
    expect(r.labels?.[0]).toBe(1);
  });
});

describe('parseBaselineUpload: JSON rows', () => {
  it('reads an array of objects, with null and numeric text as values', () => {
    expect(rowsOf('[{"age": 41, "income": 5e4, "region": "2", "label": 1}, {"age": null, "income": 7, "region": 3}]')).toEqual({
      kind: 'rows',
      rowCount: 2,
      columns: [
        [41, NaN],
        [50000, 7],
        [2, 3],
      ],
      labels: [1, NaN],
    });
  });

  it('refuses an unknown key by name, with its row', () => {
    expect(refusal('[{"age": 1, "income": 2, "region": 3, "zip": 9}]').details).toMatchObject({ column: 'zip', row: 1 });
  });

  it('refuses a feature absent from every row as a missing column', () => {
    const v = refusal('[{"age": 1, "region": 3}]');
    expect(v.details.column).toBe('income');
    expect(v.message).toContain('no column for feature "income"');
  });

  it('refuses a row that lacks a feature other rows have, telling to write null', () => {
    const v = refusal('[{"age": 1, "income": 2, "region": 3}, {"age": 1, "region": 3}]');
    expect(v.details).toMatchObject({ column: 'income', row: 2 });
    expect(v.message).toContain('null');
  });

  it('refuses a value that is not a number, naming column and row', () => {
    expect(refusal('[{"age": true, "income": 2, "region": 3}]').details).toMatchObject({ column: 'age', row: 1 });
    expect(refusal('[{"age": 1, "income": "north", "region": 3}]').details).toMatchObject({ column: 'income', row: 1 });
  });

  it('refuses a row that is not an object, an empty array and broken JSON', () => {
    expect(refusal('[[1, 2, 3]]').details.row).toBe(1);
    expect(refusal('[]').message).toContain('no rows');
    expect(refusal('[{"age": 1,').message).toContain('not valid JSON');
  });
});

describe('parseBaselineUpload: precomputed sketch', () => {
  const rows = rowsOf('age,income,region\n41,50000,1\n35,62000,2\n29,,2\n');
  const built = buildBaselineSketch({ ...spec, columns: rows.columns, rowCount: 3, prediction: { type: 'numeric', values: [0.1, 0.7, 0.4] } });

  it('takes a valid sketch as it is', () => {
    const r = read(JSON.stringify(built));
    expect(r).toEqual({ kind: 'sketch', sketch: built });
  });

  it('accepts the sketch without row_count', () => {
    const { row_count: _drop, ...rest } = built;
    const r = read(JSON.stringify(rest));
    expect(r.kind === 'sketch' && r.sketch.row_count).toBe(3);
  });

  it('refuses a sketch missing a feature, or with an extra one, by name', () => {
    const { region: _r, ...fewer } = built.features;
    expect(refusal(JSON.stringify({ ...built, features: fewer })).details.column).toBe('region');
    const extra = refusal(JSON.stringify({ ...built, features: { ...built.features, zip: built.features.age } }));
    expect(extra.details.column).toBe('zip');
  });

  it('refuses a numeric sketch for a categorical feature', () => {
    const v = refusal(JSON.stringify({ ...built, features: { ...built.features, region: built.features.age } }));
    expect(v.details).toMatchObject({ column: 'region', path: 'features.region.type' });
  });

  it('refuses an inconsistent sketch, naming the path', () => {
    const age = built.features.age as { edges: number[] };
    const broken = { ...built, features: { ...built.features, age: { ...age, edges: [...age.edges].reverse() } } };
    const v = refusal(JSON.stringify(broken));
    expect(v.details.path).toMatch(/^features\.age\.edges/);
    expect(v.message).toContain('features.age.edges');
  });
});
