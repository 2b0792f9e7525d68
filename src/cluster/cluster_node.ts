// Long file: one node's state machine: membership, heartbeats, presence, the outbox and queries all read and write the node's sequence numbers and peer table.
/**
 * One node of a cluster of servers: the pure logic between a server
 * ({@link ClusterHost}) and a {@link Backplane}. It publishes the server's
 * cross-node operations, hands the server what other nodes published, keeps
 * a replica of every other node's presence, answers and asks cluster
 * queries, and tracks which nodes are alive. docs/cluster.md has the
 * guarantees and the policies.
 *
 * @module
 */

import type { Backplane, BackplaneStatus } from "./backplane.ts";
import { type Clock, systemClock } from "../shared/clock.ts";
import { ClusterError } from "./cluster_error.ts";
import type { ClusterHost } from "./host.ts";
import { Outbox } from "./outbox.ts";
import {
  type ClusterMember,
  PresenceReplica,
  type PresenceSnapshot,
} from "./presence.ts";
import {
  type ClusterQuery,
  decodeWire,
  encodeWire,
  isValidNodeId,
  type WireBody,
  WireError,
  type WireMessage,
} from "./wire.ts";

/**
 * Options of a {@link ClusterNode}. Times are in milliseconds.
 *
 * @example
 * ```ts
 * import type { ClusterNodeOptions } from "./cluster_node.ts";
 * const options: ClusterNodeOptions = {
 *   namespace: "chat",
 *   nodeName: "eu-1",
 *   heartbeatInterval: 1000,
 *   deadAfter: 5000, // a SIGKILLed node is gone from presence within 6 s
 *   onError: (error) => console.error(error.code, error.message),
 * };
 * ```
 */
export interface ClusterNodeOptions {
  /** Prefix of the backplane channels; nodes with the same namespace form one cluster. Default `"anyws"`. */
  namespace?: string;
  /** Readable start of the node id (a random suffix is added). Default none. */
  nodeName?: string;
  /** How often the node says it is alive, and checks the others. Default 1000. */
  heartbeatInterval?: number;
  /**
   * A node not heard from for longer than this is dead: it leaves presence,
   * counts and queries. It is noticed at the next check, so a node that
   * stops (SIGKILL) is gone everywhere within `deadAfter + heartbeatInterval`.
   * Default 5000.
   */
  deadAfter?: number;
  /** How long a query waits for the live nodes' answers. Default 1000. */
  queryTimeout?: number;
  /**
   * After the backplane comes back, how long queued messages wait for the
   * nodes known before the outage to show they are listening again, so
   * they do not miss the flush. Default `deadAfter`.
   */
  flushWait?: number;
  /** Most cross-node messages queued or in flight (outage buffer). Default 10 000. */
  maxPendingMessages?: number;
  /** Most bytes queued or in flight (outage buffer). Default 16 MiB. */
  maxPendingBytes?: number;
  /** Wait before re-sending after a failed publish while the backplane still says up. Default 1000. */
  retryDelay?: number;
  /** Most queries waiting for answers at once; past it, a query answers locally at once. Default 1000. */
  maxQueries?: number;
  /** Most other nodes tracked. Default 1024. */
  maxNodes?: number;
  /** Time source (a fake one in tests). Default the real clock. */
  clock?: Clock;
  /** Receives every {@link ClusterError}. Default: `console.error`. */
  onError?: (error: ClusterError) => void;
}

/**
 * Counters of a {@link ClusterNode}.
 *
 * @example
 * ```ts
 * import type { ClusterStats } from "./cluster_node.ts";
 * const show = (stats: ClusterStats) => `${stats.nodes} nodes, ${stats.dropped} dropped`;
 * ```
 */
export interface ClusterStats {
  /** Operations published (each took a sequence number). */
  published: number;
  /** Messages from other nodes accepted. */
  received: number;
  /** Messages waiting in the outage buffer now (operations, and snapshots asked for). */
  queued: number;
  /** Operations dropped because the outage buffer was full. */
  dropped: number;
  /** Messages of other nodes received twice (re-sent after a failed publish) and ignored. */
  duplicates: number;
  /** Messages of other nodes that never arrived (skipped sequence numbers). */
  missed: number;
  /** Messages that could not be read (malformed, another wire version). */
  rejected: number;
  /** Other nodes alive now. */
  nodes: number;
}

