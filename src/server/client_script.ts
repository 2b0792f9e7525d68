/**
 * The browser event client served by the server itself (the
 * `clientScript` option): one ES module a page imports from the same
 * host, `import { connect } from "/anyws.js"`.
 *
 * @module
 */

import type { HttpRequest } from "../protocol/http_request.ts";
import {
  BROWSER_CLIENT_ETAG,
  BROWSER_CLIENT_SCRIPT,
} from "./browser_client_script.ts";

/**
 * The headers of every answer about the script. `no-cache` lets a browser
 * keep the module but makes it ask again (a 304 when unchanged), so that a
 * page never runs a client older than its server. It is public code, so
 * any origin may import it (a module script needs CORS).
 */
const HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Cache-Control": "no-cache",
  "ETag": BROWSER_CLIENT_ETAG,
  "Access-Control-Allow-Origin": "*",
  "X-Content-Type-Options": "nosniff",
});

/**
 * The answer to `request` when it is for the script at `path`, or
 * `undefined` when it is for something else. GET and HEAD get the module
 * (`text/javascript; charset=utf-8`), or 304 when `If-None-Match` names its
 * ETag (RFC 9110 §13.1.2); other methods get 405.
 *
 * @example
 * ```ts
 * import { answerClientScript } from "./client_script.ts";
 * import type { HttpRequest } from "../protocol/http_request.ts";
 * declare const request: HttpRequest; // GET /anyws.js
 * const response = answerClientScript(request, "/anyws.js");
 * console.log(response?.status); // 200
 * ```
 */
export function answerClientScript(
  request: HttpRequest,
  path: string,
): Response | undefined {
  if (request.path !== path) return undefined;
  const { method } = request;
  if (method !== "GET" && method !== "HEAD") {
    return new Response("Method Not Allowed", {
      status: 405,
      headers: {
        "Allow": "GET, HEAD",
        "Content-Type": "text/plain; charset=utf-8",
      },
    });
  }
  if (matchesEtag(request.headers.get("if-none-match"))) {
    return new Response(null, { status: 304, headers: HEADERS });
  }
  return new Response(BROWSER_CLIENT_SCRIPT, {
    headers: { ...HEADERS, "Content-Type": "text/javascript; charset=utf-8" },
  });
}

/**
 * Whether an `If-None-Match` field names the script's ETag: `*`, or a
 * comma-separated list of entity tags compared weakly (RFC 9110 §13.1.2:
 * `W/` prefixes are ignored).
 */
function matchesEtag(field: string | null): boolean {
  if (field === null) return false;
  const wanted = BROWSER_CLIENT_ETAG;
  for (const part of field.split(",")) {
    const tag = part.trim();
    if (tag === "*") return true;
    if ((tag.startsWith("W/") ? tag.slice(2) : tag) === wanted) return true;
  }
  return false;
}
