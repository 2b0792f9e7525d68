/**
 * Rooms and users: which connections are in which room, which belong to
 * which user, and the groups that address them.
 *
 * @module
 */

import type { ServerConnection } from "./server_connection.ts";
import type { EventMap } from "../driver/connection.ts";
import { type BroadcastCounts, Group, type RemoteSend } from "./group.ts";
import { Membership } from "../shared/membership.ts";

/** What a membership change reports: the room and its new size. */
export interface Presence {
  /** The room. */
  room: string;
  /** How many connections are in it now. */
  size: number;
}

/**
 * Where room and user sends go beyond this node: set on the rooms of a
 * clustered server.
 *
 * @example
 * ```ts
 * import type { RemoteGroups } from "./rooms.ts";
 * const remote: RemoteGroups = {
 *   toRooms: (rooms, frame, except) => console.log(rooms, frame.length, except),
 *   toUser: (user, frame, except) => console.log(user, frame.length, except),
 * };
 * ```
 */
export interface RemoteGroups {
  /** Publishes `frame` for the members of any of `rooms` on the other nodes. */
  toRooms(
    rooms: readonly string[],
    frame: Uint8Array,
    except: string | undefined,
  ): void;
  /** Publishes `frame` for the connections of `user` on the other nodes. */
  toUser(user: string, frame: Uint8Array, except: string | undefined): void;
}

/**
 * The rooms and users of one server. `onPresence` hears every join and
 * leave (the server turns them into `join` and `leave` events).
 *
 * @example
 * ```ts
 * import { Rooms } from "./rooms.ts";
 * import type { ServerConnection } from "./server_connection.ts";
 * declare const conn: ServerConnection<unknown>;
 * const rooms = new Rooms<unknown, Record<string, unknown>>(
 *   (kind, presence) => console.log(kind, presence.room, presence.size),
 * );
 * rooms.join(conn, "lobby");
 * rooms.room("lobby").emit("hello", {});
 * ```
 */
export class Rooms<Data, Out extends EventMap> {
  #rooms = new Membership<ServerConnection<Data>>();
  #users = new Membership<ServerConnection<Data>>();
  /** The other nodes, for a clustered server: every group made after it is set reaches them. */
  remote: RemoteGroups | undefined;
  #onPresence: (
    kind: "join" | "leave",
    presence: Presence,
    conn: ServerConnection<Data>,
  ) => void;
  #counts: BroadcastCounts | undefined;

  /**
   * Rooms that report joins and leaves to `onPresence`; their groups count
   * broadcasts in `counts`.
   */
  constructor(
    onPresence: (
      kind: "join" | "leave",
      presence: Presence,
      conn: ServerConnection<Data>,
    ) => void,
    counts?: BroadcastCounts,
  ) {
    this.#onPresence = onPresence;
    this.#counts = counts;
  }

  /** The connections in `name` (a live view). */
  room(name: string): Group<Data, Out> {
    return new Group(
      () => this.#rooms.membersOf(name),
      () => this.#rooms.size(name),
      this.#toRooms([name]),
      this.#counts,
    );
  }

  /** The connections in any of `rooms`, each once (a live view). */
  union(rooms: readonly string[]): Group<Data, Out> {
    const members = () => this.#rooms.union(rooms);
    return new Group(
      members,
      () => {
        let size = 0;
        for (const _ of members()) size++;
        return size;
      },
      this.#toRooms(rooms),
      this.#counts,
    );
  }

  /** Every open connection of `user` (a live view). */
  user(user: string): Group<Data, Out> {
    const remote = this.remote;
    return new Group(
      () => this.#users.membersOf(user),
      () => this.#users.size(user),
      remote && ((frame, except) => remote.toUser(user, frame, except)),
      this.#counts,
    );
  }

  #toRooms(rooms: readonly string[]): RemoteSend | undefined {
    const remote = this.remote;
    if (remote === undefined) return undefined;
    const names = [...rooms];
    return (frame, except) => remote.toRooms(names, frame, except);
  }

  /** The names of the rooms that have members. */
  names(): IterableIterator<string> {
    return this.#rooms.names();
  }

  /** The rooms `conn` is in. */
  roomsOf(conn: ServerConnection<Data>): ReadonlySet<string> {
    return this.#rooms.namesOf(conn);
  }

  /** Adds `conn` to `room`; `false` if it was already there. */
  join(conn: ServerConnection<Data>, room: string): boolean {
    const size = this.#rooms.add(room, conn);
    if (size < 0) return false;
    this.#onPresence("join", { room, size }, conn);
    return true;
  }

  /** Removes `conn` from `room`; `false` if it was not there. */
  leave(conn: ServerConnection<Data>, room: string): boolean {
    const size = this.#rooms.remove(room, conn);
    if (size < 0) return false;
    this.#onPresence("leave", { room, size }, conn);
    return true;
  }

  /** The user `conn` belongs to. */
  userOf(conn: ServerConnection<Data>): string | undefined {
    for (const user of this.#users.namesOf(conn)) return user;
    return undefined;
  }

  /** Ties `conn` to `user` (`undefined`: to none). */
  setUser(conn: ServerConnection<Data>, user: string | undefined): void {
    this.#users.removeAll(conn);
    if (user !== undefined) this.#users.add(user, conn);
  }

  /** `conn` closed: it leaves every room (one leave each) and its user. */
  removeAll(conn: ServerConnection<Data>): void {
    for (const [room, size] of this.#rooms.removeAll(conn)) {
      this.#onPresence("leave", { room, size }, conn);
    }
    this.#users.removeAll(conn);
  }
}