/**
 * The answer to a cluster query: the combined value, the nodes that
 * answered (this one first) and the live nodes that did not answer in time.
 *
 * @example
 * ```ts
 * import type { ClusterAnswer } from "./cluster_node.ts";
 * const answer: ClusterAnswer<number> = { value: 42, nodes: ["n1", "n2"], missing: [] };
 * ```
 */
export interface ClusterAnswer<T> {
  /** The value over every node that answered. */
  value: T;
  /** The nodes that answered, this one first. */
  nodes: string[];
  /** Live nodes that did not answer before the timeout. */
  missing: string[];
}

/** What this node knows of another node. */
interface Peer {
  id: string;
  /** The last sequence number applied, or undefined before the first. */
  last: number | undefined;
  lastHeard: number;
  connections: number;
  replica: PresenceReplica;
  /** The replica may be wrong (messages were missed): a snapshot was asked for. */
  stale: boolean;
  syncAskedAt: number;
}

interface PendingQuery {
  query: ClusterQuery;
  expected: Set<string>;
  answers: Map<string, unknown>;
  timer: unknown;
  finish(): void;
}

const DEFAULTS = {
  namespace: "anyws",
  heartbeatInterval: 1000,
  deadAfter: 5000,
  queryTimeout: 1000,
  maxPendingMessages: 10_000,
  maxPendingBytes: 16 * 1024 * 1024,
  retryDelay: 1000,
  maxQueries: 1000,
  maxNodes: 1024,
};

/** How long close() waits for its goodbye to be published. */
const BYE_TIMEOUT = 1000;

/**
 * A server's membership in a cluster.
 *
 * The server does its local delivery itself and tells the node about every
 * operation that must reach other nodes ({@link broadcast}, {@link toRooms},
 * {@link toUser}, {@link toConnection}) and every presence change
 * ({@link joined}, {@link left}, {@link userChanged}, {@link closed}). The
 * node publishes each once, numbered, and calls the host's `deliver*`
 * methods with what other nodes published, in each publisher's order.
 *
 * @example
 * ```ts
 * import { ClusterNode } from "./cluster_node.ts";
 * import type { ClusterHost } from "./host.ts";
 * import { MemoryHub } from "./memory_backplane.ts";
 * import { encodeFrame } from "@anyws/anyws/protocol";
 * import { Frame } from "@anyws/anyws";
 * const host: ClusterHost = {
 *   deliverToAll: (frame) => console.log("deliver", frame.length, "bytes"),
 *   deliverToRooms: () => {},
 *   deliverToUser: () => {},
 *   deliverToConnection: () => {},
 *   localConnectionCount: () => 0,
 *   localRoomSize: () => 0,
 *   localMembers: () => [],
 *   localUserRooms: () => [],
 *   localPresence: () => ({ connections: 0, members: [] }),
 * };
 * const hub = new MemoryHub();
 * const a = new ClusterNode(hub.backplane(), host);
 * const b = new ClusterNode(hub.backplane(), host);
 * a.start();
 * b.start();
 * a.broadcast(encodeFrame(Frame.text("hello everyone"))); // b's host delivers it
 * await a.close();
 * await b.close();
 * ```
 */
export class ClusterNode {
  /** This node's id: unique per instance. */
  readonly id: string;
  #backplane: Backplane;
  #host: ClusterHost;
  #clock: Clock;
  #onError: (error: ClusterError) => void;
  #heartbeatInterval: number;
  #deadAfter: number;
  #queryTimeout: number;
  #flushWait: number;
  #maxQueries: number;
  #maxNodes: number;
  #opsChannel: string;
  #namespace: string;
  #outbox: Outbox;

