// The benchmark's load client (scripts/bench/bench_client.c with
// bench_pmd.c and bench_chat.c) against a scripted server: the
// permessage-deflate answer it accepts or refuses, the compressed echoes it
// inflates and checks (with and without context takeover, with a final
// BFINAL block), and the frames it must call protocol errors: a wrong
// byte, RSV1 where it is not allowed, a message that inflates past its
// size. The client is compiled into a temporary folder (cc and zlib's
// headers are needed, as for `npm run bench`).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import zlib from "node:zlib";
import { compileClient } from "../../scripts/bench/load_client.ts";

const dir = mkdtempSync(join(tmpdir(), "anyws-bench-client-"));
const CLIENT = join(dir, "bench_client");
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** How the scripted server answers one connection. */
interface Script {
  /** The 101's Sec-WebSocket-Extensions value, or null for none. */
  extension: string | null;
  /** The frames (header and payload) echoing one message of the client. */
  reply(message: Buffer, state: ConnectionState): Buffer[];
}

/** What the scripted server remembers of a connection. */
interface ConnectionState {
  /** Every message echoed so far, oldest first (context takeover). */
  history: Buffer[];
}

/** A server frame: unmasked, `rsv1` for a compressed first frame. */
function frame(
  opcode: number,
  payload: Buffer,
  options: { fin?: boolean; rsv1?: boolean } = {},
): Buffer {
  const first = (options.fin === false ? 0 : 0x80) |
    (options.rsv1 ? 0x40 : 0) | opcode;
  const length = payload.length;
  let header: Buffer;
  if (length < 126) header = Buffer.from([first, length]);
  else if (length < 65536) {
    header = Buffer.from([first, 126, length >> 8, length & 0xff]);
  } else throw new Error("frame too long for this test");
  return Buffer.concat([header, payload]);
}

/** RFC 7692 §7.2.1 without context takeover: sync flush, tail removed. */
function compress(message: Buffer): Buffer {
  const out = zlib.deflateRawSync(message, {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  });
  assert.deepEqual(out.subarray(out.length - 4), TAIL);
  return out.subarray(0, out.length - 4);
}

/**
 * With context takeover: the earlier messages are the window, so a raw
 * stream with them as its dictionary refers back into them exactly as a
 * continuing compressor would.
 */
function compressWithContext(message: Buffer, history: Buffer[]): Buffer {
  const window = Buffer.concat(history).subarray(-32768);
  const out = zlib.deflateRawSync(message, {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
    ...(window.length > 0 ? { dictionary: window } : {}),
  });
  return out.subarray(0, out.length - 4);
}

function inflate(payload: Buffer): Buffer {
  return zlib.inflateRawSync(Buffer.concat([payload, TAIL]), {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  });
}

/** Serves `script` on 127.0.0.1 until closed. */
function scriptedServer(script: Script): Promise<Server> {
  const server = createServer((socket: Socket) => {
    let buffered = Buffer.alloc(0);
    let open = false;
    const state: ConnectionState = { history: [] };
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!open) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString("latin1");
        buffered = buffered.subarray(end + 4);
        const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? "";
        const accept = createHash("sha1").update(key + GUID).digest("base64");
        socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
            `Connection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n` +
            (script.extension === null
              ? ""
              : `Sec-WebSocket-Extensions: ${script.extension}\r\n`) +
            "\r\n",
        );
        open = true;
      }
      // Client frames: one frame per message here, masked (RFC 6455 §5.3).
      while (buffered.length >= 2) {
        const rsv1 = (buffered[0] & 0x40) !== 0;
        const opcode = buffered[0] & 0x0f;
        let length = buffered[1] & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffered.length < 4) return;
          length = buffered.readUInt16BE(2);
          offset = 4;
        }
        if (buffered.length < offset + 4 + length) return;
        const mask = buffered.subarray(offset, offset + 4);
        const payload = Buffer.from(
          buffered.subarray(offset + 4, offset + 4 + length),
        );
        for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
        buffered = buffered.subarray(offset + 4 + length);
        if (opcode !== 1) continue; // pongs, closes
        const message = rsv1 ? inflate(payload) : payload;
        for (const out of script.reply(message, state)) socket.write(out);
        state.history.push(message);
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

type Report = Record<string, number | string | null>;

