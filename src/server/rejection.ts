/**
 * Refused requests made visible: the `rejected` event's payload and its
 * one-line description, naming what was refused, why, and which setting
 * would change it ("403 Origin http://localhost:5173 not allowed (set the
 * origins option to allow it)").
 *
 * @module
 */

import type { HttpRequest } from "../protocol/http_request.ts";

/**
 * A request the server refused: the payload of the `rejected` event.
 *
 * @example
 * ```ts
 * import { Server } from "@anyws/anyws";
 * const server = new Server({ port: 0 });
 * server.on("rejected", (info) => {
 *   console.log(info.status, info.reason, info.remoteAddress, info.cause);
 * });
 * ```
 */
export interface RejectInfo {
  /** The HTTP status sent. */
  status: number;
  /** Why, as sent in the response body. */
  reason: string;
  /**
   * The server option (or hook) that refused, when one did: `"paths"`,
   * `"origins"`, `"requireOrigin"`, `"maxConnections"`,
   * `"maxConnectionsPerIp"`, `"requireProtocol"`, `"authorize"`,
   * `"maxRequestBodySize"`, `"stopping"` (the server is shutting down),
   * `"attach"` (a path not given to `attach()`).
   */
  cause: string | undefined;
  /** The peer's address (empty on a Unix socket). */
  remoteAddress: string;
  /** The request, or `undefined` when its head could not be read (400, 431). */
  request: HttpRequest | undefined;
  /** Whether it asked for a WebSocket upgrade (else a plain HTTP request). */
  upgrade: boolean;
}

/**
 * A hint per `cause`: what to change to let such a request in, or
 * `undefined` for none.
 *
 * @example
 * ```ts
 * import type { RejectionHints } from "./rejection.ts";
 * const hints: RejectionHints = (info) =>
 *   info.cause === "origins" ? "set --origins to allow it" : undefined;
 * ```
 */
export type RejectionHints = (info: RejectInfo) => string | undefined;

/**
 * The hints in the library's terms: option names.
 *
 * @example
 * ```ts
 * import { OPTION_HINTS } from "./rejection.ts";
 * const hint = OPTION_HINTS({
 *   status: 403, reason: "Origin not allowed", cause: "origins",
 *   remoteAddress: "127.0.0.1", request: undefined, upgrade: true,
 * });
 * console.log(hint); // "set the origins option to allow it"
 * ```
 */
export const OPTION_HINTS: RejectionHints = (info): string | undefined => {
  switch (info.cause) {
    case "origins":
      return "set the origins option to allow it";
    case "requireOrigin":
      return "the requireOrigin option is on";
    case "paths":
      return "see the paths option";
    case "maxConnections":
      return "see the maxConnections option";
    case "maxConnectionsPerIp":
      return "see the maxConnectionsPerIp option";
    case "requireProtocol":
      return "see the protocols and requireProtocol options";
    case "authorize":
      return "refused by the authorize hook";
    case "maxRequestBodySize":
      return "see the maxRequestBodySize option";
    case "attach":
      return "not a path given to attach()";
    default:
      return undefined;
  }
};

/**
 * One line for a log: `rejected ws upgrade to /chat from 127.0.0.1: 403
 * Origin http://localhost:5173 not allowed (set the origins option to
 * allow it)`.
 *
 * @example
 * ```ts
 * import { describeRejection } from "./rejection.ts";
 * const line = describeRejection({
 *   status: 426, reason: "Upgrade Required", cause: undefined,
 *   remoteAddress: "127.0.0.1", request: undefined, upgrade: false,
 * });
 * console.log(line); // "rejected request from 127.0.0.1: 426 Upgrade Required"
 * ```
 */
export function describeRejection(
  info: RejectInfo,
  hints: RejectionHints = OPTION_HINTS,
): string {
  const { request } = info;
  const from = info.remoteAddress === ""
    ? "the local socket"
    : info.remoteAddress;
  const what = request === undefined
    ? "request"
    : info.upgrade
    ? `ws upgrade to ${printable(request.path)}`
    : `http ${printable(request.method)} ${printable(request.path)}`;
  const hint = hints(info);
  return `rejected ${what} from ${from}: ${info.status} ${detail(info)}${
    hint === undefined ? "" : ` (${hint})`
  }`;
}

/**
 * The structured fields of a refusal, for JSON log lines.
 *
 * @example
 * ```ts
 * import { rejectionFields } from "./rejection.ts";
 * const fields = rejectionFields({
 *   status: 429, reason: "Too many connections from your address",
 *   cause: "maxConnectionsPerIp", remoteAddress: "10.0.0.7",
 *   request: undefined, upgrade: true,
 * });
 * console.log(fields.status, fields.cause); // 429 "maxConnectionsPerIp"
 * ```
 */
export function rejectionFields(info: RejectInfo): Record<string, unknown> {
  const { request } = info;
  return {
    event: "rejected",
    status: info.status,
    reason: info.reason,
    cause: info.cause,
    remoteAddress: info.remoteAddress,
    upgrade: info.upgrade,
    method: request?.method,
    path: request?.path,
    origin: request?.headers.get("origin") ?? undefined,
  };
}

/** The reason, with the request's own value where it is the point. */
function detail(info: RejectInfo): string {
  const origin = info.request?.headers.get("origin");
  switch (info.cause) {
    case "origins":
      return origin == null
        ? "Origin not allowed"
        : `Origin ${printable(origin)} not allowed`;
    case "requireOrigin":
      return "no Origin header";
    default:
      return printable(info.reason);
  }
}

/** A value from the request, safe on one log line and bounded. */
function printable(text: string): string {
  // deno-lint-ignore no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, "?");
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
