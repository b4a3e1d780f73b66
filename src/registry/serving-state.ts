/**
 * What should serve, as the registry stores it: every revision row holds a
 * whole `ServingState` before and after its change, so any revision can be
 * restored without replaying the others. Field names are the JSON contract
 * (snake_case), stored and answered as they are.
 */
export interface TrafficRoute {
  /** Exactly one of `version` and `alias`. */
  version?: number;
  alias?: string;
  /** Integer percentage; the routes' weights sum to 100. */
  weight: number;
  /** The route's variant name; default `v<version>` or the alias name. */
  name?: string;
}

export interface TrafficPolicy {
  routes: TrafficRoute[];
  /** `header:<name>` or `field:<name>`: the same key value always gets the same variant. */
  sticky?: string;
  /** Versions that get a copy of live traffic; their answers are recorded, never returned. */
  shadow?: number[];
  /** Serves a request whose chosen version fails or exceeds `timeout_ms`. */
  fallback?: number;
  timeout_ms?: number;
  /** Share of live requests copied to the shadow versions, 0 to 1 (default 1). */
  shadow_sample?: number;
}

export interface ServingState {
  aliases: Record<string, number>;
  traffic: TrafficPolicy | null;
}

export const PRODUCTION_ALIAS = 'production';
