// Long file: the cluster's wire format: every message kind's encoder and decoder side by side, so a change to one kind is checked against its pair.
/**
 * The cluster's wire format, version 1: what one node publishes for the
 * others. docs/cluster.md describes it byte by byte; in short, a binary
 * envelope (version, kind, node id, sequence number), then for the four
 * delivery kinds the addressing and the WebSocket frame to deliver as is,
 * and for every other kind a small UTF-8 JSON body.
 *
 * ```text
 * offset  size  field
 * 0       1     version (1)
 * 1       1     kind (see WIRE_KINDS)
 * 2       1     N = length of the node id (1..255)
 * 3       N     node id (printable ASCII)
 * 3+N     8     sequence number: two big-endian u32 (high, low), < 2^53
 * 11+N    ...   body
 * ```
 *
 * Delivery bodies: a *string* is a big-endian u32 byte length then UTF-8.
 * `all`: except; `rooms`: except, u32 count, count strings; `user`: except,
 * user; `connection`: connection id. The rest of the message is the frame
 * (an empty `except` means none).
 *
 * A reader accepts only its own version: anything else is a
 * {@link WireError} with the version set, never a guess.
 *
 * @module
 */

import type { PresenceEntry, PresenceSnapshot } from "./presence.ts";

/**
 * The version of the wire format this code writes and reads.
 *
 * @example
 * ```ts
 * import { WIRE_VERSION } from "./wire.ts";
 * console.log(WIRE_VERSION); // 1
 * ```
 */
export const WIRE_VERSION = 1;

/**
 * Each kind of message and its code on the wire. Codes below 32 are
 * *sequenced*: they take the next number of their node's sequence. The
 * others carry the node's latest number ("as of") instead.
 *
 * @example
 * ```ts
 * import { WIRE_KINDS } from "./wire.ts";
 * console.log(WIRE_KINDS.rooms); // 2
 * ```
 */
export const WIRE_KINDS = {
  /** Deliver a frame to every connection (but `except`). */
  all: 1,
  /** Deliver a frame to the connections in any of `rooms`, each once. */
  rooms: 2,
  /** Deliver a frame to every connection of `user`. */
  user: 3,
  /** Deliver a frame to one connection. */
  connection: 4,
  /** `{"c": connection, "r": room, "u"?: user}`: a connection joined a room. */
  join: 16,
  /** `{"c": connection, "r": room}`: a connection left a room. */
  leave: 17,
  /** `{"c": connection, "u"?: user}`: a connection's user changed. */
  setUser: 18,
  /** `{"c": connection}`: a connection closed (it left every room). */
  gone: 19,
  /** A snapshot body: a node started (sequence number 1); answer with yours. */
  hello: 20,
  /** `{"n": connections}`: still alive, with the open-connection count. */
  heartbeat: 32,
  /** `{}`: send me your snapshot (on the sender's node channel). */
  sync: 33,
  /** `{"n": connections, "m": [[connection, user|null, [rooms]]]}`: whole presence. */
  snapshot: 34,
  /** `{}`: the node is leaving the cluster. */
  bye: 35,
  /** `{"i": id, "q": query, "a"?: argument}`: answer on my node channel. */
  query: 48,
  /** `{"i": id, "v": value}`: the answer to query `i`. */
  answer: 49,
} as const;

/**
 * The name of a kind of wire message.
 *
 * @example
 * ```ts
 * import type { WireKind } from "./wire.ts";
 * const kind: WireKind = "heartbeat";
 * ```
 */
export type WireKind = keyof typeof WIRE_KINDS;

/**
 * A question every live node answers about its local connections.
 * `takeover` is not a question but a request: the node holding a live
 * session with this resume token closes its connection, stores the
 * session's snapshot in the shared storage, then answers `true`; the
 * others answer `false`.
 *
 * @example
 * ```ts
 * import type { ClusterQuery } from "./wire.ts";
 * const query: ClusterQuery = { kind: "roomSizes", rooms: ["lobby"] };
 * ```
 */
