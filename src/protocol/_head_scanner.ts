// Long file: one scanner over the bytes of an HTTP head (start-line, fields, limits) with a quick path for a head that arrives whole; half its lines are the grammar it implements, quoted.
/**
 * Internal: the part of reading an HTTP/1.1 message head that requests and
 * responses share (RFC 9112 §2.1: `start-line *( field-line CRLF ) CRLF`):
 * splitting a byte stream, in any chunking, into CR LF lines; the head-size,
 * start-line and field-count limits, checked as soon as they are crossed;
 * and the field lines (RFC 9112 §5). The start-line is handed to the
 * reader's own parser. Used by `RequestHeadReader` and `ResponseHeadReader`.
 *
 * A head that arrives whole in one chunk, the usual case, is read with the
 * runtime's string functions: one decode, a few `indexOf`s and two regular
 * expressions, no loop over its bytes in JavaScript (such loops cost the
 * engines' optimizing compilers more than they save on a head). Anything
 * else (a head in pieces, a head the quick checks refuse) goes byte by
 * byte, which also finds the exact error.
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

/** ASCII text (a head the quick path reads, and field lines, are nothing else). */
const ascii = new TextDecoder();

// Scratch: the field lines one `push` reads byte by byte, written and read
// within the call (what an incomplete head has read is copied to the
// scanner's own buffer before it returns).
const fieldScratch = new Uint8Array(16384);

// RFC 9112 §2.1, §5.1: what the quick path accepts as a start-line (visible
// ASCII and SP) and as the field lines (field-name ":" OWS field-value OWS
// CRLF, each; field-value as visible ASCII, SP and HTAB). Anything else
// goes byte by byte, which names the error.
const START_LINE = /^[\x20-\x7e]+$/;
const FIELD_LINES = /^(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e]*\r\n)+$/;
/** The shortest field line, `x:` and CR LF. */
const SHORTEST_FIELD_LINE = 4;

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
 * The field lines of a head (as {@link HeadScanner.fields} keeps them: as
 * received, joined by CR LF) as pairs, in order: the name as received, the
 * value without the whitespace around it (RFC 9112 §5.1: OWS is not part
 * of the value).
 *
 * @example
 * ```ts
 * import { fieldPairs } from "./_head_scanner.ts";
 * console.log(fieldPairs("Host: a\r\nUpgrade:websocket ")); // [ [ "Host", "a" ], [ "Upgrade", "websocket" ] ]
 * ```
 */
export function fieldPairs(fields: string): Array<readonly [string, string]> {
  const pairs: Array<readonly [string, string]> = [];
  if (fields === "") return pairs;
  let start = 0;
  while (start <= fields.length) {
    let end = fields.indexOf("\r\n", start);
    if (end === -1) end = fields.length;
    const colon = fields.indexOf(":", start);
    pairs.push([
      fields.slice(start, colon),
      trimOws(fields.slice(colon + 1, end)),
    ]);
    start = end + 2;
  }
  return pairs;
}

/**
 * `value` without the SP and HTAB around it (RFC 9112 §5.1 OWS). A field
 * value holds no other whitespace (the scanner refused it), so `trim()`
 * does exactly that.
 *
 * @example
 * ```ts
 * import { trimOws } from "./_head_scanner.ts";
 * console.log(trimOws(" \twebsocket ")); // "websocket"
 * ```
 */
