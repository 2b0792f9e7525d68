/**
 * A streaming, strict reader for the head of an HTTP/1.1 response (the
 * status-line and the header fields, up to the blank line), with limits: a
 * WebSocket client reads the server's answer to its opening handshake with
 * it (RFC 6455 §4.1). It is sans-I/O: feed it bytes as they arrive, in any
 * chunking, and it answers "incomplete", "complete" (with the parsed
 * response and the bytes that followed the head: the first WebSocket
 * frames) or "error" (with a message). It never throws on bad input.
 *
 * The same strictness as `RequestHeadReader` (the two share their
 * line and field reading): lines end in CR LF, field names are tokens, no
 * line folding, field values are visible ASCII, SP and HTAB, limits are
 * checked as soon as they are crossed. The status-line (RFC 9112 §4):
 *
 * - `HTTP/1.x`, then a three-digit status code from 100 to 599, then SP and
 *   a reason phrase that may be empty (HTAB, SP, visible ASCII and obs-text,
 *   read as ISO-8859-1);
 * - a status-line that ends right after the code (no SP) is accepted: RFC
 *   9112 §4 makes the SP the server's duty ("A server MUST send the space
 *   that separates the status-code from the reason-phrase even when the
 *   reason-phrase is absent") and the client loses nothing by it;
 * - no empty line may come before the status-line;
 * - an HTTP major version other than 1 is an error.
 *
 * @module
 */

import {
  checkLimit,
  type HeadFailure,
  HeadScanner,
  hex,
} from "./_head_scanner.ts";

/**
 * Limits applied while reading a response head, each checked as soon as it
 * is crossed.
 *
 * @example
 * ```ts
 * import { type ResponseHeadLimits, ResponseHeadReader } from "@anyws/anyws/protocol";
 * const limits: ResponseHeadLimits = { maxHeadBytes: 4096, maxHeaderCount: 20 };
 * const reader = new ResponseHeadReader(limits);
 * ```
 */
export interface ResponseHeadLimits {
  /**
   * Most bytes the whole head may take, from the first byte up to and
   * including the blank line that ends it. Default 16384.
   */
  maxHeadBytes?: number;
  /** Most header field lines. Default 100. */
  maxHeaderCount?: number;
}

/**
 * A parsed HTTP response head.
 *
 * @example
 * ```ts
 * import { type ResponseHead } from "@anyws/anyws";
 * import { ResponseHeadReader } from "@anyws/anyws/protocol";
 * const result = new ResponseHeadReader().push(
 *   new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"),
 * );
 * if (result.state === "complete") {
 *   const head: ResponseHead = result.response;
 *   console.log(head.status, head.reason, head.headers.get("upgrade")); // 101 "Switching Protocols" "websocket"
 * }
 * ```
 */
export interface ResponseHead {
  /** The status code, 100 to 599. */
  readonly status: number;
  /** The reason phrase, possibly empty (RFC 9112 §4: a client SHOULD ignore it). */
  readonly reason: string;
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

/**
 * What {@link ResponseHeadReader.push} answers.
 *
 * - `incomplete`: more bytes are needed.
 * - `complete`: the head is parsed; `rest` holds a copy of the bytes that
 *   followed the blank line in the last chunk (possibly empty): after a 101
 *   they are WebSocket frames and must not be dropped.
 * - `error`: the head is invalid or too large; `message` says why.
 *
 * @example
 * ```ts
 * import { ResponseHeadReader, type ResponseHeadResult } from "@anyws/anyws/protocol";
 * const result: ResponseHeadResult = new ResponseHeadReader().push(
 *   new TextEncoder().encode("HTTP/2.0 101 Switching Protocols\r\n"),
 * );
 * if (result.state === "error") console.log(result.message); // "Unsupported HTTP version: 2.0"
 * ```
 */
export type ResponseHeadResult =
  | { state: "incomplete" }
  | { state: "complete"; response: ResponseHead; rest: Uint8Array }
  | { state: "error"; message: string };

const DEFAULT_MAX_HEAD_BYTES = 16384;
const DEFAULT_MAX_HEADER_COUNT = 100;

const SP = 0x20;
const HTAB = 0x09;
const DEL = 0x7f;

/**
 * Reads an HTTP/1.1 response head from a byte stream, one chunk at a time.
 * Create one per response; once it answers `complete` or `error` it is done
 * (further `push` calls after `complete` throw, after `error` repeat the
 * error).
 *
 * @example
 * ```ts
 * import { ResponseHeadReader } from "@anyws/anyws/protocol";
 * const reader = new ResponseHeadReader();
 * const bytes = new TextEncoder().encode(
 *   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00",
 * );
 * let result = reader.push(bytes.subarray(0, 10));
 * console.log(result.state); // "incomplete"
 * result = reader.push(bytes.subarray(10));
 * if (result.state === "complete") {
 *   console.log(result.response.status, result.rest); // 101 Uint8Array(2) [129, 0]
 * }
 * ```
 */
export class ResponseHeadReader {
  #scanner: HeadScanner;
  #status = 0;
  #reason = "";
  #version = "";
  #error: ResponseHeadResult | undefined;

