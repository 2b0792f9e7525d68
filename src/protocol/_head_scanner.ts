// Long file: one scanner over the bytes of an HTTP head (start-line, fields, limits) with a quick path for a head that arrives whole; half its lines are the grammar it implements, quoted.
/**
 * Internal: the part of reading an HTTP/1.1 message head that requests and
 * responses share (RFC 9112 §2.1: `start-line *( field-line CRLF ) CRLF`):
 * splitting a byte stream, in any chunking, into CR LF lines; the head-size,
 * start-line and field-count limits, checked as soon as they are crossed;
 * and the field lines (RFC 9112 §5). The start-line is handed to the
 * reader's own parser. Used by `RequestHeadReader` and `ResponseHeadReader`.
 *
 * Strict, on both sides (RFC 9112 leaves these to the recipient): lines end
 * in CR LF, a bare LF is an error (§2.2); no line folding (obs-fold, §5.2)
 * and no whitespace before the first field line; field names are tokens
 * with no whitespace before the colon (§5.1); field values are visible
 * ASCII, SP and HTAB (obs-text refused); any control byte is refused as
 * soon as it arrives.
 *
 * @module
 */

import { TCHAR } from "./http_fields.ts";

/**
 * Why a head was refused:
 *
 * - `invalid`: a syntax error;
 * - `head-too-large`: more than `maxHeadBytes`;
 * - `start-line-too-long`: more than `maxStartLineBytes` in the start-line;
 * - `too-many-fields`: more than `maxHeaderCount` field lines;
 * - `unsupported-version`: an HTTP major version other than 1.
 *
 * @example
 * ```ts
 * import type { HeadFailureKind } from "./_head_scanner.ts";
 * const kind: HeadFailureKind = "head-too-large";
 * ```
 */
export type HeadFailureKind =
  | "invalid"
  | "head-too-large"
  | "start-line-too-long"
  | "too-many-fields"
  | "unsupported-version";

/**
 * A refused head: why, and a message that says what was wrong.
 *
 * @example
 * ```ts
 * import type { HeadFailure } from "./_head_scanner.ts";
 * const failure: HeadFailure = { kind: "invalid", message: "Bare LF in response head" };
 * ```
 */
export interface HeadFailure {
  kind: HeadFailureKind;
  message: string;
}

/**
 * What differs between request and response heads.
 *
 * @example
 * ```ts
 * import type { HeadGrammar } from "./_head_scanner.ts";
 * const grammar: HeadGrammar = {
 *   noun: "response",
 *   startLineName: "Status line",
 *   skipEmptyLinesBeforeStart: false,
 *   startLineAllowsObsText: true,
 *   maxHeadBytes: 16384,
 *   maxHeaderCount: 100,
 *   maxStartLineBytes: 16384,
 * };
 * ```
 */
export interface HeadGrammar {
  /** `"request"` or `"response"`, for messages. */
  readonly noun: string;
  /** `"Request line"` or `"Status line"`, for messages. */
  readonly startLineName: string;
  /** Whether empty lines before the start-line are skipped (a server's choice, RFC 9112 §2.2). */
  readonly skipEmptyLinesBeforeStart: boolean;
  /** Whether bytes 0x80–0xFF may appear in the start-line (a reason-phrase's obs-text). */
  readonly startLineAllowsObsText: boolean;
  /** Most bytes of the whole head, the final blank line included. */
  readonly maxHeadBytes: number;
  /** Most field lines. */
  readonly maxHeaderCount: number;
  /** Most bytes of the start-line, its CR LF not counted. */
  readonly maxStartLineBytes: number;
}

/**
 * What {@link HeadScanner.push} answers: more bytes needed, the head is
 * complete (`rest`: a copy of the bytes after it in the last chunk), or
 * refused.
 *
 * @example
 * ```ts
 * import type { ScanResult } from "./_head_scanner.ts";
 * const done: ScanResult = { state: "complete", rest: new Uint8Array(0) };
 * ```
 */
export type ScanResult =
  | { state: "incomplete" }
  | { state: "complete"; rest: Uint8Array }
  | { state: "error"; failure: HeadFailure };

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const DEL = 0x7f;

const EMPTY = new Uint8Array(0);

/**
 * The bytes as a string, one character per byte (ISO-8859-1: ASCII as is,
 * obs-text as U+0080–U+00FF; a `TextDecoder("latin1")` would be
 * windows-1252 instead).
 *
 * @example
 * ```ts
 * import { latin1 } from "./_head_scanner.ts";
 * console.log(latin1(new Uint8Array([0x48, 0x69]))); // "Hi"
 * ```
 */
