import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../common/ids.js';
import { createPartitionSql, DAY_MS, dayPartition, partitionDay, partitionPlan, uuidFloor, uuidMs } from './partition-bounds.js';

describe('daily partition bounds on UUIDv7 ids', () => {
  it('puts every id made during a day between that day bound and the next', () => {
    const day = Date.UTC(2026, 11, 1);
    const p = dayPartition('predictions', day + 5 * 3600_000);
    expect(p).toMatchObject({ name: 'predictions_p20261201', day });
    for (const ms of [day, day + 1, day + DAY_MS - 1]) {
      const id = uuidv7(ms);
      expect(id >= p.from && id < p.to, id).toBe(true);
    }
    expect(uuidv7(day + DAY_MS) >= p.to).toBe(true);
  });

  it('writes the time in the leading 48 bits and zero after it', () => {
    expect(uuidFloor(0)).toBe('00000000-0000-0000-0000-000000000000');
    expect(uuidFloor(0x0123456789ab)).toBe('01234567-89ab-0000-0000-000000000000');
    expect(uuidMs(uuidFloor(1_764_547_200_000))).toBe(1_764_547_200_000);
    expect(() => uuidFloor(-1)).toThrow(RangeError);
  });

  it('reads a day back from a partition name and ignores names that are not ours', () => {
    expect(partitionDay('predictions', 'predictions_p20261201')).toBe(Date.UTC(2026, 11, 1));
    expect(partitionDay('predictions', 'shadow_predictions_p20261201')).toBeUndefined();
    expect(partitionDay('predictions', 'predictions_old')).toBeUndefined();
  });

  it('plans today plus the days ahead and drops only days that ended before the retention horizon', () => {
    const now = Date.UTC(2026, 11, 31, 13);
    const plan = partitionPlan(now, 30, 3);
    expect(plan.create).toEqual([0, 1, 2, 3].map((i) => Date.UTC(2026, 11, 31 + i)));
    expect(plan.dropBefore).toBe(Date.UTC(2026, 11, 1));
    // The day of 1 December ends 29.5 days before now: kept; 30 November ended 30.5 days ago: dropped.
    expect(Date.UTC(2026, 11, 1) < plan.dropBefore).toBe(false);
    expect(Date.UTC(2026, 10, 30) < plan.dropBefore).toBe(true);
  });

  it('creates a partition idempotently', () => {
    expect(createPartitionSql('prediction_labels', Date.UTC(2026, 0, 2))).toBe(
      "CREATE TABLE IF NOT EXISTS prediction_labels_p20260102 PARTITION OF prediction_labels FOR VALUES FROM ('019b7c01-0400-0000-0000-000000000000') TO ('019b8127-6000-0000-0000-000000000000')",
    );
  });
});
