import { uuidFloor } from '../telemetry/partition-bounds.js';

/** How long a label waits in `pending_labels` for its live record before it is given up (the record was dropped). */
export const PENDING_HORIZON_S = 3600;
/** The id time of a shadow record's key is the live prediction's; its row lands a little later. */
const ID_MARGIN_MS = 60_000;

/**
 * The join of labels (a relation `ins` of prediction_id, label, value,
 * outcomes) with their prediction records, one index lookup per label
 * (LATERAL, so the planner never scans a day of the log to hash it):
 * stores the slim `labelled_predictions` rows and returns them. A live
 * record is read from the log (`predictions`) or, when the log goes to a
 * stream (MODELGATE_PREDICTION_LOG=nats://...), from the slim
 * `prediction_scores` rows PostgreSQL keeps instead. `bounds`
 * (ms) prune the log's partitions at plan time when the ids' days are known.
 */
function joinCtes(bounds?: [number, number]): string {
  const range = (col: string) =>
    bounds ? ` AND ${col} >= '${uuidFloor(Math.max(0, bounds[0] - ID_MARGIN_MS))}'::uuid AND ${col} < '${uuidFloor(bounds[1] + ID_MARGIN_MS)}'::uuid` : '';
  return `
live AS (
  SELECT i.prediction_id, p.model, p.version, p.variant, p.feature_source, p.created_at, p.score, p.label AS predicted, p.outputs -> 'probabilities' AS probabilities, i.label, i.value, i.outcomes
  FROM ins i CROSS JOIN LATERAL (
    (SELECT p.model, p.version, p.variant, p.feature_source, p.created_at, p.score, p.label, p.outputs FROM predictions p WHERE p.id = i.prediction_id${range('p.id')} LIMIT 1)
    UNION ALL
    (SELECT s.model, s.version, s.variant, s.feature_source, s.created_at, s.score, s.label, NULL::jsonb FROM prediction_scores s WHERE s.prediction_id = i.prediction_id${range('s.prediction_id')} LIMIT 1)
    LIMIT 1) p),
shadow AS (
  SELECT i.prediction_id, s.model, s.version, 'shadow'::text AS variant, s.feature_source, s.created_at, s.score, s.label AS predicted, s.outputs -> 'probabilities' AS probabilities, i.label, i.value, i.outcomes
  FROM ins i CROSS JOIN LATERAL (SELECT * FROM shadow_predictions s WHERE s.prediction_id = i.prediction_id${range('s.prediction_id')} AND s.error IS NULL) s),
joined AS (
  INSERT INTO labelled_predictions (prediction_id, model_name, version, variant, feature_source, created_at, score, predicted, label, value, outcomes, probabilities)
  SELECT prediction_id, model, version, variant, feature_source, created_at, score, predicted, label, value, outcomes, probabilities FROM live
  UNION ALL
  SELECT prediction_id, model, version, variant, feature_source, created_at, score, predicted, label, value, outcomes, probabilities FROM shadow
  ON CONFLICT DO NOTHING
  RETURNING model_name, version, variant, feature_source, created_at, score, predicted, label, value)`;
}

const JOINED_COLUMNS = `model_name, version, variant, feature_source, created_at, score, predicted, label, value`;

/**
 * Feedback: stores the labels of ids that have none ($1..$4: ids, labels,
 * values, outcomes as JSON text), joins those it stored with their records,
 * and parks the ones whose live record is not stored yet in
 * `pending_labels`. One statement: `kind = 'stored'` rows name the ids it
 * stored, `kind = 'joined'` rows are the joined labels.
 */
export function acceptLabelsSql(bounds: [number, number]): string {
  return `
WITH ins AS (
  INSERT INTO prediction_labels (prediction_id, label, value, outcomes)
  SELECT r.id, r.label, r.value, r.outcomes::jsonb FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::text[]) AS r(id, label, value, outcomes)
  ON CONFLICT (prediction_id) DO NOTHING
  RETURNING prediction_id, label, value, outcomes),
${joinCtes(bounds)},
pend AS (
  INSERT INTO pending_labels (prediction_id)
  SELECT i.prediction_id FROM ins i WHERE NOT EXISTS (SELECT 1 FROM live l WHERE l.prediction_id = i.prediction_id)
  ON CONFLICT DO NOTHING)
SELECT 'stored' AS kind, prediction_id::text AS id, NULL::text AS model_name, NULL::int AS version, NULL::text AS variant, NULL::smallint AS feature_source, NULL::timestamptz AS created_at,
       NULL::float8 AS score, NULL::text AS predicted, NULL::text AS label, NULL::float8 AS value FROM ins
UNION ALL
SELECT 'joined', NULL, ${JOINED_COLUMNS} FROM joined`;
}

