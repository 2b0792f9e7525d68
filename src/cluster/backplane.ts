/**
 * The backplane contract: how the nodes of a cluster reach each other. A
 * backplane moves opaque bytes on named channels (Redis pub/sub, or the
 * in-memory hub of the tests); everything the cluster means by them is in
 * `ClusterNode`.
 *
 * @module
 */

/**
 * Whether a backplane can publish and receive right now. `"down"` is the
 * degraded mode: local delivery goes on, cross-node messages wait in the
 * cluster node's outage buffer.
 *
 * @example
 * ```ts
 * import type { BackplaneStatus } from "@anyws/anyws/cluster";
 * const status: BackplaneStatus = "down";
 * ```
 */
export type BackplaneStatus = "up" | "down";

/**
 * Receives the bytes of one message published on a channel. The bytes belong
 * to the receiver (the backplane never writes them again) but may be shared
 * with the other handlers of the same channel: read them, keep them, never
 * modify them.
 *
 * @example
 * ```ts
 * import type { BackplaneHandler } from "@anyws/anyws/cluster";
 * const handler: BackplaneHandler = (bytes) => console.log(bytes.length);
 * ```
 */
export type BackplaneHandler = (bytes: Uint8Array) => void;

/**
 * A small key-value store every node of a cluster reaches, with an expiry
 * per key: where a clustered server keeps the snapshots of suspended
 * sessions, so that a client resumes on whichever node it reconnects to.
 * Redis implements it with `SET key value PX ttl` and `GETDEL`.
 *
 * Like `publish`, both methods reject (never throw) when the store cannot
 * be reached; nothing is retried.
 *
 * @example
 * ```ts
 * import { MemoryHub } from "./memory_backplane.ts";
 * import type { SessionStorage } from "./backplane.ts";
 * const storage: SessionStorage = new MemoryHub().backplane().sessions;
 * await storage.set("anyws:session:q1w2e3", '{"id":"c1"}', 120_000);
 * console.log(await storage.take("anyws:session:q1w2e3")); // {"id":"c1"}
 * console.log(await storage.take("anyws:session:q1w2e3")); // undefined
 * ```
 */
export interface SessionStorage {
  /** Keeps `value` under `key` for `ttl` ms, replacing what was there. */
  set(key: string, value: string, ttl: number): Promise<void>;
  /**
   * Gets and deletes the value under `key` in one step (two nodes taking
   * the same key: one gets it), or `undefined` when there is none or it
   * expired.
   */
  take(key: string): Promise<string | undefined>;
}

/**
 * Publish/subscribe of bytes between the nodes of a cluster.
 *
 * What an implementation must guarantee:
 *
 * - **Order.** Messages published by one backplane instance reach each
 *   subscriber in the order `publish` was called, across channels too (one
 *   Redis connection publishes, one connection subscribes: Redis keeps that
 *   order). Sequence numbers and snapshots rely on it.
 * - **Settling.** `publish` resolves once the message was handed to the
 *   broker, and rejects (never throws) when it could not be: while the
 *   status is `"down"` it rejects at once instead of queueing, so that the
 *   cluster node, not the client library, decides what to keep.
 * - **Status.** `status` is `"up"` only when publishing works and every
 *   subscription is active; `onStatus` listeners hear each change once.
 *   After a reconnect the subscriptions are restored before `"up"`.
 * - **No stray failures.** Nothing rejects unobserved and nothing throws
 *   out of a timer or an event: connection errors become `"down"`.
 * - **close()** releases every connection and timer, so the program can
 *   exit; later `publish` calls reject.
 *
 * @example
 * ```ts
 * import { MemoryHub } from "./memory_backplane.ts";
 * import { type Backplane } from "@anyws/anyws/cluster";
 * const backplane: Backplane = new MemoryHub().backplane();
 * const off = backplane.subscribe("news", (bytes) => console.log(bytes));
 * await backplane.publish("news", new Uint8Array([1, 2, 3]));
 * off();
 * await backplane.close();
 * ```
 */
export interface Backplane {
  /** `"up"` when publishing and every subscription work. */
  readonly status: BackplaneStatus;
  /** Publishes `bytes` on `channel`; the backplane may keep a reference until it settles. */
  publish(channel: string, bytes: Uint8Array): Promise<void>;
  /** Calls `handler` with every message on `channel`; returns the unsubscribe function. */
  subscribe(channel: string, handler: BackplaneHandler): () => void;
  /** Calls `listener` on every status change; returns the function that removes it. */
  onStatus(listener: (status: BackplaneStatus) => void): () => void;
  /** Releases the connections; safe to call twice. */
  close(): Promise<void>;
  /**
   * Optional: storage shared by the nodes, for session resume across nodes
   * (see {@link SessionStorage}). Without it, a session resumes only on
   * the node that held it.
   */
  readonly sessions?: SessionStorage;
}
