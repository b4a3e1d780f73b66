import { describe, expect, it } from 'vitest';
import { uuidMs } from '../telemetry/partition-bounds.js';
import { ID_MARGIN_MS, idBounds, metricsSql, recordsSql, windowParams } from './performance-sql.js';

const q = { model: 'm', from: new Date('2026-12-01T10:00:00Z'), to: new Date('2026-12-01T11:00:00Z'), bucketMs: 60_000 };

describe('performance SQL', () => {
  it('bounds the ids of both sides of the join to the window plus a margin', () => {
    const [lo, hi] = idBounds(q.from, q.to);
    expect(uuidMs(lo)).toBe(q.from.getTime() - ID_MARGIN_MS);
    expect(uuidMs(hi)).toBe(q.to.getTime() + ID_MARGIN_MS);
    const sql = recordsSql(q);
    for (const col of ['p.id', 'l.prediction_id', 's.prediction_id']) expect(sql).toContain(`${col} >= '${lo}'::uuid AND ${col} < '${hi}'::uuid`);
  });

  it('takes the model and filters as parameters, never as text', () => {
    const evil = { ...q, model: "x'; DROP TABLE predictions; --", variant: "v'1" };
    expect(metricsSql(evil)).not.toContain('DROP TABLE');
    expect(windowParams(evil)).toEqual([evil.model, '2026-12-01T10:00:00.000Z', '2026-12-01T11:00:00.000Z', null, "v'1"]);
  });
});
