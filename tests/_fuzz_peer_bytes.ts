/**
 * What the driver fuzzer's raw clients send: valid messages (maybe
 * fragmented, pings in between), pings, pongs, close frames, and protocol
 * violations, each with what the server should make of it.
 *
 * @module
 */

import { closePayload, encodeClientFrame, OP } from "./_clients.ts";
import { concat, show } from "./_fuzz_bytes.ts";
import type { Stopper } from "./_fuzz_model.ts";
import type { Prng } from "./_prng.ts";

const encoder = new TextEncoder();

/** Codes the peers close with; none of them is a code the server fails with. */
export const PEER_CLOSE_CODES = [
  1000,
  1001,
  1003,
  3000,
  3999,
  4000,
  4242,
  4999,
];

/** Bytes a peer sends, and what the server should make of them. */
export interface PeerBytes {
  /** Whole client frames. */
  bytes: Uint8Array;
  /** For the trace. */
  what: string;
  /** The message the server should deliver. */
  message?: string | Uint8Array;
  /** Payloads of the pings the server should answer, in order. */
  pings: string[];
  /** After these bytes the server reads nothing more. */
  stopper?: Stopper;
}

/** The server's receive limits, and how big "big" messages are. */
export interface Limits {
  maxFrameSize: number;
  maxMessageSize: number;
  /** Scales the big messages (smaller when delivered byte by byte). */
  big: number;
}

function payload(
  r: Prng,
  n: number,
  kind: string,
  big: number,
): string | Uint8Array {
  switch (kind) {
    case "text":
      return `m${n} ` + "abcdefgh".repeat(r.int(0, 6));
    case "utf8":
      return `ü${n} ` + "héllo wörld €𝄞 ".repeat(r.int(0, 8));
    case "json":
      return JSON.stringify({ event: "fz", data: n });
    case "big":
      return r.bytes(r.int(200, Math.floor(5000 * big)));
    default:
      return r.bytes(r.int(0, 130));
  }
}

/**
 * A valid message, maybe fragmented with pings in between; over the size
 * limits it stops at the frame that crosses them (1009).
 */
export function message(r: Prng, ids: () => number, limits: Limits): PeerBytes {
  const data = payload(
    r,
    ids(),
    r.pick(["text", "utf8", "json", "binary", "big"]),
    limits.big,
  );
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const opcode = typeof data === "string" ? OP.Text : OP.Binary;
  const parts = r.next() < 0.35 ? r.int(2, 4) : 1;
  const frames: Uint8Array[] = [];
  const pings: string[] = [];
  let offset = 0;
  let tooBig = false;
  for (let i = 0; i < parts; i++) {
    const end = i === parts - 1 ? bytes.length : r.int(offset, bytes.length);
    const length = end - offset;
    if (length > limits.maxFrameSize || end > limits.maxMessageSize) {
      tooBig = true;
    }
    frames.push(encodeClientFrame(
      i === 0 ? opcode : OP.Continuation,
      bytes.subarray(offset, end),
      { fin: i === parts - 1, maskKey: r.bytes(4) },
    ));
    offset = end;
    if (tooBig) break;
    if (i < parts - 1 && r.next() < 0.3) {
      const ping = `pp${ids()}`;
      pings.push(ping);
      frames.push(encodeClientFrame(OP.Ping, ping, { maskKey: r.bytes(4) }));
    }
  }
  const what = `${tooBig ? "OVERSIZE " : ""}${
    opcode === OP.Text ? "text" : "binary"
  } ${show(data)} in ${frames.length} frames`;
  return tooBig
    ? {
      bytes: concat(...frames),
      what,
      pings,
      stopper: {
        kind: "violation",
        name: "a message over the size limits",
        codes: [1009],
      },
    }
    : { bytes: concat(...frames), what, pings, message: data };
}

/** A ping the server must answer. */
export function ping(r: Prng, ids: () => number): PeerBytes {
  const data = `pp${ids()}`;
  return {
    bytes: encodeClientFrame(OP.Ping, data, { maskKey: r.bytes(4) }),
    what: `ping ${data}`,
    pings: [data],
  };
}

