import type { Arbitrary } from 'fast-check';
import type pg from 'pg';

export interface FuzzRequest {
  method: string;
  /** `METHOD /pattern` of the route it was made for. */
  route: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
  transport: 'plain' | 'chunked' | 'truncated';
}
export interface FuzzResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: any;
  hang?: boolean;
}
export function requestArbitrary(routes: readonly { method: string; url: string }[], ctx: { adminToken: string }): Arbitrary<FuzzRequest>;
export function send(port: number, req: FuzzRequest, timeoutMs?: number): Promise<FuzzResponse>;
export function judge(req: FuzzRequest, res: FuzzResponse): string | undefined;
export function snapshot(client: pg.Client): Promise<Record<string, string>>;
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[];
