/**
 * A parsed HTTP request head, as the application sees it (the upgrade
 * request of a connection, or a plain request), and the class the request
 * reader builds.
 *
 * @module
 */

import { fieldPairs } from "./_head_scanner.ts";

/**
 * A parsed HTTP request head: what the application sees as the upgrade
 * request of a connection.
 *
 * @example
 * ```ts
 * import { RequestHeadReader } from "./request_head_reader.ts";
 * const reader = new RequestHeadReader();
 * const result = reader.push(
 *   new TextEncoder().encode("GET /chat?room=1 HTTP/1.1\r\nHost: a.example\r\n\r\n"),
 * );
 * if (result.state === "complete") {
 *   const { path, query, headers } = result.request;
 *   console.log(path, query.get("room"), headers.get("host")); // "/chat" "1" "a.example"
 * }
 * ```
 */
export interface HttpRequest {
  /** The method, case-sensitive, such as `"GET"`. */
  readonly method: string;
  /** The raw request-target, exactly as received (`"/chat?room=1"`). */
  readonly target: string;
  /**
   * The raw (not percent-decoded) path of the target, without the query:
   * `"/chat"` for `"/chat?room=1"` and for `"http://a.example/chat?room=1"`;
   * `"/"` for an absolute-form target without a path; the target itself for
   * the asterisk and authority forms.
   */
  readonly path: string;
  /** The query of the target, decoded by `URLSearchParams`. */
  readonly query: URLSearchParams;
  /** The HTTP version without its name, such as `"1.1"`. */
  readonly version: string;
  /** The header fields, combined per name as the Web `Headers` class does. */
  readonly headers: Headers;
  /**
   * The header fields in the order received, names in their original case,
   * values trimmed of surrounding whitespace. Use it to detect repeated
   * fields.
   */
  readonly rawHeaders: ReadonlyArray<readonly [name: string, value: string]>;
}

// RFC 9112 §3.2: request-target = origin-form / absolute-form /
// authority-form / asterisk-form. Returns the raw path part and the query.
function splitTarget(target: string): [path: string, query: string] {
  const q = target.indexOf("?");
  const base = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? "" : target.slice(q + 1);
  if (base.charCodeAt(0) === 0x2f /* "/" */) return [base, query];
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/.exec(base);
  if (scheme !== null) return [base.slice(scheme[0].length) || "/", query];
  return [base, query];
}

/**
 * The header fields of `request` as one string: the field lines joined by
 * CR LF, each a name as received, a colon and the value, maybe with SP or
 * HTAB around it (`""` without fields). A request read by a
 * {@link RequestHeadReader} keeps its fields this way, as received:
 * reading them from it creates nothing; other requests are joined from
 * their `rawHeaders`.
 *
 * @example
 * ```ts
 * import { fieldText } from "./http_request.ts";
 * import { RequestHeadReader } from "./request_head_reader.ts";
 * const result = new RequestHeadReader().push(
 *   new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\nUpgrade:  websocket \r\n\r\n"),
 * );
 * if (result.state === "complete") {
 *   console.log(fieldText(result.request)); // "Host: a\r\nUpgrade:  websocket "
 * }
 * ```
 */
export function fieldText(request: HttpRequest): string {
  if (request instanceof ParsedRequest) return request.fieldText;
  const raw = request.rawHeaders;
  let text = "";
  for (let i = 0; i < raw.length; i++) {
    text += (i === 0 ? "" : "\r\n") + raw[i][0] + ":" + raw[i][1];
  }
  return text;
}

/**
 * Lets a request read by a {@link RequestHeadReader} drop the header fields
 * it parsed (they are parsed again from the head's text on the next use).
 * The driver calls it once the handshake has read them, so that an open
 * connection keeps its request as a few strings. Other requests are left
 * as they are.
 *
 * @example
 * ```ts
 * import { releaseParsedFields } from "./http_request.ts";
 * import { RequestHeadReader } from "./request_head_reader.ts";
 * const result = new RequestHeadReader().push(
 *   new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
 * );
 * if (result.state === "complete") {
 *   releaseParsedFields(result.request);
 *   console.log(result.request.rawHeaders); // [ [ "Host", "a" ] ]
 * }
 * ```
 */
export function releaseParsedFields(request: HttpRequest): void {
  if (request instanceof ParsedRequest) request.release();
}

/**
 * A parsed request head. It keeps its header fields as one string (the
 * field lines as received) and builds `rawHeaders`, `headers` and
 * `query` from it on first use: a server holding many idle connections
 * keeps a few strings per connection, not an array and two strings per
 * field.
 */
export class ParsedRequest implements HttpRequest {
  readonly method: string;
  readonly target: string;
  readonly path: string;
  readonly version: string;
  #fields: string;
  #rawHeaders: ReadonlyArray<readonly [string, string]> | undefined;
  #query: string | URLSearchParams;
  #headers: Headers | undefined;

  /**
   * A request; `target` is split into `path` and `query` here. `fields`:
   * the header field lines as {@link fieldText} gives them (names hold no
   * colon and lines no CR or LF: the reader checked).
   */
  constructor(method: string, target: string, version: string, fields: string) {
    this.method = method;
    this.target = target;
    if (target.charCodeAt(0) === 0x2f /* "/" */ && !target.includes("?")) {
      // The usual origin-form without a query.
      this.path = target;
      this.#query = "";
    } else {
      const [path, query] = splitTarget(target);
      this.path = path;
      this.#query = query;
    }
    this.version = version;
    this.#fields = fields;
  }

  /** The header fields as one string (see {@link fieldText}). */
  get fieldText(): string {
    return this.#fields;
  }

  get rawHeaders(): ReadonlyArray<readonly [string, string]> {
    return this.#rawHeaders ??= fieldPairs(this.#fields);
  }

  /** Drops the parsed fields and Headers; they are built again on next use. */
  release(): void {
    this.#rawHeaders = undefined;
    this.#headers = undefined;
  }

  get query(): URLSearchParams {
    if (typeof this.#query === "string") {
      this.#query = new URLSearchParams(this.#query);
    }
    return this.#query;
  }

  get headers(): Headers {
    if (this.#headers === undefined) {
      const headers = new Headers();
      for (const [name, value] of this.rawHeaders) headers.append(name, value);
      this.#headers = headers;
    }
    return this.#headers;
  }

  /** Shown by `console.log` and `JSON.stringify` like a plain object. */
  toJSON(): Record<string, unknown> {
    return {
      method: this.method,
      target: this.target,
      path: this.path,
      query: Object.fromEntries(this.query),
      version: this.version,
      headers: Object.fromEntries(this.headers),
    };
  }
}
