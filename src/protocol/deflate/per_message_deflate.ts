/**
 * One connection's permessage-deflate: which context compresses or
 * decompresses each message, by the agreed parameters.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { MessageAssembler } from "../message_assembler.ts";
import { Opcode } from "../opcode.ts";
import { MessageCompressor } from "./message_compressor.ts";
import { MessageDecompressor } from "./message_decompressor.ts";
import type { DeflateContexts } from "./deflate_contexts.ts";
import { deflaterOptionsFor } from "./deflater_settings.ts";
import type { DeflateParameters } from "./parameters.ts";

/**
 * The permessage-deflate state of one connection, for its protocol
 * engine to call on every data message:
 *
 * - sending: if `shouldCompress(length)` (and the application did not opt
 *   out), the payload of each frame is `compress(piece, fin)`; RSV1 is set
 *   on the first frame of the message only; control frames are never
 *   compressed (RFC 7692 §6.1).
 * - receiving: a message whose first frame has RSV1 is compressed; each of
 *   its frames goes through `decompress(payload, fin, limit)` before UTF-8
 *   validation and reassembly.
 *
 * A direction without context takeover uses the shared contexts of
 * {@link DeflateContexts} for single-frame messages, and a context of its
 * own only while a fragmented message is in progress. A direction with
 * context takeover gets its own context on first use and keeps it.
 *
 * @example
 * ```ts
 * import { DeflateContexts } from "./deflate_contexts.ts";
 * import { resolveDeflateOptions } from "./options.ts";
 * import { pakoCodec } from "../../../engines/deflate_pako.ts";
 * import { PerMessageDeflate } from "./per_message_deflate.ts";
 * const contexts = new DeflateContexts(pakoCodec, resolveDeflateOptions());
 * const parameters = {
 *   serverNoContextTakeover: true,
 *   clientNoContextTakeover: true,
 *   serverMaxWindowBits: 15,
 *   clientMaxWindowBits: 15,
 * };
 * const server = new PerMessageDeflate(contexts, parameters, "server");
 * const client = new PerMessageDeflate(contexts, parameters, "client");
 * const payload = server.compress(new TextEncoder().encode("Hello"), true);
 * console.log(new TextDecoder().decode(client.decompress(payload, true, 1024))); // "Hello"
 * ```
 */
export class PerMessageDeflate {
  /** The agreed parameters. */
  readonly parameters: DeflateParameters;
  /**
   * Set when this endpoint sends without context takeover: the window
   * bits its peer allows, to pass to `DeflateContexts.compressMessage`.
   * Every connection with the same key can be sent the same compressed
   * bytes (compress-once broadcast). `undefined` with context takeover:
   * each message must go through {@link compress}.
   */
  readonly sharedKey: number | undefined;

  readonly #contexts: DeflateContexts;
  readonly #sendBits: number;
  readonly #sendNoContextTakeover: boolean;
  readonly #receiveBits: number;
  readonly #receiveNoContextTakeover: boolean;
  #compressor: MessageCompressor | undefined;
  #decompressor: MessageDecompressor | undefined;
  /** A fragmented message is being compressed / decompressed. */
  #sending = false;
  #receiving = false;
  // A compressed message on its way in: the current frame's payload,
  // gathered, and what the message inflated to so far.
  #inbound: Inbound | undefined;

  /**
   * The permessage-deflate state of a new connection; it holds no
   * compression context until one is needed.
   *
   * @param contexts The shared contexts and settings.
   * @param parameters What the handshake agreed.
   * @param role This endpoint's side of the connection.
   */
  constructor(
    contexts: DeflateContexts,
    parameters: DeflateParameters,
    role: "server" | "client",
  ) {
    this.#contexts = contexts;
    this.parameters = parameters;
    const server = role === "server";
    this.#sendBits = server
      ? parameters.serverMaxWindowBits
      : parameters.clientMaxWindowBits;
    this.#sendNoContextTakeover = server
      ? parameters.serverNoContextTakeover
      : parameters.clientNoContextTakeover;
    this.#receiveBits = server
      ? parameters.clientMaxWindowBits
      : parameters.serverMaxWindowBits;
    this.#receiveNoContextTakeover = server
      ? parameters.clientNoContextTakeover
      : parameters.serverNoContextTakeover;
    this.sharedKey = this.#sendNoContextTakeover ? this.#sendBits : undefined;
  }

  /**
   * Whether a message of `length` bytes is worth compressing: at least the
   * configured `threshold`.
   */
  shouldCompress(length: number): boolean {
    return length >= this.#contexts.options.threshold;
  }

  /**
   * Compresses the next piece of an outgoing message (`fin`: its last
   * piece) into the payload of one frame.
   */
  compress(bytes: Uint8Array, fin: boolean): Uint8Array {
    const compressed = this.#compress(bytes, fin);
    const contexts = this.#contexts;
    contexts.compressedIn += bytes.length;
    contexts.compressedOut += compressed.length;
    return compressed;
  }

