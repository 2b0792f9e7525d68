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
 * Who a group send leaves out: `except` is a connection (or its id) that
 * does not get the message, wherever it is in the cluster.
 *
 * @example
 * ```ts
 * import { Server } from "@anyws/anyws";
 * import type { SendFilter } from "@anyws/anyws";
 * const server = new Server({ port: 0 });
 * server.on("typing", (_data, conn) => {
 *   const everyoneElse: SendFilter = { except: conn };
 *   server.room("lobby").emit("typing", { from: conn.id }, everyoneElse);
 * });
 * ```
 */
export interface SendFilter {
  /** The connection (or connection id) left out. */
  except?: Connection | string;
}

/**
 * Where a group's sends go beyond this node (the groups of a clustered
 * server): the frame encoded once for the local members, and the id of the
 * connection left out.
 *
 * @example
 * ```ts
 * import type { RemoteSend } from "./group.ts";
 * const remote: RemoteSend = (frame, except) => console.log(frame.length, except);
 * ```
 */
export type RemoteSend = (
  frame: Uint8Array,
  except: string | undefined,
) => void;

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
 * On a clustered server (`new Server({ backplane })`) a group spans every
 * node: a send reaches its members on the other nodes too, with the same
 * frame bytes. Iteration and {@link Group.size} are this node's members (a
 * connection on another node is not an object here; see `server.cluster`
 * for cluster-wide sizes and members), and so is the count a send returns.
 * A filter function cannot cross nodes: leave one connection out with
 * `{ except: conn }`, or filter among this node's members with
 * {@link Group.local}.
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
  #remote: RemoteSend | undefined;
  #counts: BroadcastCounts | undefined;

  /**
   * A live view: `members` is called each time the group is used; `remote`
   * carries each send to the other nodes of a cluster; a broadcast that
   * reaches at least one member is counted in `counts`.
   */
  constructor(
    members: () => Iterable<Connection<Data, Out> & SharedSink>,
    size: () => number,
    remote?: RemoteSend,
    counts?: BroadcastCounts,
  ) {
    this.#members = members;
    this.#size = size;
    this.#remote = remote;
    this.#counts = counts;
  }

  /**
   * The same group on this node only: its sends stay here, and they take
   * a filter function. Without a cluster, the group itself.
   */
  get local(): Group<Data, Out> {
    return this.#remote === undefined
      ? this
      : new Group(this.#members, this.#size, undefined, this.#counts);
  }

  /** How many connections are in the group now. */
  get size(): number {
    return this.#size();
  }

  /**
   * Sends `{"event": event, "data": data}` to every member (but
   * `filter.except`); returns the count of local members it was queued on.
   */
  emit<K extends string & keyof Out>(
    event: K,
    data?: Out[K],
    filter?: SendFilter,
  ): number {
    return this.broadcast(JSON.stringify({ event, data }), filter);
  }

  /**
   * Sends `message` to every member `filter` accepts (a function, or
   * `{ except }`), with the rules of `conn.send`; returns the count of
   * local members it was queued on. A message is encoded once and the same
   * bytes are queued on every member (compressed once for the members that
   * agreed to permessage-deflate without context takeover) and, on a
   * clustered server, published once to the other nodes. A control frame
   * goes to each member through `conn.send` (a close frame starts each
   * one's closing handshake). Throws a `UsageError` for a frame `conn.send`
   * refuses and for a fragment (a broadcast is a whole message); on a
   * clustered server also for a filter function and a control frame, which
   * cannot cross nodes (send those with {@link Group.local}).
   */
  broadcast(
    message: Message,
    filter?: ((conn: Connection<Data, Out>) => boolean) | SendFilter,
  ): number {
    let count = 0;
    const remote = this.#remote;
    const accepts = typeof filter === "function" ? filter : undefined;
    const except = typeof filter === "object" && filter !== null
      ? exceptId(filter.except)
      : undefined;
    if (remote !== undefined && accepts !== undefined) {
      throw new UsageError(
        "A filter function cannot cross nodes: pass { except: conn }, or send to this node's members with group.local",
      );
    }
    if (message instanceof Frame) {
      checkSendable(message, 0);
      if (isControl(message.opcode)) {
        if (remote !== undefined) {
          throw new UsageError(
            "A control frame cannot be broadcast across nodes: send it with group.local",
          );
        }
        for (const conn of this.#members()) {
          if (conn.id === except) continue;
          if (accepts !== undefined && !accepts(conn)) continue;
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
    const make = (): SharedMessage =>
      message instanceof Frame
        ? new SharedMessage(message.opcode === Opcode.Text, message.payload)
        : SharedMessage.of(message as string | Uint8Array);
    for (const conn of this.#members()) {
      if (conn.id === except) continue;
      if (accepts !== undefined && !accepts(conn)) continue;
      shared ??= make();
      if (conn.sendShared(shared)) count++;
    }
    if (shared !== undefined && this.#counts !== undefined) {
      this.#counts.broadcasts++;
    }
    // The same frame bytes the local members were sent (framed once).
    if (remote !== undefined) remote((shared ?? make()).plainFrame(), except);
    return count;
  }

  /** The members on this node, each once. */
  [Symbol.iterator](): Iterator<Connection<Data, Out>> {
    return this.#members()[Symbol.iterator]();
  }
}

function exceptId(except: Connection | string | undefined): string | undefined {
  return typeof except === "string" ? except : except?.id;
}
