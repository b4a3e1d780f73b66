import { describe, expect, it } from 'vitest';
import { modelConfig } from './model-config.js';

describe('modelConfig', () => {
  it('leaves the batch dimension out of a batched model and sets dynamic batching from the micro-batcher', () => {
    const c = modelConfig({
      name: 'bc', versions: [1, 2], batched: true, maxBatchRows: 64, maxWaitMs: 2,
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }],
      outputs: [{ name: 'label', datatype: 'INT64', shape: [-1] }, { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
    });
    expect(c).toMatchObject({ max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 2000 }, version_policy: { specific: { versions: ['1', '2'] } } });
    expect(c.input).toEqual([{ name: 'input', data_type: 'TYPE_FP32', dims: [30] }]);
    expect(c.output).toEqual([{ name: 'label', data_type: 'TYPE_INT64', dims: [] }, { name: 'probabilities', data_type: 'TYPE_FP32', dims: [2] }]);
  });

  it('gives a tensor model max_batch_size 0, full dims and Triton type names', () => {
    const c = modelConfig({
      name: 't', versions: [1], batched: false, maxBatchRows: 64, maxWaitMs: 2,
      inputs: [{ name: 's', datatype: 'BYTES', shape: [3] }], outputs: [{ name: 'y', datatype: 'FP16', shape: [-1, 3] }],
    });
    expect(c.max_batch_size).toBe(0);
    expect(c).not.toHaveProperty('dynamic_batching');
    expect(c.input).toEqual([{ name: 's', data_type: 'TYPE_STRING', dims: [3] }]);
    expect(c.output[0]).toEqual({ name: 'y', data_type: 'TYPE_FP16', dims: [-1, 3] });
  });
});
