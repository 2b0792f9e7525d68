/**
 * A group of connections you can send to as one: a room, a user's
 * connections, several rooms at once.
 *
 * @module
 */

import type { Connection, EventMap, Message } from "../driver/connection.ts";
import { UsageError } from "../protocol/errors.ts";
import { Frame } from "../protocol/frame.ts";
import { encodeFrame } from "../protocol/frame_encoder.ts";
import { isControl, Opcode } from "../protocol/opcode.ts";
import { checkSendable } from "../protocol/send_rules.ts";

/** A connection that can take an already-encoded frame (every server connection can). */
export interface EncodedSink {
  /** Queues an encoded frame; returns whether it was queued. */
  sendEncoded(bytes: Uint8Array): boolean;
}

/**
 * Encodes a message as one frame, once, for sending the same bytes to many
 * connections (server frames are unmasked, RFC 6455 §5.1).
 *
 * @example
 * ```ts
 * import { encodeMessage } from "./group.ts";
 * const bytes = encodeMessage("hi");
 * console.log(bytes); // Uint8Array [0x81, 0x02, 0x68, 0x69]
 * ```
 */
export function encodeMessage(message: Message): Uint8Array {
  const frame = typeof message === "string"
    ? Frame.text(message)
    : message instanceof Uint8Array
    ? Frame.binary(message)
    : message;
  return encodeFrame(frame);
}

/**
 * Several connections addressed as one. Every send encodes the frame once and
 * queues the same bytes on each member; a connection that belongs to the
 * group through several rooms still gets each message once.
 *
 * @example
 * ```ts
 * import { Server } from "@anyws/anyws";
 * const server = new Server({ port: 0 });
 * server.on("chat", (data, conn) => {
 *   server.to("lobby").emit("chat", { from: conn.id, data });
 *   console.log(server.room("lobby").size);
 * });
 * ```
 */
export class Group<
  Data = Record<string, unknown>,
  Out extends EventMap = EventMap,
> implements Iterable<Connection<Data, Out>> {
  #members: () => Iterable<Connection<Data, Out> & EncodedSink>;
  #size: () => number;

  /** A live view: `members` is called each time the group is used. */
  constructor(
    members: () => Iterable<Connection<Data, Out> & EncodedSink>,
    size: () => number,
  ) {
    this.#members = members;
    this.#size = size;
  }

  /** How many connections are in the group now. */
  get size(): number {
    return this.#size();
  }

  /** Sends `{"event": event, "data": data}` to every member; returns the count. */
  emit<K extends string & keyof Out>(event: K, data?: Out[K]): number {
    return this.broadcast(JSON.stringify({ event, data }));
  }

  /**
   * Sends `message` to every member `filter` accepts, with the rules of
   * `conn.send`; returns the count. A message is encoded once and the same
   * bytes are queued on every member. A control frame goes to each member
   * through `conn.send` (a close frame starts each one's closing
   * handshake). Throws a `UsageError` for a frame `conn.send` refuses and
   * for a fragment: a broadcast is a whole message.
   */
  broadcast(
    message: Message,
    filter?: (conn: Connection<Data, Out>) => boolean,
  ): number {
    let count = 0;
    if (message instanceof Frame) {
      checkSendable(message, 0);
      if (isControl(message.opcode)) {
        for (const conn of this.#members()) {
          if (filter !== undefined && !filter(conn)) continue;
          if (conn.send(message)) count++;
        }
        return count;
      }
      if (!message.fin || message.opcode === Opcode.Continuation) {
        throw new UsageError(
          "A broadcast must be a whole message: send fragments with conn.send()",
        );
      }
    }
    let bytes: Uint8Array | undefined;
    for (const conn of this.#members()) {
      if (filter !== undefined && !filter(conn)) continue;
      bytes ??= encodeMessage(message);
      if (conn.sendEncoded(bytes)) count++;
    }
    return count;
  }

  /** The members, each once. */
  [Symbol.iterator](): Iterator<Connection<Data, Out>> {
    return this.#members()[Symbol.iterator]();
  }
}