export function latin1(bytes: Uint8Array): string {
  if (bytes.length <= 4096) {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode.apply(
      null,
      bytes.subarray(i, i + 4096) as unknown as number[],
    );
  }
  return text;
}

/**
 * A byte as `0x` and two hex digits, for messages.
 *
 * @example
 * ```ts
 * import { hex } from "./_head_scanner.ts";
 * console.log(hex(7)); // "0x07"
 * ```
 */
export function hex(byte: number): string {
  return "0x" + byte.toString(16).padStart(2, "0");
}

/**
 * Checks an optional limit: the fallback when unset, a `RangeError` when
 * not a positive integer.
 *
 * @example
 * ```ts
 * import { checkLimit } from "./_head_scanner.ts";
 * console.log(checkLimit("maxHeadBytes", undefined, 16384)); // 16384
 * ```
 */
export function checkLimit(
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

const Phase = Object.freeze(
  { Start: 0, Fields: 1, Complete: 2, Error: 3 } as const,
);
type Phase = typeof Phase[keyof typeof Phase];

const INCOMPLETE: ScanResult = Object.freeze({ state: "incomplete" });

/**
 * Splits a head into lines and reads its field lines; the start-line goes
 * to `startLine`, which returns a failure or `undefined`. One per message.
 *
 * @example
 * ```ts
 * import { HeadScanner } from "./_head_scanner.ts";
 * const scanner = new HeadScanner({
 *   noun: "response",
 *   startLineName: "Status line",
 *   skipEmptyLinesBeforeStart: false,
 *   startLineAllowsObsText: true,
 *   maxHeadBytes: 16384,
 *   maxHeaderCount: 100,
 *   maxStartLineBytes: 16384,
 * }, () => undefined);
 * const result = scanner.push(new TextEncoder().encode("HTTP/1.1 101 \r\nA: b\r\n\r\n"));
 * console.log(result.state, scanner.rawHeaders); // "complete" [ [ "A", "b" ] ]
 * ```
 */
export class HeadScanner {
  #grammar: HeadGrammar;
  #startLine: (line: Uint8Array) => HeadFailure | undefined;
  #phase: Phase = Phase.Start;
  /** Bytes of complete lines consumed so far (LF included). */
  #consumed = 0;
  /** The current incomplete line, copied from earlier chunks. */
  #partial: Uint8Array = EMPTY;
  #partialLength = 0;
  #rawHeaders: Array<readonly [string, string]> = [];
  #error: ScanResult | undefined;

  /**
   * A scanner for one head.
   *
   * @param grammar The limits and what differs between requests and responses.
   * @param startLine Parses the start-line (without CR LF; its bytes are
   * valid only during the call).
   */
  constructor(
    grammar: HeadGrammar,
    startLine: (line: Uint8Array) => HeadFailure | undefined,
  ) {
    this.#grammar = grammar;
    this.#startLine = startLine;
  }

  /** The field lines read so far, in order, names as received, values without OWS. */
  get rawHeaders(): Array<readonly [string, string]> {
    return this.#rawHeaders;
  }

  /**
   * Feeds the next chunk (read only during the call). After `complete`
   * further calls throw; after `error` they repeat the error.
   */
  push(bytes: Uint8Array): ScanResult {
    if (this.#phase === Phase.Error) return this.#error!;
    if (this.#phase === Phase.Complete) {
      throw new Error(
        `${
          capitalized(this.#grammar.noun)
        } head already complete: push after complete`,
      );
    }
    const length = bytes.length;
    let pos = 0;
    while (pos < length) {
      // Bytes the head may still take, the LF of the current line included.
      const budget = this.#grammar.maxHeadBytes - this.#consumed -
        this.#partialLength;
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
        this.#partial = EMPTY;
        return {
          state: "complete",
          rest: pos === length ? new Uint8Array(0) : bytes.slice(pos),
        };
      }
    }
    return INCOMPLETE;
  }

  #fail(kind: HeadFailureKind, message: string): ScanResult {
    this.#phase = Phase.Error;
    this.#partial = EMPTY;
    this.#rawHeaders = [];
    return (this.#error = { state: "error", failure: { kind, message } });
  }

  #headTooLarge(): ScanResult {
    const { noun, maxHeadBytes } = this.#grammar;
    return this.#fail(
      "head-too-large",
      `${capitalized(noun)} head too large: more than ${maxHeadBytes} bytes`,
    );
  }

  #startLineTooLong(): ScanResult {
    const { startLineName, maxStartLineBytes } = this.#grammar;
    return this.#fail(
      "start-line-too-long",
      `${startLineName} too long: more than ${maxStartLineBytes} bytes`,
    );
  }

  /**
   * Appends a piece of an incomplete line to the partial-line buffer, after a
   * quick check that rejects control bytes (and obs-text where it cannot be)
   * as soon as they arrive; the full syntax is checked once the line is
   * complete.
   */
  #stash(chunk: Uint8Array): ScanResult | undefined {
    const n = chunk.length;
    const top = this.#phase === Phase.Start &&
        this.#grammar.startLineAllowsObsText
      ? 0x100
      : DEL;
    for (let i = 0; i < n; i++) {
      const b = chunk[i];
      if ((b < SP && b !== HTAB && b !== CR) || b === DEL || b >= top) {
        return this.#fail(
          "invalid",
          `Invalid character in ${this.#grammar.noun} head: ${hex(b)}`,
        );
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
    if (this.#phase === Phase.Start) {
      // The CR of the CR LF may already be here: it does not count.
      const content = this.#partial[needed - 1] === CR ? needed - 1 : needed;
      if (content > this.#grammar.maxStartLineBytes) {
        return this.#startLineTooLong();
      }
    }
    return undefined;
  }

  /** Handles one complete line (without its LF). */
  #line(line: Uint8Array): ScanResult | undefined {
    const n = line.length;
    // RFC 9112 §2.2: "Although the line terminator for the start-line and
    // fields is the sequence CRLF, a recipient MAY recognize a single LF as a
    // line terminator" — we do not: a bare LF is an error.
    if (n === 0 || line[n - 1] !== CR) {
      return this.#fail("invalid", `Bare LF in ${this.#grammar.noun} head`);
    }
    const content = line.subarray(0, n - 1);
    if (this.#phase === Phase.Fields) return this.#field(content);
    // RFC 9112 §2.2: "a server that is expecting to receive and parse a
    // request-line SHOULD ignore at least one empty line (CRLF) received
    // prior to the request-line."
    if (content.length === 0 && this.#grammar.skipEmptyLinesBeforeStart) {
      return undefined;
    }
    if (content.length > this.#grammar.maxStartLineBytes) {
      return this.#startLineTooLong();
    }
    const failure = this.#startLine(content);
    if (failure !== undefined) return this.#fail(failure.kind, failure.message);
    this.#phase = Phase.Fields;
    return undefined;
  }

  // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS
  #field(line: Uint8Array): ScanResult | undefined {
    const n = line.length;
    if (n === 0) {
      this.#phase = Phase.Complete;
      return undefined;
    }
    const first = line[0];
    if (first === SP || first === HTAB) {
      // RFC 9112 §5.2: "A server that receives an obs-fold in a request
      // message ... MUST either reject the message by sending a 400 (Bad
      // Request) ... or replace each received obs-fold with one or more SP";
      // "A user agent that receives an obs-fold in a response message ...
      // MUST replace each received obs-fold with one or more SP octets" —
      // or fail: a WebSocket client has no use for a folded field. RFC 9112
      // §2.2 lets the same answer cover whitespace between the start-line
      // and the first field.
      return this.#fail(
        "invalid",
        "Invalid header field: obsolete line folding",
      );
    }
    if (this.#rawHeaders.length >= this.#grammar.maxHeaderCount) {
      return this.#fail(
        "too-many-fields",
        `Too many header fields: more than ${this.#grammar.maxHeaderCount}`,
      );
    }
    let colon = 0;
    while (colon < n && line[colon] < 0x80 && TCHAR[line[colon]]) colon++;
    if (colon === n || line[colon] !== COLON) {
      if (colon > 0 && (line[colon] === SP || line[colon] === HTAB)) {
        // RFC 9112 §5.1: "A server MUST reject, with a response status code
        // of 400 (Bad Request), any received request message that contains
        // whitespace between a header field name and colon. A proxy MUST
        // remove any such whitespace from a response message before
        // forwarding the message downstream."
        return this.#fail(
          "invalid",
          "Invalid header field: whitespace before colon",
        );
      }
      return this.#fail("invalid", "Invalid header field name");
    }
    if (colon === 0) {
      return this.#fail("invalid", "Invalid header field name: empty");
    }
    // RFC 9110 §5.5: field-value = *field-content; field-vchar = VCHAR /
    // obs-text. obs-text (non-ASCII) is refused here, as are controls.
    let start = colon + 1;
    let stop = n;
    for (let i = start; i < n; i++) {
      const b = line[i];
      if ((b < SP && b !== HTAB) || b >= DEL) {
        return this.#fail(
          "invalid",
          `Invalid header field value: ${latin1(line.subarray(0, colon))}`,
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
      latin1(line.subarray(0, colon)),
      latin1(line.subarray(start, stop)),
    ]);
    return undefined;
  }
}

function capitalized(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
