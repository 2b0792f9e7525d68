/**
 * The glue between a `Server` and its `ClusterNode`: what the server's
 * groups, rooms and connections do locally is told to the node, once, with
 * the frame the local members were sent; what the other nodes publish is
 * queued on the local connections (see `cluster_host.ts`). docs/cluster.md
 * has the policies.
 *
 * @module
 */

import type { ServerConnection } from "./server_connection.ts";
import type { EventMap } from "../driver/connection.ts";
import { UsageError } from "../protocol/errors.ts";
import { followClock } from "../shared/clock.ts";
import type { Backplane } from "../cluster/backplane.ts";
import {
  ClusterNode,
  type ClusterNodeOptions,
} from "../cluster/cluster_node.ts";
import { type ClusterServerView, serverHost } from "./cluster_host.ts";
import type { RemoteSend } from "./group.ts";
import type { Presence, RemoteGroups } from "./rooms.ts";
import type { CoreCluster, ServerCore } from "./server_core.ts";
import { ServerCluster } from "./server_cluster.ts";
import { SharedSessions } from "./shared_sessions.ts";

/**
 * The `cluster` option of a server: the node's settings. Errors go to the
 * server's `error` event (with no connection), so there is no `onError`.
 *
 * @example
 * ```ts
 * import type { ClusterOptions } from "@anyws/anyws";
 * const cluster: ClusterOptions = {
 *   namespace: "chat",
 *   nodeName: "eu-1",
 *   heartbeatInterval: 1000,
 *   deadAfter: 5000,
 *   queryTimeout: 1000,
 * };
 * ```
 */
export type ClusterOptions = Omit<ClusterNodeOptions, "onError">;

/**
 * A server's membership in a cluster: the hooks its core calls
 * ({@link CoreCluster}), the remote side of its groups
 * ({@link RemoteGroups}, {@link ClusterBinding.toAll},
 * {@link ClusterBinding.toConnection}), and the node's life (started by
 * `listen()`, closed with the backplane by `stop()`). Before `listen()` and
 * after `stop()` sends stay local.
 *
 * @example
 * ```ts
 * import { ClusterBinding } from "./cluster_binding.ts";
 * import { ServerCore } from "./server_core.ts";
 * import { resolveServerOptions } from "./options.ts";
 * import { systemClock } from "../shared/clock.ts";
 * import { MemoryHub } from "../cluster/memory_backplane.ts";
 * import { Server } from "@anyws/anyws";
 * const core = new ServerCore(resolveServerOptions({}), systemClock, () => "localhost");
 * const view = new Server({ port: 0 }); // what the node reads: rooms, users, connections
 * const binding = new ClusterBinding(core, view, new MemoryHub().backplane(), {});
 * binding.start();
 * await binding.close();
 * ```
 */
export class ClusterBinding<Data, Out extends EventMap>
  implements CoreCluster<Data>, RemoteGroups {
  /** What `server.cluster` shows the application. */
  readonly view: ServerCluster;
  #core: ServerCore<Data, Out>;
  #node: ClusterNode;
  #backplane: Backplane;
  #running = false;
  #closed = false;

  /** Binds `core` (whose public face is `server`) to a node on `backplane`. */
  constructor(
    core: ServerCore<Data, Out>,
    server: ClusterServerView,
    backplane: Backplane,
    options: ClusterOptions = {},
  ) {
    this.#core = core;
    this.#backplane = backplane;
    this.#node = new ClusterNode(
      backplane,
      serverHost(
        server,
        (change) => core.events.dispatch("presence", change, undefined),
        (token) => core.sessions.takeover(token),
      ),
      {
        ...options,
        clock: options.clock ?? followClock(() => core.clock),
        onError: (error) => core.errored(error),
      },
    );
    this.view = new ServerCluster(this.#node, () => core.rooms.names());
    core.cluster = this;
    core.rooms.remote = this;
    const storage = backplane.sessions;
    if (storage !== undefined && core.options.sessions.enabled) {
      // Sessions live in the shared storage: a client resumes on any node.
      const node = this.#node;
      core.sessions.cluster = {
        shared: new SharedSessions<Data>(storage, {
          namespace: node.namespace,
          window: core.options.sessions.window,
          timeout: node.queryTimeout,
          clock: followClock(() => core.clock),
        }),
        takeover: (token) =>
          this.#running
            ? node.queryTakeover(token).then(({ value }) => value)
            : Promise.resolve(false),
      };
    }
  }

  /** Throws a `UsageError` once closed: a closed node cannot join again. */
  assertOpen(): void {
    if (this.#closed) {
      throw new UsageError(
        "A clustered server cannot listen again after stop(): its cluster node and backplane are closed",
      );
    }
  }

  /** Joins the cluster (the server listens, or is attached); once per run. */
  start(): void {
    this.assertOpen();
    if (this.#running) return;
    this.#node.start();
    this.#running = true;
  }

  /** Leaves the cluster (goodbye), then closes the backplane. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#running = false;
    try {
      await this.#node.close();
    } finally {
      await this.#backplane.close();
    }
  }

  // ── the remote side of the groups ──────────────────────────────────────

  /** The remote side of `server.broadcast`: every connection on the other nodes. */
  readonly toAll: RemoteSend = (frame, except) => {
    if (this.#running) this.#node.broadcast(frame, except);
  };

  toRooms(
    rooms: readonly string[],
    frame: Uint8Array,
    except: string | undefined,
  ): void {
    if (this.#running) this.#node.toRooms(rooms, frame, except);
  }

  toUser(user: string, frame: Uint8Array, except: string | undefined): void {
    if (this.#running) this.#node.toUser(user, frame, except);
  }

  /** The connection `id`, when it is not open here: wherever it is. */
  toConnection(id: string, frame: Uint8Array): void {
    if (this.#running && !this.#core.connections.open.has(id)) {
      this.#node.toConnection(id, frame);
    }
  }

  // ── CoreCluster ────────────────────────────────────────────────────────

  presence(
    kind: "join" | "leave",
    presence: Presence,
    conn: ServerConnection<Data>,
  ): Presence {
    // The leaves of a closed connection went out as one `gone` (closed()).
    if (this.#running && this.#isOpen(conn)) {
      if (kind === "join") {
        this.#node.joined(conn.id, presence.room, this.#core.userOf(conn));
      } else this.#node.left(conn.id, presence.room);
    }
    return { room: presence.room, size: this.#node.roomSize(presence.room) };
  }

  userChanged(conn: ServerConnection<Data>, user: string | undefined): void {
    // The cluster only knows connections in some room; a join carries the user.
    if (
      this.#running && this.#isOpen(conn) &&
      this.#core.roomsOf(conn).size > 0
    ) this.#node.userChanged(conn.id, user);
  }

  closed(conn: ServerConnection<Data>): void {
    if (this.#running && this.#core.roomsOf(conn).size > 0) {
      this.#node.closed(conn.id);
    }
  }

  #isOpen(conn: ServerConnection<Data>): boolean {
    return this.#core.connections.open.get(conn.id) === conn;
  }
}
