import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditController } from './audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditStore } from './audit.store.js';
import { AuditTrail } from './audit-trail.js';

/** The audit trail of write requests: a global interceptor records them, `GET /api/v1/audit` reads them. */
@Module({
  controllers: [AuditController],
  providers: [AuditStore, AuditTrail, { provide: APP_INTERCEPTOR, useClass: AuditInterceptor }],
  exports: [AuditTrail],
})
export class AuditModule {}
