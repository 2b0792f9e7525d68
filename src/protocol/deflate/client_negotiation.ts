/**
 * The client's side of the permessage-deflate negotiation (RFC 7692 §5 and
 * §7.1): the offers to send, and the check of the server's answer.
 *
 * @module
 */

import { type ExtensionOffer, parseExtensions } from "../extensions.ts";
import type { ResolvedDeflateOptions } from "./options.ts";
import {
  type DeflateParameters,
  type DeflateRequest,
  PERMESSAGE_DEFLATE,
  readDeflateParams,
} from "./parameters.ts";

/**
 * The permessage-deflate offers of a client, most wanted first (RFC 7692
 * §5: a client may offer several configurations; the server picks one).
 * Each offers `client_max_window_bits` without a value: the client can
 * compress with any window the server names (§7.1.2.2).
 *
 * - `"shared"` mode promises `client_no_context_takeover` and asks for
 *   `server_no_context_takeover`, then falls back to an offer that lets
 *   the server keep its context.
 * - `"dedicated"` mode asks for the configured server window when it is
 *   under 15, then falls back to an offer without it.
 *
 * @example
 * ```ts
 * import { formatExtensions } from "../extensions.ts";
 * import { deflateOffers } from "./client_negotiation.ts";
 * import { resolveDeflateOptions } from "./options.ts";
 * formatExtensions(deflateOffers(resolveDeflateOptions({ mode: "shared" })));
 * // "permessage-deflate; server_no_context_takeover; client_no_context_takeover;
 * //  client_max_window_bits, permessage-deflate; client_no_context_takeover;
 * //  client_max_window_bits" (one line)
 * ```
 */
export function deflateOffers(
  options: ResolvedDeflateOptions,
): ExtensionOffer[] {
  const offer = (
    params: Record<string, string | true>,
  ): ExtensionOffer => {
    const all: Record<string, string | true> = Object.create(null);
    Object.assign(all, params, { client_max_window_bits: true });
    return { name: PERMESSAGE_DEFLATE, params: all };
  };
  if (options.mode === "shared") {
    return [
      offer({
        server_no_context_takeover: true,
        client_no_context_takeover: true,
      }),
      offer({ client_no_context_takeover: true }),
    ];
  }
  if (options.windowBits < 15) {
    return [
      offer({ server_max_window_bits: String(options.windowBits) }),
      offer({}),
    ];
  }
  return [offer({})];
}

/**
 * The outcome of {@link acceptDeflateResponse}.
 *
 * @example
 * ```ts
 * import type { DeflateResponseCheck } from "./client_negotiation.ts";
 * function compressed(check: DeflateResponseCheck): boolean {
 *   return check.ok && check.parameters !== undefined;
 * }
 * ```
 */
export type DeflateResponseCheck =
  | { ok: true; parameters: DeflateParameters | undefined }
  | { ok: false; message: string };

/**
 * Checks the server's `Sec-WebSocket-Extensions` answer against the
 * client's offers. `ok: false` means the client must fail the connection:
 *
 * - RFC 6455 §4.1: an extension "not present in the client's handshake";
 * - RFC 7692 §7: a permessage-deflate answer with "an extension parameter
 *   not defined for use in a response", "an extension parameter with an
 *   invalid value", "multiple extension parameters with the same name", or
 *   a configuration the client does not support: a parameter that answers
 *   none of the offers (`server_no_context_takeover` or
 *   `server_max_window_bits` missing or larger than asked, §7.1.1.1 and
 *   §7.1.2.1; `client_max_window_bits` unasked or larger than offered,
 *   §7.1.2.2);
 * - more than one permessage-deflate element (only one offer is accepted).
 *
 * @param header The answer's `Sec-WebSocket-Extensions` value (several
 * header lines joined with ","), or `null` when absent.
 * @param offers What the client offered (from {@link deflateOffers}), or an
 * empty list when it offered nothing.
 * @param options The client's resolved settings: in dedicated mode the
 * client compresses with at most `windowBits`.
 * @returns `parameters`, or `undefined` when the server declined
 * compression.
 *
 * @example
 * ```ts
 * import { acceptDeflateResponse, deflateOffers } from "./client_negotiation.ts";
 * import { resolveDeflateOptions } from "./options.ts";
 * const options = resolveDeflateOptions({ mode: "shared" });
 * const check = acceptDeflateResponse(
 *   "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
 *   deflateOffers(options),
 *   options,
 * );
 * console.log(check.ok && check.parameters?.serverNoContextTakeover); // true
 * acceptDeflateResponse("x-unknown", deflateOffers(options), options);
 * // { ok: false, message: "Unrequested extension: x-unknown" }
 * ```
 */