export type ClusterQuery =
  | { kind: "connections" }
  | { kind: "roomSizes"; rooms: string[] }
  | { kind: "members"; room: string }
  | { kind: "userRooms"; user: string }
  | { kind: "takeover"; token: string };

/**
 * The body of a wire message, by kind.
 *
 * @example
 * ```ts
 * import type { WireBody } from "./wire.ts";
 * const body: WireBody = { kind: "join", connection: "c1", room: "lobby", user: "ann" };
 * ```
 */
export type WireBody =
  | { kind: "all"; except: string | undefined; frame: Uint8Array }
  | {
    kind: "rooms";
    rooms: string[];
    except: string | undefined;
    frame: Uint8Array;
  }
  | {
    kind: "user";
    user: string;
    except: string | undefined;
    frame: Uint8Array;
  }
  | { kind: "connection"; connection: string; frame: Uint8Array }
  | {
    kind: "join";
    connection: string;
    room: string;
    user: string | undefined;
  }
  | { kind: "leave"; connection: string; room: string }
  | { kind: "setUser"; connection: string; user: string | undefined }
  | { kind: "gone"; connection: string }
  | { kind: "hello"; snapshot: PresenceSnapshot }
  | { kind: "heartbeat"; connections: number }
  | { kind: "sync" }
  | { kind: "snapshot"; snapshot: PresenceSnapshot }
  | { kind: "bye" }
  | { kind: "query"; id: number; query: ClusterQuery }
  | { kind: "answer"; id: number; value: unknown };

/**
 * One wire message: who sent it, its sequence number, its body.
 *
 * @example
 * ```ts
 * import type { WireMessage } from "./wire.ts";
 * const message: WireMessage = { node: "n1", seq: 7, kind: "heartbeat", connections: 12 };
 * ```
 */
export type WireMessage = WireBody & { node: string; seq: number };

/**
 * Bytes that are not a wire message this code can read. `version` is set
 * when the message is of another version of the format.
 *
 * @example
 * ```ts
 * import { decodeWire, WireError } from "./wire.ts";
 * try {
 *   decodeWire(new Uint8Array([9, 1]));
 * } catch (error) {
 *   console.log(error instanceof WireError && error.version); // 9
 * }
 * ```
 */
export class WireError extends Error {
  /** The version byte of a message of another version. */
  readonly version: number | undefined;

  /** A message that cannot be read, and why. */
  constructor(message: string, version?: number) {
    super(message);
    this.name = "WireError";
    this.version = version;
  }
}

/**
 * Whether messages of `kind` take a sequence number of their own.
 *
 * @example
 * ```ts
 * import { isSequenced } from "./wire.ts";
 * console.log(isSequenced("join"), isSequenced("heartbeat")); // true false
 * ```
 */
export function isSequenced(kind: WireKind): boolean {
  return WIRE_KINDS[kind] < 32;
}

const KIND_BY_CODE = new Map<number, WireKind>(
  Object.entries(WIRE_KINDS).map(([name, code]) => [code, name as WireKind]),
);
const QUERY_KINDS: ReadonlySet<string> = new Set([
  "connections",
  "roomSizes",
  "members",
  "userRooms",
  "takeover",
]);
const TWO_32 = 2 ** 32;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Checks a node id: 1 to 255 printable ASCII characters.
 *
 * @example
 * ```ts
 * import { isValidNodeId } from "./wire.ts";
 * console.log(isValidNodeId("eu-1"), isValidNodeId("")); // true false
 * ```
 */
export function isValidNodeId(id: string): boolean {
  return id.length > 0 && id.length <= 255 && /^[\x21-\x7e]+$/.test(id);
}

