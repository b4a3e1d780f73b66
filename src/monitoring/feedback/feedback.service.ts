import { Injectable } from '@nestjs/common';
import { uuidv7Time } from '../../common/ids.js';
import { dayStart } from '../telemetry/partition-bounds.js';
import { PredictionPartitions } from '../telemetry/prediction-partitions.js';
import { answerOf, type FeedbackAnswer, type FeedbackItem, type FeedbackStatus, sameLabel } from './feedback-items.js';
import { LabelStore, NO_PARTITION } from './label-store.js';

/**
 * Ground truth for predictions. Labels are stored on their own, keyed by
 * the prediction id, and joined with the log when metrics are computed, so
 * a label may arrive before its prediction record (or on another replica)
 * and joins when the record lands. Prediction ids are UUIDv7: the age test
 * needs no lookup.
 */
@Injectable()
export class FeedbackService {
  constructor(
    private readonly labels: LabelStore,
    private readonly partitions: PredictionPartitions,
  ) {}

  async submit(items: readonly FeedbackItem[], now = Date.now()): Promise<FeedbackAnswer> {
    const statuses: (FeedbackStatus | undefined)[] = new Array(items.length);
    const first = new Map<string, number>();
    for (let i = 0; i < items.length; i++) {
      const t = uuidv7Time(items[i].predictionId);
      if (t === undefined || !this.partitions.inHorizon(t, now)) statuses[i] = 'not_found';
      else if (!first.has(items[i].predictionId)) first.set(items[i].predictionId, i);
    }
    let candidates = [...first.values()].map((i) => items[i]);
    let stored: Set<string>;
    try {
      stored = await this.labels.insertNew(candidates);
    } catch (err) {
      if ((err as { code?: unknown }).code !== NO_PARTITION) throw err;
      // A day inside retention but from before this database's first
      // partition: no prediction of it can be in the log.
      const days = await this.labels.partitionDays();
      const missing = new Set(candidates.filter((c) => !days.has(dayStart(uuidv7Time(c.predictionId)!))).map((c) => c.predictionId));
      for (const id of missing) statuses[first.get(id)!] = 'not_found';
      candidates = candidates.filter((c) => !missing.has(c.predictionId));
      stored = await this.labels.insertNew(candidates);
    }
    const existing = await this.labels.find(candidates.filter((c) => !stored.has(c.predictionId)).map((c) => c.predictionId));
    for (let i = 0; i < items.length; i++) {
      if (statuses[i]) continue;
      const id = items[i].predictionId;
      if (first.get(id) === i && stored.has(id)) {
        statuses[i] = 'accepted';
        continue;
      }
      // A later item of this body for an id stored by an earlier one compares with that earlier item.
      const prior = stored.has(id) ? items[first.get(id)!] : existing.get(id);
      statuses[i] = prior && sameLabel(prior, items[i]) ? 'duplicate' : 'conflict';
    }
    return answerOf(
      items.map((i) => i.predictionId),
      statuses as FeedbackStatus[],
    );
  }
}
