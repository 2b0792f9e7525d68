/**
 * The server's handshake policy: paths, Origin, connection limits,
 * subprotocols and the `authorize` hook, applied in that order to a request
 * that is already a valid RFC 6455 upgrade.
 *
 * @module
 */

import type { UpgradeDecision } from "./server_host.ts";
import {
  selectSubprotocol,
  type UpgradeRequest,
} from "../protocol/server_handshake.ts";
import type { HttpRequest } from "../protocol/http_request.ts";
import { isOriginAllowed } from "./origin_policy.ts";
import { UsageError } from "../protocol/errors.ts";
import type { AuthorizeResult, ResolvedServerOptions } from "./options.ts";

/** Connection counts the limits are checked against (the request's own connection included). */
export interface ConnectionCounts {
  /** Connections of the server, handshakes included. */
  total: number;
  /** Connections from the request's address. */
  fromAddress: number;
}

/**
 * Decides whether to accept an upgrade request, and with which subprotocol,
 * headers, data and user.
 *
 * | check                         | answer |
 * | ----------------------------- | ------ |
 * | path not in `paths`           | 404    |
 * | Origin not allowed            | 403    |
 * | over `maxConnections`         | 503 + `Retry-After` |
 * | over `maxConnectionsPerIp`    | 429 + `Retry-After` |
 * | no subprotocol while `requireProtocol` | 400 |
 * | `authorize` says no           | its status (default 401) |
 * | `authorize` throws            | 500 (by the driver) |
 *
 * @example
 * ```ts
 * import { decideUpgrade } from "./upgrade_policy.ts";
 * import { resolveServerOptions } from "./options.ts";
 * const options = resolveServerOptions({ paths: ["/ws"] });
 * // decideUpgrade(options, request, upgrade, "127.0.0.1", { total: 1, fromAddress: 1 })
 * console.log(typeof decideUpgrade); // "function"
 * ```
 */
export function decideUpgrade(
  options: ResolvedServerOptions,
  request: HttpRequest,
  upgrade: UpgradeRequest,
  remoteAddress: string,
  counts: ConnectionCounts,
): UpgradeDecision | Promise<UpgradeDecision> {
  if (options.paths !== undefined && !options.paths.includes(request.path)) {
    return refuse(404, "Not Found", undefined, "paths");
  }
  const originAllowed = isOriginAllowed(
    upgrade.origin,
    upgrade.host,
    options.origins,
    { requireOrigin: options.requireOrigin },
  );
  if (!originAllowed) {
    return refuse(
      403,
      "Origin not allowed",
      undefined,
      upgrade.origin === null ? "requireOrigin" : "origins",
    );
  }
  if (options.maxConnections > 0 && counts.total > options.maxConnections) {
    return refuse(
      503,
      "Too many connections",
      { "Retry-After": "5" },
      "maxConnections",
    );
  }
  if (
    options.maxConnectionsPerIp > 0 &&
    counts.fromAddress > options.maxConnectionsPerIp
  ) {
    return refuse(
      429,
      "Too many connections from your address",
      { "Retry-After": "5" },
      "maxConnectionsPerIp",
    );
  }
  const { protocols } = options;
  const protocol = protocols === undefined
    ? undefined
    : typeof protocols === "function"
    ? protocols(upgrade.protocols, request)
    : selectSubprotocol(upgrade.protocols, protocols);
  checkOffered(protocol, upgrade, "protocols");
  if (options.requireProtocol && protocol === undefined) {
    return refuse(
      400,
      "No supported subprotocol",
      undefined,
      "requireProtocol",
    );
  }
  const accepted: UpgradeDecision = { accept: true, protocol };
  if (options.authorize === undefined) return accepted;
  const result = options.authorize(request, { remoteAddress, upgrade });
  return result instanceof Promise
    ? result.then((answer) => merge(accepted, answer, upgrade))
    : merge(accepted, result, upgrade);
}

/**
 * RFC 6455 §4.2.2: the server selects "one or none of the acceptable
 * protocols" the client offered; a browser fails a connection whose 101
 * names any other. A choice outside the offers is the application's bug.
 */
function checkOffered(
  protocol: string | undefined,
  upgrade: UpgradeRequest,
  source: string,
): void {
  if (protocol !== undefined && !upgrade.protocols.includes(protocol)) {
    throw new UsageError(
      `${source} chose the subprotocol ${
        JSON.stringify(protocol)
      }, which the client did not offer (offered: ${
        upgrade.protocols.length === 0 ? "none" : upgrade.protocols.join(", ")
      })`,
    );
  }
}

function merge(
  accepted: UpgradeDecision & { accept: true },
  answer: AuthorizeResult,
  upgrade: UpgradeRequest,
): UpgradeDecision {
  if (answer === true) return accepted;
  if (answer === false) {
    return refuse(401, "Unauthorized", undefined, "authorize");
  }
  if (typeof answer !== "object" || answer === null) {
    throw new UsageError(`Invalid authorize result: ${String(answer)}`);
  }
  if (!answer.accept) {
    return {
      accept: false,
      status: answer.status ?? 401,
      body: answer.body,
      headers: answer.headers,
      cause: "authorize",
    };
  }
  checkOffered(answer.protocol, upgrade, "authorize()");
  return {
    accept: true,
    protocol: answer.protocol ?? accepted.protocol,
    headers: answer.headers,
    data: answer.data,
    user: answer.user,
  };
}

function refuse(
  status: number,
  body: string,
  headers: Record<string, string> | undefined,
  cause: string,
): UpgradeDecision {
  return { accept: false, status, body, headers, cause };
}
