/**
 * How long the event client waits before each reconnect attempt:
 * exponential backoff with random jitter, capped.
 *
 * @module
 */

/**
 * The reconnect timing. The wait before attempt `n` (1, 2, ...) is
 * `min(initialDelay × factor^(n-1), maxDelay)`, multiplied by a random
 * factor in `[1 - jitter, 1 + jitter)`, then capped at `maxDelay` again.
 *
 * @example
 * ```ts
 * import type { BackoffPolicy } from "./backoff.ts";
 * const impatient: BackoffPolicy = {
 *   initialDelay: 250, factor: 2, maxDelay: 5000, jitter: 0.3,
 *   maxAttempts: 10, resetAfter: 2000,
 * };
 * ```
 */
export interface BackoffPolicy {
  /** The wait before the first attempt after a drop, in ms. */
  readonly initialDelay: number;
  /** How much longer each following wait is (≥ 1). */
  readonly factor: number;
  /** The longest wait, in ms. */
  readonly maxDelay: number;
  /** The randomisation, a fraction in `[0, 1]`: 0.5 is ±50 %. */
  readonly jitter: number;
  /** Attempts in a row before giving up (`Infinity`: never). */
  readonly maxAttempts: number;
  /**
   * How long a connection must have stayed open, in ms, for the next drop
   * to start again at `initialDelay` and attempt 1.
   */
  readonly resetAfter: number;
}

/**
 * The defaults, in the range of Socket.IO's client (1 s first delay, ±50 %
 * randomisation, unlimited attempts), reconnecting-websocket (a connection
 * counts as stable after 5 s) and python-websockets (a cap of tens of
 * seconds):
 *
 * - `initialDelay` 1000 ms: a blip heals within a couple of seconds;
 * - `factor` 2 and `maxDelay` 30 000 ms: 1, 2, 4, 8, 16, 30, 30, ... s, so
 *   a long outage costs the server one attempt per client per 15-30 s;
 * - `jitter` 0.5: clients dropped together (a server restart) spread over a
 *   window as wide as the delay itself instead of returning in one burst;
 * - `maxAttempts` `Infinity`: a page left open comes back whenever the
 *   server does;
 * - `resetAfter` 5000 ms: a server that accepts and drops at once does not
 *   reset the backoff, so it is not hammered.
 *
 * @example
 * ```ts
 * import { DEFAULT_BACKOFF } from "./backoff.ts";
 * console.log(DEFAULT_BACKOFF.initialDelay, DEFAULT_BACKOFF.maxDelay); // 1000 30000
 * ```
 */
export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  initialDelay: 1000,
  factor: 2,
  maxDelay: 30_000,
  jitter: 0.5,
  maxAttempts: Infinity,
  resetAfter: 5000,
});

/**
 * {@link DEFAULT_BACKOFF} with `overrides` applied, checked: a value out of
 * range throws a `RangeError` naming it.
 *
 * @example
 * ```ts
 * import { resolveBackoff } from "./backoff.ts";
 * resolveBackoff({ maxDelay: 10_000 }).maxDelay; // 10000
 * ```
 */
export function resolveBackoff(
  overrides: Partial<BackoffPolicy> = {},
): BackoffPolicy {
  const policy = { ...DEFAULT_BACKOFF, ...overrides };
  const check = (name: keyof BackoffPolicy, ok: boolean) => {
    if (!ok) {
      throw new RangeError(`Invalid backoff ${name}: ${policy[name]}`);
    }
  };
  check("initialDelay", finiteAtLeast(policy.initialDelay, 0));
  check("factor", finiteAtLeast(policy.factor, 1));
  check(
    "maxDelay",
    finiteAtLeast(policy.maxDelay, 0) &&
      policy.maxDelay >= policy.initialDelay,
  );
  check("jitter", finiteAtLeast(policy.jitter, 0) && policy.jitter <= 1);
  check(
    "maxAttempts",
    policy.maxAttempts === Infinity ||
      (Number.isInteger(policy.maxAttempts) && policy.maxAttempts >= 0),
  );
  check("resetAfter", finiteAtLeast(policy.resetAfter, 0));
  return Object.freeze(policy);
}

/**
 * The wait before attempt `attempt` (1 for the first attempt after a drop),
 * in whole ms. `random` returns a number in `[0, 1)` (`Math.random`, or a
 * fixed one in tests).
 *
 * @example
 * ```ts
 * import { backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
 * backoffDelay(1, DEFAULT_BACKOFF, () => 0.5); // 1000: the middle of [500, 1500)
 * backoffDelay(3, DEFAULT_BACKOFF, () => 0); // 2000: 4000 less 50 %
 * backoffDelay(9, DEFAULT_BACKOFF, () => 0.99); // 30000: capped
 * ```
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number,
): number {
  const { initialDelay, factor, maxDelay, jitter } = policy;
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const base = Math.min(initialDelay * factor ** exponent, maxDelay);
  const spread = 1 - jitter + 2 * jitter * clampUnit(random());
  return Math.round(Math.min(base * spread, maxDelay));
}

function finiteAtLeast(value: number, minimum: number): boolean {
  return Number.isFinite(value) && value >= minimum;
}

function clampUnit(value: number): number {
  return Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0.5;
}
