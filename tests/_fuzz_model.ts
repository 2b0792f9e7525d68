/**
 * The driver fuzzer's model: what each raw client sent and received, and
 * what the application saw and sent on each connection.
 *
 * @module
 */

import type { Connection } from "../src/driver/connection.ts";
import type { CloseInfo } from "../src/protocol/protocol_events.ts";
import type { TransportHandler } from "../src/driver/engine.ts";
import type { MemorySocket } from "../engines/memory.ts";
import { ByteLog, type WireFrame } from "./_fuzz_bytes.ts";

/** Where the model reports: the trace, broken invariants, and counts. */
export interface Reporter {
  /** A trace line. */
  log(line: string): void;
  /** A broken invariant. */
  problem(message: string): void;
  /** Something notable happened (the coverage tally). */
  count(what: string): void;
}

/** The first thing in a peer's stream after which the server reads nothing more. */
export type Stopper =
  | { kind: "close"; code: number; reason: string }
  | { kind: "violation"; name: string; codes: number[] };

/** A frame the application queued (its send returned true). */
export interface ExpectedFrame {
  opcode: number;
  fin: boolean;
  payload: Uint8Array;
}

/** One raw client, and what the server wrote to it. */
export class Peer {
  readonly index: number;
  readonly label: string;
  readonly address: string;
  socket!: MemorySocket;

  // The server's side, seen through the recording transport.
  /** Everything the server's transport was asked to write before its end() or abort(). */
  readonly wire = new ByteLog();
  serverEnded = false;
  serverAborted = false;
  transportClosed = false;
  driver: (TransportHandler & { readonly readyState: number }) | undefined;

  // What the client received.
  received = 0;
  clientGotEnd = false;
  clientClosed = false;

  // The server's stream, parsed.
  parsed = 0;
  httpStatus = 0;
  sendingFragments = false;
  closeFrame: WireFrame | undefined;
  pongs = 0;

  /** Virtual time of the connect. */
  connectedAt = 0;

  // What the client sends.
  readonly out = new ByteLog();
  written = 0;
  headLength = 0;
  /** Whether the request goes through the (asynchronous) upgrade decision. */
  upgrades = true;
  /** The HTTP status the request must get. */
  expectStatus = 101;
  /** An error event was reported for the request (authorize() threw). */
  requestFailed = false;
  /** How long authorize() takes for a `/slow` request, in virtual ms. */
  authorizeDelay = 0;
  /** authorize() was asked and has not answered yet. */
  authorizing = false;
  ended = false;
  aborted = false;
  paused = false;
  /** Whole valid messages, in order, before the stopper. */
  readonly messages: Array<string | Uint8Array> = [];
  /** Payloads of the pings sent before the stopper, in order. */
  readonly pings: string[] = [];
  stopper: Stopper | undefined;
  conn: ConnModel | undefined;

  constructor(index: number, seed: number) {
    this.index = index;
    this.label = `p${index}`;
    // One address per client: the server's connection names its peer.
    this.address = `10.${(seed >>> 8) & 0xff}.${seed & 0xff}.${index + 1}`;
  }

  get live(): boolean {
    return !this.ended && !this.aborted && !this.clientClosed;
  }

  get unwritten(): number {
    return this.out.length - this.written;
  }
}

/** The application's view of one opened connection. */
export class ConnModel {
  readonly peer: Peer;
  readonly conn: Connection;
  lastState = 1;
  /** Virtual time readyState was first seen past Open. */
  closingSince: number | undefined;
  readonly closes: CloseInfo[] = [];
  closed = false;
  readonly expected: ExpectedFrame[] = [];
  matched = 0;
  /** The payload of our close frame, when the application queued the first one. */
  appClose: Uint8Array | undefined;
  /** The code of the violation the server reported. */
  violation: number | undefined;
  /** The code of a failure of ours (buffer cap, keepalive). */
  failure: number | undefined;
  terminated = false;
  readonly delivered: Array<string | Uint8Array> = [];
  midFragment = false;
  readonly rooms = new Set<string>();
  readonly leavesAllowed = new Set<string>();

  constructor(peer: Peer, conn: Connection) {
    this.peer = peer;
    this.conn = conn;
  }

  get label(): string {
    return `c${this.peer.index}`;
  }
}
