// Test helpers: raw frame bytes built by hand (independently of the
// encoder under test), concatenation, and a protocol runner.

import { Protocol, type ProtocolOptions } from "../src/protocol/protocol.ts";
import type { ProtocolEvent } from "../src/protocol/protocol_events.ts";

/** Options of {@link rawFrame}. */
export interface RawFrameOptions {
  fin?: boolean;
  rsv?: number;
  /** 4-byte key; omit for an unmasked frame. */
  mask?: Uint8Array | number[];
  /** Force the length form: 7, 16 or 64 bits. */
  lengthForm?: 7 | 16 | 64;
  /** Override the announced length (for malformed frames). */
  announcedLength?: number;
}

/** The default mask of client frames in tests: the RFC 6455 §5.7 example key. */
export const MASK = [0x37, 0xfa, 0x21, 0x3d];

/** A frame's bytes, built the slow obvious way. */
export function rawFrame(
  opcode: number,
  payload: Uint8Array | number[] | string,
  options: RawFrameOptions = {},
): Uint8Array {
  const data = typeof payload === "string"
    ? new TextEncoder().encode(payload)
    : Uint8Array.from(payload);
  const length = options.announcedLength ?? data.length;
  const out: number[] = [];
  out.push(
    ((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode,
  );
  const maskBit = options.mask ? 0x80 : 0;
  const form = options.lengthForm ??
    (length < 126 ? 7 : length < 65536 ? 16 : 64);
  if (form === 7) out.push(maskBit | length);
  else if (form === 16) {
    out.push(maskBit | 126, (length >> 8) & 0xff, length & 0xff);
  } else {
    out.push(maskBit | 127);
    const big = BigInt(length);
    for (let shift = 56n; shift >= 0n; shift -= 8n) {
      out.push(Number((big >> shift) & 0xffn));
    }
  }
  const mask = options.mask;
  if (mask) out.push(...mask);
  const bytes = new Uint8Array(out.length + data.length);
  bytes.set(out);
  for (let i = 0; i < data.length; i++) {
    bytes[out.length + i] = mask ? data[i] ^ mask[i % 4] : data[i];
  }
  return bytes;
}

/** A masked frame as a client sends it (mask {@link MASK}). */
export function clientFrame(
  opcode: number,
  payload: Uint8Array | number[] | string,
  options: RawFrameOptions = {},
): Uint8Array {
  return rawFrame(opcode, payload, { mask: MASK, ...options });
}

/** Concatenates byte arrays. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Takes every pending event of `protocol` (and so queues its answers), in order. */
export function takeEvents(protocol: Protocol): ProtocolEvent[] {
  const events: ProtocolEvent[] = [];
  for (
    let e = protocol.nextEvent();
    e !== undefined;
    e = protocol.nextEvent()
  ) {
    events.push(e);
  }
  return events;
}

/** Feeds `bytes` (copied, since receive may unmask in place) to a new protocol. */
export function run(
  bytes: Uint8Array,
  options?: ProtocolOptions,
): { protocol: Protocol; events: ProtocolEvent[]; outgoing: Uint8Array } {
  const protocol = new Protocol(options);
  protocol.receive(bytes.slice());
  return {
    protocol,
    events: takeEvents(protocol),
    outgoing: concat(protocol.takeOutgoing()),
  };
}

/** Feeds `bytes` in pieces cut at `cuts` (sorted offsets). */
export function receiveSplit(
  protocol: Protocol,
  bytes: Uint8Array,
  cuts: readonly number[],
): void {
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    protocol.receive(bytes.slice(start, cut));
    start = cut;
  }
}

/** The close frame (unmasked, server-sent) for `code` and `reason`. */
export function serverClose(code?: number, reason = ""): Uint8Array {
  if (code === undefined) return Uint8Array.from([0x88, 0x00]);
  const text = new TextEncoder().encode(reason);
  return rawFrame(0x8, [code >> 8, code & 0xff, ...text]);
}
