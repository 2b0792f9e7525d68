/**
 * The application side of the driver fuzzer: every call the application
 * can make on a connection or the server (send, fragments, ping, emit,
 * broadcast, close, terminate, join/leave, pause/resume), each checked
 * against the model: what it returns, what it throws, and the frames it
 * must put on the wire.
 *
 * @module
 */

import type { Connection, Message } from "../src/driver/connection.ts";
import { Frame } from "../src/protocol/frame.ts";
import type { Server } from "../src/server/server.ts";
import { closePayload, OP } from "./_clients.ts";
import { OPCODE_NAMES, show } from "./_fuzz_bytes.ts";
import type { ConnModel, ExpectedFrame, Reporter } from "./_fuzz_model.ts";
import type { Prng } from "./_prng.ts";

const encoder = new TextEncoder();

/** Codes the application closes with. */
export const APP_CLOSE_CODES = [1000, 1001, 1011, 4500, 4501, 4599];
/** Close codes an application may not send: `conn.close()` throws a UsageError. */
const INVALID_APP_CODES = [999, 1004, 1005, 1006, 1015, 2000, 5000];
/** The rooms connections join. */
export const ROOMS = ["red", "green", "blue"];

/** What {@link FuzzApp} works with. */
export interface FuzzAppContext {
  rng: Prng;
  /** Fresh numbers for payloads. */
  ids: () => number;
  report: Reporter;
  server: Server;
  /** Every connection that opened, closed ones included. */
  models: Map<Connection, ConnModel>;
  /** Scales the big messages. */
  big: number;
}

/** The application: its calls, and its reactions to events. */
export class FuzzApp {
  /** Set for the teardown: reactions no longer pause their connection. */
  calm = false;
  #rng: Prng;
  #ids: () => number;
  #report: Reporter;
  #server: Server;
  #models: Map<Connection, ConnModel>;
  #big: number;
  /** Depth of the calls into the application API under way. */
  #inApp = 0;

  constructor(context: FuzzAppContext) {
    this.#rng = context.rng;
    this.#ids = context.ids;
    this.#report = context.report;
    this.#server = context.server;
    this.#models = context.models;
    this.#big = context.big;
  }

  /** Whether an event fires inside one of the application's own calls. */
  get inCall(): boolean {
    return this.#inApp > 0;
  }

  /** Inside the close event: every call is refused or does nothing. */
  afterCloseCalls(m: ConnModel): void {
    const conn = m.conn;
    this.enterCall(() => {
      if (conn.send("late")) {
        this.#report.problem(`${m.label}: send() true in its close event`);
      }
      if (conn.ping()) {
        this.#report.problem(`${m.label}: ping() true in its close event`);
      }
      if (conn.join("late")) {
        this.#report.problem(`${m.label}: join() true in its close event`);
      }
      conn.close(4000, "late");
      conn.terminate();
      conn.pause();
      conn.resume();
    });
    this.#report.log(`${m.label}: calls in its close event refused`);
  }

  /** What the application does with a message: echo it, close, pause... */
  react(m: ConnModel, data: string | Uint8Array): void {
    const r = this.#rng;
    const roll = r.next();
    if (roll < 0.4) this.send(m, data, "echo");
    else if (roll < 0.48) this.fragments(m, data);
    else if (roll < 0.52) this.close(m);
    else if (roll < 0.54) this.terminate(m);
    else if (roll < 0.58 && !this.calm) this.pause(m);
    else if (roll < 0.62) this.resume(m);
    else if (roll < 0.66) this.broadcast(m);
  }

  /** Runs `call` as the application's own call: events it fires are its consequences. */
  enterCall<T>(call: () => T): T {
    this.#inApp++;
    try {
      return call();
    } finally {
      this.#inApp--;
    }
  }

