import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { HttpRouteTable } from '../../common/http-route-table.js';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { parseFeedbackBody } from './feedback-items.js';
import { FeedbackService } from './feedback.service.js';

const ITEM_SCHEMA = {
  type: 'object',
  properties: {
    prediction_id: { type: 'string' },
    label: { type: ['integer', 'number', 'string'] },
    value: { type: 'number' },
    outcomes: { type: 'object', additionalProperties: { type: 'number' } },
  },
  required: ['prediction_id'],
};

export const FEEDBACK_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        properties: { prediction_id: { type: 'string' }, status: { type: 'string', enum: ['accepted', 'duplicate', 'conflict', 'not_found'] } },
        required: ['prediction_id', 'status'],
      },
    },
    accepted: { type: 'integer' },
    duplicate: { type: 'integer' },
    conflict: { type: 'integer' },
    not_found: { type: 'integer' },
  },
  required: ['results', 'accepted', 'duplicate', 'conflict', 'not_found'],
};

/**
 * `POST /v1/feedback`, registered from the route table beside `/v1` predict:
 * product services post labels at prediction rates, and the table's cached
 * key check and compiled answer serialiser cost far less than a controller's
 * guard chain. Body checks are by hand (parseFeedbackBody).
 */
@Injectable()
export class FeedbackRoutes {
  constructor(routes: HttpRouteTable, feedback: FeedbackService, @InjectConfig() config: AppConfig) {
    routes.add({
      method: 'POST',
      url: '/v1/feedback',
      scope: 'feedback',
      summary: 'Post true labels (or regression values) and business outcomes for earlier predictions',
      tags: ['feedback'],
      bodySchema: { oneOf: [ITEM_SCHEMA, { type: 'array', items: ITEM_SCHEMA }] },
      responseSchema: FEEDBACK_RESPONSE_SCHEMA,
      handler: (request: FastifyRequest) => feedback.submit(parseFeedbackBody(request.body, config.limits.maxBatchRows)),
    });
  }
}