/** Runs the client's echo mode (JSON, deflate offered) against `script`. */
async function runAgainst(
  script: Script,
  deflate = "browser",
): Promise<Report> {
  const server = await scriptedServer(script);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  try {
    const child = spawn(CLIENT, [
      "--port",
      String(port),
      "--mode",
      "echo",
      "--conns",
      "2",
      "--inflight",
      "2",
      "--size",
      "400",
      "--payload",
      "json",
      "--deflate",
      deflate,
      "--warmup",
      "0",
      "--duration",
      "300",
      "--timeout",
      "10000",
      "--hs-timeout",
      "3000",
    ], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text: string) => stdout += text);
    const code = await new Promise<number | null>((resolve) =>
      child.once("close", resolve)
    );
    assert.equal(code, 0, `bench_client exited with ${code}: ${stdout}`);
    return JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as Report;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const SHARED =
  "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

before(() => {
  const error = compileClient([], CLIENT);
  assert.equal(error, null, error ?? "");
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("bench_client with permessage-deflate", () => {
  test("inflates and checks compressed echoes without context takeover, and counts the bytes both ways", async () => {
    const report = await runAgainst({
      extension: SHARED,
      reply: (message) => [frame(1, compress(message), { rsv1: true })],
    });
    assert.equal(report.error, null);
    assert.equal(report.protocol_errors, 0);
    assert.equal(report.extension, SHARED);
    assert.equal(report.deflate_agreed, 2);
    assert.ok((report.msgs as number) > 0);
    assert.equal(report.plain_msgs, 0);
    assert.ok((report.rsv1_msgs as number) >= (report.msgs as number));
    // 400 B of JSON travel as well under 400 B each way.
    assert.ok(
      (report.wire_in_per_msg as number) < 350,
      `${report.wire_in_per_msg}`,
    );
    assert.ok(
      (report.wire_out_per_msg as number) < 350,
      `${report.wire_out_per_msg}`,
    );
  });

  test("keeps its inflater's window when the server uses context takeover", async () => {
    const report = await runAgainst({
      extension: "permessage-deflate; client_max_window_bits=15",
      reply: (message, state) => [
        frame(1, compressWithContext(message, state.history), { rsv1: true }),
      ],
    });
    assert.equal(report.error, null);
    assert.equal(report.protocol_errors, 0);
    assert.ok((report.msgs as number) > 0);
    assert.equal(report.inflate_cache_hits, 0);
  });

  test("reads messages ending with a BFINAL block, context takeover kept", async () => {
    const report = await runAgainst({
      extension: "permessage-deflate",
      reply: (message, state) => {
        const window = Buffer.concat(state.history).subarray(-32768);
        const payload = zlib.deflateRawSync(message, {
          ...(window.length > 0 ? { dictionary: window } : {}),
        });
        return [frame(1, payload, { rsv1: true })];
      },
    });
    assert.equal(report.error, null);
    assert.ok((report.msgs as number) > 0);
  });

  test("accepts uncompressed echoes on a compressed connection and counts them", async () => {
    const report = await runAgainst({
      extension: SHARED,
      reply: (message) => [frame(1, message)],
    });
    assert.equal(report.error, null);
    assert.equal(report.rsv1_msgs, 0);
    assert.ok((report.plain_msgs as number) > 0);
  });

  test("a compressed echo one byte off is a protocol error", async () => {
    const report = await runAgainst({
      extension: SHARED,
      reply: (message) => {
        const wrong = Buffer.from(message);
        wrong[200] ^= 0x01;
        return [frame(1, compress(wrong), { rsv1: true })];
      },
    });
    assert.ok((report.protocol_errors as number) > 0);
    assert.equal(
      report.error,
      "Protocol error: echo does not match the message sent",
    );
  });

  test("a message that inflates past the size sent is a protocol error", async () => {
    const report = await runAgainst({
      extension: SHARED,
      reply: (message) => [
        frame(1, compress(Buffer.concat([message, message])), { rsv1: true }),
      ],
    });
    assert.equal(
      report.error,
      "Protocol error: a compressed message inflates to more than the message sent",
    );
  });

  test("RSV1 without the extension agreed is a protocol error", async () => {
    const report = await runAgainst({
      extension: null,
      reply: (message) => [frame(1, compress(message), { rsv1: true })],
    });
    assert.equal(report.deflate_declined, 2);
    assert.equal(
      report.error,
      "Protocol error: RSV1 without permessage-deflate",
    );
  });

  test("RSV1 on a continuation frame is a protocol error", async () => {
    const report = await runAgainst({
      extension: SHARED,
      reply: (message) => {
        const payload = compress(message);
        return [
          frame(1, payload.subarray(0, 10), { rsv1: true, fin: false }),
          frame(0, payload.subarray(10), { rsv1: true }),
        ];
      },
    });
    assert.equal(report.error, "Protocol error: RSV1 on a continuation frame");
  });

  test("a compressed message in two frames is inflated whole", async () => {
    const report = await runAgainst({
      extension: SHARED,
      reply: (message) => {
        const payload = compress(message);
        return [
          frame(1, payload.subarray(0, 10), { rsv1: true, fin: false }),
          frame(0, payload.subarray(10)),
        ];
      },
    });
    assert.equal(report.error, null);
    assert.ok((report.msgs as number) > 0);
  });

  for (
    const [answer, why] of [
      [
        "permessage-deflate; server_max_window_bits=16",
        "a max_window_bits parameter without a value of 8 to 15 in the answer",
      ],
      [
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "repeated permessage-deflate parameter in the answer",
      ],
      [
        "permessage-deflate; mystery",
        "unknown permessage-deflate parameter in the answer",
      ],
      [
        "x-webkit-deflate-frame",
        "the answer names an extension that was not offered",
      ],
      [
        "permessage-deflate, permessage-deflate",
        "the answer accepts more than the one extension offered",
      ],
    ]
  ) {
    test(`refuses the answer "${answer}"`, async () => {
      const report = await runAgainst({
        extension: answer,
        reply: (message) => [frame(1, message)],
      });
      assert.equal(report.opened, 0);
      assert.ok((report.protocol_errors as number) > 0);
      assert.equal(report.error, `Connection failed: ${why}`);
    });
  }

  test("refuses an answer without the server_no_context_takeover it offered", async () => {
    const report = await runAgainst(
      {
        extension: "permessage-deflate",
        reply: (message) => [frame(1, message)],
      },
      "no-context-takeover",
    );
    assert.equal(report.opened, 0);
    assert.equal(
      report.error,
      "Connection failed: the answer does not grant the server_no_context_takeover offered",
    );
  });
});
