import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from './bucket-grid.js';
import { SeriesTally } from './prediction-tally.js';

describe('per-series prediction cells', () => {
  it('counts rows, scores and the 1,000-bin histogram in the minute and the hour of the prediction', () => {
    const t = new SeriesTally('m', 1, 'v1', true);
    t.add(HOUR_MS + 5, 3, [{ score: 0.25 }, { score: 0.2501 }, {}]);
    t.add(HOUR_MS + MINUTE_MS, 1, [{ score: 1 }]);
    const cells = t.due(HOUR_MS + MINUTE_MS + 1);
    const minute0 = cells.find((c) => c.grain === 60 && c.start === HOUR_MS)!;
    expect(minute0).toMatchObject({ predictions: 3, scored: 2 });
    expect(minute0.scoreSum).toBeCloseTo(0.5001, 12);
    expect(minute0.histogram![250]).toBe(2);
    const hour = cells.find((c) => c.grain === 3600)!;
    expect(hour).toMatchObject({ predictions: 4, scored: 3 });
    expect(hour.histogram![999]).toBe(1);
    t.written(cells);
    expect(t.closed).toEqual([]);
    expect(t.due(HOUR_MS + MINUTE_MS + 2)).toEqual([]);
  });

  it('keeps a cell dirty when rows land while its flush is being written', () => {
    const t = new SeriesTally('m', 1, 'v1', true);
    t.add(5, 1, [{ score: 0.5 }]);
    const cells = t.due(10);
    t.add(6, 1000, undefined);
    t.written(cells);
    const again = t.due(20);
    expect(again.map((c) => c.predictions)).toEqual([1001, 1001]);
  });

  it('keeps no histogram for a model that is not binary, and closes cells that ended', () => {
    const t = new SeriesTally('m', 1, 'v1', false);
    t.add(0, 2, [{ value: 3 }, { value: 4 }]);
    const cells = t.due(2 * HOUR_MS);
    expect(cells.map((c) => c.histogram)).toEqual([null, null]);
    expect(cells[0].scoreSum).toBe(7);
    t.written(cells);
    expect(t.idle).toBe(true);
  });
});
