/**
 * The sans-I/O WebSocket core of anyws, for applications that bring their
 * own I/O: bytes in, events and bytes out, no timers, no sockets, no state
 * outside the objects you create. RFC 6455 framing and the connection state
 * machine ({@link Protocol}), the opening handshake on both sides, and the
 * HTTP/1.1 request and response heads it rides on.
 *
 * @example
 * ```ts
 * import { Protocol } from "@anyws/anyws/protocol";
 *
 * const protocol = new Protocol({ role: "server" });
 * // RFC 6455 §5.7: a masked text frame "Hello" from a client.
 * protocol.receive(new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]));
 * for (let event = protocol.nextEvent(); event; event = protocol.nextEvent()) {
 *   if (event.type === "text") protocol.sendText(event.data);
 * }
 * const toWrite = protocol.takeOutgoing(); // the echo, ready for the socket
 * ```
 *
 * @module
 */

// The connection state machine and its write path
export { Protocol, type ProtocolOptions } from "./protocol.ts";
export {
  type CloseInfo,
  type ProtocolEvent,
  ReadyState,
} from "./protocol_events.ts";
export { checkControl, checkSendable } from "./send_rules.ts";
export { FrameWriter } from "./frame_writer.ts";
export { FrameBuffers } from "./frame_buffers.ts";
export { Slab, SLAB_LIMIT } from "./slab.ts";
export { RandomPool } from "./random_pool.ts";

// Frames
export { Frame, type FrameOptions } from "./frame.ts";
export { isControl, isKnownOpcode, Opcode } from "./opcode.ts";
export { encodeFrame, type EncodeFrameOptions } from "./frame_encoder.ts";
export {
  FrameDecoder,
  type FrameDecoderOptions,
  type FrameHandler,
} from "./frame_decoder.ts";
export {
  MessageAssembler,
  type MessageAssemblerOptions,
} from "./message_assembler.ts";
export { applyMask } from "./mask.ts";
export { decodeUtf8, isValidUtf8, Utf8StreamDecoder } from "./utf8.ts";

// Closing
export { CloseCode, isValidCloseCode } from "./close_code.ts";
export {
  type ClosePayload,
  encodeClosePayload,
  parseClosePayload,
} from "./close_payload.ts";
export {
  asProtocolError,
  closeCodeFor,
  FAILURE_CLOSE_CODES,
  type FailureKind,
  ProtocolError,
  UsageError,
} from "./errors.ts";

// The opening handshake
export {
  isWebSocketUpgrade,
  selectSubprotocol,
  type UpgradeRequest,
  type UpgradeValidation,
  validateUpgrade,
} from "./server_handshake.ts";
export {
  type AcceptResponseOptions,
  type AcceptResponseValidation,
  validateAcceptResponse,
} from "./client_handshake.ts";
export { computeAcceptKey, generateKey } from "./accept_key.ts";
export {
  type ExtensionOffer,
  formatExtensions,
  parseExtensions,
} from "./extensions.ts";

// HTTP/1.1
export {
  type RequestHeadLimits,
  RequestHeadReader,
  type RequestHeadResult,
} from "./request_head_reader.ts";
export type { HttpRequest } from "./http_request.ts";
export {
  type ResponseHead,
  type ResponseHeadLimits,
  ResponseHeadReader,
  type ResponseHeadResult,
} from "./response_head_reader.ts";
export { hostProblem, isToken, isValidHost } from "./http_fields.ts";
export {
  type AcceptResponseInit,
  buildAcceptResponse,
  buildErrorResponse,
  type ErrorResponseInit,
  serializeResponse,
  statusText,
} from "./http_response.ts";

// permessage-deflate (RFC 7692)
export { PerMessageDeflate } from "./deflate/per_message_deflate.ts";
export { DeflateContexts } from "./deflate/deflate_contexts.ts";
export {
  type DeflateAgreement,
  negotiateDeflate,
} from "./deflate/server_negotiation.ts";
export {
  acceptDeflateResponse,
  deflateOffers,
  type DeflateResponseCheck,
} from "./deflate/client_negotiation.ts";
export {
  type DeflateMode,
  type DeflateOptions,
  type ResolvedDeflateOptions,
  resolveDeflateOptions,
} from "./deflate/options.ts";
export type { DeflateParameters } from "./deflate/parameters.ts";
export type {
  DeflateCodec,
  Deflater,
  DeflaterOptions,
  Inflater,
  MessageCodec,
} from "./deflate/codec.ts";
