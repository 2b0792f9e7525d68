/**
 * The driver fuzzer's checks of what the server wrote to one client: the
 * HTTP answer, then every frame, against the model of what the application
 * and the protocol should have sent.
 *
 * @module
 */

import {
  closeCodeOf,
  indexOfHeadEnd,
  isValidServerClosePayload,
  OPCODE_NAMES,
  parseFrameAt,
  sameBytes,
  show,
  type WireFrame,
} from "./_fuzz_bytes.ts";
import type { ConnModel, Peer, Reporter } from "./_fuzz_model.ts";
import { closePayload, OP } from "./_clients.ts";

const decoder = new TextDecoder();

/** Parses what the server wrote to `peer` since the last call and checks each frame. */
export function checkWire(
  peer: Peer,
  report: Reporter,
  pingInterval: number,
): number {
  let frames = 0;
  const bytes = peer.wire.bytes;
  if (peer.httpStatus === 0) {
    const end = indexOfHeadEnd(bytes);
    if (end < 0) return frames;
    const head = decoder.decode(bytes.subarray(0, end));
    peer.httpStatus = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? -1);
    peer.parsed = end;
    report.log(`${peer.label} <- HTTP ${peer.httpStatus}`);
    if (peer.httpStatus === 500 && !peer.requestFailed) {
      report.problem(`${peer.label}: 500 without an error event`);
    }
    if (peer.httpStatus === 101 && peer.conn === undefined) {
      report.problem(`${peer.label}: 101 written before the open event`);
    }
    if (peer.httpStatus !== peer.expectStatus) {
      report.problem(
        `${peer.label}: answered ${peer.httpStatus}, expected ${peer.expectStatus}`,
      );
    }
  }
  if (peer.httpStatus !== 101) return frames;
  const m = peer.conn!;
  for (;;) {
    if (peer.closeFrame !== undefined && bytes.length > peer.parsed) {
      report.problem(
        `${peer.label}: ${
          bytes.length - peer.parsed
        } bytes written after our close frame`,
      );
      peer.parsed = bytes.length;
      return frames;
    }
    const frame = parseFrameAt(bytes, peer.parsed);
    if (frame === undefined) return frames;
    peer.parsed = frame.end;
    frames++;
    checkFrame(peer, m, frame, report, pingInterval);
  }
}

function checkFrame(
  peer: Peer,
  m: ConnModel,
  frame: WireFrame,
  report: Reporter,
  pingInterval: number,
): void {
  const { opcode, fin, payload } = frame;
  const name = OPCODE_NAMES[opcode] ?? `opcode ${opcode}`;
  report.log(
    `${peer.label} <- ${name}${fin ? "" : " (FIN unset)"} ${show(payload)}`,
  );
  if (frame.masked) report.problem(`${peer.label}: the server masked a frame`);
  if (frame.rsv !== 0) {
    report.problem(`${peer.label}: the server set RSV bits ${frame.rsv}`);
  }
  if (OPCODE_NAMES[opcode] === undefined) {
    report.problem(`${peer.label}: the server sent ${name}`);
  }
  if (opcode >= 8 && (!fin || payload.length > 125)) {
    report.problem(
      `${peer.label}: invalid control frame (FIN ${fin}, ${payload.length} bytes)`,
    );
  }
  if (opcode === OP.Continuation && !peer.sendingFragments) {
    report.problem(
      `${peer.label}: continuation frame outside a fragmented message`,
    );
  }
  if ((opcode === OP.Text || opcode === OP.Binary) && peer.sendingFragments) {
    report.problem(`${peer.label}: a new message inside a fragmented one`);
  }
  if (opcode < 8) peer.sendingFragments = !fin;
  if (opcode === OP.Close) {
    peer.closeFrame = frame;
    report.count("server close frame");
    checkCloseFrame(peer, m, payload, report);
    return;
  }
  if (opcode === OP.Ping && payload.length === 0) {
    if (pingInterval === 0) {
      report.problem(`${peer.label}: a heartbeat ping with no pingInterval`);
    }
    report.count("heartbeat ping");
    return;
  }
  if (opcode === OP.Pong && decoder.decode(payload).startsWith("pp")) {
    const text = decoder.decode(payload);
    const expected = peer.pings[peer.pongs];
    if (text !== expected) {
      report.problem(
        `${peer.label}: pong ${text}, expected the pong of ${
          expected ?? "no ping"
        } (pings answered in order)`,
      );
    }
    peer.pongs++;
    report.count("pong");
    return;
  }
  const expected = m.expected[m.matched];
  if (expected === undefined) {
    report.problem(
      `${peer.label}: ${name} ${
        show(payload)
      } written, but the application sent nothing more (${m.matched} frames matched)`,
    );
    return;
  }
  if (
    expected.opcode !== opcode || expected.fin !== fin ||
    !sameBytes(expected.payload, payload)
  ) {
    report.problem(
      `${peer.label}: frame #${m.matched} is ${name}${
        fin ? "" : " (FIN unset)"
      } ${show(payload)}, the application sent ${
        OPCODE_NAMES[expected.opcode]
      }${expected.fin ? "" : " (FIN unset)"} ${show(expected.payload)}`,
    );
  }
  m.matched++;
}

function checkCloseFrame(
  peer: Peer,
  m: ConnModel,
  payload: Uint8Array,
  report: Reporter,
): void {
  if (!isValidServerClosePayload(payload)) {
    report.problem(
      `${peer.label}: invalid close payload ${
        Array.from(payload.subarray(0, 8))
      }`,
    );
  }
  // Everything the application sent before the close (or the failure) is
  // written, in order, before the close frame.
  if (m.matched !== m.expected.length) {
    report.problem(
      `${peer.label}: close frame written after ${m.matched} of the ${m.expected.length} frames the application sent`,
    );
  }
  if (m.appClose !== undefined) {
    if (!sameBytes(payload, m.appClose)) {
      report.problem(
        `${peer.label}: close payload ${show(payload)} (${
          closeCodeOf(payload)
        }), the application's close was ${show(m.appClose)} (${
          closeCodeOf(m.appClose)
        })`,
      );
    }
    return;
  }
  if (m.violation !== undefined) {
    if (closeCodeOf(payload) !== m.violation) {
      report.problem(
        `${peer.label}: close ${
          closeCodeOf(payload)
        } after violation ${m.violation}`,
      );
    }
  } else {
    const stopper = peer.stopper;
    if (stopper?.kind !== "close") {
      report.problem(
        `${peer.label}: a close frame (${
          closeCodeOf(payload)
        }) nobody asked for`,
      );
      return;
    }
    const echo = stopper.code === 1005
      ? new Uint8Array(0)
      : closePayload(stopper.code);
    if (!sameBytes(payload, echo)) {
      report.problem(
        `${peer.label}: close reply ${
          show(payload)
        }, expected the echo of ${stopper.code}`,
      );
    }
    if (m.delivered.length !== peer.messages.length) {
      report.problem(
        `${peer.label}: close reply after ${m.delivered.length} of the peer's ${peer.messages.length} messages were delivered`,
      );
    }
  }
  // The protocol answered every ping it took while open (RFC 6455 §5.5.2).
  if (peer.pongs !== peer.pings.length) {
    report.problem(
      `${peer.label}: ${peer.pongs} pongs for the ${peer.pings.length} pings before the peer's close or violation`,
    );
  }
}
