/**
 * Sessions that outlive their connection for a while, so that an event
 * client that reconnects gets back its connection id, rooms, user and data
 * (Socket.IO calls this connection state recovery).
 *
 * The server hands each event-client connection a token when its session
 * begins ({@link SessionStore.open}); when the connection drops, it keeps a
 * snapshot of the session under that token ({@link SessionStore.suspend});
 * a client that comes back within the window presents the token and the
 * server takes the snapshot back ({@link SessionStore.resume}). A token is
 * good for one resume: the resumed connection gets a new one.
 *
 * @module
 */

import { type Clock, systemClock, type TimerHandle } from "../shared/clock.ts";

/**
 * What a resumed connection gets back. `data` must survive
 * `structuredClone` (and, once sessions live in Redis, JSON).
 *
 * @example
 * ```ts
 * import type { SessionSnapshot } from "./session_store.ts";
 * const snapshot: SessionSnapshot = { id: "c1", rooms: ["lobby"], user: "ada", data: { nick: "ada" } };
 * ```
 */
export interface SessionSnapshot<Data = Record<string, unknown>> {
  /** The connection id, kept by the resumed connection. */
  readonly id: string;
  /** The rooms the connection was in. */
  readonly rooms: readonly string[];
  /** The user the connection belonged to, if any. */
  readonly user?: string;
  /** The connection's application data. */
  readonly data: Data;
}

/**
 * Options of {@link SessionStore}.
 *
 * @example
 * ```ts
 * import { SessionStore, type SessionStoreOptions } from "./session_store.ts";
 * const options: SessionStoreOptions = { window: 30_000, maxSessions: 1000 };
 * const store = new SessionStore(options);
 * ```
 */
export interface SessionStoreOptions {
  /**
   * How long a dropped connection's session can be resumed, in ms. Default
   * 120 000 (two minutes, Socket.IO's `maxDisconnectionDuration`): long
   * enough for a phone changing networks or a laptop waking up, short
   * enough that snapshots do not pile up.
   */
  window?: number;
  /**
   * How many suspended sessions are kept; past it the oldest is dropped.
   * Default 10 000.
   */
  maxSessions?: number;
  /** The clock for expiry. Default the system clock. */
  clock?: Clock;
  /** Random bytes for tokens. Default `crypto.getRandomValues`. */
  randomBytes?: (bytes: Uint8Array<ArrayBuffer>) => void;
}

/**
 * The outcome of {@link SessionStore.resume}:
 *
 * - `resumed`: the session was suspended and is handed back (the token is
 *   spent);
 * - `live`: the token's connection is still open (the server has not seen
 *   it drop yet): close that connection, {@link SessionStore.suspend} its
 *   session, then call `resume` again;
 * - `unknown`: never issued, already resumed, discarded or expired: start
 *   a new session.
 *
 * @example
 * ```ts
 * import type { ResumeResult } from "./session_store.ts";
 * const outcome: ResumeResult = { status: "live", id: "c1" };
 * ```
 */
export type ResumeResult<Data = Record<string, unknown>> =
  | { readonly status: "resumed"; readonly session: SessionSnapshot<Data> }
  | { readonly status: "live"; readonly id: string }
  | { readonly status: "unknown" };

interface Suspended<Data> {
  readonly session: SessionSnapshot<Data>;
  readonly expiresAt: number;
}

/** 32 random bytes: 256 bits, as base64url text (43 characters). */
const TOKEN_BYTES = 32;
const BASE64URL =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Resume tokens and suspended sessions, in memory, bounded: live tokens
 * are one per open event-client connection (bounded by the server's
 * connection limit); suspended sessions expire after the window (one
 * timer, for the oldest, drops them when it passes) and are at most
 * `maxSessions`. Tokens are 256 random bits from Web Crypto.
 *
 * @example
 * ```ts
 * import { SessionStore } from "./session_store.ts";
 * const store = new SessionStore();
 * const token = store.open("c1"); // sent to the client in anyws:session
 * // ... the connection drops:
 * store.suspend(token, { id: "c1", rooms: ["lobby"], user: "ada", data: {} });
 * // ... the client reconnects and presents the token:
 * const outcome = store.resume(token);
 * if (outcome.status === "resumed") console.log(outcome.session.rooms); // ["lobby"]
 * ```
 */
export class SessionStore<Data = Record<string, unknown>> {
  /** The resume window in ms. */
  readonly window: number;
  /** The bound on suspended sessions. */
  readonly maxSessions: number;
  readonly #clock: Clock;
  readonly #randomBytes: (bytes: Uint8Array<ArrayBuffer>) => void;
  /** Token → id of the open connection it belongs to. */
  readonly #live = new Map<string, string>();
  /** Token → suspended session, in suspension (hence expiry) order. */
  readonly #suspended = new Map<string, Suspended<Data>>();
  /** Fires when the oldest suspended session expires. */
  #sweep: TimerHandle | undefined;

