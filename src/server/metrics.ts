/**
 * A server's metrics: what it counts (connections, handshakes, messages,
 * bytes, flow control, broadcasts, compression) and the snapshot
 * `server.metrics()` returns. Counting is an addition on a plain number
 * field; the labelled counts (close codes, HTTP statuses) are kept in small
 * maps whose keys are bounded (see {@link closeCodeLabel},
 * {@link statusLabel}), touched once per connection, never per message.
 *
 * @module
 */

import { UsageError } from "../protocol/errors.ts";
import type { TrafficCounters } from "../driver/traffic_counters.ts";

/**
 * A snapshot of a server's metrics. Counts are totals since the server was
 * created, except the gauges: `connections.open`, `connections.pending`,
 * `bytes.buffered` and `ready`.
 *
 * @example
 * ```ts
 * import { Server } from "@anyws/anyws";
 * const server = new Server({ port: 0 });
 * const { connections, messages } = server.metrics();
 * console.log(connections.open, messages.received);
 * ```
 */
export interface MetricsSnapshot {
  /** WebSocket connections. */
  connections: {
    /** Open WebSocket connections now. */
    open: number;
    /** Accepted sockets not open (yet): handshakes, plain HTTP exchanges. */
    pending: number;
    /** WebSocket connections opened. */
    opened: number;
    /** Connections closed, by close code (see {@link closeCodeLabel}). */
    closed: Record<string, number>;
  };
  /** Opening handshakes. */
  handshakes: {
    /** Upgrades answered with 101. */
    accepted: number;
    /** Upgrades (and unreadable request heads) refused, by HTTP status. */
    rejected: Record<string, number>;
    /** Sockets that left the HTTP phase without an answer (timeout, peer gone). */
    abandoned: number;
  };
  /** Plain HTTP requests (not upgrades). */
  http: {
    /** Plain requests answered by the request handler, by HTTP status. */
    served: Record<string, number>;
    /** Plain requests the server refused itself (426, 411, 413...), by HTTP status. */
    refused: Record<string, number>;
  };
  /** WebSocket messages. */
  messages: {
    /** Messages received (the ones the rate limit dropped included). */
    received: number;
    /** Messages queued for sending, one per receiving connection. */
    sent: number;
    /** Messages over the rate limit, not delivered (the connection closed unless `action: "drop"`). */
    rateLimited: number;
  };
  /** Bytes on the sockets. */
  bytes: {
    /** Bytes read from the sockets. */
    received: number;
    /** Bytes written to the sockets. */
    sent: number;
    /** Bytes queued and not yet sent, over all open connections, now. */
    buffered: number;
  };
  /** Flow control. */
  backpressure: {
    /** Times a connection stopped being read until its peer caught up. */
    pauses: number;
    /** Connections closed for going over `maxBufferedAmount`. */
    bufferLimitCloses: number;
  };
  /** Messages sent to many connections at once. */
  broadcasts: {
    /** Broadcasts sent (`server.broadcast`, `emit`, rooms) that reached at least one connection. */
    sent: number;
    /** Messages those broadcasts (and relayed cluster messages) queued, one per connection. */
    deliveries: number;
  };
  /** permessage-deflate (RFC 7692), when the `deflate` option is on. */
  compression: {
    /** Bytes of outgoing messages compressed (permessage-deflate). */
    compressedIn: number;
    /** What they compressed to. */
    compressedOut: number;
    /** Bytes of incoming compressed messages. */
    decompressedIn: number;
    /** What they decompressed to. */
    decompressedOut: number;
  };
  /** Whether the server takes new connections (false before `listen()` and from `stop()` on). */
  ready: boolean;
  /** The counters added with `server.counter(name, help)`, by name. */
  counters: Record<string, number>;
}

/**
 * A counter added to a server's metrics (by the cluster, or the
 * application): `inc()` it, or add to `value` directly on a hot path.
 *
 * @example
 * ```ts
 * import { Server } from "@anyws/anyws";
 * const server = new Server({ port: 0 });
 * const logins = server.counter("logins", "Successful logins");
 * logins.inc();
 * console.log(server.metrics().counters.logins); // 1
 * ```
 */
export class Counter {
  /** The name: `[a-z_][a-z0-9_]*`; exported as `anyws_<name>_total`. */
  readonly name: string;
  /** One line describing what it counts. */
  readonly help: string;
  /** The count. */
  value = 0;

  /** A counter at 0; see {@link ServerMetrics.counter}. */
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  /** Adds `by` (default 1). */
  inc(by = 1): void {
    this.value += by;
  }
}

/**
 * The label of a close code, with bounded cardinality: the codes of RFC
 * 6455 §7.4.1 and the IANA registry (1000–1015) as themselves, the
 * registered range as `"3xxx"`, the private range as `"4xxx"`, anything
 * else as `"other"`.
 *
 * @example
 * ```ts
 * import { closeCodeLabel } from "./metrics.ts";
 * console.log(closeCodeLabel(1006), closeCodeLabel(4321)); // "1006" "4xxx"
 * ```
 */
export function closeCodeLabel(code: number): string {
  if (code >= 1000 && code <= 1015) return String(code);
  if (code >= 3000 && code <= 3999) return "3xxx";
  if (code >= 4000 && code <= 4999) return "4xxx";
  return "other";
}

