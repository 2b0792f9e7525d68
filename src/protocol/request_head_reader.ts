/**
 * A streaming, strict reader for the head of an HTTP/1.1 request (the
 * request-line and the header fields, up to the blank line), with limits.
 * It is sans-I/O: feed it bytes as they arrive, in any chunking, and it
 * answers "incomplete", "complete" (with the parsed request and the bytes
 * that followed the head) or "error" (with the HTTP status to answer).
 *
 * Choices (RFC 9112 leaves them to the recipient):
 *
 * - Lines must end in CR LF. A bare LF is rejected with 400 (RFC 9112 §2.2
 *   only says a recipient MAY accept it; refusing it avoids parser
 *   disagreements with proxies).
 * - Empty lines before the request-line are skipped (RFC 9112 §2.2: a server
 *   "SHOULD ignore at least one empty line (CRLF) received prior to the
 *   request-line"). They count towards `maxHeadBytes`.
 * - Line folding (obs-fold) and whitespace before the first header field are
 *   rejected with 400.
 * - Any byte outside printable ASCII (besides SP, HTAB in field values and
 *   the CR LF terminators) is rejected with 400, as soon as it arrives.
 * - A request-line longer than `maxRequestLineBytes` is answered with 414,
 *   a head longer than `maxHeadBytes` or with more than `maxHeaderCount`
 *   fields with 431, as soon as the limit is crossed (without waiting for the
 *   end of the head).
 * - An HTTP major version other than 1 is answered with 505.
 *
 * @module
 */

import { isToken } from "./http_fields.ts";
import { type HttpRequest, ParsedRequest } from "./http_request.ts";
import {
  checkLimit,
  type HeadFailure,
  type HeadFailureKind,
  HeadScanner,
  hex,
} from "./_head_scanner.ts";

/** A request-line holds visible ASCII and SP only. */
const REQUEST_LINE_CHARACTERS = /^[\x20-\x7e]*$/;

/**
 * Limits applied while reading a request head. Every limit is checked as
 * soon as it is crossed, before the end of the head arrives.
 *
 * @example
 * ```ts
 * import { type RequestHeadLimits, RequestHeadReader } from "./request_head_reader.ts";
 * const limits: RequestHeadLimits = { maxHeadBytes: 8192, maxHeaderCount: 50 };
 * const reader = new RequestHeadReader(limits);
 * ```
 */
export interface RequestHeadLimits {
  /**
   * Most bytes the whole head may take, from the first byte up to and
   * including the blank line that ends it. Default 16384. Exceeding it is
   * answered with 431 (Request Header Fields Too Large).
   */
  maxHeadBytes?: number;
  /**
   * Most header field lines. Default 100. Exceeding it is answered with 431.
   */
  maxHeaderCount?: number;
  /**
   * Most bytes of the request-line, not counting its CR LF. Default 8192.
   * Exceeding it is answered with 414 (URI Too Long): in practice only the
   * request-target grows that long (RFC 9112 §3: "A server that receives a
   * request-target longer than any URI it wishes to parse MUST respond with a
   * 414 (URI Too Long) status code").
   */
  maxRequestLineBytes?: number;
}

/**
 * What {@link RequestHeadReader.push} answers.
 *
 * - `incomplete`: more bytes are needed.
 * - `complete`: the head is parsed; `rest` holds a copy of the bytes that
 *   followed the blank line in the last chunk (possibly empty): they belong to
 *   the next protocol (WebSocket frames) and must not be dropped.
 * - `error`: the head is invalid or too large; answer with `status` and close.
 *
 * @example
 * ```ts
 * import { RequestHeadReader, type RequestHeadResult } from "./request_head_reader.ts";
 * const result: RequestHeadResult = new RequestHeadReader().push(new Uint8Array([0x00]));
 * if (result.state === "error") console.log(result.status, result.message); // 400
 * ```
 */
export type RequestHeadResult =
  | { state: "incomplete" }
  | { state: "complete"; request: HttpRequest; rest: Uint8Array }
  | { state: "error"; status: number; message: string };

const DEFAULT_MAX_HEAD_BYTES = 16384;
const DEFAULT_MAX_HEADER_COUNT = 100;
const DEFAULT_MAX_REQUEST_LINE_BYTES = 8192;

const SP = 0x20;

/** The HTTP status that answers each way a request head can be refused. */
const STATUS: Readonly<Record<HeadFailureKind, number>> = Object.freeze({
  "invalid": 400,
  "head-too-large": 431,
  "too-many-fields": 431,
  // RFC 9112 §3: "A server that receives a request-target longer than any
  // URI it wishes to parse MUST respond with a 414 (URI Too Long) status
  // code".
  "start-line-too-long": 414,
  "unsupported-version": 505,
});

