/**
 * The contract between a connection driver and the server or client that
 * owns it: what the driver reports (opened, message, closed, ...), and the
 * options and shared resources it uses.
 *
 * @module
 */

import type { DeflateContexts } from "../protocol/deflate/deflate_contexts.ts";
import type { FrameBuffers } from "../protocol/frame_buffers.ts";
import type { CloseInfo } from "../protocol/protocol_events.ts";
import type { ConnectionDriver } from "./connection_driver.ts";
import type { Clock } from "../shared/clock.ts";
import type { FlushScheduler } from "./flush_scheduler.ts";
import type { TrafficCounters } from "./traffic_counters.ts";

/** The options a driver follows (a server's options have them all). */
export interface DriverOptions {
  readonly maxHeadBytes: number;
  readonly maxHeaderCount: number;
  readonly maxRequestBodySize: number;
  readonly maxMessageSize: number;
  readonly maxFrameSize: number;
  readonly handshakeTimeout: number;
  readonly closeTimeout: number;
  readonly maxBufferedAmount: number;
  readonly drainThreshold: number;
}

/** What a driver reports to, and asks of, the server or client that owns it. */
export interface DriverHost<Data = Record<string, unknown>> {
  /** The role of the host's connections: frames are masked by clients only. */
  readonly role: "server" | "client";
  readonly options: DriverOptions;
  /** permessage-deflate's shared contexts, when the host offers it. */
  readonly deflate: DeflateContexts | undefined;
  /** The write buffers the host's connections share. */
  readonly buffers: FrameBuffers;
  readonly scheduler: FlushScheduler;
  readonly clock: Clock;
  opened(conn: ConnectionDriver<Data>): void;
  message(conn: ConnectionDriver<Data>, data: string | Uint8Array): void;
  errored(error: unknown, conn?: ConnectionDriver<Data>): void;
  drained(conn: ConnectionDriver<Data>): void;
  closed(conn: ConnectionDriver<Data>, info: CloseInfo): void;
  /** The transport is gone, whether or not the connection ever opened. */
  released(conn: ConnectionDriver<Data>): void;
  /** What the drivers count as they run (bytes, sends, flow control). */
  readonly counters: TrafficCounters;
}
