// Long file: one backplane: the publish and subscribe clients, their reconnects, the session storage and the queries share the connections and their states.
/**
 * The Redis backplane: Redis pub/sub through the official `redis` client
 * (node-redis 5), on Deno, Bun and Node alike. One connection publishes,
 * one subscribes; both reconnect on their own with a bounded backoff, the
 * subscriptions are restored before the status is `"up"` again, and no
 * client error ever escapes as an unhandled event or rejection.
 *
 * It is also the cluster's {@link SessionStorage} (`SET … PX` and
 * `GETDEL`, Redis 6.2 or later, on the publishing connection): a client
 * resumes its session on whichever node it reconnects to.
 *
 * Redis down at start: the backplane starts *degraded* (status `"down"`,
 * one log line) and keeps trying; the cluster node queues cross-node
 * messages meanwhile. Use {@link RedisBackplane.whenUp} to wait, or to
 * refuse to start without Redis.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createClient } from "redis";
import type {
  Backplane,
  BackplaneHandler,
  BackplaneStatus,
  SessionStorage,
} from "../src/cluster/backplane.ts";

export type {
  Backplane,
  BackplaneHandler,
  BackplaneStatus,
  SessionStorage,
} from "../src/cluster/backplane.ts";

/**
 * Options for {@link redisBackplane}.
 *
 * @example
 * ```ts
 * import type { RedisBackplaneOptions } from "@anyws/anyws/engines/redis";
 * const options: RedisBackplaneOptions = {
 *   url: "redis://127.0.0.1:6379",
 *   maxReconnectDelay: 2000,
 *   log: (line) => console.log(line),
 * };
 * ```
 */
export interface RedisBackplaneOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://` for TLS. */
  url: string;
  /** First wait before reconnecting, in ms; doubles per attempt. Default 100. */
  minReconnectDelay?: number;
  /** Longest wait between reconnection attempts, in ms. Default 2000. */
  maxReconnectDelay?: number;
  /** Give up one connection attempt after this many ms (then retry). Default 5000. */
  connectTimeout?: number;
  /** The publishing connection sends PING this often (ms) to find a dead link; 0 for never. Default 5000. */
  pingInterval?: number;
  /** Where status lines go (started degraded, lost, connected). Default `console.error`. */
  log?: (line: string) => void;
  /** Receives every client error (each failed attempt too). Default: none; status lines are logged. */
  onError?: (error: Error) => void;
}

type Client = ReturnType<typeof createClient>;

const DEFAULTS = {
  minReconnectDelay: 100,
  maxReconnectDelay: 2000,
  connectTimeout: 5000,
  pingInterval: 5000,
};
/** How long close() lets a connection finish its pending commands. */
const CLOSE_TIMEOUT = 2000;

/**
 * A {@link Backplane} on Redis pub/sub.
 *
 * @example
 * ```ts
 * import { redisBackplane } from "@anyws/anyws/engines/redis";
 * const backplane = redisBackplane({ url: "redis://127.0.0.1:6379" });
 * if (!(await backplane.whenUp(3000))) console.error("no Redis yet: running degraded");
 * await backplane.close();
 * ```
 */
export function redisBackplane(options: RedisBackplaneOptions): RedisBackplane {
  return new RedisBackplane(options);
}

/**
 * Redis pub/sub as a {@link Backplane}; see {@link redisBackplane}.
 *
 * @example
 * ```ts
 * import { RedisBackplane } from "@anyws/anyws/engines/redis";
 * const backplane = new RedisBackplane({ url: "redis://127.0.0.1:6379" });
 * backplane.onStatus((status) => console.log("redis", status));
 * await backplane.close();
 * ```
 */
export class RedisBackplane implements Backplane {
  #pub: Client;
  #sub: Client;
  #where: string;
  #log: (line: string) => void;
  #onError: ((error: Error) => void) | undefined;
  #status: BackplaneStatus = "down";
  #everUp = false;
  #degradedLogged = false;
  #connected = false;
  #closed = false;
  #subReady = false;
  #subscribing = 0;
  #lastError: Error | undefined;
  #handlers = new Map<string, Set<BackplaneHandler>>();
  #listeners = new Map<string, (message: Buffer) => void>();
  #redisChannels = new Set<string>();
  #statusListeners = new Set<(status: BackplaneStatus) => void>();

