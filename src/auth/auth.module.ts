import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AdminKeyBootstrap } from './admin-key.bootstrap.js';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import { ApiKeyStore } from './api-key.store.js';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysService } from './api-keys.service.js';
import { KeyRevocationListener } from './key-revocations.listener.js';
import { ScopeGuard } from './scope.guard.js';

/**
 * API keys, the global scope guard of Nest routes, and the authenticator
 * that routes registered on Fastify directly call themselves. Global
 * because every module with such routes needs the authenticator.
 */
@Global()
@Module({
  controllers: [ApiKeysController],
  providers: [ApiKeyStore, ApiKeyAuthenticator, ApiKeysService, KeyRevocationListener, AdminKeyBootstrap, { provide: APP_GUARD, useClass: ScopeGuard }],
  exports: [ApiKeyAuthenticator],
})
export class AuthModule {}
