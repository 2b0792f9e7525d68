/**
 * `server.cluster`: what a clustered server's application can ask of the
 * cluster. Presence from the replicas (no waiting), queries answered by
 * every live node (bounded by the query timeout, never waiting for a dead
 * node), the node's status and counters.
 *
 * @module
 */

import type { BackplaneStatus } from "../cluster/backplane.ts";
import type {
  ClusterAnswer,
  ClusterNode,
  ClusterStats,
} from "../cluster/cluster_node.ts";
import type { ClusterMember } from "../cluster/presence.ts";

/**
 * The cluster as one server sees it.
 *
 * The presence methods ({@link roomSize}, {@link roomMembers},
 * {@link userRooms}, {@link rooms}, {@link connectionCount}) answer at once
 * from this node's replicas of the others: eventually consistent, one
 * pass through the backplane behind. The `query*` methods ask every live
 * node now and resolve when all answered or at the query timeout
 * (`cluster.queryTimeout`, default 1000 ms), naming in `missing` the nodes
 * that did not answer; nodes declared dead are never waited for.
 *
 * @example
 * ```ts
 * import { Server } from "@anyws/anyws";
 * import { redisBackplane } from "@anyws/anyws/engines/redis";
 * const server = new Server({ port: 0, backplane: redisBackplane({ url: "redis://127.0.0.1:6379" }) });
 * server.on("join", ({ room, size }) => console.log(`${room}: ${size} in the cluster`));
 * server.on("presence", ({ kind, room, node, size }) => console.log(kind, room, node, size));
 * const cluster = server.cluster!;
 * console.log(cluster.roomSize("lobby"), cluster.nodes());
 * const { value, missing } = await cluster.queryMembers("lobby");
 * console.log(value.map((m) => m.user), missing);
 * ```
 */
export class ServerCluster {
  #node: ClusterNode;
  #localRooms: () => Iterable<string>;

  /** The view of `node`; `localRooms` lists this server's rooms with members. */
  constructor(node: ClusterNode, localRooms: () => Iterable<string>) {
    this.#node = node;
    this.#localRooms = localRooms;
  }

  /** This node's id: its name (if any) and a random suffix. */
  get id(): string {
    return this.#node.id;
  }

  /** `"down"`: the backplane is unreachable; local delivery goes on, cross-node messages are queued. */
  get status(): BackplaneStatus {
    return this.#node.status;
  }

  /** The node's counters (published, received, queued, dropped, missed, ...). */
  get stats(): ClusterStats {
    return this.#node.stats;
  }

  /** The ids of the live nodes, this one first. */
  nodes(): string[] {
    return this.#node.nodes();
  }

  /** Open connections in the cluster: this node's now, the others' as of their last heartbeat. */
  connectionCount(): number {
    return this.#node.connectionCount();
  }

  /** How many connections are in `room` on every node. */
  roomSize(room: string): number {
    return this.#node.roomSize(room);
  }

  /** The members of `room` on every node (this node's first). */
  roomMembers(room: string): ClusterMember[] {
    return this.#node.roomMembers(room);
  }

  /** The rooms the connections of `user` are in, on every node. */
  userRooms(user: string): string[] {
    return this.#node.userRooms(user);
  }

  /** The rooms that have members on some node. */
  rooms(): string[] {
    const names = new Set(this.#localRooms());
    for (const room of this.#node.remoteRooms()) names.add(room);
    return [...names];
  }

  /** Open connections, counted by every live node now. */
  queryConnections(): Promise<ClusterAnswer<number>> {
    return this.#node.queryConnections();
  }

  /** The size of each of `rooms`, counted by every live node now. */
  queryRoomSizes(
    rooms: readonly string[],
  ): Promise<ClusterAnswer<Map<string, number>>> {
    return this.#node.queryRoomSizes(rooms);
  }

  /** The members of `room`, listed by every live node now. */
  queryMembers(room: string): Promise<ClusterAnswer<ClusterMember[]>> {
    return this.#node.queryMembers(room);
  }

  /** The rooms of `user`'s connections, listed by every live node now. */
  queryUserRooms(user: string): Promise<ClusterAnswer<string[]>> {
    return this.#node.queryUserRooms(user);
  }
}
