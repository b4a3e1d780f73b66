import { ArtifactGcEntity } from './artifact-gc.entity.js';
import { ModelAliasEntity } from './model-alias.entity.js';
import { ModelVersionEntity } from './model-version.entity.js';
import { ModelEntity } from './model.entity.js';
import { ServingRevisionEntity } from './serving-revision.entity.js';

export const REGISTRY_ENTITIES = [ModelEntity, ModelVersionEntity, ModelAliasEntity, ServingRevisionEntity, ArtifactGcEntity];
