import { describe, expect, it } from 'vitest';
import { predictionsCopy } from './telemetry-copy.js';
import type { PredictionRecord } from './telemetry-records.js';

const base: PredictionRecord = {
  id: '019bd000-0000-7000-8000-000000000001',
  model: 'm',
  version: 2,
  variant: 'v2',
  protocol: 'v1',
  fallback: false,
  createdAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  latencyMs: 1.5,
};

describe('COPY text of prediction records', () => {
  it('writes one tab-separated line per record with \\N for what is missing', () => {
    expect(predictionsCopy([{ ...base, score: 0.25, label: 1 }, base]).text).toBe(
      '019bd000-0000-7000-8000-000000000001\tm\t2\tv2\tv1\tf\t2026-01-02T03:04:05.678Z\t1.5\t0.25\t1\t\\N\t\\N\n' +
        '019bd000-0000-7000-8000-000000000001\tm\t2\tv2\tv1\tf\t2026-01-02T03:04:05.678Z\t1.5\t\\N\t\\N\t\\N\t\\N\n',
    );
  });

  it('escapes backslashes, tabs and newlines, including those inside JSON', () => {
    const { text } = predictionsCopy([{ ...base, variant: 'a\tb', inputs: { s: 'line\nbreak \\ "q"' } }]);
    expect(text.split('\t')[3]).toBe('a\\tb');
    expect(text.trimEnd().split('\t').at(-1)).toBe(String.raw`{"s":"line\\nbreak \\\\ \\"q\\""}`);
  });

  it('rejects records that cannot be stored and counts them', () => {
    const r = predictionsCopy([base, { ...base, version: 1.5 }, { ...base, outputs: 10n }]);
    expect(r).toMatchObject({ rows: 1, rejected: 2 });
  });
});