/**
 * Checks that `frame` is exactly one complete, unmasked WebSocket frame (FIN
 * set, no RSV bit, opcode text, binary, close, ping or pong): the only
 * thing a node may queue on its clients for another node. Returns why not,
 * or `undefined` when it is one.
 *
 * RFC 6455 §5.1: "A server MUST NOT mask any frames that it sends to the
 * client." §5.2: "Payload length: 7 bits, 7+16 bits, or 7+64 bits".
 *
 * @example
 * ```ts
 * import { checkFrame } from "./wire.ts";
 * import { encodeFrame } from "@anyws/anyws/protocol";
 * import { Frame } from "@anyws/anyws";
 * console.log(checkFrame(encodeFrame(Frame.text("hi")))); // undefined
 * console.log(checkFrame(new Uint8Array([0x81, 0x05, 0x68]))); // "frame length 3 does not match its header (7)"
 * ```
 */
export function checkFrame(frame: Uint8Array): string | undefined {
  if (frame.length < 2) return "frame shorter than a header";
  const b0 = frame[0];
  const b1 = frame[1];
  if ((b0 & 0x80) === 0) return "fragment (FIN not set)";
  if ((b0 & 0x70) !== 0) return "RSV bit set";
  const opcode = b0 & 0x0f;
  if (![0x1, 0x2, 0x8, 0x9, 0xa].includes(opcode)) {
    return `opcode ${opcode} is not text, binary, close, ping or pong`;
  }
  if ((b1 & 0x80) !== 0) return "masked";
  let length = b1 & 0x7f;
  let header = 2;
  if (length === 126) {
    if (frame.length < 4) return "frame shorter than its header";
    length = (frame[2] << 8) | frame[3];
    header = 4;
  } else if (length === 127) {
    if (frame.length < 10) return "frame shorter than its header";
    const view = new DataView(frame.buffer, frame.byteOffset + 2, 8);
    length = view.getUint32(0) * TWO_32 + view.getUint32(4);
    header = 10;
  }
  if (header + length !== frame.length) {
    return `frame length ${frame.length} does not match its header (${
      header + length
    })`;
  }
  return undefined;
}

/**
 * Encodes a wire message (version {@link WIRE_VERSION}).
 *
 * @example
 * ```ts
 * import { decodeWire, encodeWire } from "./wire.ts";
 * import { encodeFrame } from "@anyws/anyws/protocol";
 * import { Frame } from "@anyws/anyws";
 * const bytes = encodeWire({ node: "n1", seq: 1, kind: "all", except: undefined, frame: encodeFrame(Frame.text("hi")) });
 * console.log(decodeWire(bytes).kind); // "all"
 * ```
 */
