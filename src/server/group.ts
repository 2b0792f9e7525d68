/**
 * A group of connections you can send to as one: a room, a user's
 * connections, several rooms at once.
 *
 * @module
 */

import type { Connection, EventMap, Message } from "../driver/connection.ts";
import { SharedMessage } from "../driver/shared_message.ts";
import { UsageError } from "../protocol/errors.ts";
import { Frame } from "../protocol/frame.ts";
import { isControl, Opcode } from "../protocol/opcode.ts";
import { checkSendable } from "../protocol/send_rules.ts";

/**
 * A connection a group can send one shared message to (every server
 * connection is one): see `SharedMessage`, framed and compressed once for
 * all.
 *
 * @example
 * ```ts
 * import type { SharedSink } from "./group.ts";
 * import { SharedMessage } from "../driver/shared_message.ts";
 * const send = (sink: SharedSink) => sink.sendShared(SharedMessage.of("hi"));
 * ```
 */
export interface SharedSink {
  /** Queues the message; returns whether it was queued. */
  sendShared(message: SharedMessage): boolean;
}

/**
 * Where groups count their broadcasts (a server's metrics).
 *
 * @example
 * ```ts
 * import type { BroadcastCounts } from "./group.ts";
 * const counts: BroadcastCounts = { broadcasts: 0 };
 * ```
 */
export interface BroadcastCounts {
  /** Broadcasts addressed to at least one connection. */
  broadcasts: number;
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
  #members: () => Iterable<Connection<Data, Out> & SharedSink>;
  #size: () => number;
  #counts: BroadcastCounts | undefined;

  /**
   * A live view: `members` is called each time the group is used; a
   * broadcast that reaches at least one member is counted in `counts`.
   */
  constructor(
    members: () => Iterable<Connection<Data, Out> & SharedSink>,
    size: () => number,
    counts?: BroadcastCounts,
  ) {
    this.#members = members;
    this.#size = size;
    this.#counts = counts;
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
   * bytes are queued on every member (compressed once for the members that
   * agreed to permessage-deflate without context takeover). A control frame goes to each member
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
    let shared: SharedMessage | undefined;
    for (const conn of this.#members()) {
      if (filter !== undefined && !filter(conn)) continue;
      shared ??= message instanceof Frame
        ? new SharedMessage(message.opcode === Opcode.Text, message.payload)
        : SharedMessage.of(message);
      if (conn.sendShared(shared)) count++;
    }
    if (shared !== undefined && this.#counts !== undefined) {
      this.#counts.broadcasts++;
    }
    return count;
  }

  /** The members, each once. */
  [Symbol.iterator](): Iterator<Connection<Data, Out>> {
    return this.#members()[Symbol.iterator]();
  }
}
