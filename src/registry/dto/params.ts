import { z } from 'zod';
import { nameSchema } from '../../common/validation.js';

export const modelParams = z.object({ name: nameSchema('model name') });
export const versionParams = modelParams.extend({
  version: z.coerce.number().int('version must be an integer').min(1, 'version must be >= 1').max(2_147_483_647),
});
export const aliasParams = modelParams.extend({ alias: nameSchema('alias') });