  /** Connects in the background; see {@link redisBackplane}. */
  constructor(options: RedisBackplaneOptions) {
    this.#where = redact(options.url);
    this.#log = options.log ?? ((line) => console.error(line));
    this.#onError = options.onError;
    const min = options.minReconnectDelay ?? DEFAULTS.minReconnectDelay;
    const max = options.maxReconnectDelay ?? DEFAULTS.maxReconnectDelay;
    const socket = {
      connectTimeout: options.connectTimeout ?? DEFAULTS.connectTimeout,
      reconnectStrategy: (retries: number) =>
        Math.min(max, Math.round(min * 2 ** Math.min(retries, 20))),
    };
    this.#pub = createClient({
      url: options.url,
      socket,
      disableOfflineQueue: true,
      pingInterval: options.pingInterval ?? DEFAULTS.pingInterval,
    });
    this.#sub = createClient({
      url: options.url,
      socket,
      disableOfflineQueue: true,
    });
    for (const client of [this.#pub, this.#sub]) {
      // An EventEmitter 'error' without a listener would crash the process:
      // this listener stays for the client's whole life.
      client.on("error", (error: Error) => this.#clientError(error));
      client.on("end", () => this.#update());
      client.on("reconnecting", () => this.#update());
    }
    this.#pub.on("ready", () => this.#update());
    this.#sub.on("ready", () => this.#subscriberReady());
    for (const client of [this.#pub, this.#sub]) {
      // Pending while Redis is unreachable (the client keeps retrying);
      // settles on close. Never left to reject unobserved.
      client.connect().catch((error: Error) => this.#clientError(error));
    }
  }

  /** `"up"` when both connections are ready and every subscription is active. */
  get status(): BackplaneStatus {
    return this.#status;
  }

  /** Resolves `true` once up, or `false` after `timeout` ms (or on close). */
  whenUp(timeout: number): Promise<boolean> {
    if (this.#status === "up") return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (up: boolean) => {
        clearTimeout(timer);
        off();
        resolve(up);
      };
      const timer = setTimeout(() => done(false), timeout);
      const off = this.onStatus((status) => {
        if (status === "up") done(true);
        else if (this.#closed) done(false);
      });
    });
  }

  /**
   * Suspended sessions, in Redis: `SET key value PX ttl` and `GETDEL key`
   * on the publishing connection. Rejects at once while Redis is not
   * connected (nothing is queued).
   */
  readonly sessions: SessionStorage = {
    set: (key, value, ttl) => {
      const problem = this.#unavailable();
      if (problem !== undefined) return Promise.reject(problem);
      try {
        return this.#pub.set(key, value, {
          expiration: { type: "PX", value: Math.max(1, Math.ceil(ttl)) },
        }).then(() => undefined);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    take: (key) => {
      const problem = this.#unavailable();
      if (problem !== undefined) return Promise.reject(problem);
      try {
        return this.#pub.getDel(key).then((value) =>
          value === null ? undefined : String(value)
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };

  #unavailable(): Error | undefined {
    if (this.#closed) return new Error("Backplane closed");
    if (!this.#pub.isReady) {
      return new Error(`Redis at ${this.#where} is not connected`);
    }
    return undefined;
  }

  /** Publishes `bytes` (not copied; do not change them until this settles). */
  publish(channel: string, bytes: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Backplane closed"));
    if (this.#status !== "up") {
      return Promise.reject(
        new Error(`Redis at ${this.#where} is not connected`),
      );
    }
    try {
      const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      return this.#pub.publish(channel, view).then(() => undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Calls `handler` with each message on `channel` (a copy, a plain Uint8Array). */
  subscribe(channel: string, handler: BackplaneHandler): () => void {
    let handlers = this.#handlers.get(channel);
    if (handlers === undefined) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
    }
    handlers.add(handler);
    if (!this.#redisChannels.has(channel) && this.#subReady) {
      this.#subscribeChannel(channel);
    }
    return () => {
      handlers.delete(handler);
      if (handlers.size > 0 || this.#handlers.get(channel) !== handlers) {
        return;
      }
      this.#handlers.delete(channel);
      if (this.#subReady) this.#unsubscribeChannel(channel);
    };
  }

  /** Adds a status listener. */
  onStatus(listener: (status: BackplaneStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /** Closes both connections (waiting up to 2 s for pending publishes); safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.clear();
    this.#update();
    await Promise.all([closeClient(this.#pub), closeClient(this.#sub)]);
    this.#statusListeners.clear();
  }

  // ── internals ──────────────────────────────────────────────────────────

  #listenerFor(channel: string): (message: Buffer) => void {
    let listener = this.#listeners.get(channel);
    if (listener === undefined) {
      listener = (message: Buffer) => {
        const handlers = this.#handlers.get(channel);
        if (handlers === undefined) return;
        // One copy per message: the client's buffers are not ours to keep.
        const bytes = new Uint8Array(message);
        for (const handler of [...handlers]) {
          try {
            handler(bytes);
          } catch (error) {
            // Thrown into the client's parser, it would break the connection.
            this.#onError?.(asError(error));
          }
        }
      };
      this.#listeners.set(channel, listener);
    }
    return listener;
  }

  #subscribeChannel(channel: string): void {
    this.#subscribing++;
    this.#update();
    this.#sub.subscribe(channel, this.#listenerFor(channel), true).then(
      () => {
        this.#subscribing--;
        this.#redisChannels.add(channel);
        // Unsubscribed meanwhile: take it back.
        if (!this.#handlers.has(channel)) this.#unsubscribeChannel(channel);
        this.#update();
      },
      (error: Error) => {
        // The connection dropped: the next 'ready' subscribes again.
        this.#subscribing--;
        this.#clientError(error);
      },
    );
  }

  #unsubscribeChannel(channel: string): void {
    if (!this.#redisChannels.has(channel)) return;
    this.#sub.unsubscribe(channel, this.#listenerFor(channel), true).then(
      () => this.#redisChannels.delete(channel),
      (error: Error) => this.#clientError(error),
    );
  }

  /**
   * The subscriber (re)connected. The client has already restored the
   * channels it had; subscribe those it never confirmed, drop those no
   * longer wanted, then report up.
   */
  #subscriberReady(): void {
    this.#subReady = true;
    for (const channel of this.#handlers.keys()) {
      if (!this.#redisChannels.has(channel)) this.#subscribeChannel(channel);
    }
    for (const channel of [...this.#redisChannels]) {
      if (!this.#handlers.has(channel)) this.#unsubscribeChannel(channel);
    }
    this.#update();
  }

  #clientError(error: Error): void {
    this.#lastError = error;
    this.#onError?.(error);
    this.#update();
  }

  #update(): void {
    this.#subReady = this.#subReady && this.#sub.isReady;
    const connected = !this.#closed && this.#pub.isReady && this.#subReady;
    if (connected !== this.#connected) {
      // Status lines follow the connections, not subscriptions in progress.
      this.#connected = connected;
      if (this.#closed) {
        // Closing on purpose: no status line.
      } else if (connected) {
        this.#log(`anyws: connected to Redis at ${this.#where}`);
        this.#everUp = true;
      } else {
        this.#log(
          `anyws: lost Redis at ${this.#where}${this.#reason()}: local delivery continues, cross-node messages are queued while reconnecting`,
        );
      }
    }
    this.#maybeLogDegraded();
    const status: BackplaneStatus = connected && this.#subscribing === 0
      ? "up"
      : "down";
    if (status === this.#status) return;
    this.#status = status;
    for (const listener of [...this.#statusListeners]) listener(status);
  }

  /** Once, when the very first connection attempt failed. */
  #maybeLogDegraded(): void {
    if (
      this.#everUp || this.#degradedLogged || this.#closed ||
      this.#lastError === undefined
    ) return;
    this.#degradedLogged = true;
    this.#log(
      `anyws: Redis at ${this.#where} is unreachable${this.#reason()}: starting degraded (local delivery only), retrying in the background`,
    );
  }

  #reason(): string {
    const message = this.#lastError?.message;
    return message ? ` (${message})` : "";
  }
}

async function closeClient(client: Client): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      client.close().catch(() => {}),
      new Promise((resolve) => timer = setTimeout(resolve, CLOSE_TIMEOUT)),
    ]);
    clearTimeout(timer);
  }
  if (client.isOpen) {
    try {
      client.destroy();
    } catch {
      // Already closed.
    }
  }
}

/** The URL without its password, for logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(invalid URL)";
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