  /**
   * Creates a reader for one response head.
   *
   * @param limits Optional limits; see {@link ResponseHeadLimits}. Throws a
   * `RangeError` when a limit is not a positive integer.
   */
  constructor(limits: ResponseHeadLimits = {}) {
    const maxHeadBytes = checkLimit(
      "maxHeadBytes",
      limits.maxHeadBytes,
      DEFAULT_MAX_HEAD_BYTES,
    );
    this.#scanner = new HeadScanner({
      noun: "response",
      startLineName: "Status line",
      skipEmptyLinesBeforeStart: false,
      startLineAllowsObsText: true,
      maxHeadBytes,
      maxHeaderCount: checkLimit(
        "maxHeaderCount",
        limits.maxHeaderCount,
        DEFAULT_MAX_HEADER_COUNT,
      ),
      // Only the head's own limit bounds the status-line.
      maxStartLineBytes: maxHeadBytes,
    }, (line) => this.#statusLine(line));
  }

  /**
   * Feeds the next chunk of the stream. `bytes` is only read during the call
   * (whatever is kept is copied), so the caller may reuse its buffer.
   *
   * @param bytes The next bytes received, of any length (even one byte).
   * @returns `incomplete`, `complete` with the response and the following
   * bytes, or `error` with a message.
   */
  push(bytes: Uint8Array): ResponseHeadResult {
    if (this.#error !== undefined) return this.#error;
    const result = this.#scanner.push(bytes);
    if (result.state === "incomplete") return result;
    if (result.state === "error") {
      return this.#error = {
        state: "error",
        message: result.failure.message,
      };
    }
    const rawHeaders = this.#scanner.rawHeaders;
    const headers = new Headers();
    for (const [name, value] of rawHeaders) headers.append(name, value);
    const response: ResponseHead = Object.freeze({
      status: this.#status,
      reason: this.#reason,
      version: this.#version,
      headers,
      rawHeaders: Object.freeze(rawHeaders),
    });
    return { state: "complete", response, rest: result.rest };
  }

  // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
  #statusLine(line: string): HeadFailure | undefined {
    const n = line.length;
    // HTTP-version SP status-code: 8 + 1 + 3 characters (one per byte).
    if (
      n < 12 || line.charCodeAt(8) !== SP ||
      (n > 12 && line.charCodeAt(12) !== SP)
    ) {
      return invalid("Invalid status line");
    }
    // RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT
    const version = /^HTTP\/([0-9])\.([0-9])$/.exec(line.slice(0, 8));
    if (version === null) {
      return invalid("Invalid status line: bad HTTP version");
    }
    if (version[1] !== "1") {
      return {
        kind: "unsupported-version",
        message: `Unsupported HTTP version: ${version[1]}.${version[2]}`,
      };
    }
    // RFC 9112 §4: status-code = 3DIGIT; RFC 9110 §15: "Values outside the
    // range 100..599 are invalid."
    const code = line.slice(9, 12);
    if (!/^[1-5][0-9][0-9]$/.test(code)) {
      return invalid("Invalid status line: bad status code");
    }
    // RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
    for (let i = 13; i < n; i++) {
      const c = line.charCodeAt(i);
      if ((c < SP && c !== HTAB) || c === DEL) {
        return invalid(`Invalid character in status line: ${hex(c)}`);
      }
    }
    this.#version = `${version[1]}.${version[2]}`;
    this.#status = Number(code);
    this.#reason = n > 13 ? line.slice(13) : "";
    return undefined;
  }
}

function invalid(message: string): HeadFailure {
  return { kind: "invalid", message };
}
