/**
 * Suspended sessions kept where every node of a cluster reaches them (the
 * backplane's {@link SessionStorage}, e.g. Redis): one key per resume
 * token, `<namespace>:session:<token>`, holding the snapshot as JSON and
 * expiring with the resume window. A resume takes the key (get and delete
 * in one step), so a token is good for one resume on any node.
 *
 * @module
 */

import type { SessionStorage } from "../cluster/backplane.ts";
import type { Clock } from "../shared/clock.ts";
import type { SessionSnapshot } from "./session_store.ts";

/** The version of the stored snapshot's JSON shape. */
const SNAPSHOT_VERSION = 1;

/**
 * Options of {@link SharedSessions}.
 *
 * @example
 * ```ts
 * import type { SharedSessionsOptions } from "./shared_sessions.ts";
 * import { systemClock } from "../shared/clock.ts";
 * const options: SharedSessionsOptions = {
 *   namespace: "chat",
 *   window: 120_000,
 *   timeout: 1000,
 *   clock: systemClock,
 * };
 * ```
 */
export interface SharedSessionsOptions {
  /** The cluster's namespace: the keys start with it. */
  readonly namespace: string;
  /** How long a snapshot is kept, in ms (the resume window). */
  readonly window: number;
  /** How long one storage operation may take, in ms, before it counts as failed. */
  readonly timeout: number;
  /** The clock of that timeout. */
  readonly clock: Clock;
}

/**
 * Session snapshots in a cluster's shared storage. `data` travels as JSON:
 * what `JSON.stringify` cannot encode (a cycle, a BigInt) makes
 * {@link SharedSessions.set} reject, and a `Map` or a class instance comes
 * back as a plain object.
 *
 * @example
 * ```ts
 * import { SharedSessions } from "./shared_sessions.ts";
 * import { MemoryHub } from "../cluster/memory_backplane.ts";
 * import { systemClock } from "../shared/clock.ts";
 * const shared = new SharedSessions(new MemoryHub().backplane().sessions, {
 *   namespace: "anyws",
 *   window: 120_000,
 *   timeout: 1000,
 *   clock: systemClock,
 * });
 * await shared.set("q1w2e3", { id: "c1", rooms: ["lobby"], user: "ada", data: { nick: "ada" } });
 * const snapshot = await shared.take("q1w2e3"); // on any node
 * console.log(snapshot?.rooms); // ["lobby"]
 * ```
 */
export class SharedSessions<Data = Record<string, unknown>> {
  readonly #storage: SessionStorage;
  readonly #options: SharedSessionsOptions;

  /** Snapshots in `storage`; see {@link SharedSessionsOptions}. */
  constructor(storage: SessionStorage, options: SharedSessionsOptions) {
    this.#storage = storage;
    this.#options = options;
  }

  /** Stores `snapshot` under `token` for the window. */
  set(token: string, snapshot: SessionSnapshot<Data>): Promise<void> {
    let text: string;
    try {
      text = encodeSnapshot(snapshot);
    } catch (error) {
      return Promise.reject(
        new Error(
          `The session of ${snapshot.id} was not kept: its data cannot be stored as JSON (${
            describe(error)
          })`,
          { cause: error },
        ),
      );
    }
    return this.#bounded(
      () => this.#storage.set(this.#key(token), text, this.#options.window),
      "storing a session",
    );
  }

  /**
   * Takes the snapshot of `token` (it is gone from the storage after), or
   * `undefined` when there is none, it expired, or what is stored is not a
   * snapshot.
   */
  async take(token: string): Promise<SessionSnapshot<Data> | undefined> {
    const text = await this.#bounded(
      () => this.#storage.take(this.#key(token)),
      "taking a session",
    );
    return text === undefined ? undefined : decodeSnapshot<Data>(text);
  }

  #key(token: string): string {
    return `${this.#options.namespace}:session:${token}`;
  }

  /** `operation`, failed when it has not settled within the timeout. */
  #bounded<T>(operation: () => Promise<T>, what: string): Promise<T> {
    const { clock, timeout } = this.#options;
    return new Promise<T>((resolve, reject) => {
      const timer = clock.setTimeout(
        () =>
          reject(
            new Error(
              `The session storage did not answer within ${timeout} ms (${what})`,
            ),
          ),
        timeout,
      );
      let pending: Promise<T>;
      try {
        pending = operation();
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          clock.clearTimeout(timer);
          resolve(value);
        },
        (error) => {
          clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

/**
 * A snapshot as the JSON text the shared storage keeps. Throws what
 * `JSON.stringify` throws for data it cannot encode.
 *
 * @example
 * ```ts
 * import { encodeSnapshot } from "./shared_sessions.ts";
 * encodeSnapshot({ id: "c1", rooms: ["lobby"], data: {} });
 * // '{"v":1,"id":"c1","rooms":["lobby"],"data":{}}'
 * ```
 */
export function encodeSnapshot<Data>(snapshot: SessionSnapshot<Data>): string {
  const { id, rooms, user, data } = snapshot;
  return JSON.stringify({ v: SNAPSHOT_VERSION, id, rooms, user, data });
}

/**
 * Reads what {@link encodeSnapshot} wrote; `undefined` for anything else
 * (another version, a missing or mistyped field, not JSON).
 *
 * @example
 * ```ts
 * import { decodeSnapshot } from "./shared_sessions.ts";
 * decodeSnapshot('{"v":1,"id":"c1","rooms":["lobby"],"user":"ada","data":{}}');
 * // { id: "c1", rooms: ["lobby"], user: "ada", data: {} }
 * decodeSnapshot("{}"); // undefined
 * ```
 */
export function decodeSnapshot<Data>(
  text: string,
): SessionSnapshot<Data> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { v, id, rooms, user, data } = parsed as Record<string, unknown>;
  if (
    v !== SNAPSHOT_VERSION || typeof id !== "string" || id.length === 0 ||
    !Array.isArray(rooms) || !rooms.every((room) => typeof room === "string") ||
    (user !== undefined && user !== null && typeof user !== "string")
  ) return undefined;
  const snapshot = {
    id,
    rooms: rooms as string[],
    data: (data ?? {}) as Data,
  };
  return typeof user === "string" ? { ...snapshot, user } : snapshot;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
