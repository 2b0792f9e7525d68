/**
 * The server's side of the permessage-deflate negotiation (RFC 7692 §5 and
 * §7.1): pick the first acceptable offer of the client's
 * `Sec-WebSocket-Extensions` header and build the answer.
 *
 * @module
 */

import { type ExtensionOffer, formatExtensions } from "../extensions.ts";
import {
  type DeflateParameters,
  PERMESSAGE_DEFLATE,
  readDeflateParams,
} from "./parameters.ts";
import type { ResolvedDeflateOptions } from "./options.ts";

/**
 * An accepted permessage-deflate offer: the element to answer with, and
 * what both sides use from now on.
 *
 * @example
 * ```ts
 * import type { DeflateAgreement } from "./server_negotiation.ts";
 * function responseHeaders(agreement: DeflateAgreement): Record<string, string> {
 *   return { "Sec-WebSocket-Extensions": agreement.header };
 * }
 * ```
 */
export interface DeflateAgreement {
  /** The accepted element, for the 101 response. */
  response: ExtensionOffer;
  /** `response` as a `Sec-WebSocket-Extensions` value. */
  header: string;
  /** The agreed parameters. */
  parameters: DeflateParameters;
}

/**
 * Picks the first permessage-deflate offer the server accepts and builds
 * the answer (RFC 7692 §5: "the server ... accepts one of the offers" and
 * answers with one element). Offers of other extensions are skipped; an
 * offer with an unknown parameter or a bad value is declined, as RFC 7692
 * §7 requires, and the next one is tried. Never throws.
 *
 * Mode `"shared"` always answers `server_no_context_takeover;
 * client_no_context_takeover` (§7.1.1: the server may add both even when
 * the client did not ask), so no compression state outlives a message.
 * Mode `"dedicated"` keeps the context in both directions unless the
 * client asks otherwise, and limits the windows to the configured bits.
 *
 * An offer of `server_max_window_bits=8` is declined: its only legal
 * answer is 8 ("the same or smaller value", §7.1.2.1), and no zlib
 * deflates with a 256-byte window (zlib 1.2.9 and later, as in Python, and
 * pako refuse it; the zlib binding of the JavaScript runtimes silently
 * uses 512 bytes, which is what ws ends up doing). Declining costs nothing: the client's next offer, or an
 * uncompressed connection.
 *
 * @param offers The client's offers, in its order (`upgrade.extensions`
 * from `validateUpgrade`).
 * @param options The resolved configuration, from
 * `resolveDeflateOptions`.
 * @returns The agreement, or `undefined` when no offer is acceptable (the
 * connection then runs without compression).
 *
 * @example
 * ```ts
 * import { parseExtensions } from "../extensions.ts";
 * import { resolveDeflateOptions } from "./options.ts";
 * import { negotiateDeflate } from "./server_negotiation.ts";
 * const offers = parseExtensions("permessage-deflate; client_max_window_bits") ?? [];
 * const agreement = negotiateDeflate(offers, resolveDeflateOptions({ mode: "shared" }));
 * console.log(agreement?.header);
 * // "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
 * ```
 */
export function negotiateDeflate(
  offers: readonly ExtensionOffer[],
  options: ResolvedDeflateOptions,
): DeflateAgreement | undefined {
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const read = readDeflateParams(offer.params, "offer");
    if (!read.ok) continue;
    const request = read.request;
    const asked = request.serverMaxWindowBits;
    if (asked === 8) continue;
    const shared = options.mode === "shared";

    // RFC 7692 §7.1.1.1: a server accepts server_no_context_takeover "by
    // including" it; it "MAY include" it unasked. §7.1.1.2: it may add
    // client_no_context_takeover unasked too.
    const serverNoContextTakeover = shared || request.serverNoContextTakeover;
    const clientNoContextTakeover = shared || request.clientNoContextTakeover;

    // RFC 7692 §7.1.2.1: server_max_window_bits is accepted "with the same
    // or smaller value as the offer"; unasked, the server may still name
    // its window, which lets the client allocate a smaller one.
    const ownBits = shared ? 15 : options.windowBits;
    const serverBits = asked === undefined ? ownBits : Math.min(asked, ownBits);
    const nameServerBits = asked !== undefined || serverBits < 15;

    // RFC 7692 §7.1.2.2: without client_max_window_bits in the offer the
    // server "MUST NOT" answer it; with it, the answer is optional and may
    // only lower the value. Shared mode keeps no client context, so it
    // does not bother the client with a window.
    const offered = request.clientMaxWindowBits;
    const clientLimit = offered === undefined || offered === true
      ? 15
      : offered;
    const clientBits = offered === undefined || shared
      ? clientLimit
      : Math.min(clientLimit, options.clientWindowBits);
    const nameClientBits = offered !== undefined && !shared && clientBits < 15;

    const params: Record<string, string | true> = Object.create(null);
    if (serverNoContextTakeover) params.server_no_context_takeover = true;
    if (clientNoContextTakeover) params.client_no_context_takeover = true;
    if (nameServerBits) params.server_max_window_bits = String(serverBits);
    if (nameClientBits) params.client_max_window_bits = String(clientBits);
    const response: ExtensionOffer = { name: PERMESSAGE_DEFLATE, params };
    return {
      response,
      header: formatExtensions([response]),
      parameters: {
        serverNoContextTakeover,
        clientNoContextTakeover,
        serverMaxWindowBits: serverBits,
        clientMaxWindowBits: clientBits,
      },
    };
  }
  return undefined;
}
