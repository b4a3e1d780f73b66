import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AdminKeyBootstrap } from './admin-key.bootstrap.js';
import { Admission } from './admission.js';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import { ApiKeyStore } from './api-key.store.js';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysService } from './api-keys.service.js';
import { KeyRevocationListener } from './key-revocations.listener.js';
import { ScopeGuard } from './scope.guard.js';

/**
 * API keys, and the admission every edge calls: the global scope guard of
 * Nest routes, the routes registered on Fastify directly, and gRPC. Global
 * because every module with such routes needs the admission.
 */
@Global()
@Module({
  controllers: [ApiKeysController],
  providers: [ApiKeyStore, ApiKeyAuthenticator, Admission, ApiKeysService, KeyRevocationListener, AdminKeyBootstrap, { provide: APP_GUARD, useClass: ScopeGuard }],
  exports: [ApiKeyAuthenticator, Admission],
})
export class AuthModule {}
