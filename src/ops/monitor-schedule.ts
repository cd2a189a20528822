/**
 * The health monitor's timing rules: when a connection is next due (interval with jitter,
 * exponential backoff after failures) and how many tests a provider may receive (a token bucket
 * per provider).
 */
import type { Clock } from "../core/clock.js";
import { ConfigurationError } from "../core/errors.js";

/** What every scheduled runner (the health monitor, the alert scheduler) takes besides its own options. */
export interface ScheduledRunnerOptions {
  /** Each delay is multiplied by a random factor in [1 − jitter, 1 + jitter]. @default 0.1 */
  jitter?: number;
  /** This replica's name in leases. @default random */
  replicaId?: string;
  /** @default systemClock */
  clock?: Clock;
  /** Uniform in [0, 1), for jitter. @default Math.random */
  random?: () => number;
  /** Told about failures of the runner itself (a store or list that fails); never a secret. */
  onError?: (error: unknown) => void;
}

/** Tells `onError` of `error`; a hook that throws is ignored, so it never stops a runner. */
export function reportTo(onError: ((error: unknown) => void) | undefined, error: unknown): void {
  try {
    onError?.(error);
  } catch {
    // a reporting hook must not stop the runner
  }
}

/** Timing options, all in ms except `jitter`. */
export interface ScheduleRules {
  readonly intervalMs: number;
  /** Each delay is multiplied by a factor drawn uniformly from [1 − jitter, 1 + jitter]. */
  readonly jitter: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** A per-provider limit: at most `tests` tests in any `perMs` window (a token bucket). */
export interface RateLimit {
  /** Tests allowed in a burst, and per `perMs`. */
  readonly tests: number;
  /** The window, ms. */
  readonly perMs: number;
}

/** Checks a timing or limit option: a positive finite number. */
export function positiveOption(value: number | undefined, fallback: number, option: string): number {
  const chosen = value ?? fallback;
  if (typeof chosen !== "number" || !Number.isFinite(chosen) || chosen <= 0) {
    throw new ConfigurationError(`${option} must be a positive number.`);
  }
  return chosen;
}

/** Checks `jitter`: a fraction from 0 to 1. */
export function jitterOption(value: number | undefined): number {
  const chosen = value ?? 0.1;
  if (typeof chosen !== "number" || !(chosen >= 0 && chosen <= 1)) {
    throw new ConfigurationError("jitter must be a fraction from 0 to 1.");
  }
  return chosen;
}

/**
 * The delay until the next check: the interval after a success, else
 * `min(backoffMaxMs, backoffBaseMs · 2^(failures − 1))`, either way jittered.
 */
export function nextDelay(rules: ScheduleRules, failures: number, random: () => number): number {
  const base =
    failures === 0
      ? rules.intervalMs
      : Math.min(rules.backoffMaxMs, rules.backoffBaseMs * 2 ** Math.min(failures - 1, 40));
  return Math.round(base * (1 + rules.jitter * (2 * random() - 1)));
}

/** Token buckets per provider. */
export class ProviderRateLimiter {
  readonly #limits: (provider: string) => RateLimit | undefined;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(limits: (provider: string) => RateLimit | undefined) {
    this.#limits = limits;
  }

  /** Takes a token for `provider`: 0 when taken, else the ms until one is available. */
  take(provider: string, now: number): number {
    const limit = this.#limits(provider);
    if (!limit) return 0;
    const rate = limit.tests / limit.perMs;
    const bucket = this.#buckets.get(provider) ?? { tokens: limit.tests, at: now };
    const tokens = Math.min(limit.tests, bucket.tokens + (now - bucket.at) * rate);
    if (tokens >= 1) {
      this.#buckets.set(provider, { tokens: tokens - 1, at: now });
      return 0;
    }
    this.#buckets.set(provider, { tokens, at: now });
    return Math.ceil((1 - tokens) / rate);
  }
}