  #compress(bytes: Uint8Array, fin: boolean): Uint8Array {
    if (this.sharedKey !== undefined && fin && !this.#sending) {
      return this.#contexts.compressMessage(bytes, this.sharedKey);
    }
    const compressor = this.#compressor ??= new MessageCompressor(
      this.#contexts.codec.createDeflater(
        deflaterOptionsFor(
          this.#sendBits,
          this.#contexts.options.memLevel,
          this.#contexts.options.level,
        ),
      ),
      { noContextTakeover: this.#sendNoContextTakeover },
    );
    this.#sending = !fin;
    try {
      return compressor.compress(bytes, fin);
    } finally {
      // Without context takeover the context was only lent to this message.
      if (fin && this.#sendNoContextTakeover) this.#compressor = undefined;
    }
  }

  /**
   * Decompresses the payload of the next frame of an incoming compressed
   * message (`fin`: its last frame).
   *
   * @param limit The most bytes the frame may decompress to.
   * @throws A `ProtocolError`: 1009 past `limit`, 1007 for invalid data.
   */
  decompress(bytes: Uint8Array, fin: boolean, limit: number): Uint8Array {
    const decompressed = this.#decompress(bytes, fin, limit);
    const contexts = this.#contexts;
    contexts.decompressedIn += bytes.length;
    contexts.decompressedOut += decompressed.length;
    return decompressed;
  }

  #decompress(bytes: Uint8Array, fin: boolean, limit: number): Uint8Array {
    if (this.#receiveNoContextTakeover && fin && !this.#receiving) {
      return this.#contexts.decompressMessage(bytes, limit);
    }
    const decompressor = this.#decompressor ??= new MessageDecompressor(
      this.#contexts.codec.createInflater(this.#receiveBits),
      { noContextTakeover: this.#receiveNoContextTakeover },
    );
    this.#receiving = !fin;
    try {
      return decompressor.decompress(bytes, fin, limit);
    } finally {
      if (fin && this.#receiveNoContextTakeover) this.#decompressor = undefined;
    }
  }

  // ── receiving frames ──────────────────────────────────────────────────
  // The Protocol hands data frames here first: a compressed message's
  // frames are gathered whole and inflated at their end, then assembled as
  // uncompressed frames would be.

  /** Whether a compressed message is being received. */
  get inflating(): boolean {
    return this.#inbound !== undefined;
  }

  /**
   * A data frame starts: returns whether it belongs to a compressed message
   * (then its payload comes to {@link framePayload}). RFC 7692 §6: the
   * "Per-Message Compressed" bit (RSV1) is set on the first frame of a
   * compressed message only; §6.1: RSV1 on a continuation frame fails the
   * connection. `messageInProgress`: an uncompressed message is unfinished.
   */
  frameStart(
    opcode: number,
    fin: boolean,
    rsv: number,
    messageInProgress: boolean,
  ): boolean {
    const compressed = (rsv & RSV1) !== 0;
    const inbound = this.#inbound;
    if (opcode === Opcode.Continuation) {
      if (compressed) {
        throw new ProtocolError(
          "protocol",
          "RSV1 set on a continuation frame (RFC 7692 §6.1)",
        );
      }
      if (inbound === undefined) return false;
      inbound.opcode = Opcode.Continuation;
      inbound.fin = fin;
      return true;
    }
    if (inbound !== undefined || (compressed && messageInProgress)) {
      throw new ProtocolError(
        "protocol",
        `Expected a continuation frame, got opcode ${opcode}`,
      );
    }
    if (!compressed) return false;
    this.#inbound = { opcode, fin, chunks: [], bytes: 0, produced: 0 };
    return true;
  }

  /** A piece of a compressed frame's payload (copied: `source` is the caller's). */
  framePayload(source: Uint8Array, start: number, end: number): void {
    const inbound = this.#inbound!;
    inbound.chunks.push(source.slice(start, end));
    inbound.bytes += end - start;
  }

  /**
   * The compressed frame ended: inflates it (RFC 7692 §7.2.2) within what
   * is left of `maxMessageSize` (1009 beyond, never allocating past it) and
   * hands it to `assembler`; returns the message when this frame ended it.
   */
  frameEnd(
    assembler: MessageAssembler,
    maxMessageSize: number,
  ): string | Uint8Array | undefined {
    const inbound = this.#inbound!;
    const { chunks, bytes } = inbound;
    const payload = chunks.length === 1 ? chunks[0] : join(chunks, bytes);
    inbound.chunks = [];
    inbound.bytes = 0;
    const inflated = this.decompress(
      payload,
      inbound.fin,
      maxMessageSize - inbound.produced,
    );
    inbound.produced += inflated.length;
    assembler.frameStart(inbound.opcode, inbound.fin, inflated.length);
    if (inflated.length > 0) {
      assembler.framePayload(inflated, 0, inflated.length);
    }
    if (inbound.fin) this.#inbound = undefined;
    return assembler.frameEnd();
  }
}

/** RSV1 in the RSV bits (RSV1 << 2 | RSV2 << 1 | RSV3). */
const RSV1 = 4;

/** A compressed message being received. */
interface Inbound {
  /** The message's opcode on its first frame, Continuation after it. */
  opcode: number;
  /** The current frame ends the message. */
  fin: boolean;
  /** The current frame's compressed payload. */
  chunks: Uint8Array[];
  bytes: number;
  /** Bytes the message inflated to so far. */
  produced: number;
}

function join(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
