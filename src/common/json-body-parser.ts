import type { FastifyInstance, FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import { MalformedJson } from './errors.js';

// A body that could smuggle a prototype key, directly or through a unicode
// escape, takes the scanning parser; every other body (all prediction
// payloads in practice) takes the native one. Same protection as Fastify's
// default, without its two regular expressions over every body.
const SUSPECT = /__proto__|constructor|\\u/;

export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw new MalformedJson('the body is empty; send a JSON document');
  try {
    return SUSPECT.test(text) ? sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }) : JSON.parse(text);
  } catch (err) {
    throw new MalformedJson(`malformed JSON: ${(err as Error).message}`);
  }
}

/** Replaces Fastify's JSON parser with `parseJsonBody`, within the same body limit. */
export function installJsonParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_req: FastifyRequest, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
