/**
 * A scripted stand-in for the browser's `WebSocket`, for the event
 * client's tests: the test opens it, feeds it messages and drops it, and
 * reads what the client sent.
 *
 * @module
 */

import { encodeSession } from "../src/events/session_messages.ts";
import type {
  SocketCloseEvent,
  SocketFactory,
  SocketLike,
  SocketMessageEvent,
} from "../src/client/socket_like.ts";

type Listener = (event: never) => void;

/** One fake connection. */
export class FakeSocket implements SocketLike {
  readyState = 0;
  bufferedAmount = 0;
  protocol = "";
  extensions = "";
  binaryType = "blob";
  /** What the client sent, in order. */
  readonly sent: Array<string | Uint8Array> = [];
  /** The client's `close()` calls. */
  readonly closeCalls: Array<{ code?: number; reason?: string }> = [];
  readonly #listeners = new Map<string, Listener[]>();

  readonly url: string;
  readonly protocols: string[];

  constructor(url: string, protocols: string[]) {
    this.url = url;
    this.protocols = protocols;
  }

  addEventListener(type: "open", listener: (event: unknown) => void): void;
  addEventListener(
    type: "message",
    listener: (event: SocketMessageEvent) => void,
  ): void;
  addEventListener(
    type: "close",
    listener: (event: SocketCloseEvent) => void,
  ): void;
  addEventListener(type: "error", listener: (event: unknown) => void): void;
  addEventListener(type: string, listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  send(data: string | Uint8Array): void {
    if (this.readyState !== 1) {
      throw new Error(`send() while readyState is ${this.readyState}`);
    }
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closeCalls.push({ code, reason });
    if (this.readyState >= 2) return;
    const wasOpen = this.readyState === 1;
    this.readyState = 2;
    // A real socket finishes the closing handshake later.
    queueMicrotask(() =>
      this.#end(
        wasOpen
          ? { code: code ?? 1005, reason: reason ?? "", wasClean: true }
          : { code: 1006, reason: "", wasClean: false },
      )
    );
  }

  // ── driven by the test ───────────────────────────────────────────────

  /** The server accepted the connection. */
  open(): void {
    this.readyState = 1;
    this.#dispatch("open", {});
  }

  /** The server sent `data`. */
  receive(data: unknown): void {
    this.#dispatch("message", { data });
  }

  /** The server sent `anyws:session`. */
  session(id: string, token: string, resumed = false): void {
    this.receive(encodeSession({ id, token, resumed }));
  }

  /** The connection ended (default: dropped without a close frame). */
  drop(event: Partial<SocketCloseEvent> = {}): void {
    this.#end({ code: 1006, reason: "", wasClean: false, ...event });
  }

  /** The handshake failed: `error`, then `close` 1006 (with `status` when given). */
  fail(extra: { status?: number; retryAfter?: number } = {}): void {
    this.#dispatch("error", { message: "connection failed" });
    this.drop(extra);
  }

  /** The texts the client sent, parsed. */
  sentJson(): unknown[] {
    return this.sent.map((data) =>
      typeof data === "string" ? JSON.parse(data) : data
    );
  }

  #end(event: SocketCloseEvent): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.#dispatch("close", event);
  }

  #dispatch(type: string, event: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) {
      (listener as (event: unknown) => void)(event);
    }
  }
}

/** Every socket a client created, and the factory that creates them. */
export class FakeNetwork {
  readonly sockets: FakeSocket[] = [];
  readonly factory: SocketFactory = (url, protocols) => {
    const socket = new FakeSocket(url, protocols);
    this.sockets.push(socket);
    return socket;
  };

  /** The last socket created. */
  get latest(): FakeSocket {
    const socket = this.sockets.at(-1);
    if (socket === undefined) throw new Error("No socket created yet");
    return socket;
  }
}

/** Lets queued microtasks run (the client connects in one). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
