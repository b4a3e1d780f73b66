import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './error-envelope.filter.js';
import { envelope, type RenderedError, v2Envelope } from './error-envelope.js';

/**
 * Errors raised below our routes, by Node's HTTP parser and by Fastify's
 * router, answered in the same envelope as everything else. Node's parser
 * fails before there is a request (no URL, no route), so those answers
 * take the V2 shape only when the bytes Node read show a `/v2` request line.
 */

const CLIENT_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'HEADERS_TOO_LARGE', message: 'the request headers exceed the server limit' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time' },
  HPE_URI_TOO_LONG: { status: 414, code: 'URI_TOO_LONG', message: 'the request target is too long' },
};

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 414: 'URI Too Long', 431: 'Request Header Fields Too Large' };

// Node hands over the bytes it choked on: enough to see a `/v2` request line.
const V2_REQUEST_LINE = /^[A-Z]{3,7} \/v2[/? ]/;

/** The raw HTTP answer to a request Node could not parse. */
export function clientErrorResponse(err: { code?: string; rawPacket?: unknown }): string {
  const known = err.code ? CLIENT_ERRORS[err.code] : undefined;
  const r: RenderedError = known
    ? { ...known, details: {}, headers: {} }
    : { status: 400, code: 'BAD_REQUEST', message: `the request is not valid HTTP (${err.code ?? 'parse error'})`, details: {}, headers: {} };
  const v2 = Buffer.isBuffer(err.rawPacket) && V2_REQUEST_LINE.test(err.rawPacket.subarray(0, 16).toString('latin1'));
  const body = JSON.stringify(v2 ? v2Envelope(r) : envelope(r));
  return (
    `HTTP/1.1 ${r.status} ${REASONS[r.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`
  );
}

/** Fastify's `clientErrorHandler`: Node's parser errors in the envelope. */
export function handleClientError(err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  // A reset socket has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) socket.end(clientErrorResponse(err));
  socket.destroy(err);
}

/** Fastify's `frameworkErrors`: a bad URL encoding or a path parameter over its length. */
export function handleFrameworkError(err: Error, request: FastifyRequest, reply: FastifyReply): void {
  sendError(err, request, reply);
}