  #expectedFrames(message: Message): ExpectedFrame[] {
    if (typeof message === "string") {
      return [{ opcode: 1, fin: true, payload: encoder.encode(message) }];
    }
    if (message instanceof Uint8Array) {
      return [{ opcode: 2, fin: true, payload: message }];
    }
    return [{
      opcode: message.opcode,
      fin: message.fin,
      payload: message.payload,
    }];
  }

  /**
   * `conn.send(message)` (or `call`, which sends `message` another way),
   * checked against the model: `true` while open (then the frame must be
   * written), `false` once closing or closed, a UsageError for a misuse:
   * an `invalid` frame, or a frame out of the fragment order while open.
   */
  send(
    m: ConnModel,
    message: Message,
    what: string,
    invalid = false,
    call: () => boolean = () => m.conn.send(message),
  ): boolean {
    const state = m.conn.readyState;
    const misuse = invalid || (state === 1 && this.#outOfOrder(m, message));
    let result: boolean;
    try {
      result = this.enterCall(call);
    } catch (error) {
      const usage = (error as Error).name === "UsageError";
      this.#report.log(`${m.label}: ${what} threw ${(error as Error).message}`);
      if (!usage) {
        this.#report.problem(`${m.label}: ${what} threw ${String(error)}`);
      } else if (!misuse) {
        this.#report.problem(
          `${m.label}: ${what} threw a UsageError, but it is a valid call`,
        );
      }
      return false;
    }
    const shown = message instanceof Frame
      ? `${OPCODE_NAMES[message.opcode] ?? message.opcode}${
        message.fin ? "" : " (FIN unset)"
      } ${show(message.payload)}`
      : show(message);
    this.#report.log(`${m.label}: ${what} ${shown} -> ${result}`);
    if (misuse) {
      if (state === 1) {
        this.#report.problem(
          `${m.label}: ${what} (a misuse) returned ${result} instead of throwing a UsageError`,
        );
      }
      if (result) return result;
    } else if (result !== (state === 1)) {
      this.#report.problem(
        `${m.label}: ${what} returned ${result} in readyState ${state}`,
      );
    }
    if (result) this.expect(m, message);
    return result;
  }

  /** Whether `message` breaks the order of fragments the application is sending. */
  #outOfOrder(m: ConnModel, message: Message): boolean {
    const opcode = typeof message === "string"
      ? OP.Text
      : message instanceof Uint8Array
      ? OP.Binary
      : message.opcode;
    if (opcode === OP.Continuation) return !m.midFragment;
    return opcode < 8 && m.midFragment;
  }

  expect(m: ConnModel, message: Message): void {
    if (m.peer.closeFrame !== undefined) {
      this.#report.problem(
        `${m.label}: a send returned true after our close frame was written`,
      );
    }
    if (message instanceof Frame && message.opcode === OP.Close) {
      m.appClose ??= message.payload;
      return;
    }
    if (message instanceof Frame) {
      if (message.opcode === OP.Text || message.opcode === OP.Binary) {
        m.midFragment = !message.fin;
      } else if (message.opcode === OP.Continuation && message.fin) {
        m.midFragment = false;
      }
    }
    m.expected.push(...this.#expectedFrames(message));
  }

  /** Sends `data` as a fragmented message (control frames may go in between). */
  fragments(m: ConnModel, data: string | Uint8Array): void {
    const r = this.#rng;
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    const opcode = typeof data === "string" ? OP.Text : OP.Binary;
    const parts = r.int(1, 4);
    let offset = 0;
    for (let i = 0; i < parts; i++) {
      const end = i === parts - 1 ? bytes.length : r.int(offset, bytes.length);
      const frame = new Frame(
        i === 0 ? opcode : OP.Continuation,
        bytes.subarray(offset, end),
        { fin: i === parts - 1 },
      );
      offset = end;
      if (!this.send(m, frame, `fragment ${i + 1}/${parts}`)) return;
      if (r.next() < 0.2) {
        this.send(
          m,
          Frame.ping(`ap${this.#ids()}`),
          "ping between fragments",
        );
      }
    }
  }

  close(m: ConnModel): void {
    const r = this.#rng;
    const state = m.conn.readyState;
    const roll = r.next();
    let code: number | undefined;
    let reason: string | undefined;
    let invalid = false;
    if (roll < 0.15) {
      // no code
    } else if (roll < 0.25) {
      code = r.pick(INVALID_APP_CODES);
      invalid = true;
    } else {
      code = r.pick(APP_CLOSE_CODES);
      const reasonRoll = r.next();
      reason = reasonRoll < 0.3
        ? undefined
        : reasonRoll < 0.9
        ? `app ${this.#ids()}`
        : "x".repeat(200);
    }
    let threw: unknown;
    try {
      this.enterCall(() => m.conn.close(code, reason));
    } catch (error) {
      threw = error;
    }
    this.#report.log(
      `${m.label}: close(${code ?? ""}${
        reason === undefined ? "" : `, ${show(reason)}`
      })${threw ? ` threw ${(threw as Error).message}` : ""}`,
    );
    if (invalid) {
      if ((threw as Error | undefined)?.name !== "UsageError") {
        this.#report.problem(
          `${m.label}: close(${code}) did not throw a UsageError`,
        );
      }
      return;
    }
    if (threw !== undefined) {
      this.#report.problem(`${m.label}: close(${code}) threw ${String(threw)}`);
      return;
    }
    if (state === 1) {
      m.appClose ??= code === undefined
        ? new Uint8Array(0)
        : closePayload(code, (reason ?? "").slice(0, 123));
    }
    if (m.conn.readyState < 2) {
      this.#report.problem(
        `${m.label}: readyState ${m.conn.readyState} after close()`,
      );
    }
  }

  terminate(m: ConnModel): void {
    this.enterCall(() => m.conn.terminate());
    this.#report.log(`${m.label}: terminate()`);
    this.#report.count("terminate");
    if (!m.closed) m.terminated = true;
    if (m.conn.readyState < 2) {
      this.#report.problem(
        `${m.label}: readyState ${m.conn.readyState} after terminate()`,
      );
    }
    if (m.conn.send("after terminate")) {
      this.#report.problem(
        `${m.label}: send() returned true after terminate()`,
      );
    }
  }

  pause(m: ConnModel): void {
    this.enterCall(() => m.conn.pause());
    this.#report.log(`${m.label}: pause()`);
  }

  resume(m: ConnModel): void {
    this.enterCall(() => m.conn.resume());
    this.#report.log(`${m.label}: resume()`);
  }

  join(m: ConnModel, room: string): void {
    const expected = m.conn.readyState === 1 && !m.rooms.has(room);
    const result = this.enterCall(() => m.conn.join(room));
    this.#report.log(`${m.label}: join(${room}) -> ${result}`);
    if (result !== expected) {
      this.#report.problem(
        `${m.label}: join(${room}) returned ${result} (readyState ${m.conn.readyState})`,
      );
    }
    if (result && !m.rooms.has(room)) {
      this.#report.problem(`${m.label}: join(${room}) fired no join event`);
    }
  }

  leave(m: ConnModel, room: string): void {
    const expected = m.rooms.has(room);
    const result = this.enterCall(() => m.conn.leave(room));
    this.#report.log(`${m.label}: leave(${room}) -> ${result}`);
    if (result !== expected) {
      this.#report.problem(`${m.label}: leave(${room}) returned ${result}`);
    }
    if (m.rooms.has(room)) {
      this.#report.problem(`${m.label}: leave(${room}) fired no leave event`);
    }
  }

  /** A broadcast to everyone, a room or several rooms, checked member by member. */
  broadcast(from?: ConnModel): void {
    const r = this.#rng;
    const n = this.#ids();
    const roll = r.next();
    let message: Message;
    let misuse = false;
    if (roll < 0.3) message = `bc${n} ${from?.label ?? ""}`;
    else if (roll < 0.45) message = r.bytes(r.int(0, 2000));
    else if (roll < 0.55) message = Frame.text(`bf${n}`);
    else if (roll < 0.7) message = Frame.ping(`bp${n}`);
    else if (roll < 0.75) message = Frame.pong(`bq${n}`);
    else if (roll < 0.82) {
      message = Frame.close(r.pick(APP_CLOSE_CODES), `bye${n}`);
    } else if (roll < 0.9) {
      misuse = true;
      message = r.next() < 0.5
        ? new Frame(r.pick([3, 7, 0xb]), encoder.encode("reserved"))
        : new Frame(OP.Text, encoder.encode("fragment"), { fin: false });
    } else {
      message = JSON.stringify({ event: "news", data: n });
    }
    const target = r.pick(["all", "all", "room", "rooms"]);
    const rooms = target === "room"
      ? [r.pick(ROOMS)]
      : [r.pick(ROOMS), r.pick(ROOMS)];
    const members = [...this.#models.values()].filter((m) =>
      !m.closed && (target === "all" || rooms.some((room) => m.rooms.has(room)))
    );
    const excluded = r.next() < 0.3 ? r.pick(members) : undefined;
    const offered: ConnModel[] = [];
    const filter = (conn: Connection) => {
      const m = this.#models.get(conn);
      if (m) offered.push(m);
      return m !== excluded;
    };
    const control = message instanceof Frame && message.opcode >= 8;
    const predicted = members.filter((m) =>
      m !== excluded && m.conn.readyState === 1 && (control || !m.midFragment)
    );
    let count: number;
    try {
      count = this.enterCall(() => {
        const group = target === "all"
          ? undefined
          : target === "room"
          ? this.#server.room(rooms[0])
          : this.#server.to(...rooms);
        return group === undefined
          ? this.#server.broadcast(message, filter)
          : group.broadcast(message, filter);
      });
    } catch (error) {
      this.#report.log(
        `broadcast to ${target} ${rooms.join(",")} threw ${
          (error as Error).message
        }`,
      );
      if (!misuse || (error as Error).name !== "UsageError") {
        this.#report.problem(`broadcast threw ${String(error)}`);
      }
      return;
    }
    const what = message instanceof Frame
      ? `${OPCODE_NAMES[message.opcode]} ${show(message.payload)}`
      : show(message);
    this.#report.log(
      `broadcast ${what} to ${target === "all" ? "all" : rooms.join("+")}${
        excluded ? ` except ${excluded.label}` : ""
      } -> ${count} (predicted ${
        predicted.map((m) => m.label).join(",") || "none"
      })`,
    );
    if (misuse) {
      this.#report.problem(`broadcast of an invalid frame did not throw`);
      return;
    }
    const offeredSet = new Set(offered);
    if (
      offeredSet.size !== offered.length ||
      (members.length > 0 && (offeredSet.size !== members.length ||
        members.some((m) => !offeredSet.has(m))))
    ) {
      this.#report.problem(
        `broadcast offered ${
          offered.map((m) => m.label).join(",")
        } to the filter; members are ${members.map((m) => m.label).join(",")}`,
      );
    }
    if (count !== predicted.length) {
      this.#report.problem(
        `broadcast reached ${count} connections, the model says ${predicted.length}`,
      );
    }
    for (const m of predicted) this.expect(m, message);
  }

  randomSend(m: ConnModel): void {
    const r = this.#rng;
    const n = this.#ids();
    const roll = r.next();
    if (m.midFragment && roll < 0.6) {
      const fin = r.next() < 0.5;
      this.send(
        m,
        new Frame(OP.Continuation, encoder.encode(`cont${n}`), { fin }),
        "continuation",
      );
      return;
    }
    if (roll < 0.3) {
      this.send(m, `s${n} ` + "é".repeat(r.int(0, 40)), "text");
    } else if (roll < 0.45) this.send(m, r.bytes(r.int(0, 1500)), "binary");
    else if (roll < 0.55) {
      this.send(
        m,
        new Frame(r.pick([OP.Text, OP.Binary]), encoder.encode(`f${n}`), {
          fin: r.next() < 0.6,
        }),
        "frame",
      );
    } else if (roll < 0.65) {
      const payload = `ap${n}`;
      this.send(
        m,
        Frame.ping(payload),
        "ping()",
        false,
        () => m.conn.ping(payload),
      );
    } else if (roll < 0.7) this.send(m, Frame.pong(`aq${n}`), "pong");
    else if (roll < 0.75) {
      this.send(
        m,
        Frame.close(r.pick(APP_CLOSE_CODES), `fc${n}`),
        "close frame",
      );
    } else if (roll < 0.8) {
      const bad = r.pick([
        new Frame(3, new Uint8Array(1)),
        new Frame(OP.Ping, new Uint8Array(126)),
        new Frame(OP.Ping, new Uint8Array(1), { fin: false }),
        new Frame(OP.Text, new Uint8Array(1), { rsv: 4 }),
        new Frame(OP.Close, new Uint8Array([3])),
        new Frame(OP.Close, closePayload(1005)),
        ...(m.midFragment
          ? []
          : [new Frame(OP.Continuation, new Uint8Array(1))]),
      ]);
      this.send(m, bad, "invalid frame", true);
    } else if (roll < 0.9) {
      this.fragments(m, `frag${n} ` + "z".repeat(r.int(0, 300)));
    } else {
      this.send(
        m,
        r.bytes(Math.floor(r.int(1000, 9000) * this.#big)),
        "larger binary",
      );
    }
  }
}
