/**
 * An in-memory backplane: several cluster nodes in one program share one
 * {@link MemoryHub}. For fast, deterministic tests, with switches for the
 * faults a real broker has (an outage, a node that vanishes).
 *
 * @module
 */

import type {
  Backplane,
  BackplaneHandler,
  BackplaneStatus,
  SessionStorage,
} from "./backplane.ts";
import { type Clock, systemClock } from "../shared/clock.ts";

interface Pending {
  from: MemoryBackplane;
  channel: string;
  bytes: Uint8Array;
}

/**
 * Options of {@link MemoryHub}.
 *
 * @example
 * ```ts
 * import { MemoryHub, type MemoryHubOptions } from "./memory_backplane.ts";
 * const options: MemoryHubOptions = {};
 * const hub = new MemoryHub(options);
 * ```
 */
export interface MemoryHubOptions {
  /** The clock of the shared session storage's expiry. Default the system clock. */
  clock?: Clock;
}

/**
 * The broker of in-memory backplanes. Messages are delivered a microtask
 * after `publish`, in one global order (so per-publisher order holds across
 * channels), to every connected backplane subscribed to the channel,
 * the publisher included. The hub also holds the key-value storage its
 * backplanes share (`backplane.sessions`), with expiry on its clock.
 *
 * @example
 * ```ts
 * import { MemoryHub } from "./memory_backplane.ts";
 * const hub = new MemoryHub();
 * const a = hub.backplane();
 * const b = hub.backplane();
 * b.subscribe("news", (bytes) => console.log("b got", bytes.length));
 * await a.publish("news", new Uint8Array(3)); // b got 3 (a microtask later)
 * ```
 */
export class MemoryHub {
  #members = new Set<MemoryBackplane>();
  #queue: Pending[] = [];
  #scheduled = false;
  #delivered = 0;
  #clock: Clock;
  /** The shared storage: key → value and when it expires, in insertion order. */
  #stored = new Map<string, { value: string; expiresAt: number }>();

  /** An empty hub. */
  constructor(options: MemoryHubOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  /** Keys in the shared storage that have not expired. */
  get storedKeys(): number {
    this.#expire();
    return this.#stored.size;
  }

  /** @ignore Stores a value (the backplane checked its status). */
  store(key: string, value: string, ttl: number): void {
    this.#expire();
    this.#stored.delete(key);
    this.#stored.set(key, { value, expiresAt: this.#clock.now() + ttl });
  }

  /** @ignore Takes a value (the backplane checked its status). */
  take(key: string): string | undefined {
    this.#expire();
    const entry = this.#stored.get(key);
    this.#stored.delete(key);
    return entry?.value;
  }

  #expire(): void {
    const now = this.#clock.now();
    for (const [key, { expiresAt }] of this.#stored) {
      if (expiresAt <= now) this.#stored.delete(key);
    }
  }

  /** Messages handed to a subscriber so far. */
  get delivered(): number {
    return this.#delivered;
  }

  /** A new backplane on this hub, connected. */
  backplane(): MemoryBackplane {
    const backplane = new MemoryBackplane(this);
    this.#members.add(backplane);
    return backplane;
  }

  /** @ignore Queues a message (the backplane checked its status). */
  enqueue(from: MemoryBackplane, channel: string, bytes: Uint8Array): void {
    this.#queue.push({ from, channel, bytes: bytes.slice() });
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#drain());
  }

  /** @ignore Forgets a backplane for good. */
  remove(backplane: MemoryBackplane): void {
    this.#members.delete(backplane);
  }

  #drain(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (const { from, channel, bytes } of queue) {
      if (from.killed) continue; // Never left the dead node.
      for (const member of this.#members) {
        if (member.receive(channel, bytes)) this.#delivered++;
      }
    }
  }
}

/**
 * One node's end of a {@link MemoryHub}. Besides the {@link Backplane}
 * contract it has the test switches `goDown()`, `comeUp()` and `kill()`.
 *
 * @example
 * ```ts
 * import { MemoryHub } from "./memory_backplane.ts";
 * const backplane = new MemoryHub().backplane();
 * backplane.goDown(); // an outage: publish rejects, nothing arrives
 * console.log(backplane.status); // "down"
 * backplane.comeUp();
 * ```
 */
export class MemoryBackplane implements Backplane {
  #hub: MemoryHub;
  #status: BackplaneStatus = "up";
  #handlers = new Map<string, Set<BackplaneHandler>>();
  #listeners = new Set<(status: BackplaneStatus) => void>();
  #closed = false;
  #killed = false;

  /** Use {@link MemoryHub.backplane}. */
  constructor(hub: MemoryHub) {
    this.#hub = hub;
  }

  /** `"up"` unless {@link goDown} or {@link close} was called. */
  get status(): BackplaneStatus {
    return this.#status;
  }

  /** The hub's shared storage; it rejects while this backplane is down, closed or killed. */
  readonly sessions: SessionStorage = {
    set: (key, value, ttl) => {
      const problem = this.#storageProblem();
      if (problem !== undefined) return Promise.reject(new Error(problem));
      this.#hub.store(key, value, ttl);
      return Promise.resolve();
    },
    take: (key) => {
      const problem = this.#storageProblem();
      if (problem !== undefined) return Promise.reject(new Error(problem));
      return Promise.resolve(this.#hub.take(key));
    },
  };

  #storageProblem(): string | undefined {
    if (this.#closed) return "Backplane closed";
    if (this.#status === "down" || this.#killed) return "Backplane down";
    return undefined;
  }

  /** Whether {@link kill} was called. */
  get killed(): boolean {
    return this.#killed;
  }

  /** Queues `bytes` (copied) for every subscriber of `channel`. */
  publish(channel: string, bytes: Uint8Array): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new Error("Backplane closed"));
    }
    if (this.#status === "down") {
      return Promise.reject(new Error("Backplane down"));
    }
    this.#hub.enqueue(this, channel, bytes);
    return Promise.resolve();
  }

  /** Adds `handler` to `channel`. */
  subscribe(channel: string, handler: BackplaneHandler): () => void {
    let handlers = this.#handlers.get(channel);
    if (handlers === undefined) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.#handlers.get(channel) === handlers) {
        this.#handlers.delete(channel);
      }
    };
  }

  /** Adds a status listener. */
  onStatus(listener: (status: BackplaneStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Leaves the hub; the status goes `"down"` for good. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#hub.remove(this);
      this.#handlers.clear();
      this.#setStatus("down");
      this.#listeners.clear();
    }
    return Promise.resolve();
  }

  /** Test switch: the broker is unreachable from this node until {@link comeUp}. */
  goDown(): void {
    if (!this.#closed) this.#setStatus("down");
  }

  /** Test switch: the broker is reachable again. */
  comeUp(): void {
    if (!this.#closed) this.#setStatus("up");
  }

  /**
   * Test switch: the node died (SIGKILL). Nothing it published and has
   * not been delivered yet, nor anything it publishes from now on, reaches
   * anyone; it receives nothing; its status does not change (a dead node
   * notices nothing).
   */
  kill(): void {
    this.#killed = true;
    this.#hub.remove(this);
  }

  /** @ignore Hands a message to this backplane's handlers; returns whether any took it. */
  receive(channel: string, bytes: Uint8Array): boolean {
    if (this.#status === "down" || this.#killed) return false;
    const handlers = this.#handlers.get(channel);
    if (handlers === undefined || handlers.size === 0) return false;
    for (const handler of [...handlers]) handler(bytes);
    return true;
  }

  #setStatus(status: BackplaneStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    for (const listener of [...this.#listeners]) listener(status);
  }
}
