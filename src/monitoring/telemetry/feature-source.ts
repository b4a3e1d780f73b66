/**
 * Where a prediction's feature values came from, as performance splits it
 * (`GET .../performance?split=feature_source`):
 *
 * - `looked_up`: at least one feature the version declares in its
 *   `online_features` block was not sent by the caller, so the online store
 *   (or, when the store had no fresh value, the feature's `default` or
 *   `missing` policy) supplied it. A policy outcome counts as looked up: the
 *   caller did not send the value, and serving-time skew is exactly about
 *   the values the caller did not send.
 * - `sent`: every value came from the caller (no `online_features` block,
 *   ordered rows, or the caller sent every looked-up feature).
 *
 * Stored as a smallint (`feature_source`: 0 sent, 1 looked up) in the log,
 * the slim score rows, the labelled rows and both bucket tables; rows from
 * before the column existed are `sent`.
 */
export const FEATURE_SOURCES = ['sent', 'looked_up'] as const;
export type FeatureSourceName = (typeof FEATURE_SOURCES)[number];
export type FeatureSourceCode = 0 | 1;

export const SENT: FeatureSourceCode = 0;
export const LOOKED_UP: FeatureSourceCode = 1;

/** The stored code of a record's source (`lookedUp` absent: sent). */
export const featureSourceCode = (lookedUp: boolean | undefined): FeatureSourceCode => (lookedUp === true ? LOOKED_UP : SENT);

/** The name of a stored code; anything but 1 is `sent`, as the column's default. */
export const featureSourceName = (code: number | null | undefined): FeatureSourceName => (Number(code) === LOOKED_UP ? 'looked_up' : 'sent');
