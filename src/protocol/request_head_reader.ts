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

import { isToken, TCHAR } from "./http_fields.ts";
import { type HttpRequest, ParsedRequest } from "./http_request.ts";

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

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

// The bytes turned into strings are all ASCII (checked before), so one byte
// is one character. Short pieces are faster with String.fromCharCode than
// with a TextDecoder call.
function ascii(bytes: Uint8Array): string {
  return bytes.length <= 256
    ? String.fromCharCode.apply(null, bytes as unknown as number[])
    : decoder.decode(bytes);
}

function hex(byte: number): string {
  return "0x" + byte.toString(16).padStart(2, "0");
}

const Phase = Object.freeze(
  {
    RequestLine: 0,
    Headers: 1,
    Complete: 2,
    Error: 3,
  } as const,
);
type Phase = typeof Phase[keyof typeof Phase];

type ErrorResult = { state: "error"; status: number; message: string };

const INCOMPLETE: RequestHeadResult = Object.freeze({ state: "incomplete" });

function checkLimit(
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Invalid ${name}: ${value}`);
  }
  return value;
}

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
  #maxHeadBytes: number;
  #maxHeaderCount: number;
  #maxRequestLineBytes: number;
  #phase: Phase = Phase.RequestLine;
  /** Bytes of complete lines consumed so far (LF included). */
  #consumed = 0;
  /** The current incomplete line, copied from earlier chunks. */
  #partial: Uint8Array = EMPTY;
  #partialLength = 0;
  #method = "";
  #target = "";
  #version = "";
  #rawHeaders: Array<readonly [string, string]> = [];
  #error: ErrorResult | undefined;

  /**
   * Creates a reader for one connection's request head.
   *
   * @param limits Optional limits; see {@link RequestHeadLimits}. Throws a
   * `RangeError` when a limit is not a positive integer.
   */
  constructor(limits: RequestHeadLimits = {}) {
    this.#maxHeadBytes = checkLimit(
      "maxHeadBytes",
      limits.maxHeadBytes,
      DEFAULT_MAX_HEAD_BYTES,
    );
    this.#maxHeaderCount = checkLimit(
      "maxHeaderCount",
      limits.maxHeaderCount,
      DEFAULT_MAX_HEADER_COUNT,
    );
    this.#maxRequestLineBytes = checkLimit(
      "maxRequestLineBytes",
      limits.maxRequestLineBytes,
      DEFAULT_MAX_REQUEST_LINE_BYTES,
    );
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
    if (this.#phase === Phase.Error) return this.#error!;
    if (this.#phase === Phase.Complete) {
      throw new Error("Request head already complete: push after complete");
    }
    const length = bytes.length;
    let pos = 0;
    while (pos < length) {
      // Bytes the head may still take, the LF of the current line included.
      const budget = this.#maxHeadBytes - this.#consumed - this.#partialLength;
      const end = length - pos > budget ? pos + budget : length;
      const lf = bytes.subarray(pos, end).indexOf(LF);
      if (lf === -1) {
        const error = this.#stash(bytes.subarray(pos, end));
        if (error !== undefined) return error;
        if (end < length) return this.#headTooLarge();
        return INCOMPLETE;
      }
      let line = bytes.subarray(pos, pos + lf);
      if (this.#partialLength !== 0) {
        const error = this.#stash(line);
        if (error !== undefined) return error;
        line = this.#partial.subarray(0, this.#partialLength);
      }
      pos += lf + 1;
      this.#consumed += line.length + 1;
      this.#partialLength = 0;
      const error = this.#line(line);
      if (error !== undefined) return error;
      // (#line may have moved the phase on: widen the narrowed type.)
      if ((this.#phase as Phase) === Phase.Complete) {
        return {
          state: "complete",
          request: this.#request(),
          rest: pos === length ? new Uint8Array(0) : bytes.slice(pos),
        };
      }
    }
    return INCOMPLETE;
  }

  #fail(status: number, message: string): ErrorResult {
    this.#phase = Phase.Error;
    this.#partial = EMPTY;
    this.#rawHeaders = [];
    return (this.#error = { state: "error", status, message });
  }

  #headTooLarge(): ErrorResult {
    return this.#fail(
      431,
      `Request head too large: more than ${this.#maxHeadBytes} bytes`,
    );
  }

  #requestLineTooLong(): ErrorResult {
    return this.#fail(
      414,
      `Request line too long: more than ${this.#maxRequestLineBytes} bytes`,
    );
  }

  /**
   * Appends a piece of an incomplete line to the partial-line buffer, after a
   * quick check that rejects control and non-ASCII bytes as soon as they
   * arrive (the full syntax is checked once the line is complete).
   */
  #stash(chunk: Uint8Array): ErrorResult | undefined {
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const b = chunk[i];
      if ((b < SP && b !== HTAB && b !== CR) || b >= 0x7f) {
        return this.#fail(400, `Invalid character in request head: ${hex(b)}`);
      }
    }
    const needed = this.#partialLength + n;
    if (needed > this.#partial.length) {
      const grown = new Uint8Array(
        Math.max(needed, this.#partial.length * 2, 256),
      );
      grown.set(this.#partial.subarray(0, this.#partialLength));
      this.#partial = grown;
    }
    this.#partial.set(chunk, this.#partialLength);
    this.#partialLength = needed;
    if (this.#phase === Phase.RequestLine) {
      // The CR of the CR LF may already be here: it does not count.
      const content = this.#partial[needed - 1] === CR ? needed - 1 : needed;
      if (content > this.#maxRequestLineBytes) {
        return this.#requestLineTooLong();
      }
    }
    return undefined;
  }

  /** Handles one complete line (without its LF). */
  #line(line: Uint8Array): ErrorResult | undefined {
    const n = line.length;
    // RFC 9112 §2.2: "Although the line terminator for the start-line and
    // fields is the sequence CRLF, a recipient MAY recognize a single LF as a
    // line terminator" — we do not: a bare LF is an error.
    if (n === 0 || line[n - 1] !== CR) {
      return this.#fail(400, "Bare LF in request head");
    }
    const content = line.subarray(0, n - 1);
    return this.#phase === Phase.RequestLine
      ? this.#requestLine(content)
      : this.#field(content);
  }

  // RFC 9112 §3: request-line = method SP request-target SP HTTP-version
  #requestLine(line: Uint8Array): ErrorResult | undefined {
    const n = line.length;
    // RFC 9112 §2.2: "a server that is expecting to receive and parse a
    // request-line SHOULD ignore at least one empty line (CRLF) received
    // prior to the request-line."
    if (n === 0) return undefined;
    if (n > this.#maxRequestLineBytes) return this.#requestLineTooLong();
    for (let i = 0; i < n; i++) {
      const b = line[i];
      if (b < SP || b >= 0x7f) {
        return this.#fail(400, `Invalid character in request line: ${hex(b)}`);
      }
    }
    const parts = ascii(line).split(" ");
    if (parts.length !== 3) return this.#fail(400, "Invalid request line");
    const [method, target, protocol] = parts;
    if (!isToken(method)) {
      return this.#fail(400, "Invalid request line: bad method");
    }
    // RFC 9112 §3.2: a request-target never contains a fragment ("#").
    if (target.length === 0 || target.includes("#")) {
      return this.#fail(400, "Invalid request line: bad request-target");
    }
    // RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT
    const version = /^HTTP\/([0-9])\.([0-9])$/.exec(protocol);
    if (version === null) {
      return this.#fail(400, "Invalid request line: bad HTTP version");
    }
    if (version[1] !== "1") {
      return this.#fail(
        505,
        `Unsupported HTTP version: ${version[1]}.${version[2]}`,
      );
    }
    this.#method = method;
    this.#target = target;
    this.#version = `${version[1]}.${version[2]}`;
    this.#phase = Phase.Headers;
    return undefined;
  }

  // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS
  #field(line: Uint8Array): ErrorResult | undefined {
    const n = line.length;
    if (n === 0) {
      this.#phase = Phase.Complete;
      return undefined;
    }
    const first = line[0];
    if (first === SP || first === HTAB) {
      // RFC 9112 §5.2: "A server that receives an obs-fold in a request
      // message ... MUST either reject the message by sending a 400 (Bad
      // Request) ... or replace each received obs-fold with one or more SP".
      // RFC 9112 §2.2 lets the same answer cover whitespace between the
      // start-line and the first field.
      return this.#fail(400, "Invalid header field: obsolete line folding");
    }
    if (this.#rawHeaders.length >= this.#maxHeaderCount) {
      return this.#fail(
        431,
        `Too many header fields: more than ${this.#maxHeaderCount}`,
      );
    }
    let colon = 0;
    while (colon < n && line[colon] < 0x80 && TCHAR[line[colon]]) colon++;
    if (colon === n || line[colon] !== COLON) {
      if (colon > 0 && (line[colon] === SP || line[colon] === HTAB)) {
        // RFC 9112 §5.1: "A server MUST reject, with a response status code
        // of 400 (Bad Request), any received request message that contains
        // whitespace between a header field name and colon."
        return this.#fail(400, "Invalid header field: whitespace before colon");
      }
      return this.#fail(400, "Invalid header field name");
    }
    if (colon === 0) return this.#fail(400, "Invalid header field name: empty");
    // RFC 9110 §5.5: field-value = *field-content; field-vchar = VCHAR /
    // obs-text. obs-text (non-ASCII) is refused here, as are controls.
    let start = colon + 1;
    let stop = n;
    for (let i = start; i < n; i++) {
      const b = line[i];
      if ((b < SP && b !== HTAB) || b >= 0x7f) {
        return this.#fail(
          400,
          `Invalid header field value: ${ascii(line.subarray(0, colon))}`,
        );
      }
    }
    // RFC 9112 §5.1: OWS around the value is not part of it.
    while (start < stop && (line[start] === SP || line[start] === HTAB)) {
      start++;
    }
    while (stop > start && (line[stop - 1] === SP || line[stop - 1] === HTAB)) {
      stop--;
    }
    this.#rawHeaders.push([
      ascii(line.subarray(0, colon)),
      ascii(line.subarray(start, stop)),
    ]);
    return undefined;
  }

  #request(): HttpRequest {
    this.#partial = EMPTY;
    // The usual method and version as shared literals: open connections
    // then keep no copy of them each.
    return new ParsedRequest(
      this.#method === "GET" ? "GET" : this.#method,
      this.#target,
      this.#version === "1.1" ? "1.1" : this.#version,
      this.#rawHeaders,
    );
  }
}
