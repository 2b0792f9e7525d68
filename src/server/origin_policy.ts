/**
 * The Origin check against cross-site WebSocket hijacking . RFC 6455 §10.2
 * asks servers meant to serve only certain sites, not any web page, to
 * verify that the |Origin| field is an origin they expect.
 *
 * @module
 */

/**
 * Which browser origins may connect:
 *
 * - `"same-origin"` (the default): the Origin's host and port equal the
 *   request's `Host`;
 * - `"*"`: any origin;
 * - a list of exact origins (`"https://app.example.com"`), `RegExp`
 *   patterns, and `"same-origin"`.
 *
 * Requests without an Origin (non-browser clients) are allowed unless
 * `requireOrigin` is set.
 *
 * @example
 * ```ts
 * import type { OriginRule } from "@anyws/anyws";
 * const rule: OriginRule = ["same-origin", "https://app.example.com", /^https:\/\/[a-z]+\.example\.com$/];
 * ```
 */
export type OriginRule =
  | "same-origin"
  | "*"
  | ReadonlyArray<string | RegExp>;

/**
 * Whether `origin` (the request's `Origin` header, or `null`) may connect to
 * `host` (the request's `Host`) under `rule`.
 *
 * @example
 * ```ts
 * import { isOriginAllowed } from "./origin_policy.ts";
 * isOriginAllowed("http://localhost:8080", "localhost:8080", "same-origin"); // true
 * isOriginAllowed("https://evil.example", "localhost:8080", "same-origin"); // false
 * isOriginAllowed(null, "localhost:8080", "same-origin"); // true
 * ```
 */
export function isOriginAllowed(
  origin: string | null,
  host: string,
  rule: OriginRule,
  options: { requireOrigin?: boolean } = {},
): boolean {
  if (origin === null) return options.requireOrigin !== true;
  if (rule === "*") return true;
  const rules = typeof rule === "string" ? [rule] : rule;
  const normalized = origin.toLowerCase();
  for (const entry of rules) {
    if (entry === "*") return true;
    if (entry === "same-origin") {
      if (sameOrigin(normalized, host)) return true;
    } else if (typeof entry === "string") {
      if (entry.toLowerCase() === normalized) return true;
    } else if (entry.test(origin)) {
      return true;
    }
  }
  return false;
}

/** `origin` is `scheme://host[:port]`; compare its authority to `Host`. */
function sameOrigin(origin: string, host: string): boolean {
  // RFC 6454 §7: the Origin header is a serialized origin, "null" for opaque ones.
  const match = /^(https?|wss?):\/\/([^/?#]+)$/.exec(origin);
  if (match === null) return false;
  const scheme = match[1];
  const authority = withDefaultPort(match[2], scheme);
  return authority === withDefaultPort(host.toLowerCase(), scheme);
}

function withDefaultPort(authority: string, scheme: string): string {
  const hasPort = /:\d+$/.test(authority) && !authority.endsWith("]");
  if (hasPort) return authority;
  const port = scheme === "https" || scheme === "wss" ? 443 : 80;
  return `${authority}:${port}`;
}