/**
 * Reads an HTTP/1.1 request head from a byte stream, one chunk at a time.
 * Create one per connection; once it answers `complete` or `error` it is
 * done (further `push` calls after `complete` throw, after `error` repeat the
 * error).
 *
 * @example
 * ```ts
 * import { RequestHeadReader } from "./request_head_reader.ts";
 * const reader = new RequestHeadReader({ maxHeadBytes: 8192 });
 * const bytes = new TextEncoder().encode(
 *   "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n\x81\x00",
 * );
 * let result = reader.push(bytes.subarray(0, 10));
 * console.log(result.state); // "incomplete"
 * result = reader.push(bytes.subarray(10));
 * if (result.state === "complete") {
 *   console.log(result.request.method, result.rest); // "GET" Uint8Array(2) [129, 0]
 * }
 * ```
 */
export class RequestHeadReader {
  #scanner: HeadScanner;
  #method = "";
  #target = "";
  #version = "";
  #error: RequestHeadResult | undefined;

  /**
   * Creates a reader for one connection's request head.
   *
   * @param limits Optional limits; see {@link RequestHeadLimits}. Throws a
   * `RangeError` when a limit is not a positive integer.
   */
  constructor(limits: RequestHeadLimits = {}) {
    this.#scanner = new HeadScanner({
      noun: "request",
      startLineName: "Request line",
      skipEmptyLinesBeforeStart: true,
      startLineAllowsObsText: false,
      maxHeadBytes: checkLimit(
        "maxHeadBytes",
        limits.maxHeadBytes,
        DEFAULT_MAX_HEAD_BYTES,
      ),
      maxHeaderCount: checkLimit(
        "maxHeaderCount",
        limits.maxHeaderCount,
        DEFAULT_MAX_HEADER_COUNT,
      ),
      maxStartLineBytes: checkLimit(
        "maxRequestLineBytes",
        limits.maxRequestLineBytes,
        DEFAULT_MAX_REQUEST_LINE_BYTES,
      ),
    }, (line) => this.#requestLine(line));
  }

  /**
   * Feeds the next chunk of the stream. `bytes` is only read during the call
   * (whatever is kept is copied), so the caller may reuse its buffer.
   *
   * @param bytes The next bytes received, of any length (even one byte).
   * @returns `incomplete`, `complete` with the request and the following
   * bytes, or `error` with the status to answer.
   */
  push(bytes: Uint8Array): RequestHeadResult {
    if (this.#error !== undefined) return this.#error;
    const result = this.#scanner.push(bytes);
    if (result.state === "incomplete") return result;
    if (result.state === "error") {
      const { kind, message } = result.failure;
      return this.#error = { state: "error", status: STATUS[kind], message };
    }
    const request = new ParsedRequest(
      this.#method,
      this.#target,
      this.#version,
      this.#scanner.fields,
    );
    return { state: "complete", request, rest: result.rest };
  }

  // RFC 9112 §3: request-line = method SP request-target SP HTTP-version
  #requestLine(line: string): HeadFailure | undefined {
    if (!REQUEST_LINE_CHARACTERS.test(line)) {
      for (let i = 0; i < line.length; i++) {
        const c = line.charCodeAt(i);
        if (c < SP || c >= 0x7f) {
          return invalid(`Invalid character in request line: ${hex(c)}`);
        }
      }
    }
    const first = line.indexOf(" ");
    const second = line.indexOf(" ", first + 1);
    if (first === -1 || second === -1 || line.indexOf(" ", second + 1) !== -1) {
      return invalid("Invalid request line");
    }
    // The usual method and version as shared literals: open connections
    // then keep no copy of them each.
    const method = first === 3 && line.startsWith("GET")
      ? "GET"
      : line.slice(0, first);
    if (!isToken(method)) return invalid("Invalid request line: bad method");
    const target = line.slice(first + 1, second);
    // RFC 9112 §3.2: a request-target never contains a fragment ("#").
    if (target.length === 0 || target.includes("#")) {
      return invalid("Invalid request line: bad request-target");
    }
    const protocol = line.slice(second + 1);
    if (protocol === "HTTP/1.1") {
      this.#version = "1.1";
    } else {
      // RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT
      const version = /^HTTP\/([0-9])\.([0-9])$/.exec(protocol);
      if (version === null) {
        return invalid("Invalid request line: bad HTTP version");
      }
      if (version[1] !== "1") {
        return {
          kind: "unsupported-version",
          message: `Unsupported HTTP version: ${version[1]}.${version[2]}`,
        };
      }
      this.#version = `${version[1]}.${version[2]}`;
    }
    this.#method = method;
    this.#target = target;
    return undefined;
  }
}

function invalid(message: string): HeadFailure {
  return { kind: "invalid", message };
}
