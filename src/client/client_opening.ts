/**
 * The client's side of the opening handshake, as the driver's opening
 * phase: read the server's response head, check it against what was
 * offered (RFC 6455 §4.1), agree on permessage-deflate (RFC 7692 §5), then
 * open the connection, or fail it with a reason (and the HTTP status of a
 * refusal).
 *
 * @module
 */

import { computeAcceptKey } from "../protocol/accept_key.ts";
import { validateAcceptResponse } from "../protocol/client_handshake.ts";
import { acceptDeflateResponse } from "../protocol/deflate/client_negotiation.ts";
import type { DeflateContexts } from "../protocol/deflate/deflate_contexts.ts";
import { PerMessageDeflate } from "../protocol/deflate/per_message_deflate.ts";
import type { ExtensionOffer } from "../protocol/extensions.ts";
import {
  type ResponseHead,
  ResponseHeadReader,
} from "../protocol/response_head_reader.ts";
import type { OpeningPhase, OpenInit } from "../driver/connection_driver.ts";

/**
 * Why a connection attempt failed before it opened.
 *
 * @example
 * ```ts
 * import type { HandshakeFailure } from "./client_opening.ts";
 * const refused: HandshakeFailure = {
 *   message: "Unexpected response status: 503",
 *   status: 503,
 *   retryAfter: 5,
 * };
 * ```
 */
export interface HandshakeFailure {
  /** What went wrong, for an error message. */
  readonly message: string;
  /** The HTTP status of a response that was not 101. */
  readonly status?: number;
  /** That response's `Retry-After`, in seconds. */
  readonly retryAfter?: number;
  /** That response's head. */
  readonly response?: ResponseHead;
}

/**
 * What the client offered, to check the response against.
 *
 * @example
 * ```ts
 * import type { ClientOffer } from "./client_opening.ts";
 * const offer: ClientOffer = {
 *   key: "dGhlIHNhbXBsZSBub25jZQ==",
 *   protocols: ["chat"],
 *   deflate: undefined,
 *   limits: { maxHeadBytes: 16384, maxHeaderCount: 100 },
 * };
 * ```
 */
export interface ClientOffer {
  /** The `Sec-WebSocket-Key` sent. */
  readonly key: string;
  /** The subprotocols offered. */
  readonly protocols: readonly string[];
  /** permessage-deflate's contexts and offers, when it was offered. */
  readonly deflate:
    | { contexts: DeflateContexts; offers: readonly ExtensionOffer[] }
    | undefined;
  /** Bounds of the response head. */
  readonly limits: { maxHeadBytes: number; maxHeaderCount: number };
}

/**
 * Where the opening phase reports: the client connection.
 *
 * @example
 * ```ts
 * import type { OpeningTarget } from "./client_opening.ts";
 * const target: OpeningTarget = {
 *   opened: () => true,
 *   failed: (failure) => console.error(failure.message),
 * };
 * ```
 */
export interface OpeningTarget {
  /** The handshake succeeded with `response`: open the connection. */
  opened(init: OpenInit, response: ResponseHead): boolean;
  /** The handshake failed: drop the connection for this reason. */
  failed(failure: HandshakeFailure): void;
}

/**
 * Reads and checks one server's answer to the client's upgrade request.
 * The accept key is computed while the request travels, so that checking
 * the answer waits for nothing in the usual case.
 *
 * @example
 * ```ts
 * import { ClientOpening } from "./client_opening.ts";
 * const opening = new ClientOpening({
 *   opened: () => true,
 *   failed: (failure) => console.error(failure.message),
 * }, {
 *   key: "dGhlIHNhbXBsZSBub25jZQ==",
 *   protocols: [],
 *   deflate: undefined,
 *   limits: { maxHeadBytes: 16384, maxHeaderCount: 100 },
 * });
 * opening.onData(new TextEncoder().encode("HTTP/1.1 404 Not Found\r\n\r\n"));
 * // failed: "The server refused the upgrade: 404 Not Found"
 * ```
 */
export class ClientOpening implements OpeningPhase {
  readonly #target: OpeningTarget;
  readonly #offer: ClientOffer;
  #reader: ResponseHeadReader | undefined;
  readonly #accept: string;
  #response: ResponseHead | undefined;
  /** Bytes after the head, kept until the head is checked. */
  #early: Uint8Array[] | undefined;
  #done = false;

  /** Computes the expected accept key; the driver feeds the bytes. */
  constructor(target: OpeningTarget, offer: ClientOffer) {
    this.#target = target;
    this.#offer = offer;
    this.#reader = new ResponseHeadReader(offer.limits);
    this.#accept = computeAcceptKey(offer.key);
  }

