import { uuidFloor } from '../telemetry/partition-bounds.js';

/**
 * The SQL of live performance: predictions (live and shadow records) left
 * joined with their labels, per series (version, variant) and time bucket.
 * Both sides of the join carry constant bounds on the prediction id,
 * computed here from the window, so the planner prunes every partition
 * outside the window's days on both tables (`EXPLAIN` shows only those).
 * The bounds are widened by ID_MARGIN_MS because the id's time and
 * `created_at` are taken at slightly different moments for shadow records;
 * the window itself is exact on `created_at`, the prediction time.
 */
export const ID_MARGIN_MS = 60_000;

export interface WindowQuery {
  model: string;
  from: Date;
  to: Date;
  bucketMs: number;
  version?: number;
  variant?: string;
}

export function idBounds(from: Date, to: Date): [string, string] {
  return [uuidFloor(Math.max(0, from.getTime() - ID_MARGIN_MS)), uuidFloor(to.getTime() + ID_MARGIN_MS)];
}

/** Parameters $1..$5 shared by every statement below: model, from, to, version, variant. */
export function windowParams(q: WindowQuery): unknown[] {
  return [q.model, q.from.toISOString(), q.to.toISOString(), q.version ?? null, q.variant ?? null];
}

/**
 * Every record of the window with its label, as one relation. The literal
 * id bounds (not parameters) let the planner prune at plan time even when
 * the statement is prepared generically; they are uuid literals built from
 * numbers only, never from input.
 */
export function recordsSql(q: WindowQuery): string {
  const [lo, hi] = idBounds(q.from, q.to);
  const ids = (col: string) => `${col} >= '${lo}'::uuid AND ${col} < '${hi}'::uuid`;
  return `
  SELECT p.version, p.variant, p.created_at, p.score, p.label AS predicted, p.outputs, l.label AS truth, l.value AS truth_value, l.outcomes
  FROM predictions p
  LEFT JOIN prediction_labels l ON l.prediction_id = p.id AND ${ids('l.prediction_id')}
  WHERE p.model = $1 AND ${ids('p.id')} AND p.created_at >= $2::timestamptz AND p.created_at < $3::timestamptz
    AND ($4::int IS NULL OR p.version = $4) AND ($5::text IS NULL OR p.variant = $5)
  UNION ALL
  SELECT s.version, 'shadow', s.created_at, s.score, s.label, s.outputs, l.label, l.value, l.outcomes
  FROM shadow_predictions s
  LEFT JOIN prediction_labels l ON l.prediction_id = s.prediction_id AND ${ids('l.prediction_id')}
  WHERE s.model = $1 AND ${ids('s.prediction_id')} AND s.error IS NULL AND s.created_at >= $2::timestamptz AND s.created_at < $3::timestamptz
    AND ($4::int IS NULL OR s.version = $4) AND ($5::text IS NULL OR $5 = 'shadow')`;
}

/**
 * Per series and bucket: counts, AUC from mid-ranks (the Mann-Whitney U,
 * ties one half: sklearn's roc_auc_score), log loss with sklearn's 1e-15
 * clipping, accuracy, rates, calibration, RMSE and MAE. Binary truth is
 * label '1' or '0' (the predict answer's labels); other labels count for
 * accuracy only.
 */
export function metricsSql(q: WindowQuery): string {
  return `
WITH rec AS (${recordsSql(q)}),
b AS (
  SELECT version, variant, score, predicted, truth, truth_value,
    floor(extract(epoch FROM created_at) * 1000 / ${Math.floor(q.bucketMs)})::bigint AS bucket,
    CASE truth WHEN '1' THEN 1 WHEN '0' THEN 0 END AS y
  FROM rec
),
r AS (
  SELECT *,
    CASE WHEN y IS NOT NULL AND score IS NOT NULL THEN
      rank() OVER (PARTITION BY version, variant, bucket, (y IS NOT NULL AND score IS NOT NULL) ORDER BY score)
      + (count(*) OVER (PARTITION BY version, variant, bucket, (y IS NOT NULL AND score IS NOT NULL), score) - 1) / 2.0
    END AS midrank,
    greatest(least(score, 1 - 1e-15), 1e-15) AS p
  FROM b
)
SELECT version, variant, bucket,
  count(*)::int AS predictions,
  (count(truth) + count(truth_value))::int AS labels,
  count(y) FILTER (WHERE score IS NOT NULL)::int AS binary_labels,
  (sum(y) FILTER (WHERE score IS NOT NULL))::int AS positives,
  (sum(midrank) FILTER (WHERE y = 1))::float8 AS positive_rank_sum,
  (-avg(y * ln(p) + (1 - y) * ln(1 - p)) FILTER (WHERE y IS NOT NULL AND score IS NOT NULL))::float8 AS log_loss,
  avg((predicted = truth)::int) FILTER (WHERE truth IS NOT NULL)::float8 AS accuracy,
  avg(y)::float8 AS positive_rate,
  avg(score) FILTER (WHERE y IS NOT NULL)::float8 AS mean_predicted,
  sqrt(avg((score - truth_value) ^ 2) FILTER (WHERE truth_value IS NOT NULL))::float8 AS rmse,
  avg(abs(score - truth_value)) FILTER (WHERE truth_value IS NOT NULL)::float8 AS mae
FROM r
GROUP BY version, variant, bucket
ORDER BY version, variant, bucket`;
}

/** Labelled rows of binary series (for DeLong), of multiclass series (for one-vs-rest AUC) and business outcomes. */
export function labelledRowsSql(q: WindowQuery): string {
  return `
SELECT version, variant, floor(extract(epoch FROM created_at) * 1000 / ${Math.floor(q.bucketMs)})::bigint AS bucket,
  score, truth, truth_value, outputs -> 'probabilities' AS probabilities, outcomes
FROM (${recordsSql(q)}) rec
WHERE truth IS NOT NULL OR truth_value IS NOT NULL`;
}