export function encodeWire(message: WireMessage): Uint8Array {
  const node = encoder.encode(message.node);
  if (!isValidNodeId(message.node)) {
    throw new TypeError(`Invalid node id: ${JSON.stringify(message.node)}`);
  }
  if (!Number.isSafeInteger(message.seq) || message.seq < 0) {
    throw new TypeError(`Invalid sequence number: ${message.seq}`);
  }
  const parts = bodyParts(message);
  let size = 3 + node.length + 8;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = WIRE_VERSION;
  out[1] = WIRE_KINDS[message.kind];
  out[2] = node.length;
  out.set(node, 3);
  let offset = 3 + node.length;
  view.setUint32(offset, Math.floor(message.seq / TWO_32));
  view.setUint32(offset + 4, message.seq % TWO_32);
  offset += 8;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The body as byte chunks, in order. */
function bodyParts(message: WireMessage): Uint8Array[] {
  switch (message.kind) {
    case "all":
      return [str(message.except ?? ""), frameOf(message.frame)];
    case "rooms": {
      const parts = [str(message.except ?? ""), u32(message.rooms.length)];
      for (const room of message.rooms) parts.push(str(room));
      parts.push(frameOf(message.frame));
      return parts;
    }
    case "user":
      return [
        str(message.except ?? ""),
        str(message.user),
        frameOf(message.frame),
      ];
    case "connection":
      return [str(message.connection), frameOf(message.frame)];
    default:
      return [encoder.encode(JSON.stringify(jsonBody(message)))];
  }
}

function frameOf(frame: Uint8Array): Uint8Array {
  const problem = checkFrame(frame);
  if (problem !== undefined) {
    throw new TypeError(`Not a deliverable WebSocket frame: ${problem}`);
  }
  return frame;
}

function str(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

function jsonBody(message: WireMessage): unknown {
  switch (message.kind) {
    case "join":
      return { c: message.connection, r: message.room, u: message.user };
    case "leave":
      return { c: message.connection, r: message.room };
    case "setUser":
      return { c: message.connection, u: message.user };
    case "gone":
      return { c: message.connection };
    case "hello":
    case "snapshot":
      return { n: message.snapshot.connections, m: message.snapshot.members };
    case "heartbeat":
      return { n: message.connections };
    case "sync":
    case "bye":
      return {};
    case "query": {
      const { query } = message;
      const argument = query.kind === "roomSizes"
        ? query.rooms
        : query.kind === "members"
        ? query.room
        : query.kind === "userRooms"
        ? query.user
        : query.kind === "takeover"
        ? query.token
        : undefined;
      return { i: message.id, q: query.kind, a: argument };
    }
    case "answer":
      return { i: message.id, v: message.value };
    default:
      throw new TypeError(`Not a JSON kind: ${message.kind}`);
  }
}

/**
 * Decodes a wire message; throws a {@link WireError} for anything that is
 * not a well-formed message of version {@link WIRE_VERSION}. Frames are
 * views into `bytes`, not copies.
 *
 * @example
 * ```ts
 * import { decodeWire, encodeWire } from "./wire.ts";
 * const message = decodeWire(encodeWire({ node: "n1", seq: 3, kind: "bye" }));
 * console.log(message.node, message.seq, message.kind); // n1 3 bye
 * ```
 */
export function decodeWire(bytes: Uint8Array): WireMessage {
  if (bytes.length < 1) throw new WireError("empty message");
  if (bytes[0] !== WIRE_VERSION) {
    throw new WireError(
      `wire format version ${
        bytes[0]
      } (this node reads version ${WIRE_VERSION})`,
      bytes[0],
    );
  }
  const reader = new Reader(bytes, 1);
  const code = reader.u8();
  const kind = KIND_BY_CODE.get(code);
  if (kind === undefined) throw new WireError(`unknown kind ${code}`);
  const nodeLength = reader.u8();
  const node = reader.ascii(nodeLength);
  if (!isValidNodeId(node)) throw new WireError("invalid node id");
  const high = reader.u32();
  const low = reader.u32();
  if (high > 0x1fffff) throw new WireError("sequence number over 2^53");
  const seq = high * TWO_32 + low;
  const head = { node, seq };
  switch (kind) {
    case "all": {
      const except = orUndefined(reader.str());
      return { ...head, kind, except, frame: reader.frame() };
    }
    case "rooms": {
      const except = orUndefined(reader.str());
      const count = reader.u32();
      const rooms: string[] = [];
      for (let i = 0; i < count; i++) rooms.push(reader.str());
      return { ...head, kind, rooms, except, frame: reader.frame() };
    }
    case "user": {
      const except = orUndefined(reader.str());
      const user = reader.str();
      return { ...head, kind, user, except, frame: reader.frame() };
    }
    case "connection": {
      const connection = reader.str();
      return { ...head, kind, connection, frame: reader.frame() };
    }
    default:
      return { ...head, ...jsonKind(kind, reader.json()) };
  }
}

function orUndefined(text: string): string | undefined {
  return text === "" ? undefined : text;
}

function jsonKind(kind: WireKind, body: Record<string, unknown>): WireBody {
  switch (kind) {
    case "join":
      return {
        kind,
        connection: need(body.c, isString, "c"),
        room: need(body.r, isString, "r"),
        user: optional(body.u, isString, "u"),
      };
    case "leave":
      return {
        kind,
        connection: need(body.c, isString, "c"),
        room: need(body.r, isString, "r"),
      };
    case "setUser":
      return {
        kind,
        connection: need(body.c, isString, "c"),
        user: optional(body.u, isString, "u"),
      };
    case "gone":
      return { kind, connection: need(body.c, isString, "c") };
    case "hello":
    case "snapshot":
      return {
        kind,
        snapshot: {
          connections: need(body.n, isCount, "n"),
          members: need(body.m, isEntries, "m"),
        },
      };
    case "heartbeat":
      return { kind, connections: need(body.n, isCount, "n") };
    case "sync":
    case "bye":
      return { kind };
    case "query":
      return { kind, id: need(body.i, isCount, "i"), query: queryOf(body) };
    case "answer":
      return { kind, id: need(body.i, isCount, "i"), value: body.v };
    default:
      throw new WireError(`kind ${kind} has no JSON body`);
  }
}

function queryOf(body: Record<string, unknown>): ClusterQuery {
  const kind = body.q;
  if (typeof kind !== "string" || !QUERY_KINDS.has(kind)) {
    throw new WireError(`unknown query ${JSON.stringify(kind)}`);
  }
  switch (kind) {
    case "roomSizes":
      return { kind, rooms: need(body.a, isStringArray, "a") };
    case "members":
      return { kind, room: need(body.a, isString, "a") };
    case "userRooms":
      return { kind, user: need(body.a, isString, "a") };
    case "takeover":
      return { kind, token: need(body.a, isString, "a") };
    default:
      return { kind: "connections" };
  }
}

function need<T>(
  value: unknown,
  check: (value: unknown) => value is T,
  field: string,
): T {
  if (!check(value)) throw new WireError(`invalid field "${field}"`);
  return value;
}

function optional<T>(
  value: unknown,
  check: (value: unknown) => value is T,
  field: string,
): T | undefined {
  return value === undefined || value === null
    ? undefined
    : need(value, check, field);
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isString);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isEntries(value: unknown): value is PresenceEntry[] {
  return Array.isArray(value) &&
    value.every((entry) =>
      Array.isArray(entry) && entry.length === 3 && isString(entry[0]) &&
      (entry[1] === null || isString(entry[1])) && isStringArray(entry[2])
    );
}

/** Reads the binary parts of a message, with bounds checks. */
class Reader {
  #bytes: Uint8Array;
  #view: DataView;
  #offset: number;

  constructor(bytes: Uint8Array, offset: number) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.#offset = offset;
  }

  #need(count: number): void {
    if (this.#offset + count > this.#bytes.length) {
      throw new WireError("message truncated");
    }
  }

  u8(): number {
    this.#need(1);
    return this.#bytes[this.#offset++];
  }

  u32(): number {
    this.#need(4);
    const value = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return value;
  }

  ascii(length: number): string {
    this.#need(length);
    const slice = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return String.fromCharCode(...slice);
  }

  str(): string {
    const length = this.u32();
    this.#need(length);
    const slice = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    try {
      return decoder.decode(slice);
    } catch {
      throw new WireError("invalid UTF-8");
    }
  }

  frame(): Uint8Array {
    const frame = this.#bytes.subarray(this.#offset);
    this.#offset = this.#bytes.length;
    const problem = checkFrame(frame);
    if (problem !== undefined) throw new WireError(`bad frame: ${problem}`);
    return frame;
  }

  json(): Record<string, unknown> {
    const slice = this.#bytes.subarray(this.#offset);
    this.#offset = this.#bytes.length;
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(slice));
    } catch {
      throw new WireError("invalid JSON body");
    }
    if (
      typeof parsed !== "object" || parsed === null || Array.isArray(parsed)
    ) {
      throw new WireError("JSON body is not an object");
    }
    return parsed as Record<string, unknown>;
  }
}
