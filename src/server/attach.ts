/**
 * Attaching a server to an HTTP server that already owns the port (Node's
 * HTTP and HTTPS servers, Express, Fastify..., and the Node-compatible HTTP
 * servers of the other runtimes): its `'upgrade'` event hands over a
 * socket, the parsed request and the bytes read after its head.
 *
 * The design: the request head is rebuilt, byte for byte as far as the HTTP
 * server kept it (method, target, version, `rawHeaders` in order, original
 * case), and handed to the engine with the socket as the first bytes read.
 * The connection then runs the very driver of a connection accepted on a
 * port of ours: the same head reader and its limits, the same validation,
 * paths, Origin, `authorize`, subprotocols, connection and rate limits,
 * backpressure and timers, with no second code path to keep in step. The
 * cost is parsing the head twice, once per handshake (microseconds), never
 * per message.
 *
 * @module
 */

import { buildErrorResponse } from "../protocol/http_response.ts";
import type { HttpRequest } from "../protocol/http_request.ts";
import { RequestHeadReader } from "../protocol/request_head_reader.ts";

/**
 * What the server reads of an HTTP server's request (Node's
 * `IncomingMessage` has it all).
 *
 * @example
 * ```ts
 * import type { IncomingRequest } from "@anyws/anyws";
 * const request: IncomingRequest = {
 *   method: "GET",
 *   url: "/ws",
 *   httpVersion: "1.1",
 *   rawHeaders: ["Host", "localhost", "Upgrade", "websocket"],
 * };
 * ```
 */
export interface IncomingRequest {
  /** The method, such as `"GET"`. */
  readonly method?: string;
  /** The request target as received, such as `"/ws?room=1"`. */
  readonly url?: string;
  /** The HTTP version, such as `"1.1"`. */
  readonly httpVersion?: string;
  /** Header names and values in the order received: name, value, name, value... */
  readonly rawHeaders: readonly string[];
}

/**
 * What `server.attach()` needs of an HTTP server: Node's HTTP and HTTPS
 * servers (and what Express's `app.listen()` and Fastify's
 * `fastify.server` return) have it.
 *
 * @example
 * ```ts
 * import type { UpgradeSource } from "@anyws/anyws";
 * const upgrades = (source: UpgradeSource) => source.listenerCount("upgrade");
 * ```
 */
export interface UpgradeSource {
  /** Adds an `'upgrade'` listener. */
  // deno-lint-ignore no-explicit-any
  on(event: "upgrade", listener: (...args: any[]) => void): unknown;
  /** Removes it. */
  // deno-lint-ignore no-explicit-any
  off(event: "upgrade", listener: (...args: any[]) => void): unknown;
  /** How many `'upgrade'` listeners there are. */
  listenerCount(event: "upgrade"): number;
}

/**
 * Options of {@link Server.attach}.
 *
 * @example
 * ```ts
 * import type { AttachOptions } from "@anyws/anyws";
 * const options: AttachOptions = { path: ["/ws", "/live"] };
 * ```
 */
export interface AttachOptions {
  /**
   * The upgrade paths this server takes (exact match on the path, without
   * the query). Others are left to the HTTP server's other `'upgrade'`
   * listeners; when there is none, they are refused with 404. Default:
   * every WebSocket upgrade.
   */
  path?: string | readonly string[];
}

const encoder = new TextEncoder();

/**
 * The request head as the HTTP server received it (`rawHeaders` keeps the
 * names' case and the fields' order), followed by `head`, the bytes the
 * server read after it. Header text is Latin-1 in Node's HTTP parser (each
 * byte one character); anything beyond is encoded as UTF-8.
 *
 * @example
 * ```ts
 * import { requestBytes } from "./attach.ts";
 * const bytes = requestBytes(
 *   { method: "GET", url: "/ws", httpVersion: "1.1", rawHeaders: ["Host", "a"] },
 *   new Uint8Array(0),
 * );
 * console.log(new TextDecoder().decode(bytes)); // "GET /ws HTTP/1.1\r\nHost: a\r\n\r\n"
 * ```
 */
export function requestBytes(
  request: IncomingRequest,
  head: Uint8Array,
): Uint8Array {
  const raw = request.rawHeaders;
  let text = `${request.method ?? "GET"} ${request.url ?? "/"} HTTP/${
    request.httpVersion ?? "1.1"
  }\r\n`;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  text += "\r\n";
  const headBytes = latin1(text);
  if (head.length === 0) return headBytes;
  const bytes = new Uint8Array(headBytes.length + head.length);
  bytes.set(headBytes, 0);
  bytes.set(head, headBytes.length);
  return bytes;
}

function latin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) return encoder.encode(text);
    bytes[i] = code;
  }
  return bytes;
}

/**
 * Whether an `'upgrade'` request is this server's: a WebSocket upgrade
 * (RFC 6455 §4.2.1: `Upgrade` names `websocket`) to one of `paths` (any
 * path when `undefined`).
 *
 * @example
 * ```ts
 * import { isOwnUpgrade } from "./attach.ts";
 * const request = { url: "/ws?x=1", rawHeaders: ["Upgrade", "websocket"] };
 * console.log(isOwnUpgrade(request, ["/ws"])); // true
 * ```
 */
export function isOwnUpgrade(
  request: IncomingRequest,
  paths: readonly string[] | undefined,
): boolean {
  const raw = request.rawHeaders;
  let websocket = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (
      raw[i].toLowerCase() === "upgrade" &&
      raw[i + 1].split(",").some((token) =>
        token.trim().toLowerCase() === "websocket"
      )
    ) websocket = true;
  }
  if (!websocket) return false;
  return paths === undefined || paths.includes(targetPath(request.url ?? "/"));
}

/** The path of a request target, without its query (origin or absolute form). */
function targetPath(target: string): string {
  const q = target.indexOf("?");
  const base = q === -1 ? target : target.slice(0, q);
  if (base.startsWith("/")) return base;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/.exec(base);
  return scheme === null ? base : base.slice(scheme[0].length) || "/";
}

/**
 * The 404 for an upgrade that is nobody's (a path not taken, and no other
 * `'upgrade'` listener), and the request it refuses, parsed as the driver
 * would for the `rejected` event.
 *
 * @example
 * ```ts
 * import { foreignUpgradeRefusal } from "./attach.ts";
 * const { response } = foreignUpgradeRefusal(
 *   { method: "GET", url: "/other", httpVersion: "1.1", rawHeaders: ["Host", "a"] },
 * );
 * console.log(new TextDecoder().decode(response).split("\r\n")[0]); // "HTTP/1.1 404 Not Found"
 * ```
 */
export function foreignUpgradeRefusal(
  request: IncomingRequest,
): { response: Uint8Array; request: HttpRequest | undefined } {
  const parsed = new RequestHeadReader().push(
    requestBytes(request, new Uint8Array(0)),
  );
  return {
    response: buildErrorResponse(404, { body: "Not Found" }),
    request: parsed.state === "complete" ? parsed.request : undefined,
  };
}
