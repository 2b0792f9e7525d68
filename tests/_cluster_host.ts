// A stand-in server for the cluster tests: local connections, rooms and
// users, with every remote delivery recorded as (connection, text) so tests
// can check who got what, in which order, and that nobody got it twice.
import {
  ClusterNode,
  type ClusterNodeOptions,
} from "../src/cluster/cluster_node.ts";
import type { ClusterHost } from "../src/cluster/host.ts";
import type { Backplane } from "../src/cluster/backplane.ts";
import type {
  PresenceChange,
  PresenceSnapshot,
} from "../src/cluster/presence.ts";
import type { ClusterError } from "../src/cluster/cluster_error.ts";
import { Membership } from "../src/shared/membership.ts";

/** The text payload of one unmasked frame. */
export function frameText(frame: Uint8Array): string {
  let length = frame[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    length = (frame[2] << 8) | frame[3];
    offset = 4;
  } else if (length === 127) {
    length = Number(
      new DataView(frame.buffer, frame.byteOffset + 2, 8).getBigUint64(0),
    );
    offset = 10;
  }
  return new TextDecoder().decode(frame.subarray(offset, offset + length));
}

export class TestHost implements ClusterHost {
  readonly users = new Map<string, string | undefined>();
  readonly rooms = new Membership<string>();
  readonly userConnections = new Membership<string>();
  /** `${connection}:${text}` for every frame queued on a local connection. */
  readonly received: string[] = [];
  readonly changes: PresenceChange[] = [];
  readonly errors: ClusterError[] = [];
  node!: ClusterNode;
  /** What this host answers to a session takeover; unset: the node says no. */
  takeover: ((token: string) => Promise<boolean>) | undefined;

  /** Creates and starts the node of this host. */
  attach(backplane: Backplane, options: ClusterNodeOptions = {}): ClusterNode {
    this.node = new ClusterNode(backplane, this, {
      ...options,
      onError: (error) => this.errors.push(error),
    });
    this.node.start();
    return this.node;
  }

  // ── the server's side: local changes, told to the node ──

  open(connection: string, user?: string): void {
    this.users.set(connection, user);
    if (user !== undefined) this.userConnections.add(user, connection);
  }

  join(connection: string, room: string): void {
    if (this.rooms.add(room, connection) > 0) {
      this.node.joined(connection, room, this.users.get(connection));
    }
  }

  leave(connection: string, room: string): void {
    if (this.rooms.remove(room, connection) >= 0) {
      this.node.left(connection, room);
    }
  }

  setUser(connection: string, user: string | undefined): void {
    this.userConnections.removeAll(connection);
    this.users.set(connection, user);
    if (user !== undefined) this.userConnections.add(user, connection);
    this.node.userChanged(connection, user);
  }

  close(connection: string): void {
    const wasInRooms = this.rooms.removeAll(connection).length > 0;
    this.userConnections.removeAll(connection);
    this.users.delete(connection);
    if (wasInRooms) this.node.closed(connection);
  }

  /** What `connection` received, in order. */
  textsOf(connection: string): string[] {
    const prefix = `${connection}:`;
    return this.received.filter((entry) => entry.startsWith(prefix)).map((
      entry,
    ) => entry.slice(prefix.length));
  }

  // ── ClusterHost ──

  deliverToAll(frame: Uint8Array, except: string | undefined): void {
    for (const connection of this.users.keys()) {
      if (connection !== except) this.#queue(connection, frame);
    }
  }

  deliverToRooms(
    rooms: readonly string[],
    frame: Uint8Array,
    except: string | undefined,
  ): void {
    for (const connection of this.rooms.union(rooms)) {
      if (connection !== except) this.#queue(connection, frame);
    }
  }

  deliverToUser(
    user: string,
    frame: Uint8Array,
    except: string | undefined,
  ): void {
    for (const connection of this.userConnections.membersOf(user)) {
      if (connection !== except) this.#queue(connection, frame);
    }
  }

  deliverToConnection(connection: string, frame: Uint8Array): void {
    if (this.users.has(connection)) this.#queue(connection, frame);
  }

  localConnectionCount(): number {
    return this.users.size;
  }

  localRoomSize(room: string): number {
    return this.rooms.size(room);
  }

  *localMembers(
    room: string,
  ): Iterable<{ connection: string; user: string | undefined }> {
    for (const connection of this.rooms.membersOf(room)) {
      yield { connection, user: this.users.get(connection) };
    }
  }

  localUserRooms(user: string): Iterable<string> {
    const rooms = new Set<string>();
    for (const connection of this.userConnections.membersOf(user)) {
      for (const room of this.rooms.namesOf(connection)) rooms.add(room);
    }
    return rooms;
  }

  localPresence(): PresenceSnapshot {
    const members: PresenceSnapshot["members"] = [];
    for (const [connection, user] of this.users) {
      const rooms = [...this.rooms.namesOf(connection)];
      if (rooms.length > 0) members.push([connection, user ?? null, rooms]);
    }
    return { connections: this.users.size, members };
  }

  remotePresence(change: PresenceChange): void {
    this.changes.push(change);
  }

  #queue(connection: string, frame: Uint8Array): void {
    this.received.push(`${connection}:${frameText(frame)}`);
  }
}