  #started = false;
  #closed = false;
  #everUp = false;
  #seq = 0;
  #peers = new Map<string, Peer>();
  #remoteSizes = new Map<string, number>();
  #queries = new Map<number, PendingQuery>();
  #queryId = 0;
  #tick: unknown;
  #flushTimer: unknown;
  #awaiting: Set<string> | undefined;
  #peersAtDown: Set<string> | undefined;
  #unsubscribe: Array<() => void> = [];
  #versionsReported = new Set<number>();
  #lastMalformedReport = -Infinity;
  #stats = {
    published: 0,
    received: 0,
    duplicates: 0,
    missed: 0,
    rejected: 0,
  };

  /** A node on `backplane` serving `host`; call {@link start} to join. */
  constructor(
    backplane: Backplane,
    host: ClusterHost,
    options: ClusterNodeOptions = {},
  ) {
    this.#backplane = backplane;
    this.#host = host;
    this.#clock = options.clock ?? systemClock;
    this.#onError = options.onError ??
      ((error) => console.error(`anyws cluster: ${error.message}`));
    this.#heartbeatInterval = positive(
      options.heartbeatInterval,
      DEFAULTS.heartbeatInterval,
      "heartbeatInterval",
    );
    this.#deadAfter = positive(
      options.deadAfter,
      DEFAULTS.deadAfter,
      "deadAfter",
    );
    this.#queryTimeout = positive(
      options.queryTimeout,
      DEFAULTS.queryTimeout,
      "queryTimeout",
    );
    this.#flushWait = positive(options.flushWait, this.#deadAfter, "flushWait");
    this.#maxQueries = positive(
      options.maxQueries,
      DEFAULTS.maxQueries,
      "maxQueries",
    );
    this.#maxNodes = positive(options.maxNodes, DEFAULTS.maxNodes, "maxNodes");
    this.#namespace = options.namespace ?? DEFAULTS.namespace;
    this.#opsChannel = `${this.#namespace}:ops`;
    this.id = nodeId(options.nodeName);
    this.#outbox = new Outbox(backplane, backplane.status === "up", {
      maxMessages: positive(
        options.maxPendingMessages,
        DEFAULTS.maxPendingMessages,
        "maxPendingMessages",
      ),
      maxBytes: positive(
        options.maxPendingBytes,
        DEFAULTS.maxPendingBytes,
        "maxPendingBytes",
      ),
      retryDelay: positive(
        options.retryDelay,
        DEFAULTS.retryDelay,
        "retryDelay",
      ),
      clock: this.#clock,
      onDrop: () =>
        this.#report(
          new ClusterError(
            "dropped",
            "the outage buffer is full: cross-node messages are dropped until the backplane catches up",
          ),
        ),
      onFailure: (error) =>
        this.#report(
          new ClusterError(
            "backplane",
            `publishing failed (${
              describe(error)
            }): cross-node messages are kept and re-sent in order`,
            undefined,
            { cause: error },
          ),
        ),
    });
  }

  /** The backplane's status: `"down"` means local delivery only, cross-node messages queued. */
  get status(): BackplaneStatus {
    return this.#backplane.status;
  }

  /** The counters. */
  get stats(): ClusterStats {
    return {
      ...this.#stats,
      queued: this.#outbox.queued,
      dropped: this.#outbox.dropped,
      nodes: this.#peers.size,
    };
  }

  /** How long a query waits for the live nodes' answers, in ms. */
  get queryTimeout(): number {
    return this.#queryTimeout;
  }

  /** The prefix of the channels (and of the shared storage's keys). */
  get namespace(): string {
    return this.#namespace;
  }

  /** The channel this node's operations, heartbeats and queries go on. */
  get opsChannel(): string {
    return this.#opsChannel;
  }

  /** The channel messages for this node alone go on (snapshots, answers). */
  get nodeChannel(): string {
    return this.#channelOf(this.id);
  }

  /** Joins the cluster: subscribes, says hello (with the local presence), starts heartbeating. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const receive = (bytes: Uint8Array) => this.#receive(bytes);
    this.#unsubscribe.push(
      this.#backplane.subscribe(this.#opsChannel, receive),
      this.#backplane.subscribe(this.nodeChannel, receive),
    );
    // Subscribing may take the backplane down until the subscriptions are
    // active: the hello then waits for "up".
    const up = this.#backplane.status === "up";
    this.#everUp = up;
    this.#outbox.setUp(up);
    this.#unsubscribe.push(
      this.#backplane.onStatus((status) => this.#statusChanged(status)),
    );
    this.#publish({ kind: "hello", snapshot: this.#localPresence() });
    this.#scheduleTick();
  }

  /**
   * Leaves the cluster: says goodbye (so the others drop this node's
   * presence at once), stops the timers, unsubscribes, answers pending
   * queries with what they have. Queued messages are discarded. The
   * backplane stays open: close it after.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clock.clearTimeout(this.#tick);
    this.#clock.clearTimeout(this.#flushTimer);
    for (const pending of [...this.#queries.values()]) pending.finish();
    if (this.#started) {
      const bye = this.#outbox.sendNow(
        this.#opsChannel,
        this.#encode({ kind: "bye" }, this.#seq),
      );
      let timer: unknown;
      await Promise.race([
        bye,
        new Promise((resolve) => {
          timer = this.#clock.setTimeout(() => resolve(false), BYE_TIMEOUT);
        }),
      ]);
      this.#clock.clearTimeout(timer);
    }
    this.#outbox.close();
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    this.#peers.clear();
    this.#remoteSizes.clear();
  }

  // ── operations the server publishes ────────────────────────────────────

  /** Every connection on the other nodes gets `frame` (but `except`). */
  broadcast(frame: Uint8Array, except?: string): void {
    this.#publish({ kind: "all", except, frame });
  }

  /** Every connection on the other nodes in any of `rooms` gets `frame` once (but `except`). */
  toRooms(rooms: readonly string[], frame: Uint8Array, except?: string): void {
    if (rooms.length === 0) return;
    this.#publish({ kind: "rooms", rooms: [...rooms], except, frame });
  }

  /** Every connection of `user` on the other nodes gets `frame` (but `except`). */
  toUser(user: string, frame: Uint8Array, except?: string): void {
    this.#publish({ kind: "user", user, except, frame });
  }

  /** The connection `connection`, open on another node, gets `frame`. */
  toConnection(connection: string, frame: Uint8Array): void {
    this.#publish({ kind: "connection", connection, frame });
  }

  /** A local connection joined `room` (with its user, if it has one). */
  joined(connection: string, room: string, user?: string): void {
    this.#publish({ kind: "join", connection, room, user });
  }

  /** A local connection left `room`. */
  left(connection: string, room: string): void {
    this.#publish({ kind: "leave", connection, room });
  }

  /** A local connection's user changed (`undefined`: detached). */
  userChanged(connection: string, user: string | undefined): void {
    this.#publish({ kind: "setUser", connection, user });
  }

  /** A local connection that was in some room closed: it leaves all of them at once. */
  closed(connection: string): void {
    this.#publish({ kind: "gone", connection });
  }

  // ── presence, from the replicas (no waiting) ───────────────────────────

  /** Members of `room` in the whole cluster (local + every live node's replica). */
  roomSize(room: string): number {
    return this.#hostCall(() => this.#host.localRoomSize(room), 0) +
      (this.#remoteSizes.get(room) ?? 0);
  }

  /** The members of `room` in the whole cluster, this node's first. */
  roomMembers(room: string): ClusterMember[] {
    const members: ClusterMember[] = [];
    for (
      const { connection, user } of this.#hostCall(
        () => [...this.#host.localMembers(room)],
        [],
      )
    ) {
      members.push({ connection, user, node: this.id });
    }
    for (const peer of this.#peers.values()) {
      for (const connection of peer.replica.rooms.membersOf(room)) {
        members.push({
          connection,
          user: peer.replica.userOf(connection),
          node: peer.id,
        });
      }
    }
    return members;
  }

  /** The rooms the connections of `user` are in, anywhere in the cluster. */
  userRooms(user: string): string[] {
    const rooms = new Set(
      this.#hostCall(() => [...this.#host.localUserRooms(user)], []),
    );
    for (const peer of this.#peers.values()) {
      for (const room of peer.replica.roomsOfUser(user)) rooms.add(room);
    }
    return [...rooms];
  }

  /** Open connections in the cluster: local now, others as of their last heartbeat. */
  connectionCount(): number {
    let count = this.#hostCall(() => this.#host.localConnectionCount(), 0);
    for (const peer of this.#peers.values()) count += peer.connections;
    return count;
  }

  /** The rooms that have members on the other live nodes (from the replicas). */
  remoteRooms(): IterableIterator<string> {
    return this.#remoteSizes.keys();
  }

  /** The ids of the live nodes, this one first. */
  nodes(): string[] {
    return [this.id, ...this.#peers.keys()];
  }

  // ── queries, answered by every live node ───────────────────────────────

  /** Open connections, counted by every live node now. */
  queryConnections(): Promise<ClusterAnswer<number>> {
    return this.#query({ kind: "connections" }, 0, (total, value) => {
      return isCount(value) ? total + value : undefined;
    });
  }

  /** The size of each of `rooms`, counted by every live node now. */
  queryRoomSizes(
    rooms: readonly string[],
  ): Promise<ClusterAnswer<Map<string, number>>> {
    const names = [...new Set(rooms)];
    return this.#query(
      { kind: "roomSizes", rooms: names },
      new Map(names.map((room) => [room, 0])),
      (sizes, value) => {
        if (
          !Array.isArray(value) || value.length !== names.length ||
          !value.every(isCount)
        ) return undefined;
        names.forEach((room, i) =>
          sizes.set(room, sizes.get(room)! + value[i])
        );
        return sizes;
      },
    );
  }

  /** The members of `room`, listed by every live node now. */
  queryMembers(room: string): Promise<ClusterAnswer<ClusterMember[]>> {
    return this.#query(
      { kind: "members", room },
      [] as ClusterMember[],
      (members, value, node) => {
        if (!Array.isArray(value) || !value.every(isMemberPair)) {
          return undefined;
        }
        for (const [connection, user] of value) {
          members.push({ connection, user: user ?? undefined, node });
        }
        return members;
      },
    );
  }

  /** The rooms `user`'s connections are in, listed by every live node now. */
  queryUserRooms(user: string): Promise<ClusterAnswer<string[]>> {
    return this.#query(
      { kind: "userRooms", user },
      [] as string[],
      (rooms, value) => {
        if (!Array.isArray(value) || !value.every(isString)) return undefined;
        for (const room of value) if (!rooms.includes(room)) rooms.push(room);
        return rooms;
      },
    );
  }

  /**
   * Asks the other live nodes to give up the live session of resume token
   * `token` (see the `takeover` query); resolves with `true` as soon as
   * one did, or `false` once every node said no or the query timed out.
   */
  queryTakeover(token: string): Promise<ClusterAnswer<boolean>> {
    return this.#query(
      { kind: "takeover", token },
      false,
      (taken, value) => typeof value === "boolean" ? taken || value : undefined,
    );
  }

  // ── publishing ─────────────────────────────────────────────────────────

  #channelOf(node: string): string {
    return `${this.#namespace}:node:${node}`;
  }

  #encode(body: WireBody, seq: number): Uint8Array {
    return encodeWire({ ...body, node: this.id, seq } as WireMessage);
  }

  /** Publishes a sequenced operation (in order; kept through an outage). */
  #publish(body: WireBody): void {
    if (!this.#started) {
      throw new Error("ClusterNode.start() must be called first");
    }
    if (this.#closed) return;
    const bytes = this.#encode(body, this.#seq + 1);
    this.#seq++;
    this.#stats.published++;
    this.#outbox.enqueue(this.#opsChannel, bytes, this.#seq);
  }

  #localPresence(): PresenceSnapshot {
    return this.#hostCall(
      () => this.#host.localPresence(),
      { connections: 0, members: [] },
    );
  }

  // ── receiving ──────────────────────────────────────────────────────────

  #receive(bytes: Uint8Array): void {
    try {
      this.#handle(bytes);
    } catch (error) {
      // Never into the backplane's delivery loop.
      this.#report(
        new ClusterError(
          "host",
          `handling a cluster message failed: ${describe(error)}`,
          undefined,
          { cause: error },
        ),
      );
    }
  }

  #handle(bytes: Uint8Array): void {
    if (this.#closed) return;
    let message: WireMessage;
    try {
      message = decodeWire(bytes);
    } catch (error) {
      this.#rejected(error);
      return;
    }
    if (message.node === this.id) return; // Our own, echoed by the backplane.
    if (message.kind === "bye") {
      this.#removePeer(message.node);
      return;
    }
    let peer = this.#peers.get(message.node);
    const fresh = peer === undefined;
    if (peer === undefined) {
      if (this.#peers.size >= this.#maxNodes) {
        this.#stats.rejected++;
        return;
      }
      peer = {
        id: message.node,
        last: undefined,
        lastHeard: 0,
        connections: 0,
        replica: new PresenceReplica(),
        stale: false,
        syncAskedAt: -Infinity,
      };
      this.#peers.set(peer.id, peer);
    }
    peer.lastHeard = this.#clock.now();
    this.#stats.received++;
    if (this.#awaiting?.delete(peer.id) && this.#awaiting.size === 0) {
      this.#release();
    }
    switch (message.kind) {
      case "hello":
        // A node that starts: its presence is exactly the snapshot, as of 1.
        this.#replace(peer, message.snapshot, message.seq);
        this.#sendSnapshot(peer.id);
        return;
      case "heartbeat":
        peer.connections = message.connections;
        if (peer.last !== undefined && message.seq > peer.last) {
          this.#gap(peer, message.seq - peer.last);
        }
        if (peer.last === undefined || message.seq > peer.last) {
          peer.last = message.seq;
        }
        if (fresh) this.#askSync(peer);
        return;
      case "sync":
        this.#sendSnapshot(peer.id);
        if (fresh) this.#askSync(peer);
        return;
      case "snapshot":
        if (peer.last === undefined || message.seq >= peer.last) {
          // Ordered after everything it sent before: what is still missing
          // up to its "as of" number is lost.
          if (peer.last !== undefined && message.seq > peer.last) {
            this.#gap(peer, message.seq - peer.last, false);
          }
          this.#replace(peer, message.snapshot, message.seq);
        }
        return;
      case "query":
        this.#answer(peer.id, message.id, message.query);
        if (fresh) this.#askSync(peer);
        return;
      case "answer":
        this.#answered(peer.id, message.id, message.value);
        if (fresh) this.#askSync(peer);
        return;
    }
    // A sequenced operation.
    if (peer.last !== undefined) {
      if (message.seq <= peer.last) {
        this.#stats.duplicates++;
        return;
      }
      if (message.seq > peer.last + 1) {
        this.#gap(peer, message.seq - peer.last - 1);
      }
    } else if (message.seq !== 1) {
      // First contact in the middle of its stream: we know none of its presence.
      this.#askSync(peer);
    }
    peer.last = message.seq;
    this.#apply(peer, message);
  }

  #apply(peer: Peer, message: WireMessage): void {
    const host = this.#host;
    const onChange = this.#changeListener(peer);
    this.#hostCall(() => {
      switch (message.kind) {
        case "all":
          host.deliverToAll(message.frame, message.except);
          break;
        case "rooms":
          host.deliverToRooms(message.rooms, message.frame, message.except);
          break;
        case "user":
          host.deliverToUser(message.user, message.frame, message.except);
          break;
        case "connection":
          host.deliverToConnection(message.connection, message.frame);
          break;
        case "join":
          peer.replica.join(
            message.connection,
            message.room,
            message.user,
            onChange,
          );
          break;
        case "leave":
          peer.replica.leave(message.connection, message.room, onChange);
          break;
        case "setUser":
          peer.replica.setUser(message.connection, message.user);
          break;
        case "gone":
          peer.replica.gone(message.connection, onChange);
          break;
      }
    }, undefined);
  }

  /** Keeps the cluster-wide room sizes and tells the host. */
  #changeListener(peer: Peer) {
    return (
      kind: "join" | "leave",
      room: string,
      connection: string,
      user: string | undefined,
    ): void => {
      const size = (this.#remoteSizes.get(room) ?? 0) +
        (kind === "join" ? 1 : -1);
      if (size > 0) this.#remoteSizes.set(room, size);
      else this.#remoteSizes.delete(room);
      const remotePresence = this.#host.remotePresence;
      if (remotePresence === undefined) return;
      this.#hostCall(() =>
        remotePresence.call(this.#host, {
          kind,
          room,
          connection,
          user,
          node: peer.id,
          size: this.roomSize(room),
        }), undefined);
    };
  }

  #replace(peer: Peer, snapshot: PresenceSnapshot, asOf: number): void {
    peer.replica.replace(snapshot.members, this.#changeListener(peer));
    peer.connections = snapshot.connections;
    peer.last = asOf;
    peer.stale = false;
  }

  /** `count` messages of `peer` are lost; unless a snapshot came with the news, ask for one. */
  #gap(peer: Peer, count: number, askSync = true): void {
    this.#stats.missed += count;
    this.#report(
      new ClusterError(
        "gap",
        `missed ${count} message(s) from node ${peer.id}${
          askSync ? "; re-synchronising its presence" : ""
        }`,
        peer.id,
      ),
    );
    if (askSync) this.#askSync(peer);
  }

  /** Asks `peer` for its snapshot, at most once per heartbeat interval. */
  #askSync(peer: Peer): void {
    peer.stale = true;
    const now = this.#clock.now();
    if (now - peer.syncAskedAt < this.#heartbeatInterval) return;
    peer.syncAskedAt = now;
    this.#outbox.sendNow(
      this.#channelOf(peer.id),
      this.#encode({ kind: "sync" }, this.#seq),
    );
  }

  /**
   * Sends the local presence to `node`, in order after everything queued;
   * once, if one is still queued for it (that one will do).
   */
  #sendSnapshot(node: string): void {
    const channel = this.#channelOf(node);
    if (this.#outbox.hasQueued(channel)) return;
    this.#outbox.enqueue(
      channel,
      this.#encode(
        { kind: "snapshot", snapshot: this.#localPresence() },
        this.#seq,
      ),
    );
  }

  #removePeer(id: string): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    peer.replica.clear(this.#changeListener(peer));
    this.#peers.delete(id);
    for (const pending of [...this.#queries.values()]) {
      if (pending.expected.delete(id)) this.#maybeFinish(pending);
    }
    if (this.#awaiting?.delete(id) && this.#awaiting.size === 0) {
      this.#release();
    }
  }

  #rejected(error: unknown): void {
    this.#stats.rejected++;
    if (error instanceof WireError && error.version !== undefined) {
      if (this.#versionsReported.has(error.version)) return;
      this.#versionsReported.add(error.version);
      this.#report(
        new ClusterError(
          "version",
          `ignoring messages of ${error.message}: run one version per namespace`,
        ),
      );
      return;
    }
    const now = this.#clock.now();
    if (now - this.#lastMalformedReport < this.#heartbeatInterval) return;
    this.#lastMalformedReport = now;
    this.#report(
      new ClusterError(
        "malformed",
        `ignoring a malformed message on the cluster channels: ${
          describe(error)
        }`,
      ),
    );
  }

  // ── queries ────────────────────────────────────────────────────────────

  #query<T>(
    query: ClusterQuery,
    initial: T,
    add: (value: T, answer: unknown, node: string) => T | undefined,
  ): Promise<ClusterAnswer<T>> {
    let value = add(initial, this.#localAnswer(query), this.id) ?? initial;
    const expected = new Set(this.#peers.keys());
    if (
      this.#closed || !this.#started || expected.size === 0 ||
      !this.#outbox.up || this.#queries.size >= this.#maxQueries
    ) {
      return Promise.resolve({
        value,
        nodes: [this.id],
        missing: [...expected],
      });
    }
    const id = ++this.#queryId;
    return new Promise((resolve) => {
      const pending: PendingQuery = {
        query,
        expected,
        answers: new Map(),
        timer: undefined,
        finish: () => {
          this.#clock.clearTimeout(pending.timer);
          this.#queries.delete(id);
          const nodes = [this.id];
          for (const [node, answer] of pending.answers) {
            const next = add(value, answer, node);
            if (next === undefined) {
              this.#stats.rejected++;
              continue;
            }
            value = next;
            nodes.push(node);
          }
          // Silent, or answered with something unreadable.
          const missing = [...pending.expected].filter((node) =>
            !nodes.includes(node)
          );
          resolve({ value, nodes, missing });
        },
      };
      pending.timer = this.#clock.setTimeout(
        () => pending.finish(),
        this.#queryTimeout,
      );
      this.#queries.set(id, pending);
      this.#outbox.sendNow(
        this.#opsChannel,
        this.#encode({ kind: "query", id, query }, this.#seq),
      );
    });
  }

  #answered(node: string, id: number, value: unknown): void {
    const pending = this.#queries.get(id);
    if (pending === undefined || pending.answers.has(node)) return;
    pending.answers.set(node, value);
    // Only one node can hold a session: its yes is the answer.
    if (pending.query.kind === "takeover" && value === true) {
      pending.finish();
      return;
    }
    this.#maybeFinish(pending);
  }

  #maybeFinish(pending: PendingQuery): void {
    for (const node of pending.expected) {
      if (!pending.answers.has(node)) return;
    }
    pending.finish();
  }

  #answer(node: string, id: number, query: ClusterQuery): void {
    if (query.kind === "takeover") {
      this.#answerTakeover(node, id, query.token);
      return;
    }
    const value = this.#localAnswer(query);
    if (value === undefined) return;
    this.#sendAnswer(node, id, value);
  }

  #sendAnswer(node: string, id: number, value: unknown): void {
    if (this.#closed) return;
    this.#outbox.sendNow(
      this.#channelOf(node),
      this.#encode({ kind: "answer", id, value }, this.#seq),
    );
  }

  /** Answers a takeover once the host has given the session up (or not). */
  #answerTakeover(node: string, id: number, token: string): void {
    const takeover = this.#host.takeover;
    if (takeover === undefined) {
      this.#sendAnswer(node, id, false);
      return;
    }
    let answer: Promise<boolean>;
    try {
      answer = Promise.resolve(takeover.call(this.#host, token));
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (taken) => this.#sendAnswer(node, id, taken === true),
      (error) => {
        this.#report(
          new ClusterError(
            "host",
            `a session takeover failed: ${describe(error)}`,
            undefined,
            { cause: error },
          ),
        );
        this.#sendAnswer(node, id, false);
      },
    );
  }

  #localAnswer(query: ClusterQuery): unknown {
    const host = this.#host;
    return this.#hostCall((): unknown => {
      switch (query.kind) {
        case "connections":
          return host.localConnectionCount();
        case "roomSizes":
          return query.rooms.map((room) => host.localRoomSize(room));
        case "members":
          return Array.from(
            host.localMembers(query.room),
            ({ connection, user }) => [connection, user ?? null],
          );
        case "userRooms":
          return [...host.localUserRooms(query.user)];
        case "takeover":
          // The asking server looked at its own sessions first.
          return false;
      }
    }, undefined);
  }

  // ── liveness and outages ───────────────────────────────────────────────

  #scheduleTick(): void {
    this.#tick = this.#clock.setTimeout(() => {
      if (this.#closed) return;
      this.#heartbeat();
      this.#scheduleTick();
    }, this.#heartbeatInterval);
  }

  /**
   * Says "alive", as of the last operation handed to the backplane (not
   * one still queued, which this heartbeat overtakes); buries the silent;
   * re-asks stale replicas.
   */
  #heartbeat(): void {
    const firstQueued = this.#outbox.firstQueuedSeq;
    this.#outbox.sendNow(
      this.#opsChannel,
      this.#encode(
        {
          kind: "heartbeat",
          connections: this.#hostCall(
            () => this.#host.localConnectionCount(),
            0,
          ),
        },
        firstQueued === undefined ? this.#seq : firstQueued - 1,
      ),
    );
    const now = this.#clock.now();
    for (const peer of [...this.#peers.values()]) {
      if (now - peer.lastHeard > this.#deadAfter) this.#removePeer(peer.id);
      else if (peer.stale) this.#askSync(peer);
    }
  }

  #statusChanged(status: BackplaneStatus): void {
    if (this.#closed) return;
    if (status === "down") {
      this.#peersAtDown ??= new Set(this.#peers.keys());
      this.#outbox.setUp(false);
      return;
    }
    if (!this.#everUp) {
      // First connection: nobody knows us yet; the hello goes first.
      this.#everUp = true;
      this.#peersAtDown = undefined;
      this.#outbox.setUp(true);
      return;
    }
    // Back after an outage. Our subscription missed what the others sent:
    // ask them all for their presence. Hold our queued messages until each
    // node known before the outage shows it is listening again (anything
    // from it counts), or flushWait passes.
    const awaiting = new Set([
      ...(this.#peersAtDown ?? []),
      ...this.#peers.keys(),
    ]);
    this.#peersAtDown = undefined;
    for (const peer of this.#peers.values()) peer.stale = true;
    this.#outbox.hold();
    this.#outbox.setUp(true);
    this.#outbox.sendNow(
      this.#opsChannel,
      this.#encode({ kind: "sync" }, this.#seq),
    );
    if (awaiting.size === 0) {
      this.#release();
      return;
    }
    this.#awaiting = awaiting;
    this.#clock.clearTimeout(this.#flushTimer);
    this.#flushTimer = this.#clock.setTimeout(
      () => this.#release(),
      this.#flushWait,
    );
  }

  #release(): void {
    this.#awaiting = undefined;
    this.#clock.clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#outbox.release();
  }

  // ── helpers ────────────────────────────────────────────────────────────

  #hostCall<T>(call: () => T, fallback: T): T {
    try {
      return call();
    } catch (error) {
      this.#report(
        new ClusterError(
          "host",
          `a server callback failed: ${describe(error)}`,
          undefined,
          { cause: error },
        ),
      );
      return fallback;
    }
  }

  #report(error: ClusterError): void {
    try {
      this.#onError(error);
    } catch {
      // An error handler that throws must not break delivery.
    }
  }
}

function positive(
  value: number | undefined,
  fallback: number,
  name: string,
): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
  return value;
}

/** A unique node id: `name-` (if given) and 16 random hex digits. */
function nodeId(name: string | undefined): string {
  const random = Array.from(
    crypto.getRandomValues(new Uint8Array(8)),
    (byte) => byte.toString(16).padStart(2, "0"),
  ).join("");
  const id = name === undefined ? random : `${name}-${random}`;
  if (!isValidNodeId(id)) {
    throw new RangeError(
      `nodeName must be printable ASCII without spaces, at most 238 characters: ${
        JSON.stringify(name)
      }`,
    );
  }
  return id;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function isMemberPair(value: unknown): value is [string, string | null] {
  return Array.isArray(value) && value.length === 2 && isString(value[0]) &&
    (value[1] === null || isString(value[1]));
}
