/**
 * A {@link ClusterHost} built on a server's public API: rooms, users and
 * connections as the server keeps them, a relayed frame queued as one
 * shared message (the same bytes, compressed once, for every local
 * connection).
 *
 * @module
 */

import type { Connection } from "../driver/connection.ts";
import type { SharedSink } from "./group.ts";
import { SharedMessage } from "../driver/shared_message.ts";
import type { ClusterHost } from "../cluster/host.ts";
import type { PresenceChange, PresenceSnapshot } from "../cluster/presence.ts";

/**
 * What {@link serverHost} reads of a server (a `Server` has all of it).
 *
 * @example
 * ```ts
 * import { Server } from "@anyws/anyws";
 * import { type ClusterServerView } from "./cluster_host.ts";
 * const view: ClusterServerView = new Server({ port: 0 });
 * ```
 */
export interface ClusterServerView {
  /** The open connections. */
  readonly connections: Iterable<Connection<unknown>> & {
    readonly size: number;
    get(id: string): Connection<unknown> | undefined;
  };
  /** The connections in `name`. */
  room(name: string): Iterable<Connection<unknown>> & { readonly size: number };
  /** The connections in any of `rooms`, each once. */
  to(...rooms: string[]): Iterable<Connection<unknown>>;
  /** The connections of `user`. */
  user(user: string): Iterable<Connection<unknown>>;
}

/**
 * The {@link ClusterHost} of `server`: remote messages are queued on its
 * connections, its rooms and users answer the cluster's questions.
 * `remotePresence` receives the joins and leaves of other nodes;
 * `takeover` gives up a live session another node was presented the
 * token of.
 *
 * @example
 * ```ts
 * import { ClusterNode } from "../cluster/cluster_node.ts";
 * import { MemoryHub } from "../cluster/memory_backplane.ts";
 * import { Server } from "@anyws/anyws";
 * import { serverHost } from "./cluster_host.ts";
 * const server = new Server({ port: 0 });
 * const node = new ClusterNode(new MemoryHub().backplane(), serverHost(server));
 * node.start();
 * await node.close();
 * ```
 */
export function serverHost(
  server: ClusterServerView,
  remotePresence?: (change: PresenceChange) => void,
  takeover?: (token: string) => Promise<boolean>,
): ClusterHost {
  return {
    takeover,
    deliverToAll(frame, except) {
      const message = SharedMessage.fromFrame(frame);
      for (const conn of server.connections) {
        if (conn.id !== except) queue(conn, message);
      }
    },
    deliverToRooms(rooms, frame, except) {
      const message = SharedMessage.fromFrame(frame);
      for (const conn of server.to(...rooms)) {
        if (conn.id !== except) queue(conn, message);
      }
    },
    deliverToUser(user, frame, except) {
      const message = SharedMessage.fromFrame(frame);
      for (const conn of server.user(user)) {
        if (conn.id !== except) queue(conn, message);
      }
    },
    deliverToConnection(connection, frame) {
      const conn = server.connections.get(connection);
      if (conn !== undefined) queue(conn, SharedMessage.fromFrame(frame));
    },
    localConnectionCount: () => server.connections.size,
    localRoomSize: (room) => server.room(room).size,
    *localMembers(room) {
      for (const conn of server.room(room)) {
        yield { connection: conn.id, user: conn.user };
      }
    },
    localUserRooms(user) {
      const rooms = new Set<string>();
      for (const conn of server.user(user)) {
        for (const room of conn.rooms) rooms.add(room);
      }
      return rooms;
    },
    localPresence(): PresenceSnapshot {
      const members: PresenceSnapshot["members"] = [];
      for (const conn of server.connections) {
        if (conn.rooms.size > 0) {
          members.push([conn.id, conn.user ?? null, [...conn.rooms]]);
        }
      }
      return { connections: server.connections.size, members };
    },
    remotePresence,
  };
}

/** Server connections take encoded frames (see `Group`); the public type does not say so. */
function queue(conn: Connection<unknown>, message: SharedMessage): void {
  (conn as Connection<unknown> & SharedSink).sendShared(message);
}
