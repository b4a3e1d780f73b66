/**
 * Daily range partitions keyed on a UUIDv7 column. A UUIDv7 starts with its
 * 48-bit Unix millisecond time, and PostgreSQL orders uuids bytewise, so the
 * ids of one UTC day are exactly the range [uuid(day start), uuid(next day
 * start)) with every bit after the time zero. The bounds are computed here
 * rather than in SQL because PostgreSQL 15 has no uuidv7 functions.
 */

export const DAY_MS = 86_400_000;

/** The smallest uuid whose leading 48 bits are `ms`: every UUIDv7 made at or after `ms` sorts at or above it. */
export function uuidFloor(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= 2 ** 48) throw new RangeError(`${ms} is not a 48-bit millisecond time`);
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

/** Start of the UTC day holding `ms`. */
export function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export interface DayPartition {
  /** `<table>_pYYYYMMDD`. */
  name: string;
  /** UTC day start, epoch ms. */
  day: number;
  from: string;
  to: string;
}

export function dayPartition(table: string, ms: number): DayPartition {
  const day = dayStart(ms);
  const d = new Date(day);
  const stamp = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  return { name: `${table}_p${stamp}`, day, from: uuidFloor(day), to: uuidFloor(day + DAY_MS) };
}

/** The UTC day a partition's name stands for, or undefined when the name is not one of ours. */
export function partitionDay(table: string, name: string): number | undefined {
  const m = new RegExp(`^${table}_p(\\d{4})(\\d{2})(\\d{2})$`).exec(name);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/** The SQL that creates one day's partition if it is missing. */
export function createPartitionSql(table: string, ms: number): string {
  const p = dayPartition(table, ms);
  return `CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF ${table} FOR VALUES FROM ('${p.from}') TO ('${p.to}')`;
}

/**
 * The days a maintenance run keeps: from the retention horizon's day to
 * `aheadDays` after today. A partition whose whole day ended before
 * `now - retentionDays` is dropped.
 */
export function partitionPlan(now: number, retentionDays: number, aheadDays: number): { create: number[]; dropBefore: number } {
  const today = dayStart(now);
  const create: number[] = [];
  for (let i = 0; i <= aheadDays; i++) create.push(today + i * DAY_MS);
  // A day is dropped once its end is older than the horizon, so a row is kept at least retentionDays.
  const dropBefore = dayStart(now - retentionDays * DAY_MS);
  return { create, dropBefore };
}

/** Leading 48 bits of a uuid as epoch ms (for any uuid text; meaningful for UUIDv7). */
export function uuidMs(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
