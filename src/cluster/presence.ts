/**
 * Presence as the cluster sees it: who is in which room on which node. A
 * node owns its local presence (the server's rooms and users); of every
 * other node it keeps a replica, fed by that node's join/leave operations
 * and replaced wholesale by its snapshots.
 *
 * @module
 */

import { Membership } from "../shared/membership.ts";

/**
 * One connection of a node's presence: its id, its user (or `null`) and the
 * rooms it is in. Connections in no room are not part of presence.
 *
 * @example
 * ```ts
 * import type { PresenceEntry } from "./presence.ts";
 * const entry: PresenceEntry = ["conn-1", "alice", ["lobby", "games"]];
 * ```
 */
export type PresenceEntry = [
  connection: string,
  user: string | null,
  rooms: string[],
];

/**
 * A node's whole presence at one moment: how many connections it has open,
 * and every connection that is in at least one room.
 *
 * @example
 * ```ts
 * import type { PresenceSnapshot } from "./presence.ts";
 * const snapshot: PresenceSnapshot = {
 *   connections: 2,
 *   members: [["conn-1", "alice", ["lobby"]]],
 * };
 * ```
 */
export interface PresenceSnapshot {
  /** Open connections on the node (in a room or not). */
  connections: number;
  /** The connections that are in at least one room. */
  members: PresenceEntry[];
}

/**
 * A member of a room somewhere in the cluster.
 *
 * @example
 * ```ts
 * import type { ClusterMember } from "./presence.ts";
 * const member: ClusterMember = { connection: "conn-1", user: "alice", node: "eu-1a2b3c4d" };
 * ```
 */
export interface ClusterMember {
  /** The connection id. */
  connection: string;
  /** The connection's user, if it has one. */
  user: string | undefined;
  /** The id of the node the connection is open on. */
  node: string;
}

/**
 * A change of a room's membership on another node, with the room's
 * cluster-wide size after it.
 *
 * @example
 * ```ts
 * import type { PresenceChange } from "./presence.ts";
 * const change: PresenceChange = {
 *   kind: "join", room: "lobby", connection: "conn-9", user: undefined, node: "n2", size: 3,
 * };
 * ```
 */
export interface PresenceChange {
  /** `"join"` or `"leave"`. */
  kind: "join" | "leave";
  /** The room. */
  room: string;
  /** The connection that joined or left. */
  connection: string;
  /** Its user, if known. */
  user: string | undefined;
  /** The node it is open on. */
  node: string;
  /** The room's cluster-wide size after the change. */
  size: number;
}

/**
 * Receives each membership change a {@link PresenceReplica} applies.
 *
 * @example
 * ```ts
 * import type { ReplicaListener } from "./presence.ts";
 * const log: ReplicaListener = (kind, room, connection) => console.log(kind, room, connection);
 * ```
 */
export type ReplicaListener = (
  kind: "join" | "leave",
  room: string,
  connection: string,
  user: string | undefined,
) => void;

/**
 * The presence of one remote node, as far as its operations and snapshots
 * told: room membership in both directions, and each member's user.
 *
 * @example
 * ```ts
 * import { PresenceReplica } from "./presence.ts";
 * const replica = new PresenceReplica();
 * replica.join("conn-1", "lobby", "alice", () => {});
 * console.log(replica.rooms.size("lobby")); // 1
 * console.log([...replica.roomsOfUser("alice")]); // ["lobby"]
 * ```
 */
export class PresenceReplica {
  /** Room name → connection ids. */
  readonly rooms: Membership<string> = new Membership<string>();
  /** User → connection ids (only connections in some room). */
  readonly users: Membership<string> = new Membership<string>();
  #userOf = new Map<string, string>();

  /** The user of `connection`, if known. */
  userOf(connection: string): string | undefined {
    return this.#userOf.get(connection);
  }

  /** Adds `connection` to `room`; returns whether it was not there yet. */
  join(
    connection: string,
    room: string,
    user: string | undefined,
    listener: ReplicaListener,
  ): boolean {
    if (user !== undefined) this.#setUser(connection, user);
    if (this.rooms.add(room, connection) < 0) return false;
    listener("join", room, connection, this.#userOf.get(connection));
    return true;
  }

  /** Removes `connection` from `room`; returns whether it was there. */
  leave(connection: string, room: string, listener: ReplicaListener): boolean {
    if (this.rooms.remove(room, connection) < 0) return false;
    const user = this.#userOf.get(connection);
    if (this.rooms.namesOf(connection).size === 0) this.#forget(connection);
    listener("leave", room, connection, user);
    return true;
  }

  /** Records `connection`'s user; ignored for a connection in no room. */
  setUser(connection: string, user: string | undefined): void {
    if (this.rooms.namesOf(connection).size === 0) return;
    if (user === undefined) this.#forget(connection);
    else this.#setUser(connection, user);
  }

  /** Removes `connection` from every room. */
  gone(connection: string, listener: ReplicaListener): void {
    for (const room of [...this.rooms.namesOf(connection)]) {
      this.leave(connection, room, listener);
    }
  }

  /** Removes everybody (the node died or left). */
  clear(listener: ReplicaListener): void {
    for (const room of [...this.rooms.names()]) {
      for (const connection of [...this.rooms.membersOf(room)]) {
        this.leave(connection, room, listener);
      }
    }
  }

  /**
   * Makes this replica equal to `members`, reporting each difference: the
   * leaves first, then the joins.
   */
  replace(members: readonly PresenceEntry[], listener: ReplicaListener): void {
    const wanted = new Map<string, PresenceEntry>();
    for (const entry of members) wanted.set(entry[0], entry);
    for (const room of [...this.rooms.names()]) {
      for (const connection of [...this.rooms.membersOf(room)]) {
        const entry = wanted.get(connection);
        if (entry === undefined || !entry[2].includes(room)) {
          this.leave(connection, room, listener);
        }
      }
    }
    for (const [connection, user, rooms] of wanted.values()) {
      if (rooms.length === 0) continue;
      this.#forget(connection);
      if (user !== null) this.#setUser(connection, user);
      for (const room of rooms) {
        this.join(connection, room, user ?? undefined, listener);
      }
    }
  }

  /** The rooms `user`'s connections are in, each once. */
  roomsOfUser(user: string): Set<string> {
    const rooms = new Set<string>();
    for (const connection of this.users.membersOf(user)) {
      for (const room of this.rooms.namesOf(connection)) rooms.add(room);
    }
    return rooms;
  }

  #setUser(connection: string, user: string): void {
    if (this.#userOf.get(connection) === user) return;
    this.#forget(connection);
    this.#userOf.set(connection, user);
    this.users.add(user, connection);
  }

  #forget(connection: string): void {
    const user = this.#userOf.get(connection);
    if (user === undefined) return;
    this.#userOf.delete(connection);
    this.users.remove(user, connection);
  }
}
