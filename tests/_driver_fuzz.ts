/**
 * A seeded, model-based fuzzer of the connection driver: a {@link Server} on
 * the memory engine, its timers on a {@link FakeClock}, raw clients that
 * write hand-made frames, and one random interleaving per seed of
 * application calls, peer events and timers. After every step (microtasks
 * settled) the invariants of issue 12 §4 are checked against a model of
 * what each side sent; the first broken one throws a {@link FuzzFailure}
 * naming the seed, the step and the recent trace.
 *
 * Used by `tests/driver/driver_fuzz_test.ts` (a few thousand seeds in `npm test`)
 * and `scripts/fuzz.ts` (`npm run fuzz`, the long run).
 *
 * @module
 */

import process from "node:process";
import type { Connection } from "../src/driver/connection.ts";
import type { CloseInfo } from "../src/protocol/protocol_events.ts";
import type {
  Engine,
  Transport,
  TransportHandler,
} from "../src/driver/engine.ts";
import { Server } from "../src/server/server.ts";
import type { ServerOptions } from "../src/server/options.ts";
import { type MemoryEngine, memoryEngine } from "../engines/memory.ts";
import { closePayload, upgradeRequest } from "./_clients.ts";
import { sameBytes, show } from "./_fuzz_bytes.ts";
import { ConnModel, Peer, type Reporter } from "./_fuzz_model.ts";
import {
  closeFrame,
  type Limits,
  message,
  type PeerBytes,
  ping,
  pong,
  violation,
} from "./_fuzz_peer_bytes.ts";
import { checkWire } from "./_fuzz_wire_checks.ts";
import { recordConnection } from "./_fuzz_recording.ts";
import { FuzzApp, ROOMS } from "./_fuzz_app.ts";
import { type Prng, prng } from "./_prng.ts";
import { FakeClock } from "./_fake_clock.ts";

const encoder = new TextEncoder();

/** What the server fails a connection with, per ProtocolError kind. */
const FAILURE_CODES: Record<string, number> = {
  "protocol": 1002,
  "invalid-data": 1007,
  "policy": 1008,
  "too-big": 1009,
  "keepalive": 1011,
  "internal": 1011,
};
const STOP_PAYLOAD = closePayload(1001, "Server shutting down");

/** An invariant broke: the message names the seed, the step and the recent trace. */
export class FuzzFailure extends Error {
  override name = "FuzzFailure";
  /** The seed that failed. */
  readonly seed: number;
  /** The step (1-based; 0 = setup; steps + 1 = teardown). */
  readonly step: number;

  constructor(
    seed: number,
    step: number,
    message: string,
    trace: string[],
    steps?: number,
  ) {
    const fixed = steps === undefined ? "" : ` ANYWS_FUZZ_STEPS=${steps}`;
    super(
      `seed ${seed}, step ${step}: ${message}\n` +
        `replay: ANYWS_FUZZ_SEED=${seed}${fixed} npm run fuzz\n` +
        `--- last ${trace.length} trace lines ---\n${trace.join("\n")}`,
    );
    this.seed = seed;
    this.step = step;
  }
}

/** Options of {@link fuzzSeed}. */
export interface FuzzOptions {
  /** Random steps before the teardown. Default: 30 to 80, chosen by the seed. */
  steps?: number;
  /** Called with every trace line as it happens (a replay prints them). */
  trace?: (line: string) => void;
  /** Errors that escaped to the runtime (see {@link watchUncaught}); checked after every step. */
  uncaught?: unknown[];
}

/** What one seed did. */
export interface FuzzOutcome {
  seed: number;
  steps: number;
  peers: number;
  opened: number;
  /** Frames the server wrote that were checked against the model. */
  frames: number;
  /** How often each notable thing happened (what the seed covered). */
  tally: Record<string, number>;
}

/**
 * Records every unhandled rejection and uncaught exception until disposed
 * (on every runtime, through `node:process`).
 *
 * @example
 * ```ts
 * const watch = watchUncaught();
 * try { await fuzzSeed(1, { uncaught: watch.errors }); } finally { watch.dispose(); }
 * ```
 */
export function watchUncaught(): { errors: unknown[]; dispose(): void } {
  const errors: unknown[] = [];
  const record = (error: unknown) => errors.push(error);
  process.on("unhandledRejection", record);
  process.on("uncaughtException", record);
  return {
    errors,
    dispose() {
      process.off("unhandledRejection", record);
      process.off("uncaughtException", record);
    },
  };
}

/**
 * Runs one seed: setup, random steps, teardown, with the invariants checked
 * after each step. Throws a {@link FuzzFailure} on the first broken one.
 *
 * @example
 * ```ts
 * const outcome = await fuzzSeed(42);
 * console.log(outcome.opened, "connections opened");
 * ```
 */
