import { expect } from 'vitest';
import { eventually } from './app.js';

/** What a rollout test needs of an app, in-process (supertest on the app) or a child process (supertest on its URL). */
export interface RolloutClient {
  http: { get(url: string): any; post(url: string): any };
  admin: { Authorization: string };
}

export async function startRollout(t: RolloutClient, model: string, body: Record<string, unknown>) {
  const res = await t.http.post(`/api/v1/models/${model}/rollouts`).set(t.admin).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: number; state: string };
}

export async function rollout(t: RolloutClient, model: string, id: number) {
  const res = await t.http.get(`/api/v1/models/${model}/rollouts/${id}`).set(t.admin);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Polls until the rollout is in one of `states`; on a timeout the assertion shows where it stood. */
export async function rolloutReaches(t: RolloutClient, model: string, id: number, states: string[], timeoutMs = 90_000) {
  let last: any;
  await eventually(
    async () => {
      last = await rollout(t, model, id);
      if (process.env.TEST_ROLLOUT_TRACE) console.log(JSON.stringify({ state: last.state, step: last.current_step, reason: last.state_reason, windows: last.steps.map((s: any) => s.windows?.map((w: any) => w.checks.map((c: any) => `${c.check}:${c.outcome}${c.note ? `(${c.note})` : ''}`).join(' '))) }));
      return states.includes(last.state);
    },
    timeoutMs,
    process.env.TEST_ROLLOUT_TRACE ? 1_000 : 100,
  ).catch(() => undefined);
  expect(last.state, JSON.stringify({ state_reason: last.state_reason, steps: last.steps }, null, 1).slice(0, 6000)).toSatisfy((s: string) => states.includes(s));
  return last;
}

/**
 * Sends predictions in a loop until stopped, and a label for each answer:
 * `label(row, variant)` says which (a share flipped for one variant makes
 * its live AUC worse). Paced so the machine's other work still runs.
 */
export function trafficLoop(send: (i: number) => Promise<void>, pauseMs = 2): { stop(): Promise<number> } {
  let running = true;
  let sent = 0;
  const done = (async () => {
    while (running) {
      try {
        await send(sent);
      } catch {
        // A request failing mid-test (e.g. the instance just killed) is the test's business, not the loop's.
      }
      sent++;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return sent;
    },
  };
}
