/**
 * Reading the URL a client connects to.
 *
 * @module
 */

import { UsageError } from "../protocol/errors.ts";

/**
 * `url` as a WebSocket URL: `ws:` and `wss:` as they are, `http:` and
 * `https:` meaning the same. Throws a `UsageError` for a URL that cannot
 * be parsed, another scheme, or a fragment.
 *
 * @example
 * ```ts
 * import { webSocketUrl } from "./websocket_url.ts";
 * console.log(webSocketUrl("https://example.com/chat").href); // "wss://example.com/chat"
 * ```
 */
export function webSocketUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`Invalid URL: ${url}`);
  }
  if (parsed.protocol === "http:") parsed.protocol = "ws:";
  else if (parsed.protocol === "https:") parsed.protocol = "wss:";
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new UsageError(
      `Unsupported URL scheme ${parsed.protocol} (use ws:, wss:, http: or https:)`,
    );
  }
  // RFC 6455 §3: "Fragment identifiers are meaningless in the context of
  // WebSocket URIs and MUST NOT be used on these URIs."
  if (parsed.hash !== "") {
    throw new UsageError(`A WebSocket URL has no fragment: ${parsed.href}`);
  }
  return parsed;
}