export async function fuzzSeed(
  seed: number,
  options: FuzzOptions = {},
): Promise<FuzzOutcome> {
  const fuzz = new Fuzz(seed, options);
  return await fuzz.run();
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ── the fuzzer ──────────────────────────────────────────────────────────

class Fuzz {
  readonly seed: number;
  readonly rng: Prng;
  readonly clock = new FakeClock();
  readonly options: ServerOptions & {
    handshakeTimeout: number;
    closeTimeout: number;
    pingInterval: number;
    idleTimeout: number;
    maxMessageSize: number;
    maxFrameSize: number;
    maxBufferedAmount: number;
    drainThreshold: number;
  };
  readonly highWaterMark: number;
  readonly chunkSize: number;
  /** Scales the big messages (see chunkSize). */
  readonly big: number;
  readonly maxPeers: number;
  /** Whether the server's transports report their close on a later turn. */
  readonly lateClose: boolean;
  readonly steps: number;
  readonly engine: MemoryEngine;
  readonly server: Server;
  readonly peers: Peer[] = [];
  readonly byAddress = new Map<string, Peer>();
  readonly models = new Map<Connection, ConnModel>();
  #traceSink: ((line: string) => void) | undefined;
  #trace: string[] = [];
  #uncaught: unknown[];
  #uncaughtSeen = 0;
  #step = 0;
  #problems: string[] = [];
  #stopCalled = false;
  #stopDone = false;
  #stopFailed: unknown;
  #stopping = false;
  #counter = 0;
  #frames = 0;
  #fixedSteps: number | undefined;
  #report: Reporter = {
    log: (line) => this.#log(line),
    problem: (message) => this.#problem(message),
    count: (what) => this.#count(what),
  };
  /** Fresh numbers for payloads, so that each one can be told apart. */
  #ids = (): number => this.#counter++;
  #limits!: Limits;
  #roomMembers = new Map<string, Set<ConnModel>>();
  #app!: FuzzApp;
  readonly tally: Record<string, number> = {};

  constructor(seed: number, options: FuzzOptions) {
    this.seed = seed;
    this.rng = prng(seed);
    this.#traceSink = options.trace;
    this.#uncaught = options.uncaught ?? [];
    this.#uncaughtSeen = this.#uncaught.length;
    const r = this.rng;
    const maxMessageSize = r.pick([300, 2048, 65536, 16 * 1024 * 1024]);
    this.options = {
      hostname: "127.0.0.1",
      port: 0,
      handshakeTimeout: r.pick([0, 40, 200, 10_000]),
      closeTimeout: r.pick([0, 30, 150, 5000]),
      pingInterval: r.pick([0, 0, 50, 300]),
      idleTimeout: r.pick([0, 0, 120, 1000]),
      maxMessageSize,
      maxFrameSize: r.pick([maxMessageSize, maxMessageSize, 200]),
      maxBufferedAmount: r.pick([0, 3000, 40_000, 16 * 1024 * 1024]),
      drainThreshold: r.pick([0, 500, 8192, 1024 * 1024]),
    };
    this.highWaterMark = r.pick([16, 200, 2048, 64 * 1024]);
    this.chunkSize = r.pick([1, 3, 17, 256, 1400, 65536]);
    // Byte-by-byte delivery is slow: smaller big messages then.
    this.big = this.chunkSize < 16 ? 0.125 : 1;
    this.#limits = {
      maxFrameSize: this.options.maxFrameSize,
      maxMessageSize: this.options.maxMessageSize,
      big: this.big,
    };
    this.maxPeers = r.int(1, 4);
    this.lateClose = r.next() < 0.5;
    const drawn = r.int(30, 80); // drawn either way: a seed's setup stays the same
    this.steps = options.steps ?? drawn;
    this.#fixedSteps = options.steps;
    const inner = memoryEngine({
      clock: this.clock,
      highWaterMark: this.highWaterMark,
      chunkSize: this.chunkSize,
    });
    this.engine = inner;
    const recording: Engine = {
      name: "fuzz-memory",
      clock: inner.clock,
      listen: (listenOptions, accept) =>
        inner.listen(
          listenOptions,
          (transport) => this.#accepted(transport, accept),
        ),
    };
    this.server = new Server(recording, {
      ...this.options,
      authorize: (request, { remoteAddress }) => {
        if (request.path.startsWith("/boom")) {
          throw new Error("authorize() failed");
        }
        const peer = this.byAddress.get(remoteAddress);
        if (peer !== undefined && request.path.startsWith("/slow")) {
          // Decided later, on the virtual clock: the handshake timer or
          // stop() may drop the connection first.
          peer.authorizing = true;
          return new Promise((resolve) => {
            this.clock.setTimeout(() => {
              peer.authorizing = false;
              this.#log(`${peer.label}: authorize() says yes`);
              resolve(true);
            }, peer.authorizeDelay);
          });
        }
        return !request.path.startsWith("/deny");
      },
    });
    this.#app = new FuzzApp({
      rng: this.rng,
      ids: this.#ids,
      report: this.#report,
      server: this.server,
      models: this.models,
      big: this.big,
    });
    this.#handlers();
  }

  async run(): Promise<FuzzOutcome> {
    const o = this.options;
    this.#log(
      `seed ${this.seed}: handshakeTimeout ${o.handshakeTimeout}, closeTimeout ${o.closeTimeout}, ` +
        `pingInterval ${o.pingInterval}, idleTimeout ${o.idleTimeout}, maxMessageSize ${o.maxMessageSize}, ` +
        `maxFrameSize ${o.maxFrameSize}, maxBufferedAmount ${o.maxBufferedAmount}, drainThreshold ${o.drainThreshold}; ` +
        `engine highWaterMark ${this.highWaterMark}, chunkSize ${this.chunkSize}` +
        `${this.lateClose ? ", close reported a turn late" : ""}; ` +
        `up to ${this.maxPeers} peers at once, ${this.steps} steps`,
    );
    await this.server.listen();
    for (this.#step = 1; this.#step <= this.steps; this.#step++) {
      await this.#randomStep();
      await this.#settle();
      this.#checkAll();
    }
    await this.#teardown();
    return {
      seed: this.seed,
      steps: this.steps,
      peers: this.peers.length,
      opened: this.models.size,
      frames: this.#frames,
      tally: this.tally,
    };
  }

  // ── trace and failures ──────────────────────────────────────────────

  #count(what: string): void {
    this.tally[what] = (this.tally[what] ?? 0) + 1;
  }

  #log(line: string): void {
    const entry = `[${this.#step}] t=${this.clock.now()} ${line}`;
    this.#trace.push(entry);
    if (this.#trace.length > 120) this.#trace.splice(0, 40);
    this.#traceSink?.(entry);
  }

  /** Records a broken invariant (thrown at the end of the step). */
  #problem(message: string): void {
    this.#log(`!! ${message}`);
    this.#problems.push(message);
  }

  #fail(message: string): never {
    throw new FuzzFailure(
      this.seed,
      this.#step,
      message,
      this.#trace.slice(-80),
      this.#fixedSteps,
    );
  }

  #throwProblems(): void {
    if (this.#uncaught.length > this.#uncaughtSeen) {
      const error = this.#uncaught[this.#uncaughtSeen];
      this.#problem(
        `an error escaped to the runtime: ${
          error instanceof Error ? error.stack : String(error)
        }`,
      );
      this.#uncaughtSeen = this.#uncaught.length;
    }
    if (this.#problems.length > 0) this.#fail(this.#problems.join("\n"));
  }

  // ── the recording engine ────────────────────────────────────────────

  #accepted(
    transport: Transport,
    accept: (transport: Transport) => TransportHandler,
  ): TransportHandler {
    const peer = this.byAddress.get(transport.remoteAddress);
    if (peer === undefined) {
      this.#fail(`unknown peer ${transport.remoteAddress}`);
    }
    return recordConnection(peer, transport, accept, this.#report, {
      lateClose: this.lateClose,
    });
  }

  // ── the application ─────────────────────────────────────────────────

  #model(conn: Connection, event: string): ConnModel | undefined {
    const model = this.models.get(conn);
    if (model === undefined) {
      this.#problem(`${event} event for a connection that never opened`);
    }
    return model;
  }

  /** Checks an event other than `close` for `m`. */
  #eventAllowed(m: ConnModel, event: string): void {
    if (m.closed) {
      this.#problem(`${m.label}: ${event} event after its close event`);
    } else if (m.terminated && !this.#app.inCall) {
      this.#problem(`${m.label}: ${event} event after terminate()`);
    } else if (m.peer.serverAborted && !this.#app.inCall) {
      this.#problem(`${m.label}: ${event} event after the server dropped it`);
    }
    this.#checkState(m, event);
  }

  #handlers(): void {
    const server = this.server;
    const r = this.rng;
    server.on("open", (_request, conn) => {
      const peer = this.byAddress.get(conn.remoteAddress);
      if (peer === undefined) {
        this.#problem(`open event from unknown address ${conn.remoteAddress}`);
        return;
      }
      if (peer.conn !== undefined) {
        this.#problem(`${peer.label}: a second open event`);
      }
      if (peer.serverAborted) {
        this.#problem(`${peer.label}: open event after the server dropped it`);
      }
      const m = new ConnModel(peer, conn);
      peer.conn = m;
      this.models.set(conn, m);
      this.#log(`${m.label}: open`);
      this.#count("open");
      if (conn.readyState !== 1) {
        this.#problem(
          `${m.label}: readyState ${conn.readyState} in the open event`,
        );
      }
      const roll = r.next();
      if (roll < 0.3) this.#app.send(m, `welcome ${peer.label}`, "welcome");
      else if (roll < 0.4) this.#app.join(m, r.pick(ROOMS));
      else if (roll < 0.45 && !this.#app.calm) this.#app.pause(m);
    });
    const onMessage = (m: ConnModel, data: string | Uint8Array) => {
      this.#eventAllowed(m, "message");
      m.delivered.push(data);
      this.#log(`${m.label}: message ${show(data)}`);
      const i = m.delivered.length - 1;
      const sent = m.peer.messages[i];
      if (sent === undefined) {
        this.#problem(
          `${m.label}: message #${i} delivered, but the peer sent only ${m.peer.messages.length} before its stopper`,
        );
      } else if (
        typeof sent !== typeof data ||
        (typeof sent === "string"
          ? sent !== data
          : !sameBytes(sent, data as Uint8Array))
      ) {
        this.#problem(
          `${m.label}: message #${i} is ${show(data)}, the peer sent ${
            show(sent)
          }`,
        );
      }
      this.#app.react(m, data);
    };
    server.on("message", (data, conn) => {
      const m = this.#model(conn, "message");
      if (m) onMessage(m, data);
    });
    server.on("fz", (data, conn) => {
      const m = this.#model(conn, "fz");
      if (m) onMessage(m, JSON.stringify({ event: "fz", data }));
    });
    server.on("error", (error, conn) => {
      const e = error as { kind?: string; code?: number; message?: string };
      if (conn === undefined) {
        this.#problem(`error event without a connection: ${String(error)}`);
        return;
      }
      const refused = this.byAddress.get(conn.remoteAddress);
      if (refused?.expectStatus === 500 && refused.conn === undefined) {
        this.#log(`${refused.label}: error ${String(error)}`);
        refused.requestFailed = true;
        if (!String(error).includes("authorize() failed")) {
          this.#problem(`${refused.label}: unexpected error ${String(error)}`);
        }
        return;
      }
      const m = this.#model(conn, "error");
      if (m === undefined) return;
      this.#log(
        `${m.label}: error ${e.kind ?? "?"} ${e.code ?? "?"}: ${
          e.message ?? String(error)
        }`,
      );
      this.#count(`error ${e.kind}`);
      this.#eventAllowed(m, "error");
      if (e.kind !== undefined && FAILURE_CODES[e.kind] !== e.code) {
        this.#problem(`${m.label}: a ${e.kind} error with code ${e.code}`);
      }
      const o = this.options;
      switch (e.kind) {
        case "protocol":
        case "invalid-data":
        case "too-big": {
          const stopper = m.peer.stopper;
          if (m.violation !== undefined) {
            this.#problem(`${m.label}: a second violation reported`);
          }
          m.violation = e.code;
          if (stopper?.kind !== "violation") {
            this.#problem(
              `${m.label}: violation ${e.code} reported, but the peer's stream has ${
                stopper ? `a close first` : "none"
              }`,
            );
          } else if (!stopper.codes.includes(e.code!)) {
            this.#problem(
              `${m.label}: violation ${e.code} reported for ${stopper.name} (expected ${
                stopper.codes.join(" or ")
              })`,
            );
          }
          // RFC 6455 strictness (Autobahn 3.x-5.x): every valid message
          // before the violation was delivered.
          if (m.delivered.length !== m.peer.messages.length) {
            this.#problem(
              `${m.label}: violation after ${m.peer.messages.length} valid messages, but ${m.delivered.length} were delivered`,
            );
          }
          break;
        }
        case "policy":
          if (o.maxBufferedAmount === 0) {
            this.#problem(
              `${m.label}: a policy failure with no maxBufferedAmount`,
            );
          }
          m.failure ??= e.code;
          break;
        case "keepalive":
          if (o.idleTimeout === 0) {
            this.#problem(
              `${m.label}: a keepalive failure with no idleTimeout`,
            );
          }
          m.failure ??= e.code;
          break;
        default:
          this.#problem(
            `${m.label}: unexpected error: ${
              error instanceof Error ? error.stack : String(error)
            }`,
          );
      }
      // The connection is failing: sends are refused.
      if (r.next() < 0.3) this.#app.send(m, "answer to an error", "send");
    });
    server.on("drain", (amount, conn) => {
      const m = this.#model(conn, "drain");
      if (m === undefined) return;
      this.#log(`${m.label}: drain ${amount}`);
      this.#count("drain event");
      this.#eventAllowed(m, "drain");
      if (!(amount >= 0)) {
        this.#problem(`${m.label}: drain with bufferedAmount ${amount}`);
      }
      if (r.next() < 0.3) {
        this.#app.send(m, r.bytes(r.int(0, 3000)), "more on drain");
      }
    });
    server.on("join", ({ room, size }, conn) => {
      const m = this.#model(conn, "join");
      if (m === undefined) return;
      this.#log(`${m.label}: join ${room} (${size})`);
      this.#eventAllowed(m, "join");
      m.rooms.add(room);
      this.#roomSize(room, m, true, size);
    });
    server.on("leave", ({ room, size }, conn) => {
      const m = this.#model(conn, "leave");
      if (m === undefined) return;
      this.#log(`${m.label}: leave ${room} (${size})`);
      if (m.closed) {
        // Documented: after close, one leave per room the connection was in.
        if (!m.leavesAllowed.delete(room)) {
          this.#problem(`${m.label}: leave ${room} after its close event`);
        }
      } else {
        this.#eventAllowed(m, "leave");
      }
      m.rooms.delete(room);
      this.#roomSize(room, m, false, size);
    });
    server.on("close", (info, conn) => {
      const m = this.#model(conn, "close");
      if (m === undefined) return;
      this.#log(
        `${m.label}: close ${info.code} ${
          JSON.stringify(info.reason)
        } wasClean ${info.wasClean}`,
      );
      this.#count(
        info.wasClean
          ? "close clean"
          : `close ${info.code === 1006 ? "1006" : "unclean, code"}`,
      );
      this.#onClose(m, info);
      if (r.next() < 0.3) this.#app.afterCloseCalls(m);
    });
  }

  /** A join or leave event: the room's new size, as the model counts it. */
  #roomSize(room: string, m: ConnModel, join: boolean, size: number): void {
    let members = this.#roomMembers.get(room);
    if (members === undefined) this.#roomMembers.set(room, members = new Set());
    if (join) members.add(m);
    else members.delete(m);
    if (size !== members.size) {
      this.#problem(
        `${m.label}: ${
          join ? "join" : "leave"
        } ${room} reports size ${size}, the model counts ${members.size}`,
      );
    }
  }

  #onClose(m: ConnModel, info: CloseInfo): void {
    const peer = m.peer;
    m.closes.push(info);
    if (m.closed) {
      this.#problem(`${m.label}: close event #${m.closes.length}`);
      return;
    }
    m.closed = true;
    for (const room of m.conn.rooms) m.leavesAllowed.add(room);
    if (m.conn.readyState !== 3) {
      this.#problem(
        `${m.label}: readyState ${m.conn.readyState} in the close event`,
      );
    }
    if (m.conn.bufferedAmount !== 0) {
      this.#problem(
        `${m.label}: bufferedAmount ${m.conn.bufferedAmount} in the close event`,
      );
    }
    m.lastState = 3;
    this.#frames += checkWire(peer, this.#report, this.options.pingInterval);
    const peerClose = peer.stopper?.kind === "close" ? peer.stopper : undefined;
    const gotPeerClose = peerClose !== undefined &&
      info.code === peerClose.code;
    if (m.violation !== undefined) {
      if (info.code !== m.violation) {
        this.#problem(
          `${m.label}: closed with ${info.code} after violation ${m.violation}`,
        );
      }
    } else if (gotPeerClose) {
      if (info.reason !== peerClose.reason) {
        this.#problem(
          `${m.label}: close reason ${
            JSON.stringify(info.reason)
          }, the peer sent ${JSON.stringify(peerClose.reason)}`,
        );
      }
      if (m.delivered.length !== peer.messages.length) {
        this.#problem(
          `${m.label}: the peer's close was read after ${peer.messages.length} messages, but ${m.delivered.length} were delivered`,
        );
      }
    } else if (m.failure !== undefined) {
      if (info.code !== m.failure) {
        this.#problem(
          `${m.label}: closed with ${info.code} after failure ${m.failure}`,
        );
      }
    } else if (info.code !== 1006) {
      this.#problem(
        `${m.label}: closed with ${info.code}; expected 1006 (no close frame read, no failure)`,
      );
    }
    // wasClean follows the bytes (RFC 6455 §7.1.5): our close frame reached
    // the peer whole, and the peer's was read.
    const ourCloseArrived = peer.closeFrame !== undefined &&
      peer.received >= peer.closeFrame.end;
    if (info.wasClean) {
      if (!gotPeerClose) {
        this.#problem(
          `${m.label}: wasClean, but the peer's close frame was not read`,
        );
      }
      if (!ourCloseArrived) {
        this.#problem(
          `${m.label}: wasClean, but our close frame did not reach the peer (got ${peer.received} of ${
            peer.closeFrame?.end ?? "no close frame in"
          } ${peer.wire.length} bytes)`,
        );
      }
    } else if (gotPeerClose && ourCloseArrived && m.violation === undefined) {
      this.#problem(
        `${m.label}: both close frames were exchanged, yet wasClean is false`,
      );
    }
  }

  // ── peers ───────────────────────────────────────────────────────────

  #connect(): void {
    const r = this.rng;
    const peer = new Peer(this.peers.length, this.seed);
    this.byAddress.set(peer.address, peer);
    let socket;
    try {
      socket = this.engine.connect(this.server.port, {
        remoteAddress: peer.address,
      });
    } catch (error) {
      this.#log(`${peer.label}: connect refused (${(error as Error).message})`);
      this.byAddress.delete(peer.address);
      if (!this.#stopCalled) {
        this.#problem(`connect refused while listening: ${String(error)}`);
      }
      return;
    }
    if (this.#stopCalled) {
      this.#problem(`${peer.label}: connected after stop()`);
    }
    this.peers.push(peer);
    peer.socket = socket;
    peer.connectedAt = this.clock.now();
    socket.onData = (bytes) => {
      if (peer.clientGotEnd) {
        this.#problem(`${peer.label}: data after the server's FIN`);
      }
      const expected = peer.wire.bytes.subarray(
        peer.received,
        peer.received + bytes.length,
      );
      if (!sameBytes(expected, bytes)) {
        this.#problem(
          `${peer.label}: received bytes ${peer.received}..${
            peer.received + bytes.length
          } differ from what the server wrote`,
        );
      }
      peer.received += bytes.length;
    };
    socket.onEnd = () => {
      peer.clientGotEnd = true;
    };
    socket.onClose = () => {
      peer.clientClosed = true;
    };
    const headRoll = r.next();
    let head: string;
    if (headRoll < 0.04) {
      peer.upgrades = false;
      peer.expectStatus = 400;
      head = upgradeRequest("/").replace(/Sec-WebSocket-Key: [^\r]*\r\n/, "");
    } else if (headRoll < 0.06) {
      peer.upgrades = false;
      peer.expectStatus = 426;
      head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    } else if (headRoll < 0.07) {
      peer.upgrades = false;
      peer.expectStatus = 400;
      head = "NOT HTTP AT ALL\r\n\r\n";
    } else if (headRoll < 0.09) {
      // authorize() says no.
      peer.expectStatus = 401;
      head = upgradeRequest(`/deny/${peer.index}`);
    } else if (headRoll < 0.1) {
      // authorize() throws: 500 and an error event.
      peer.expectStatus = 500;
      head = upgradeRequest(`/boom/${peer.index}`);
    } else if (headRoll < 0.2) {
      peer.authorizeDelay = r.int(1, 400);
      head = upgradeRequest(`/slow/${peer.index}`);
    } else {
      head = upgradeRequest(`/fuzz/${peer.index}`);
    }
    const bytes = encoder.encode(head);
    peer.out.push(bytes);
    peer.headLength = bytes.length;
    this.#log(
      `${peer.label}: connect${
        peer.expectStatus === 101
          ? ""
          : ` (to be answered ${peer.expectStatus})`
      }`,
    );
    if (peer.expectStatus === 101 && r.next() < 0.1) {
      // A client that sends its request and messages at once, then
      // half-closes: the FIN may arrive while the upgrade is decided.
      for (let i = r.int(0, 3); i > 0; i--) {
        this.#peerSends(peer, message(r, this.#ids, this.#limits));
      }
      this.#writeOut(peer, true);
      peer.ended = true;
      this.#log(`${peer.label}: FIN right behind its request`);
      socket.end();
      return;
    }
    this.#writeOut(peer, r.next() < 0.75);
  }

  /** Writes the peer's queued bytes: all, or a random prefix (a frame split across reads). */
  #writeOut(peer: Peer, all: boolean): void {
    if (!peer.live || peer.unwritten === 0) return;
    const r = this.rng;
    const size = all ? peer.unwritten : r.int(1, peer.unwritten);
    const bytes = peer.out.bytes.slice(peer.written, peer.written + size);
    peer.written += size;
    peer.socket.write(bytes);
    this.#log(`${peer.label}: wrote ${size} bytes (${peer.unwritten} left)`);
  }

  /** Queues `bytes`, whole client frames, and maybe writes them. */
  #queue(peer: Peer, bytes: Uint8Array, what: string): void {
    peer.out.push(bytes);
    this.#log(`${peer.label}: queued ${what}`);
    this.#writeOut(peer, this.rng.next() < 0.7);
  }

  /** Queues what a peer sends, and what the server should make of it. */
  #peerSends(peer: Peer, sent: PeerBytes): void {
    if (peer.stopper === undefined) {
      peer.pings.push(...sent.pings);
      if (sent.stopper !== undefined) peer.stopper = sent.stopper;
      else if (sent.message !== undefined) peer.messages.push(sent.message);
    }
    this.#queue(peer, sent.bytes, sent.what);
  }

  #peerClose(peer: Peer): void {
    this.#peerSends(peer, closeFrame(this.rng, this.#ids));
  }

  // ── steps ───────────────────────────────────────────────────────────

  #openModels(): ConnModel[] {
    return [...this.models.values()].filter((m) => !m.closed);
  }

  async #randomStep(): Promise<void> {
    const r = this.rng;
    const livePeers = this.peers.filter((p) => p.live && p.headLength > 0);
    const models = [...this.models.values()];
    const open = this.#openModels();
    const choices: Array<[number, () => void | Promise<void>]> = [];
    const peerAction = (weight: number, action: (peer: Peer) => void) => {
      if (livePeers.length > 0) {
        choices.push([weight, () => action(r.pick(livePeers))]);
      }
    };
    const appAction = (weight: number, action: (m: ConnModel) => void) => {
      if (models.length > 0) {
        choices.push([
          weight,
          () =>
            action(
              r.next() < 0.85 && open.length > 0
                ? r.pick(open)
                : r.pick(models),
            ),
        ]);
      }
    };
    // Up to maxPeers at once; new ones replace the closed (more of them
    // over a longer run).
    const connected = this.peers.filter((p) => !p.clientClosed).length;
    if (this.#stopCalled) choices.push([0.3, () => this.#connect()]);
    else if (
      connected < this.maxPeers &&
      this.peers.length < this.maxPeers + Math.floor(this.steps / 25)
    ) {
      choices.push([connected === 0 ? 40 : 6, () => this.#connect()]);
    }
    const unwritten = livePeers.filter((p) => p.unwritten > 0);
    if (unwritten.length > 0) {
      choices.push([
        8,
        () => this.#writeOut(r.pick(unwritten), r.next() < 0.5),
      ]);
    }
    peerAction(
      14,
      (p) => this.#peerSends(p, message(r, this.#ids, this.#limits)),
    );
    peerAction(3, (p) => this.#peerSends(p, ping(r, this.#ids)));
    peerAction(1, (p) => this.#peerSends(p, pong(r, this.#ids)));
    peerAction(1.5, (p) => this.#peerSends(p, violation(r)));
    peerAction(2, (p) => this.#peerClose(p));
    peerAction(1, (p) => {
      p.ended = true;
      this.#log(
        `${p.label}: FIN${
          p.unwritten > 0 ? ` (${p.unwritten} queued bytes never written)` : ""
        }`,
      );
      p.socket.end();
    });
    peerAction(0.6, (p) => {
      p.aborted = true;
      this.#log(`${p.label}: reset`);
      p.socket.abort();
    });
    const readers = this.peers.filter((p) => !p.clientClosed);
    if (readers.length > 0) {
      choices.push([3, () => {
        const p = r.pick(readers);
        p.paused = !p.paused;
        this.#log(`${p.label}: ${p.paused ? "stops" : "resumes"} reading`);
        if (p.paused) p.socket.pause();
        else p.socket.resume();
      }]);
    }
    appAction(12, (m) => this.#app.randomSend(m));
    appAction(
      2,
      (m) =>
        this.#app.send(
          m,
          r.bytes(Math.floor(r.int(2000, 30_000) * this.big)),
          "big binary",
        ),
    );
    appAction(1.5, (m) => {
      const data = { n: this.#counter++ };
      this.#app.send(
        m,
        JSON.stringify({ event: "note", data }),
        "emit",
        false,
        () => m.conn.emit("note", data),
      );
    });
    if (models.length > 0) choices.push([4, () => this.#app.broadcast()]);
    appAction(2.5, (m) => this.#app.close(m));
    appAction(1, (m) => this.#app.terminate(m));
    appAction(
      3,
      (m) =>
        r.next() < 0.6
          ? this.#app.join(m, r.pick(ROOMS))
          : this.#app.leave(m, r.pick(ROOMS)),
    );
    appAction(
      3,
      (m) => r.next() < 0.5 ? this.#app.pause(m) : this.#app.resume(m),
    );
    choices.push([this.#stopCalled ? 0.2 : 0.6, () => this.#stop()]);
    choices.push([8, () => this.#advance()]);
    let total = 0;
    for (const [weight] of choices) total += weight;
    let pick = r.next() * total;
    for (const [weight, action] of choices) {
      pick -= weight;
      if (pick < 0) {
        await action();
        return;
      }
    }
    await choices[choices.length - 1][1]();
  }

  #stop(): void {
    const timeout = this.rng.pick([0, 20, 200, 2000]);
    this.#log(
      `server.stop({ timeout: ${timeout} })${
        this.#stopping ? " (again, while stopping)" : ""
      }`,
    );
    for (const m of this.models.values()) {
      if (!m.closed && m.conn.readyState === 1) m.appClose ??= STOP_PAYLOAD;
    }
    this.#stopCalled = true;
    this.#stopping = true;
    this.#stopDone = false;
    this.server.stop({ timeout }).then(
      () => {
        this.#stopDone = true;
        this.#stopping = false;
        this.#log("server.stop() resolved");
      },
      (error) => {
        this.#stopFailed = error;
        this.#problem(`server.stop() rejected: ${String(error)}`);
      },
    );
  }

  async #advance(): Promise<void> {
    const r = this.rng;
    const roll = r.next();
    const next = this.clock.nextDue();
    let ms: number;
    if (roll < 0.5 && next !== undefined) {
      ms = next - this.clock.now() + r.int(0, 2);
    } else if (roll < 0.85) ms = r.int(1, 60);
    else ms = r.int(100, 1500);
    this.#log(`advance ${ms} ms`);
    const fired = await this.clock.advanceSettled(ms, () => this.#settle());
    if (fired > 0) this.#log(`${fired} timer(s) fired`);
    this.tally["timers fired"] = (this.tally["timers fired"] ?? 0) + fired;
  }

  /** Lets the microtasks run, and waits for upgrades under way (their SHA-1 is asynchronous). */
  async #settle(): Promise<void> {
    const started = Date.now();
    for (;;) {
      await macrotask();
      if (!this.#upgrading()) return;
      if (Date.now() - started > 10_000) {
        this.#fail("an upgrade never completed");
      }
    }
  }

  #upgrading(): boolean {
    for (const peer of this.peers) {
      if (
        peer.upgrades && !peer.transportClosed && !peer.authorizing &&
        peer.written >= peer.headLength &&
        peer.wire.length === 0 && peer.driver?.readyState === 0
      ) return true;
    }
    return false;
  }

  // ── invariants ──────────────────────────────────────────────────────

  #checkState(m: ConnModel, where: string): void {
    const state = m.conn.readyState;
    if (state < m.lastState) {
      this.#problem(
        `${m.label}: readyState went back from ${m.lastState} to ${state} (${where})`,
      );
    }
    if (state < 1 || state > 3) {
      this.#problem(`${m.label}: readyState ${state} after open (${where})`);
    }
    if (m.closed && state !== 3) {
      this.#problem(`${m.label}: readyState ${state} after close (${where})`);
    }
    if (m.terminated && state < 2) {
      this.#problem(
        `${m.label}: readyState ${state} after terminate() (${where})`,
      );
    }
    m.lastState = Math.max(m.lastState, state);
    if (state >= 2) m.closingSince ??= this.clock.now();
    const buffered = m.conn.bufferedAmount;
    if (!(buffered >= 0)) {
      this.#problem(`${m.label}: bufferedAmount ${buffered} (${where})`);
    }
    if (m.closed && buffered !== 0) {
      this.#problem(
        `${m.label}: bufferedAmount ${buffered} after close (${where})`,
      );
    }
  }

  #checkAll(): void {
    const { closeTimeout, handshakeTimeout } = this.options;
    const now = this.clock.now();
    for (const peer of this.peers) {
      this.#frames += checkWire(peer, this.#report, this.options.pingInterval);
      const m = peer.conn;
      const open = peer.driver !== undefined && !peer.transportClosed &&
        !peer.serverAborted;
      // Liveness: the handshake timer, then the close timer, bound how
      // long a connection can hang.
      if (
        m === undefined && open && handshakeTimeout > 0 &&
        now > peer.connectedAt + handshakeTimeout + closeTimeout
      ) {
        this.#problem(
          `${peer.label}: not open and not dropped ${
            now - peer.connectedAt
          } ms after connecting (handshakeTimeout ${handshakeTimeout}, closeTimeout ${closeTimeout})`,
        );
      }
      if (m === undefined) continue;
      this.#checkState(m, "after the step");
      if (
        open && closeTimeout > 0 && m.closingSince !== undefined &&
        now > m.closingSince + closeTimeout
      ) {
        this.#problem(
          `${peer.label}: still connected ${
            now - m.closingSince
          } ms after it started closing (closeTimeout ${closeTimeout})`,
        );
      }
      if (peer.closeFrame !== undefined && m.matched !== m.expected.length) {
        this.#problem(
          `${peer.label}: ${
            m.expected.length - m.matched
          } frames the application sent were not written before the close frame`,
        );
      }
    }
    // A closed connection holds no timer: at most one timer per live
    // driver, one heartbeat, and the stop() timer while stopping.
    let drivers = 0;
    let server = 0;
    let intervals = 0;
    for (const timer of this.clock.timers()) {
      if (timer.kind === "interval") intervals++;
      if (timer.owner.startsWith("connection_driver.ts")) drivers++;
      else if (
        timer.owner.startsWith("heartbeat.ts") ||
        timer.owner.startsWith("connection_registry.ts")
      ) server++;
      else if (!timer.owner.startsWith("_driver_fuzz.ts")) {
        this.#problem(`a timer set by ${timer.owner}`);
      }
    }
    const live =
      this.peers.filter((p) => p.driver !== undefined && !p.transportClosed)
        .length;
    if (drivers > live) {
      this.#problem(`${drivers} driver timers for ${live} live connections`);
    }
    if (intervals > (this.#stopCalled ? 0 : 1)) {
      this.#problem(`${intervals} intervals set`);
    }
    if (server > (this.#stopping ? 2 : 1)) {
      this.#problem(
        `${server} server timers (${
          this.clock.timers().map((t) => t.owner).join(", ")
        })`,
      );
    }
    this.#throwProblems();
  }

  // ── teardown ────────────────────────────────────────────────────────

  /**
   * Liveness: once every peer reads and no application pause is left,
   * everything flows: the server reads all the peers wrote, and all it
   * queued reaches them (no connection stays paused or blocked).
   */
  async #quiesce(): Promise<void> {
    for (const peer of this.peers) {
      if (peer.paused && !peer.clientClosed) {
        peer.paused = false;
        peer.socket.resume();
        this.#log(`${peer.label}: resumes reading`);
      }
    }
    for (const m of this.#openModels()) this.#app.resume(m);
    await this.#settle();
    this.#checkAll();
    for (const peer of this.peers) {
      if (
        peer.driver === undefined || peer.transportClosed || peer.serverAborted
      ) continue;
      const unread = peer.socket.unsentBytes;
      if (unread > 0 && !peer.serverEnded) {
        this.#problem(
          `${peer.label}: the server left ${unread} bytes unread though nothing is paused`,
        );
      }
      if (peer.received !== peer.wire.length) {
        this.#problem(
          `${peer.label}: ${
            peer.wire.length - peer.received
          } bytes written never reached the reading peer`,
        );
      }
      const m = peer.conn;
      if (m !== undefined && m.conn.bufferedAmount !== 0) {
        this.#problem(
          `${m.label}: bufferedAmount ${m.conn.bufferedAmount} though the peer reads everything`,
        );
      }
    }
    this.#throwProblems();
  }

  async #teardown(): Promise<void> {
    const r = this.rng;
    this.#step = this.steps + 1;
    this.#log("teardown");
    this.#app.calm = true;
    await this.#quiesce();
    if (!this.#stopping) this.#stop();
    // Peers read again; some answer the close frame, the rest stay silent.
    const polite = new Set(this.peers.filter(() => r.next() < 0.5));
    for (let round = 0; round < 200; round++) {
      for (const peer of this.peers) {
        if (peer.paused && !peer.clientClosed) {
          peer.paused = false;
          peer.socket.resume();
        }
        if (
          polite.has(peer) && peer.live && peer.closeFrame !== undefined &&
          peer.received >= peer.closeFrame.end
        ) {
          if (peer.stopper === undefined) this.#peerClose(peer);
          this.#writeOut(peer, true);
          peer.ended = true;
          this.#log(`${peer.label}: FIN`);
          peer.socket.end();
        }
      }
      await this.#settle();
      this.#checkAll();
      const done = this.#stopDone &&
        this.peers.every((p) =>
          p.clientClosed && (p.driver === undefined || p.transportClosed)
        );
      if (done) break;
      const next = this.clock.nextDue();
      if (next === undefined) {
        if (this.#stopDone) break;
        this.#fail("stuck: the server has not stopped and no timer is set");
      }
      await this.clock.advanceSettled(
        next - this.clock.now(),
        () => this.#settle(),
      );
    }
    if (!this.#stopDone) {
      this.#fail(
        `server.stop() never resolved${
          this.#stopFailed ? `: ${String(this.#stopFailed)}` : ""
        }`,
      );
    }
    for (const peer of this.peers) {
      if (!peer.clientClosed) {
        this.#problem(`${peer.label}: the client never closed`);
      }
      if (peer.driver !== undefined && !peer.transportClosed) {
        this.#problem(`${peer.label}: the server's transport never closed`);
      }
    }
    for (const m of this.models.values()) {
      if (m.closes.length !== 1) {
        this.#problem(`${m.label}: ${m.closes.length} close events`);
      }
      if (m.leavesAllowed.size > 0) {
        this.#problem(
          `${m.label}: no leave event after close for ${
            [...m.leavesAllowed].join(", ")
          }`,
        );
      }
    }
    if (this.server.connections.size !== 0) {
      this.#problem(
        `${this.server.connections.size} connections left after stop()`,
      );
    }
    // The harness's own timers (slow authorize() answers) fire now: a
    // connection dropped before its answer must not open.
    for (let round = 0; round < 50; round++) {
      const next = this.clock.nextDue();
      if (next === undefined) break;
      await this.clock.advanceSettled(
        next - this.clock.now(),
        () => this.#settle(),
      );
    }
    await this.#settle();
    await this.#settle();
    for (const peer of this.peers) {
      if (peer.conn !== undefined && !peer.transportClosed) {
        this.#problem(`${peer.label}: opened after the server stopped`);
      }
    }
    const pending = this.clock.timers();
    if (pending.length > 0) {
      this.#problem(
        `timers left after every connection closed and the server stopped: ${
          pending.map((t) => `${t.kind} due ${t.due} set by ${t.owner}`).join(
            "; ",
          )
        }`,
      );
    }
    this.#throwProblems();
  }
}