/**
 * The joiner: takes up to $1 pending labels after the id $2 (a cursor that
 * wraps, so labels that cannot join yet do not hold back the rest), joins
 * those whose record is stored now, and forgets those joined and those
 * waiting longer than PENDING_HORIZON_S. Returns the joined labels and
 * `taken` (how many pending rows it looked at) and `last` (the cursor).
 */
export function joinPendingSql(): string {
  return `
WITH q AS (
  SELECT prediction_id, accepted_at FROM pending_labels WHERE prediction_id > $2::uuid
  ORDER BY prediction_id LIMIT $1 FOR UPDATE SKIP LOCKED),
ins AS (
  SELECT q.prediction_id, l.label, l.value, l.outcomes
  FROM q CROSS JOIN LATERAL (SELECT label, value, outcomes FROM prediction_labels l WHERE l.prediction_id = q.prediction_id) l),
${joinCtes()},
done AS (
  DELETE FROM pending_labels d USING q
  WHERE d.prediction_id = q.prediction_id
    AND (q.prediction_id IN (SELECT prediction_id FROM live) OR q.accepted_at < now() - interval '${PENDING_HORIZON_S} seconds')
  RETURNING d.prediction_id)
SELECT 'joined' AS kind, NULL::text AS id, ${JOINED_COLUMNS} FROM joined
UNION ALL
SELECT 'taken', max(prediction_id::text), NULL, count(*)::int, NULL, NULL::smallint, NULL, NULL, NULL, NULL, NULL FROM q`;
}

/** The additive upsert of label deltas: 20 parameters a row, in the order `addLabelDeltas` gives them. */
export function upsertLabelBucketsSql(rows: number): string {
  const values: string[] = [];
  for (let r = 0; r < rows; r++) {
    const p = (i: number) => `$${r * 20 + i}`;
    values.push(
      `(${p(1)}, ${p(2)}::int, ${p(3)}, ${p(4)}::smallint, ${p(5)}::int, ${p(6)}::timestamptz, ${p(7)}::bigint, ${p(8)}::bigint, ${p(9)}::bigint, ${p(10)}::float8, ${p(11)}::float8, ` +
        `${p(12)}::bigint, ${p(13)}::bigint, ${p(14)}::bigint, ${p(15)}::float8, ${p(16)}::float8, ${p(17)}::bytea, ${p(18)}::bytea, ${p(19)}::int[], ${p(20)}::int[], now())`,
    );
  }
  const add = (c: string) => `${c} = b.${c} + EXCLUDED.${c}`;
  const cat = (c: string) => `${c} = CASE WHEN EXCLUDED.${c} IS NULL THEN b.${c} ELSE coalesce(b.${c}, ''::bytea) || EXCLUDED.${c} END`;
  const hist = (c: string) => `${c} = modelgate_add_counts(b.${c}, EXCLUDED.${c})`;
  return `
INSERT INTO label_buckets AS b (model_name, version, variant, feature_source, grain, bucket_start, labels, binary_labels, positives, log_loss_sum, score_sum,
  classified, correct, valued, sq_error_sum, abs_error_sum, pos_scores, neg_scores, pos_histogram, neg_histogram, updated_at)
VALUES ${values.join(',\n')}
ON CONFLICT (model_name, grain, bucket_start, version, variant, feature_source) DO UPDATE SET
  ${['labels', 'binary_labels', 'positives', 'log_loss_sum', 'score_sum', 'classified', 'correct', 'valued', 'sq_error_sum', 'abs_error_sum'].map(add).join(', ')},
  ${cat('pos_scores')}, ${cat('neg_scores')}, ${hist('pos_histogram')}, ${hist('neg_histogram')}, updated_at = now()`;
}