export function acceptDeflateResponse(
  header: string | null,
  offers: readonly ExtensionOffer[],
  options: ResolvedDeflateOptions,
): DeflateResponseCheck {
  if (header === null || /^[\s,]*$/.test(header)) {
    return { ok: true, parameters: undefined };
  }
  const elements = parseExtensions(header);
  if (elements === null) {
    return { ok: false, message: "Invalid Sec-WebSocket-Extensions header" };
  }
  // parseExtensions leaves out an element that repeats a parameter name.
  // A header it accepts has no comma inside a value (a quoted value must
  // unescape to a token), so its non-empty comma-separated parts are its
  // elements: fewer results mean a repeated parameter.
  const parts = header.split(",").filter((part) => part.trim() !== "");
  if (parts.length !== elements.length) {
    return {
      ok: false,
      message: "Repeated parameter in Sec-WebSocket-Extensions",
    };
  }
  const offered = offers.some((offer) => offer.name === PERMESSAGE_DEFLATE);
  let answer: ExtensionOffer | undefined;
  for (const element of elements) {
    if (element.name !== PERMESSAGE_DEFLATE || !offered) {
      return { ok: false, message: `Unrequested extension: ${element.name}` };
    }
    if (answer !== undefined) {
      return { ok: false, message: "Several permessage-deflate answers" };
    }
    answer = element;
  }
  if (answer === undefined) return { ok: true, parameters: undefined };
  const read = readDeflateParams(answer.params, "response");
  if (!read.ok) return read;
  let mismatch: string | undefined;
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const asked = readDeflateParams(offer.params, "offer");
    if (!asked.ok) continue;
    const result = answers(read.request, asked.request, options);
    if (typeof result !== "string") return { ok: true, parameters: result };
    mismatch ??= result;
  }
  return {
    ok: false,
    message: mismatch ?? "Unrequested extension: permessage-deflate",
  };
}

/** The parameters if `response` answers `offer`, or what does not match. */
function answers(
  response: DeflateRequest,
  offer: DeflateRequest,
  options: ResolvedDeflateOptions,
): DeflateParameters | string {
  // RFC 7692 §7.1.1.1: the server accepts server_no_context_takeover "by
  // including" it.
  if (offer.serverNoContextTakeover && !response.serverNoContextTakeover) {
    return "Missing permessage-deflate parameter: server_no_context_takeover";
  }
  // RFC 7692 §7.1.2.1: "the same or smaller value as the offer".
  const serverBits = response.serverMaxWindowBits;
  if (offer.serverMaxWindowBits !== undefined) {
    if (serverBits === undefined) {
      return "Missing permessage-deflate parameter: server_max_window_bits";
    }
    if (serverBits > offer.serverMaxWindowBits) {
      return `Unexpected permessage-deflate parameter: server_max_window_bits=${serverBits} (offered ${offer.serverMaxWindowBits})`;
    }
  }
  // RFC 7692 §7.1.2.2: without client_max_window_bits in the offer the
  // server "MUST NOT" answer it; with a value, the answer may only lower it.
  // A response's client_max_window_bits always has a value (readDeflateParams).
  const clientBits = response.clientMaxWindowBits === true
    ? undefined
    : response.clientMaxWindowBits;
  const offeredClient = offer.clientMaxWindowBits;
  if (clientBits !== undefined) {
    if (offeredClient === undefined) {
      return "Unexpected permessage-deflate parameter: client_max_window_bits";
    }
    if (offeredClient !== true && clientBits > offeredClient) {
      return `Unexpected permessage-deflate parameter: client_max_window_bits=${clientBits} (offered ${offeredClient})`;
    }
  }
  const clientLimit = clientBits ??
    (typeof offeredClient === "number" ? offeredClient : 15);
  const preferred = options.mode === "dedicated" ? options.windowBits : 15;
  return {
    serverNoContextTakeover: response.serverNoContextTakeover,
    clientNoContextTakeover: response.clientNoContextTakeover ||
      offer.clientNoContextTakeover,
    serverMaxWindowBits: serverBits ?? 15,
    clientMaxWindowBits: Math.min(clientLimit, preferred),
  };
}