/**
 * The label of an HTTP status: the status itself from 100 to 599 (a fixed
 * set, and in practice the few the server and its hooks answer), `"other"`
 * otherwise.
 *
 * @example
 * ```ts
 * import { statusLabel } from "./metrics.ts";
 * console.log(statusLabel(403)); // "403"
 * ```
 */
export function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599
    ? String(status)
    : "other";
}

const COUNTER_NAME = /^[a-z_][a-z0-9_]*$/;

/** What a snapshot needs from the server besides the counts. */
export interface MetricsSources {
  /** The drivers' counters. */
  traffic: TrafficCounters;
  /** permessage-deflate's byte counts, when it is on. */
  deflate:
    | {
      compressedIn: number;
      compressedOut: number;
      decompressedIn: number;
      decompressedOut: number;
    }
    | undefined;
  /** Open connections now. */
  open: number;
  /** Accepted sockets not open now. */
  pending: number;
  /** Bytes buffered over the open connections now. */
  buffered: number;
  /** Whether the server takes new connections. */
  ready: boolean;
}

/**
 * The counts of one server that the drivers do not keep themselves.
 *
 * @example
 * ```ts
 * import { ServerMetrics } from "./metrics.ts";
 * import { TrafficCounters } from "../driver/traffic_counters.ts";
 * const metrics = new ServerMetrics();
 * metrics.closed(1000);
 * const snapshot = metrics.snapshot({
 *   traffic: new TrafficCounters(), deflate: undefined,
 *   open: 0, pending: 0, buffered: 0, ready: true,
 * });
 * console.log(snapshot.connections.closed); // { "1000": 1 }
 * ```
 */
export class ServerMetrics {
  /** WebSocket connections opened. */
  opened = 0;
  /** Messages received. */
  messagesIn = 0;
  /** Messages over the rate limit. */
  rateLimited = 0;
  /** Broadcasts that reached at least one connection. */
  broadcasts = 0;
  #closed = new Map<string, number>();
  #rejected = new Map<string, number>();
  #served = new Map<string, number>();
  #refused = new Map<string, number>();
  #counters = new Map<string, Counter>();

  /** A connection closed with `code`. */
  closed(code: number): void {
    increment(this.#closed, closeCodeLabel(code));
  }

  /** The server refused a request with `status`: an upgrade (or an unreadable head), or a plain request. */
  refused(status: number, upgrade: boolean): void {
    increment(upgrade ? this.#rejected : this.#refused, statusLabel(status));
  }

  /** The request handler answered a plain request with `status`. */
  served(status: number): void {
    increment(this.#served, statusLabel(status));
  }

  /**
   * The counter called `name`, created at 0 on first use (the same object
   * after that). Throws a `UsageError` for a name that is not
   * `[a-z_][a-z0-9_]*`, or an existing name with another `help`.
   */
  counter(name: string, help: string): Counter {
    const existing = this.#counters.get(name);
    if (existing !== undefined) {
      if (existing.help !== help) {
        throw new UsageError(
          `Counter ${name} exists with another help text: ${existing.help}`,
        );
      }
      return existing;
    }
    if (typeof name !== "string" || !COUNTER_NAME.test(name)) {
      throw new UsageError(
        `Invalid counter name: ${JSON.stringify(name)} ([a-z_][a-z0-9_]*)`,
      );
    }
    const counter = new Counter(name, String(help));
    this.#counters.set(name, counter);
    return counter;
  }

  /** The counters added with {@link counter}. */
  customCounters(): IterableIterator<Counter> {
    return this.#counters.values();
  }

  /** Everything, as of now. */
  snapshot(sources: MetricsSources): MetricsSnapshot {
    const { traffic, deflate } = sources;
    const counters: Record<string, number> = {};
    for (const counter of this.#counters.values()) {
      counters[counter.name] = counter.value;
    }
    return {
      connections: {
        open: sources.open,
        pending: sources.pending,
        opened: this.opened,
        closed: Object.fromEntries(this.#closed),
      },
      handshakes: {
        accepted: this.opened,
        rejected: Object.fromEntries(this.#rejected),
        abandoned: traffic.handshakesAbandoned,
      },
      http: {
        served: Object.fromEntries(this.#served),
        refused: Object.fromEntries(this.#refused),
      },
      messages: {
        received: this.messagesIn,
        sent: traffic.messagesOut,
        rateLimited: this.rateLimited,
      },
      bytes: {
        received: traffic.bytesIn,
        sent: traffic.bytesOut,
        buffered: sources.buffered,
      },
      backpressure: {
        pauses: traffic.backpressurePauses,
        bufferLimitCloses: traffic.bufferLimitCloses,
      },
      broadcasts: {
        sent: this.broadcasts,
        deliveries: traffic.sharedDeliveries,
      },
      compression: {
        compressedIn: deflate?.compressedIn ?? 0,
        compressedOut: deflate?.compressedOut ?? 0,
        decompressedIn: deflate?.decompressedIn ?? 0,
        decompressedOut: deflate?.decompressedOut ?? 0,
      },
      ready: sources.ready,
      counters,
    };
  }
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
