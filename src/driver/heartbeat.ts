/**
 * The heartbeat: one timer for many connections (a server's) or for one (a
 * client's), pinging the silent ones and closing those silent past the
 * idle timeout.
 *
 * @module
 */

import type { Clock } from "../shared/clock.ts";
import type { ConnectionDriver } from "./connection_driver.ts";

/**
 * Starts the heartbeat of `connections` every `pingInterval` (or
 * `idleTimeout` when pings are off) ms; returns the function that stops it,
 * or `undefined` when both are 0.
 *
 * @example
 * ```ts
 * import { startHeartbeat } from "./heartbeat.ts";
 * import { systemClock } from "../shared/clock.ts";
 * import type { ConnectionDriver } from "./connection_driver.ts";
 * const open = new Map<string, ConnectionDriver<unknown>>();
 * const stop = startHeartbeat(systemClock, { pingInterval: 30_000, idleTimeout: 60_000 }, () => open.values());
 * stop?.();
 * ```
 */
export function startHeartbeat<Data>(
  clock: Clock,
  options: { pingInterval: number; idleTimeout: number },
  connections: () => Iterable<ConnectionDriver<Data>>,
): (() => void) | undefined {
  const { pingInterval, idleTimeout } = options;
  const tick = pingInterval || idleTimeout;
  if (tick <= 0) return undefined;
  const timer = clock.setInterval(() => {
    for (const conn of connections()) {
      conn.heartbeat(pingInterval, idleTimeout, tick);
    }
  }, tick);
  return () => clock.clearInterval(timer);
}