/** An unsolicited pong: nothing to answer. */
export function pong(_r: Prng, ids: () => number): PeerBytes {
  return {
    bytes: encodeClientFrame(OP.Pong, `pq${ids()}`),
    what: "pong",
    pings: [],
  };
}

/** A valid close frame: a code and a reason, or an empty body (1005). */
export function closeFrame(r: Prng, ids: () => number): PeerBytes {
  const empty = r.next() < 0.2;
  const code = empty ? 1005 : r.pick(PEER_CLOSE_CODES);
  const reason = empty || r.next() < 0.4 ? "" : `peer ${ids()} ✓`;
  return {
    bytes: encodeClientFrame(
      OP.Close,
      empty ? new Uint8Array(0) : closePayload(code, reason),
    ),
    what: `close ${code} ${JSON.stringify(reason)}`,
    pings: [],
    stopper: { kind: "close", code, reason },
  };
}

/** One violation of RFC 6455, with the close codes the server may fail with. */
const VIOLATIONS: Array<[string, number[], (r: Prng) => Uint8Array]> = [
  [
    "an RSV bit",
    [1002],
    (r) => encodeClientFrame(OP.Text, "rsv", { rsv: r.int(1, 7) }),
  ],
  [
    "a reserved opcode",
    [1002],
    (r) =>
      encodeClientFrame(r.pick([3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]), "op"),
  ],
  [
    "a stray continuation",
    [1002],
    () => encodeClientFrame(OP.Continuation, "cont"),
  ],
  ["a new message inside a fragmented one", [1002], () =>
    concat(
      encodeClientFrame(OP.Text, "first", { fin: false }),
      encodeClientFrame(OP.Binary, new Uint8Array([1])),
    )],
  [
    "an unmasked frame",
    [1002],
    () => encodeClientFrame(OP.Text, "plain", { mask: false }),
  ],
  [
    "invalid UTF-8",
    [1007],
    () => encodeClientFrame(OP.Text, new Uint8Array([0x61, 0xff, 0xfe])),
  ],
  ["invalid UTF-8 across fragments", [1007], () =>
    concat(
      encodeClientFrame(OP.Text, new Uint8Array([0x61, 0xe2, 0x82]), {
        fin: false,
      }),
      encodeClientFrame(OP.Continuation, new Uint8Array([0x41])),
    )],
  [
    "a truncated UTF-8 sequence",
    [1007],
    () => encodeClientFrame(OP.Text, new Uint8Array([0x61, 0xf0, 0x9f])),
  ],
  [
    "a control frame over 125 bytes",
    [1002],
    () => encodeClientFrame(OP.Ping, new Uint8Array(126)),
  ],
  [
    "a fragmented ping",
    [1002],
    () => encodeClientFrame(OP.Ping, "frag", { fin: false }),
  ],
  [
    "a 1-byte close body",
    [1002],
    () => encodeClientFrame(OP.Close, new Uint8Array([3])),
  ],
  ["an invalid close code", [1002], (r) =>
    encodeClientFrame(
      OP.Close,
      closePayload(r.pick([0, 999, 1004, 1005, 1006, 1015, 2999, 5000])),
    )],
  ["a close reason that is not UTF-8", [1002, 1007], () =>
    encodeClientFrame(
      OP.Close,
      concat(closePayload(1000), new Uint8Array([0xc3, 0x28])),
    )],
  // A 1 GiB frame announced (64-bit length, masked): fails at the header.
  [
    "a frame over maxFrameSize",
    [1009],
    () => new Uint8Array([0x82, 0xff, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4]),
  ],
];

/** A protocol violation: the server fails the connection. */
export function violation(r: Prng): PeerBytes {
  const [name, codes, make] = r.pick(VIOLATIONS);
  return {
    bytes: make(r),
    what: `VIOLATION ${name}`,
    pings: [],
    stopper: { kind: "violation", name, codes },
  };
}