export function trimOws(value: string): string {
  return value.trim();
}

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
 * console.log(result.state, scanner.fields, scanner.rawHeaders); // "complete" "A: b" [ [ "A", "b" ] ]
 * ```
 */
export class HeadScanner {
  #grammar: HeadGrammar;
  #startLine: (line: string) => HeadFailure | undefined;
  #phase: Phase = Phase.Start;
  /** Bytes of complete lines consumed so far (LF included). */
  #consumed = 0;
  /** The current incomplete line, copied from earlier chunks. */
  #partial: Uint8Array = EMPTY;
  #partialLength = 0;
  /**
   * Where the field lines read so far are (as received, CR LF after each,
   * see `fields`): the shared scratch during a push, else `#fieldBytes`.
   */
  #out: Uint8Array = EMPTY;
  /** The scanner's own copy, for a head that spans chunks. */
  #fieldBytes: Uint8Array = EMPTY;
  #fieldLength = 0;
  #fieldCount = 0;
  #fields = "";
  #error: ScanResult | undefined;

  /**
   * A scanner for one head.
   *
   * @param grammar The limits and what differs between requests and responses.
   * @param startLine Parses the start-line (without CR LF; one character per
   * byte, as {@link latin1} gives them).
   */
  constructor(
    grammar: HeadGrammar,
    startLine: (line: string) => HeadFailure | undefined,
  ) {
    this.#grammar = grammar;
    this.#startLine = startLine;
  }

  /**
   * Once complete: the field lines as one string, as received (a name, a
   * colon, the value with any whitespace around it), joined by CR LF (no
   * line holds a CR or LF of its own); `""` without fields. See
   * {@link fieldPairs}.
   */
  get fields(): string {
    return this.#fields;
  }

  /** Once complete: the field lines, in order, names as received, values without OWS. */
  get rawHeaders(): Array<readonly [string, string]> {
    return fieldPairs(this.#fields);
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
    if (this.#consumed === 0 && this.#partialLength === 0) {
      const whole = this.#wholeHead(bytes);
      if (whole !== undefined) return whole;
    }
    const length = bytes.length;
    this.#out = this.#fieldLength === 0 ? fieldScratch : this.#fieldBytes;
    let pos = 0;
    while (pos < length) {
      // Bytes the head may still take, the LF of the current line included.
      const budget = this.#grammar.maxHeadBytes - this.#consumed -
        this.#partialLength;
      const end = length - pos > budget ? pos + budget : length;
      let lf = bytes.indexOf(LF, pos);
      if (lf >= end) lf = -1;
      if (lf === -1) {
        const error = this.#stash(bytes, pos, end);
        if (error !== undefined) return error;
        if (end < length) return this.#headTooLarge();
        return this.#incomplete();
      }
      let line = bytes;
      let lineStart = pos;
      let lineEnd = lf;
      if (this.#partialLength !== 0) {
        const error = this.#stash(bytes, pos, lf);
        if (error !== undefined) return error;
        line = this.#partial;
        lineStart = 0;
        lineEnd = this.#partialLength;
      }
      pos = lf + 1;
      this.#consumed += lineEnd - lineStart + 1;
      this.#partialLength = 0;
      const error = this.#line(line, lineStart, lineEnd, length - pos);
      if (error !== undefined) return error;
      // (#line may have moved the phase on: widen the narrowed type.)
      if ((this.#phase as Phase) === Phase.Complete) {
        this.#partial = EMPTY;
        this.#fields = this.#fieldLength === 0
          ? ""
          : ascii.decode(this.#out.subarray(0, this.#fieldLength - 2));
        this.#out = this.#fieldBytes = EMPTY;
        return {
          state: "complete",
          rest: pos === length ? EMPTY : bytes.slice(pos),
        };
      }
    }
    return this.#incomplete();
  }

  /**
   * The quick path: a head that starts at the first byte of `bytes` and
   * ends in it, within every limit, made of nothing but what the two
   * regular expressions accept, read with string functions. `undefined`
   * when the head is not such a one (then it is read byte by byte).
   */
  #wholeHead(bytes: Uint8Array): ScanResult | undefined {
    const { maxHeadBytes, maxStartLineBytes, maxHeaderCount } = this.#grammar;
    // The end of the head: the LF of a CR LF CR LF, found line by line.
    const length = bytes.length;
    const lf = bytes.indexOf(LF);
    if (lf < 1) return undefined; // no line, or an empty one first
    let end = -1;
    for (let next = lf; next !== -1; next = bytes.indexOf(LF, next + 1)) {
      if (next + 1 > maxHeadBytes) return undefined;
      if (bytes[next - 1] !== CR) return undefined; // a bare LF
      if (bytes[next - 2] === LF) {
        end = next + 1;
        break;
      }
    }
    if (end === -1) return undefined;
    const text = ascii.decode(end === length ? bytes : bytes.subarray(0, end));
    // Not ASCII (the decoder made fewer or other characters): byte by byte.
    if (text.length !== end) return undefined;
    const lineEnd = lf - 1;
    if (lineEnd > maxStartLineBytes) return undefined;
    const line = text.slice(0, lineEnd);
    if (!START_LINE.test(line)) return undefined;
    let fields = "";
    if (end > lf + 3) {
      const block = text.slice(lf + 1, end - 2);
      if (!FIELD_LINES.test(block)) return undefined;
      if (block.length > maxHeaderCount * SHORTEST_FIELD_LINE) {
        let count = 0;
        for (let at = 0; at < block.length; at = block.indexOf("\n", at) + 1) {
          count++;
        }
        if (count > maxHeaderCount) return undefined;
      }
      fields = block.slice(0, -2);
    }
    const failure = this.#startLine(line);
    if (failure !== undefined) return this.#fail(failure.kind, failure.message);
    this.#consumed = end;
    this.#phase = Phase.Complete;
    this.#fields = fields;
    return {
      state: "complete",
      rest: end === length ? EMPTY : bytes.slice(end),
    };
  }

  /** The end of a push before the end of the head: keep what is in the scratch. */
  #incomplete(): ScanResult {
    if (this.#out === fieldScratch) {
      if (this.#fieldLength > 0) {
        this.#fieldBytes = fieldScratch.slice(
          0,
          Math.max(this.#fieldLength, 256),
        );
      }
      this.#out = EMPTY;
    }
    return INCOMPLETE;
  }

  #fail(kind: HeadFailureKind, message: string): ScanResult {
    this.#phase = Phase.Error;
    this.#partial = EMPTY;
    this.#out = this.#fieldBytes = EMPTY;
    this.#fieldLength = 0;
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
   * Appends `chunk[start..end)`, a piece of an incomplete line, to the
   * partial-line buffer, after a quick check that rejects control bytes
   * (and obs-text where it cannot be) as soon as they arrive; the full
   * syntax is checked once the line is complete.
   */
  #stash(
    chunk: Uint8Array,
    start: number,
    end: number,
  ): ScanResult | undefined {
    const top = this.#phase === Phase.Start &&
        this.#grammar.startLineAllowsObsText
      ? 0x100
      : DEL;
    for (let i = start; i < end; i++) {
      const b = chunk[i];
      if ((b < SP && b !== HTAB && b !== CR) || b === DEL || b >= top) {
        return this.#fail(
          "invalid",
          `Invalid character in ${this.#grammar.noun} head: ${hex(b)}`,
        );
      }
    }
    const needed = this.#partialLength + end - start;
    if (needed > this.#partial.length) {
      const grown = new Uint8Array(
        Math.max(needed, this.#partial.length * 2, 256),
      );
      grown.set(this.#partial.subarray(0, this.#partialLength));
      this.#partial = grown;
    }
    const partial = this.#partial;
    for (let i = start, at = this.#partialLength; i < end; i++, at++) {
      partial[at] = chunk[i];
    }
    this.#partialLength = needed;
    if (this.#phase === Phase.Start) {
      // The CR of the CR LF may already be here: it does not count.
      const content = partial[needed - 1] === CR ? needed - 1 : needed;
      if (content > this.#grammar.maxStartLineBytes) {
        return this.#startLineTooLong();
      }
    }
    return undefined;
  }

  /**
   * Handles one complete line, `line[start..end)` without its LF;
   * `ahead` bytes of the chunk follow it (to size the field buffer).
   */
  #line(
    line: Uint8Array,
    start: number,
    end: number,
    ahead: number,
  ): ScanResult | undefined {
    // RFC 9112 §2.2: "Although the line terminator for the start-line and
    // fields is the sequence CRLF, a recipient MAY recognize a single LF as a
    // line terminator" — we do not: a bare LF is an error.
    if (end === start || line[end - 1] !== CR) {
      return this.#fail("invalid", `Bare LF in ${this.#grammar.noun} head`);
    }
    const contentEnd = end - 1;
    if (this.#phase === Phase.Fields) {
      return this.#field(line, start, contentEnd, ahead);
    }
    // RFC 9112 §2.2: "a server that is expecting to receive and parse a
    // request-line SHOULD ignore at least one empty line (CRLF) received
    // prior to the request-line."
    if (contentEnd === start && this.#grammar.skipEmptyLinesBeforeStart) {
      return undefined;
    }
    if (contentEnd - start > this.#grammar.maxStartLineBytes) {
      return this.#startLineTooLong();
    }
    const failure = this.#startLine(latin1(line.subarray(start, contentEnd)));
    if (failure !== undefined) return this.#fail(failure.kind, failure.message);
    this.#phase = Phase.Fields;
    return undefined;
  }

  // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS
  #field(
    line: Uint8Array,
    start: number,
    end: number,
    ahead: number,
  ): ScanResult | undefined {
    if (end === start) {
      this.#phase = Phase.Complete;
      return undefined;
    }
    const first = line[start];
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
    if (this.#fieldCount >= this.#grammar.maxHeaderCount) {
      return this.#fail(
        "too-many-fields",
        `Too many header fields: more than ${this.#grammar.maxHeaderCount}`,
      );
    }
    let colon = start;
    while (colon < end && line[colon] < 0x80 && TCHAR[line[colon]]) colon++;
    if (colon === end || line[colon] !== COLON) {
      if (colon > start && (line[colon] === SP || line[colon] === HTAB)) {
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
    if (colon === start) {
      return this.#fail("invalid", "Invalid header field name: empty");
    }
    // RFC 9110 §5.5: field-value = *field-content; field-vchar = VCHAR /
    // obs-text. obs-text (non-ASCII) is refused here, as are controls.
    for (let i = colon + 1; i < end; i++) {
      const b = line[i];
      if ((b < SP && b !== HTAB) || b >= DEL) {
        return this.#fail(
          "invalid",
          `Invalid header field value: ${latin1(line.subarray(start, colon))}`,
        );
      }
    }
    // Kept as received, with CR LF, for `fields`.
    const size = end - start + 2;
    let at = this.#fieldLength;
    if (at + size > this.#out.length) {
      // Past the scratch (a maxHeadBytes over its size), or past our own
      // buffer: a buffer sized for the rest of the chunk at once.
      const rest = Math.min(ahead, this.#grammar.maxHeadBytes - this.#consumed);
      const grown = new Uint8Array(
        Math.max(at + size + rest, this.#out.length * 2, 256),
      );
      grown.set(this.#out.subarray(0, at));
      this.#out = this.#fieldBytes = grown;
    }
    const out = this.#out;
    for (let i = start; i < end; i++) out[at++] = line[i];
    out[at++] = CR;
    out[at++] = LF;
    this.#fieldLength = at;
    this.#fieldCount++;
    return undefined;
  }
}

function capitalized(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