  /** An empty store; see {@link SessionStoreOptions}. */
  constructor(options: SessionStoreOptions = {}) {
    const {
      window = 120_000,
      maxSessions = 10_000,
      clock = systemClock,
      randomBytes = (bytes: Uint8Array<ArrayBuffer>) => {
        crypto.getRandomValues(bytes);
      },
    } = options;
    if (!(Number.isFinite(window) && window > 0)) {
      throw new RangeError(`Invalid session window: ${window}`);
    }
    if (!(Number.isInteger(maxSessions) && maxSessions >= 0)) {
      throw new RangeError(`Invalid maxSessions: ${maxSessions}`);
    }
    this.window = window;
    this.maxSessions = maxSessions;
    this.#clock = clock;
    this.#randomBytes = randomBytes;
  }

  /** Open connections holding a token. */
  get liveCount(): number {
    return this.#live.size;
  }

  /** Suspended sessions not yet expired (expired ones are dropped first). */
  get suspendedCount(): number {
    this.#expire();
    return this.#suspended.size;
  }

  /** A new token for the open connection `id` (a new or a resumed session). */
  open(id: string): string {
    let token: string;
    do token = this.#newToken(); while (
      this.#live.has(token) || this.#suspended.has(token)
    );
    this.#live.set(token, id);
    return token;
  }

  /**
   * The connection holding `token` dropped: keep `session` for the window.
   * Returns `false` (and keeps nothing) when the token is not live.
   */
  suspend(token: string, session: SessionSnapshot<Data>): boolean {
    if (!this.#live.delete(token)) return false;
    return this.hold(token, session);
  }

  /**
   * Keeps `session` under `token` for a new window, the token being live
   * or not (a session taken back for a connection that closed before it
   * could be restored goes back this way). Returns `false` when nothing can
   * be kept (`maxSessions` is 0) or the token is live elsewhere.
   */
  hold(token: string, session: SessionSnapshot<Data>): boolean {
    if (this.maxSessions === 0 || this.#live.has(token)) return false;
    this.#expire();
    this.#suspended.delete(token);
    while (this.#suspended.size >= this.maxSessions) {
      const oldest = this.#suspended.keys().next().value as string;
      this.#suspended.delete(oldest);
    }
    this.#suspended.set(token, {
      session,
      expiresAt: this.#clock.now() + this.window,
    });
    this.#armSweep();
    return true;
  }

  /** The id of the open connection holding `token`, if it is live. */
  holder(token: string): string | undefined {
    return this.#live.get(token);
  }

  /** Takes back the session of `token`; see {@link ResumeResult}. */
  resume(token: string): ResumeResult<Data> {
    const id = this.#live.get(token);
    if (id !== undefined) return { status: "live", id };
    this.#expire();
    const suspended = this.#suspended.get(token);
    if (suspended === undefined) return { status: "unknown" };
    this.#suspended.delete(token);
    return { status: "resumed", session: suspended.session };
  }

  /**
   * Forgets `token`, live or suspended: the session ended for good (the
   * client closed with 1000 or 1001, or the server closed it on purpose).
   */
  discard(token: string): void {
    this.#live.delete(token);
    this.#suspended.delete(token);
  }

  /** Forgets every token and session and stops the expiry timer (the server stopped). */
  clear(): void {
    this.#live.clear();
    this.#suspended.clear();
    this.#clock.clearTimeout(this.#sweep);
    this.#sweep = undefined;
  }

  /** Drops the suspended sessions whose window has passed. */
  #expire(): void {
    const now = this.#clock.now();
    for (const [token, { expiresAt }] of this.#suspended) {
      if (expiresAt > now) break;
      this.#suspended.delete(token);
    }
  }

  /**
   * Sets the one expiry timer, for the oldest suspended session, unless it
   * is set: expired snapshots (and the data they hold) are released when
   * their window passes, not at the next resume.
   */
  #armSweep(): void {
    if (this.#sweep !== undefined) return;
    const oldest = this.#suspended.values().next().value;
    if (oldest === undefined) return;
    const wait = Math.max(0, oldest.expiresAt - this.#clock.now());
    this.#sweep = this.#clock.setTimeout(() => {
      this.#sweep = undefined;
      this.#expire();
      this.#armSweep();
    }, wait);
  }

  #newToken(): string {
    const bytes = new Uint8Array(TOKEN_BYTES);
    this.#randomBytes(bytes);
    let text = "";
    for (let i = 0; i < bytes.length; i += 3) {
      const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) |
        (bytes[i + 2] ?? 0);
      const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
      for (let c = 0; c < chars; c++) {
        text += BASE64URL[(chunk >> (18 - 6 * c)) & 63];
      }
    }
    return text;
  }
}