  onData(bytes: Uint8Array): void {
    if (this.#done) return;
    const result = this.#reader!.push(bytes);
    switch (result.state) {
      case "incomplete":
        return;
      case "error":
        this.#fail({
          message: `Invalid handshake response: ${result.message}`,
        });
        return;
    }
    this.#reader = undefined;
    this.#response = result.response;
    if (result.rest.length > 0) this.#early = [result.rest.slice()];
    this.#check();
  }

  onEnd(): boolean {
    if (this.#done) return true;
    this.#fail({
      message:
        "The server closed the connection before answering the handshake",
    });
    return true;
  }

  #check(): void {
    if (this.#done) return;
    const response = this.#response!;
    const offer = this.#offer;
    const deflate = offer.deflate;
    const checked = validateAcceptResponse(response, {
      accept: this.#accept,
      protocols: offer.protocols,
      extensions: deflate === undefined ? [] : ["permessage-deflate"],
    });
    if (!checked.ok) {
      const refused = response.status !== 101;
      this.#fail({
        message: refused
          ? `The server refused the upgrade: ${response.status}${
            response.reason === "" ? "" : ` ${response.reason}`
          }`
          : `Invalid handshake response: ${checked.message}`,
        ...(refused
          ? {
            status: response.status,
            retryAfter: retryAfterSeconds(response.headers.get("retry-after")),
            response,
          }
          : { response }),
      });
      return;
    }
    let perMessageDeflate: PerMessageDeflate | undefined;
    if (deflate !== undefined) {
      // RFC 7692 §5: the client fails the connection when the answer is not
      // one of the offers it made.
      const agreed = acceptDeflateResponse(
        response.headers.get("sec-websocket-extensions"),
        deflate.offers,
        deflate.contexts.options,
      );
      if (!agreed.ok) {
        this.#fail({
          message: `Invalid handshake response: ${agreed.message}`,
          response,
        });
        return;
      }
      if (agreed.parameters !== undefined) {
        perMessageDeflate = new PerMessageDeflate(
          deflate.contexts,
          agreed.parameters,
          "client",
        );
      }
    }
    this.#done = true;
    const early = this.#early;
    this.#early = undefined;
    this.#target.opened({
      protocol: checked.protocol ?? "",
      early,
      // The 101 is checked in the read that completes it: no FIN can come
      // in between (one after it is the open connection's).
      peerEnded: false,
      deflate: perMessageDeflate,
    }, response);
  }

  #fail(failure: HandshakeFailure): void {
    if (this.#done) return;
    this.#done = true;
    this.#early = undefined;
    this.#reader = undefined;
    this.#target.failed(failure);
  }
}

/**
 * RFC 9110 §10.2.3: `Retry-After = HTTP-date / delay-seconds`, as seconds
 * from now; `undefined` when absent or neither (a guess at a malformed
 * value, as `Date.parse` would make of `"1.5"` or `"12/25/2030"`, could
 * mean "retry now" or "in four years").
 */
function retryAfterSeconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  // delay-seconds = 1*DIGIT
  if (/^[0-9]+$/.test(text)) return Number(text);
  const date = httpDate(text);
  if (date === undefined) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

const MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "([0-9]{2}):([0-9]{2}):([0-9]{2})";
// RFC 9110 §5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate).
const IMF_FIXDATE = new RegExp(
  `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) ${MONTH} ([0-9]{4}) ${TIME} GMT$`,
);
// "Sunday, 06-Nov-94 08:49:37 GMT" (obsolete RFC 850 format).
const RFC850_DATE = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), ([0-9]{2})-${MONTH}-([0-9]{2}) ${TIME} GMT$`,
);
// "Sun Nov  6 08:49:37 1994" (ANSI C's asctime() format).
const ASCTIME_DATE = new RegExp(
  `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ([0-9 ][0-9]) ${TIME} ([0-9]{4})$`,
);

/**
 * An HTTP-date in any of its three formats (RFC 9110 §5.6.7: "A recipient
 * that parses a timestamp value in an HTTP field MUST accept all three
 * HTTP-date formats"), as epoch milliseconds; `undefined` for anything else.
 */
function httpDate(text: string): number | undefined {
  let day: string, month: string, year: number, time: string[];
  let match = IMF_FIXDATE.exec(text);
  if (match !== null) {
    [, day, month] = match;
    year = Number(match[3]);
    time = match.slice(4);
  } else if ((match = RFC850_DATE.exec(text)) !== null) {
    [, day, month] = match;
    // "Recipients of a timestamp value in rfc850-date format, which uses a
    // two-digit year, MUST interpret a timestamp that appears to be more
    // than 50 years in the future as representing the most recent year in
    // the past that had the same last two digits."
    const now = new Date().getUTCFullYear();
    year = now - (now % 100) + Number(match[3]);
    if (year > now + 50) year -= 100;
    time = match.slice(4);
  } else if ((match = ASCTIME_DATE.exec(text)) !== null) {
    month = match[1];
    day = match[2];
    time = match.slice(3, 6);
    year = Number(match[6]);
  } else {
    return undefined;
  }
  const [hours, minutes, seconds] = time.map(Number);
  const date = Number(day.trim());
  if (date < 1 || date > 31 || hours > 23 || minutes > 59 || seconds > 60) {
    return undefined;
  }
  return Date.UTC(
    year,
    MONTHS.indexOf(month) / 3,
    date,
    hours,
    minutes,
    seconds,
  );
}
