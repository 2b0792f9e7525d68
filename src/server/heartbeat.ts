/**
 * The server's heartbeat: one timer for all connections, pinging the
 * silent ones and closing those silent past the idle timeout.
 *
 * @module
 */

import type { ServerConnection } from "./server_connection.ts";
import type { Clock } from "../shared/clock.ts";

/**
 * Starts the heartbeat of `connections` every `pingInterval` (or
 * `idleTimeout` when pings are off) ms; returns the function that stops it,
 * or `undefined` when both are 0.
 *
 * @example
 * ```ts
 * import { startHeartbeat } from "./heartbeat.ts";
 * import { systemClock } from "../shared/clock.ts";
 * import type { ServerConnection } from "./server_connection.ts";
 * const open = new Map<string, ServerConnection<unknown>>();
 * const stop = startHeartbeat(systemClock, { pingInterval: 30_000, idleTimeout: 60_000 }, () => open.values());
 * stop?.();
 * ```
 */
export function startHeartbeat<Data>(
  clock: Clock,
  options: { pingInterval: number; idleTimeout: number },
  connections: () => Iterable<ServerConnection<Data>>,
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
