import { describe, expect, it } from 'vitest';
import { openApiSchema } from '../common/validation.js';
import { checkOnlineFeatures, lookedUpFeatures, onlineFeaturesSchema, viewsOf } from './online-features.js';

const BLOCK = {
  timeout_ms: 20,
  entities: ['customer_id'],
  features: { income: 'customer_profile:income', debt: { ref: 'customer_profile:debt', on_missing: 'default', default: 0 } },
};
const PROFILE = { entities: ['customer_id'], features: { income: 'float', debt: 'float', segment: 'string' } as const };
const views = (extra: Record<string, unknown> = {}) => new Map<string, any>([['customer_profile', PROFILE], ...Object.entries(extra)]);
const parse = (b: unknown) => onlineFeaturesSchema.parse(b);
const issue = (b: unknown) => {
  const r = onlineFeaturesSchema.safeParse(b);
  return r.success ? undefined : { path: r.error.issues[0].path.join('.'), message: r.error.issues[0].message };
};

describe('the online_features block', () => {
  it('normalises the issue example: a bare reference fails when missing, an object keeps its policy and default', () => {
    expect(parse(BLOCK)).toEqual({
      timeout_ms: 20,
      entities: ['customer_id'],
      features: { income: { ref: 'customer_profile:income', on_missing: 'fail' }, debt: { ref: 'customer_profile:debt', on_missing: 'default', default: 0 } },
    });
    expect(parse({ entities: ['customer_id'], features: { income: { ref: 'customer_profile:income' } } })).toMatchObject({ timeout_ms: 20, features: { income: { on_missing: 'fail' } } });
    expect(lookedUpFeatures(parse(BLOCK))).toEqual([
      { name: 'income', view: 'customer_profile', feature: 'income', onMissing: 'fail', default: null },
      { name: 'debt', view: 'customer_profile', feature: 'debt', onMissing: 'default', default: 0 },
    ]);
    expect(viewsOf(parse(BLOCK))).toEqual(['customer_profile']);
  });

  it('has an OpenAPI form for the upload documentation', () => {
    expect(openApiSchema(onlineFeaturesSchema).properties).toHaveProperty('features');
  });

  it('refuses a malformed block naming the field', () => {
    expect(issue({ ...BLOCK, timeout_ms: 0 })?.path).toBe('timeout_ms');
    expect(issue({ ...BLOCK, timeout_ms: 10_001 })?.path).toBe('timeout_ms');
    expect(issue({ ...BLOCK, timeout_ms: 2.5 })?.path).toBe('timeout_ms');
    expect(issue({ ...BLOCK, entities: [] })?.path).toBe('entities');
    expect(issue({ ...BLOCK, features: {} })?.path).toBe('features');
    expect(issue({ ...BLOCK, features: { income: 'income' } })?.message).toMatch(/view:feature/);
    expect(issue({ ...BLOCK, features: { debt: { ref: 'customer_profile:debt', on_missing: 'default' } } })?.path).toBe('features.debt.default');
    expect(issue({ ...BLOCK, features: { debt: { ref: 'customer_profile:debt', default: 0 } } })?.path).toBe('features.debt.default');
    expect(issue({ ...BLOCK, features: { debt: { ref: 'customer_profile:debt', on_missing: 'zero' } } })?.message).toMatch(/fail, default, missing/);
    expect(issue({ ...BLOCK, surprise: 1 })).toBeDefined();
  });

  it('passes a block that matches the model and its views', () => {
    expect(checkOnlineFeatures(parse(BLOCK), ['income', 'debt', 'amount'], views())).toBeUndefined();
  });

  it('refuses a looked-up feature the model does not have, naming it', () => {
    expect(checkOnlineFeatures(parse(BLOCK), ['income', 'amount'], views())).toEqual({
      message: `looked-up feature "debt" is not one of the model's features`,
      field: 'metadata.online_features.features.debt',
    });
    expect(checkOnlineFeatures(parse(BLOCK), [], views())?.message).toMatch(/feature names/);
  });

  it('refuses a reference to a view or a view feature that does not exist', () => {
    const b = parse({ ...BLOCK, features: { income: 'nope:income' } });
    expect(checkOnlineFeatures(b, ['income'], new Map([['nope', undefined]]))?.message).toBe('feature view "nope" (in "nope:income") does not exist');
    const c = parse({ ...BLOCK, features: { income: 'customer_profile:salary' } });
    expect(checkOnlineFeatures(c, ['income'], views())).toEqual({ message: 'feature view "customer_profile" has no feature "salary"', field: 'metadata.online_features.features.income' });
  });

  it('requires the declared entities to be exactly the referenced views keys', () => {
    const wrong = parse({ ...BLOCK, entities: ['user_id'] });
    expect(checkOnlineFeatures(wrong, ['income', 'debt'], views())?.message).toMatch(/keyed by customer_id: declare "customer_id"/);
    const extra = parse({ ...BLOCK, entities: ['customer_id', 'merchant_id'] });
    expect(checkOnlineFeatures(extra, ['income', 'debt'], views())).toEqual({ message: 'entity key "merchant_id" keys none of the referenced views', field: 'metadata.online_features.entities' });
    const two = parse({ entities: ['customer_id', 'merchant_id'], features: { income: 'customer_profile:income', risk: 'merchant_risk:score' } });
    expect(checkOnlineFeatures(two, ['income', 'risk'], views({ merchant_risk: { entities: ['merchant_id'], features: { score: 'float' } } }))).toBeUndefined();
  });

  it('refuses a default of the wrong type for its view feature', () => {
    const b = parse({ ...BLOCK, features: { debt: { ref: 'customer_profile:debt', on_missing: 'default', default: 'none' } } });
    expect(checkOnlineFeatures(b, ['debt'], views())).toEqual({
      message: 'the default of "debt" must be a float, like "customer_profile:debt"',
      field: 'metadata.online_features.features.debt.default',
    });
  });
});
