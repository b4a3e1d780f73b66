import { z } from 'zod';
import { pageQuery } from '../../common/page-cursor.js';
import { onlineFeaturesSchema } from '../../features/online-features.js';
import { INT4_MAX, int4Query, tagsSchema } from '../../common/validation.js';

/** The multipart field `metadata` of an upload; every key optional. */
export const uploadMetadataSchema = z.strictObject({
  feature_names: z.array(z.string().min(1).max(200)).min(1).max(10_000).optional(),
  categorical_features: z.array(z.string().min(1)).default([]),
  label_column: z.string().min(1).max(200).default('label'),
  score_output: z.strictObject({ output: z.string().min(1), column: z.int().min(0).max(INT4_MAX).optional() }).optional(),
  metrics: z.record(z.string().min(1).max(100), z.number()).default({}),
  lineage: z
    .looseObject({
      run_id: z.string().max(500).optional(),
      dataset_uri: z.string().max(2000).optional(),
      git_commit: z.string().max(100).optional(),
      tags: tagsSchema.optional(),
    })
    .default({}),
  tags: tagsSchema.default({}),
  description: z.string().max(10_000).default(''),
  /** Features serving looks up in feature views; checked against the feature names and the views at upload. */
  online_features: onlineFeaturesSchema.optional(),
});
export type UploadMetadata = z.infer<typeof uploadMetadataSchema>;

export const patchVersionSchema = z
  .strictObject({
    description: z.string().max(10_000),
    tags: tagsSchema,
    status: z.enum(['ready', 'archived']),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');
export type PatchVersionDto = z.infer<typeof patchVersionSchema>;

export const listVersionsQuerySchema = z.strictObject({
  status: z.enum(['ready', 'archived']).optional(),
  ...pageQuery(100),
  /** Versions below this number: the older way to page, kept working. */
  before: int4Query('before').optional(),
});
export type ListVersionsQuery = z.infer<typeof listVersionsQuerySchema>;
