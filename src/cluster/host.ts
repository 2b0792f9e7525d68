/**
 * What a cluster node needs from the server it serves: delivery of remote
 * messages to local connections, and the local presence.
 *
 * @module
 */

import type { PresenceChange, PresenceSnapshot } from "./presence.ts";

/**
 * The server side of a `ClusterNode`. The node calls the `deliver*`
 * methods with messages other nodes published, each carrying the
 * WebSocket frame the publisher encoded once: queue the same bytes on every
 * local connection concerned (one shared message), each connection once. The
 * `local*` methods answer for this node's own connections.
 *
 * Every method is called synchronously from the backplane's message
 * handler; none may throw (a throw is caught and reported as a
 * `ClusterError` with code `host`).
 *
 * @example
 * ```ts
 * import type { ClusterHost } from "./host.ts";
 * const host: ClusterHost = {
 *   deliverToAll: (frame, except) => {},
 *   deliverToRooms: (rooms, frame, except) => {},
 *   deliverToUser: (user, frame, except) => {},
 *   deliverToConnection: (connection, frame) => {},
 *   localConnectionCount: () => 0,
 *   localRoomSize: (room) => 0,
 *   localMembers: (room) => [],
 *   localUserRooms: (user) => [],
 *   localPresence: () => ({ connections: 0, members: [] }),
 * };
 * ```
 */
export interface ClusterHost {
  /** Queue `frame` on every local open connection but `except`. */
  deliverToAll(frame: Uint8Array, except: string | undefined): void;
  /** Queue `frame` on every local connection in any of `rooms` (each once) but `except`. */
  deliverToRooms(
    rooms: readonly string[],
    frame: Uint8Array,
    except: string | undefined,
  ): void;
  /** Queue `frame` on every local connection of `user` but `except`. */
  deliverToUser(
    user: string,
    frame: Uint8Array,
    except: string | undefined,
  ): void;
  /** Queue `frame` on the local connection `connection`, if it is here. */
  deliverToConnection(connection: string, frame: Uint8Array): void;
  /** How many connections are open on this node. */
  localConnectionCount(): number;
  /** How many local connections are in `room`. */
  localRoomSize(room: string): number;
  /** The local members of `room`. */
  localMembers(
    room: string,
  ): Iterable<{ connection: string; user: string | undefined }>;
  /** The rooms the local connections of `user` are in. */
  localUserRooms(user: string): Iterable<string>;
  /** Every local connection in a room, with its user and rooms (for re-synchronisation). */
  localPresence(): PresenceSnapshot;
  /** Optional: a connection on another node joined or left a room. */
  remotePresence?(change: PresenceChange): void;
  /**
   * Optional: another node was presented the resume token `token`. If a
   * local connection holds it live, close that connection, store its
   * session in the shared storage, then resolve `true`; otherwise
   * `false`. Without it, the node answers `false`.
   */
  takeover?(token: string): Promise<boolean>;
}
