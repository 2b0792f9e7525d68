/**
 * Rooms and users: which connections are in which room, which belong to
 * which user, and the groups that address them.
 *
 * @module
 */

import type { ConnectionDriver } from "../driver/connection_driver.ts";
import type { EventMap } from "../driver/connection.ts";
import { type BroadcastCounts, Group } from "./group.ts";
import { Membership } from "../shared/membership.ts";

/** What a membership change reports: the room and its new size. */
export interface Presence {
  /** The room. */
  room: string;
  /** How many connections are in it now. */
  size: number;
}

/**
 * The rooms and users of one server. `onPresence` hears every join and
 * leave (the server turns them into `join` and `leave` events).
 *
 * @example
 * ```ts
 * import { Rooms } from "./rooms.ts";
 * import type { ConnectionDriver } from "../driver/connection_driver.ts";
 * declare const conn: ConnectionDriver<unknown>;
 * const rooms = new Rooms<unknown, Record<string, unknown>>(
 *   (kind, presence) => console.log(kind, presence.room, presence.size),
 * );
 * rooms.join(conn, "lobby");
 * rooms.room("lobby").emit("hello", {});
 * ```
 */
export class Rooms<Data, Out extends EventMap> {
  #rooms = new Membership<ConnectionDriver<Data>>();
  #users = new Membership<ConnectionDriver<Data>>();
  #onPresence: (
    kind: "join" | "leave",
    presence: Presence,
    conn: ConnectionDriver<Data>,
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
      conn: ConnectionDriver<Data>,
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
      this.#counts,
    );
  }

  /** The connections in any of `rooms`, each once (a live view). */
  union(rooms: readonly string[]): Group<Data, Out> {
    const members = () => this.#rooms.union(rooms);
    return new Group(members, () => {
      let size = 0;
      for (const _ of members()) size++;
      return size;
    }, this.#counts);
  }

  /** Every open connection of `user` (a live view). */
  user(user: string): Group<Data, Out> {
    return new Group(
      () => this.#users.membersOf(user),
      () => this.#users.size(user),
      this.#counts,
    );
  }

  /** The names of the rooms that have members. */
  names(): IterableIterator<string> {
    return this.#rooms.names();
  }

  /** The rooms `conn` is in. */
  roomsOf(conn: ConnectionDriver<Data>): ReadonlySet<string> {
    return this.#rooms.namesOf(conn);
  }

  /** Adds `conn` to `room`; `false` if it was already there. */
  join(conn: ConnectionDriver<Data>, room: string): boolean {
    const size = this.#rooms.add(room, conn);
    if (size < 0) return false;
    this.#onPresence("join", { room, size }, conn);
    return true;
  }

  /** Removes `conn` from `room`; `false` if it was not there. */
  leave(conn: ConnectionDriver<Data>, room: string): boolean {
    const size = this.#rooms.remove(room, conn);
    if (size < 0) return false;
    this.#onPresence("leave", { room, size }, conn);
    return true;
  }

  /** The user `conn` belongs to. */
  userOf(conn: ConnectionDriver<Data>): string | undefined {
    for (const user of this.#users.namesOf(conn)) return user;
    return undefined;
  }

  /** Ties `conn` to `user` (`undefined`: to none). */
  setUser(conn: ConnectionDriver<Data>, user: string | undefined): void {
    this.#users.removeAll(conn);
    if (user !== undefined) this.#users.add(user, conn);
  }

  /** `conn` closed: it leaves every room (one leave each) and its user. */
  removeAll(conn: ConnectionDriver<Data>): void {
    for (const [room, size] of this.#rooms.removeAll(conn)) {
      this.#onPresence("leave", { room, size }, conn);
    }
    this.#users.removeAll(conn);
  }
}
