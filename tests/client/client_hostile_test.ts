// The runtime client against a hostile server: a scripted raw TCP server
// (tests/_scripted_server.ts, node:net) gives, each in its own case, a bad
// 101 (wrong accept key, no Upgrade, an unrequested subprotocol or
// extension), garbage instead of HTTP, a huge head, no answer at all;
// after a good 101: masked frames, a frame or message over the limits,
// invalid UTF-8, close frames with bad codes, other framing violations, a
// drop in the middle of a frame. Each gives one clear `error` event and a
// `close` with the right code (after the handshake the client also sends
// that code in its close frame); never a crash, a hang or an unhandled
// rejection (a check records them during every case). Then the client API
// around connecting: close() while connecting or handshaking, send()
// before open, invalid close arguments; and the event client's reconnect
// against refusals, on a fake clock.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { createServer } from "node:net";
import {
  ClientSocket,
  type ClientSocketEvents,
} from "../../src/client/client_socket.ts";
import type { ClientSocketOptions } from "../../src/client/client_socket_options.ts";
import { connect } from "../../src/client/connect.ts";
import type { ReconnectingInfo } from "../../src/client/client_events.ts";
import { UsageError } from "../../src/protocol/errors.ts";
import { closeBody, concat, frame, OP } from "../_hostile_helpers.ts";
import { delay, waitFor, withTimeout } from "../_clients.ts";
import { FakeClock } from "../_fake_clock.ts";
import {
  type ScriptedPeer,
  type ScriptedServer,
  startScripted,
} from "../_scripted_server.ts";

// ── the check for crashes ───────────────────────────────────────────────

const problems: string[] = [];
const onRejection = (reason: unknown): void => {
  problems.push(`unhandled rejection: ${String(reason)}`);
};
const onException = (error: unknown): void => {
  problems.push(`uncaught exception: ${String(error)}`);
};
before(() => {
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
});
after(() => {
  process.off("unhandledRejection", onRejection);
  process.off("uncaughtException", onException);
});

const cleanups: Array<() => unknown> = [];

/** A case: run, clean up, then no unhandled rejection or exception may have happened. */
function hostile(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: 15_000 }, async () => {
    problems.length = 0;
    try {
      await fn();
      // Late failures surface on a later turn.
      await delay(20);
    } finally {
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch { /* best effort */ }
      }
    }
    assert.deepEqual(problems, [], "no unhandled rejection or exception");
  });
}

// ── the client side ─────────────────────────────────────────────────────

interface Watched {
  socket: ClientSocket;
  /** "open", "message <data>", "error <message>", "close <code>", in order. */
  log: string[];
  errors: string[];
  closed: Promise<ClientSocketEvents["close"]>;
  started: number;
}

function watch(socket: ClientSocket): Watched {
  const log: string[] = [];
  const errors: string[] = [];
  cleanups.push(() => socket.terminate());
  const closed = new Promise<ClientSocketEvents["close"]>((resolve) => {
    socket.addEventListener("open", () => log.push("open"));
    socket.addEventListener("message", (event) => {
      log.push(
        `message ${
          typeof event.data === "string"
            ? event.data
            : (event.data as ArrayBuffer).byteLength
        }`,
      );
    });
    socket.addEventListener("error", (event) => {
      assert.equal(event.type, "error");
      assert.ok(event.error instanceof Error, "error carries an Error");
      errors.push(event.message);
      log.push("error");
    });
    socket.addEventListener("close", (event) => {
      log.push(`close ${event.code}`);
      resolve(event);
    });
  });
  return { socket, log, errors, closed, started: Date.now() };
}

/** The close event, within `ms`, of `watched`; `close` fires exactly once. */
async function closeOf(
  watched: Watched,
  ms = 5000,
): Promise<ClientSocketEvents["close"]> {
  const event = await withTimeout(watched.closed, ms, "the client's close");
  await delay(10);
  assert.equal(
    watched.log.filter((entry) => entry.startsWith("close")).length,
    1,
    "one close event",
  );
  assert.equal(watched.socket.readyState, 3);
  assert.equal(watched.socket.bufferedAmount, 0);
  return event;
}

async function server(
  script: ((peer: ScriptedPeer) => void | Promise<void>) | undefined,
): Promise<ScriptedServer> {
  const started = await startScripted(script);
  cleanups.push(() => started.close());
  return started;
}

function client(
  target: ScriptedServer | string,
  options: ClientSocketOptions = {},
): Watched {
  const url = typeof target === "string" ? target : target.url;
  return watch(new ClientSocket(url, { deflate: false, ...options }));
}

/**
 * A handshake that must fail: one error matching `message`, then close
 * 1006 (not clean), and no open.
 */
async function handshakeFails(
  script: ((peer: ScriptedPeer) => void | Promise<void>) | undefined,
  message: RegExp,
  options: ClientSocketOptions = {},
): Promise<{ watched: Watched; peer: ScriptedServer }> {
  const peer = await server(script);
  const watched = client(peer, options);
  const event = await closeOf(watched);
  assert.equal(watched.errors.length, 1, watched.log.join(", "));
  assert.match(watched.errors[0], message);
  assert.deepEqual(watched.log, ["error", "close 1006"]);
  assert.equal(event.code, 1006);
  assert.equal(event.wasClean, false);
  return { watched, peer };
}

/**
 * After a good 101, `bytes` from the server must fail the connection: one
 * error matching `message`, close `code` on the client, and a close frame
 * with `code` sent to the server.
 */
async function violation(
  bytes: (peer: ScriptedPeer) => Uint8Array,
  code: number,
  message: RegExp,
  options: ClientSocketOptions = {},
): Promise<Watched> {
  const peer = await server((p) => p.write(concat(p.switching(), bytes(p))));
  const watched = client(peer, options);
  const event = await closeOf(watched);
  assert.equal(watched.errors.length, 1, watched.log.join(", "));
  assert.match(watched.errors[0], message);
  assert.equal(watched.log[0], "open");
  assert.equal(watched.log.at(-1), `close ${code}`);
  assert.equal(event.code, code);
  assert.equal(event.wasClean, false);
  const sent = await (await peer.peer()).nextClose();
  assert.equal(sent.code, code, "the client's close frame carries the code");
  return watched;
}

const text = (data: string | Uint8Array, fin = true) =>
  frame(OP.Text, data, { mask: false, fin });
const binary = (data: Uint8Array, fin = true) =>
  frame(OP.Binary, data, { mask: false, fin });
const continuation = (data: string | Uint8Array, fin = true) =>
  frame(OP.Continuation, data, { mask: false, fin });
const close = (body: Uint8Array) => frame(OP.Close, body, { mask: false });

// ── the check itself ────────────────────────────────────────────────────

describe("the crash check", () => {
  test("is installed for the whole file (the runners' own checks miss what surfaces after a test ends)", () => {
    assert.ok(process.listeners("unhandledRejection").includes(onRejection));
    assert.ok(process.listeners("uncaughtException").includes(onException));
  });
});

// ── a bad answer to the upgrade ─────────────────────────────────────────

describe("a hostile handshake: error, then close 1006", () => {
  hostile("a wrong accept key", async () => {
    await handshakeFails(
      (p) =>
        p.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${
            "A".repeat(27)
          }=\r\n\r\n`,
        ),
      /^Invalid handshake response: Missing or invalid header: Sec-WebSocket-Accept$/,
    );
  });

  hostile("a missing Upgrade", async () => {
    await handshakeFails(
      (p) =>
        p.write(
          `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${p.accept}\r\n\r\n`,
        ),
      /^Invalid handshake response: Missing or invalid header: Upgrade$/,
    );
  });

  hostile("an unrequested subprotocol", async () => {
    const { peer } = await handshakeFails(
      (p) => p.write(p.switching(["Sec-WebSocket-Protocol: admin"])),
      /^Invalid handshake response: Unexpected subprotocol: admin$/,
      { protocols: ["chat.v1", "chat.v2"] },
    );
    assert.equal(
      (await peer.peer()).header("Sec-WebSocket-Protocol"),
      "chat.v1, chat.v2",
    );
  });

  hostile("an unrequested extension", async () => {
    const { peer } = await handshakeFails(
      (p) =>
        p.write(p.switching(["Sec-WebSocket-Extensions: permessage-deflate"])),
      /^Invalid handshake response: Unexpected extension: permessage-deflate$/,
    );
    assert.equal(
      (await peer.peer()).header("Sec-WebSocket-Extensions"),
      undefined,
    );
  });

  hostile(
    "an unrequested extension beside the offered permessage-deflate",
    async () => {
      const { peer } = await handshakeFails(
        (p) =>
          p.write(p.switching([
            "Sec-WebSocket-Extensions: permessage-deflate, x-custom",
          ])),
        /^Invalid handshake response: Unexpected extension: x-custom$/,
        { deflate: true },
      );
      assert.match(
        (await peer.peer()).header("Sec-WebSocket-Extensions") ?? "",
        /^permessage-deflate/,
      );
    },
  );

  hostile("garbage instead of HTTP", async () => {
    await handshakeFails(
      (p) => p.write("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
      /^Invalid handshake response: Invalid status line/,
    );
  });

  hostile(
    "binary garbage without a line end: fails at maxHeadBytes, not at the end of the stream",
    async () => {
      let written = 0;
      const { peer } = await handshakeFails(
        (p) => {
          const junk = new Uint8Array(4096).fill(0xfe);
          const timer = setInterval(() => {
            if (p.closed || p.socket.destroyed || written > 1024 * 1024) {
              clearInterval(timer);
              return;
            }
            p.write(junk);
            written += junk.length;
          }, 1);
          cleanups.push(() => clearInterval(timer));
        },
        /^Invalid handshake response: /,
        { maxHeadBytes: 8192 },
      );
      await waitFor(
        () => peer.peers[0].closed,
        3000,
        "the client drops the socket",
      );
      assert.ok(
        written < 1024 * 1024,
        `read ${written} bytes before giving up`,
      );
    },
  );

  hostile(
    "a huge response head (header lines without end): fails at the limit and drops the socket",
    async () => {
      let written = 0;
      const { peer } = await handshakeFails(
        (p) => {
          p.write("HTTP/1.1 101 Switching Protocols\r\n");
          const timer = setInterval(() => {
            if (p.closed || p.socket.destroyed || written > 4 * 1024 * 1024) {
              clearInterval(timer);
              return;
            }
            const lines = Array.from(
              { length: 64 },
              (_, i) => `X-Filler-${written + i}: ${"v".repeat(100)}\r\n`,
            ).join("");
            p.write(lines);
            written += lines.length;
          }, 1);
          cleanups.push(() => clearInterval(timer));
        },
        /^Invalid handshake response: .*(head|header)/i,
      );
      await waitFor(
        () => peer.peers[0].closed,
        3000,
        "the client drops the socket",
      );
      assert.ok(written < 4 * 1024 * 1024, `sent ${written} bytes`);
    },
  );

  hostile("a server that never answers: handshake timeout", async () => {
    const { watched } = await handshakeFails(
      undefined,
      /^Handshake timeout: no answer to the upgrade request within 300 ms$/,
      { handshakeTimeout: 300 },
    );
    const ms = Date.now() - watched.started;
    assert.ok(ms >= 250 && ms < 3000, `closed after ${ms} ms`);
  });

  hostile("a server that closes without answering", async () => {
    await handshakeFails(
      (p) => {
        p.socket.end();
      },
      /^The server closed the connection before answering the handshake$/,
    );
  });

  hostile("a server that resets without answering", async () => {
    await handshakeFails(
      (p) => {
        p.socket.resetAndDestroy();
      },
      /^The connection closed during the handshake$/,
    );
  });

  hostile(
    "a refusal: close 1006 carries the status and Retry-After",
    async () => {
      const peer = await server((p) => {
        p.write(
          "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 4\r\nContent-Length: 4\r\n\r\nbusy",
        );
        p.socket.end();
      });
      const watched = client(peer);
      const event = await closeOf(watched);
      assert.deepEqual(watched.errors, [
        "The server refused the upgrade: 503 Service Unavailable",
      ]);
      assert.equal(event.code, 1006);
      assert.equal(event.status, 503);
      assert.equal(event.retryAfter, 4);
    },
  );
});

// ── a hostile server after a good 101 ───────────────────────────────────

describe("a hostile server after the handshake: error, close frame and close event with the code", () => {
  hostile("a masked text frame: 1002", async () => {
    await violation(
      () => frame(OP.Text, "masked", { mask: true }),
      1002,
      /mask/i,
    );
  });

  hostile("a masked close frame: 1002", async () => {
    await violation(
      () => frame(OP.Close, closeBody(1000), { mask: true }),
      1002,
      /mask/i,
    );
  });

  hostile("a frame over maxFrameSize: 1009", async () => {
    await violation(
      () => binary(new Uint8Array(2000)),
      1009,
      /./,
      { maxFrameSize: 1000, maxMessageSize: 10_000 },
    );
  });

  hostile("a frame announcing 2^63 - 1 bytes: 1009 at once", async () => {
    await violation(
      () =>
        frame(OP.Binary, new Uint8Array(0), {
          mask: false,
          length: (1n << 63n) - 1n,
        }),
      1009,
      /./,
    );
  });

  hostile(
    "a message over maxMessageSize in fragments each under it: 1009",
    async () => {
      await violation(
        () =>
          concat(
            text("a".repeat(400), false),
            continuation("b".repeat(400), false),
            continuation("c".repeat(400), true),
          ),
        1009,
        /./,
        { maxMessageSize: 1000 },
      );
    },
  );

  hostile("invalid UTF-8 in a text message: 1007", async () => {
    await violation(
      () => text(Uint8Array.of(0x68, 0x69, 0xc3, 0x28)),
      1007,
      /UTF-8/i,
    );
  });

  hostile(
    "invalid UTF-8 split across fragments (a truncated sequence at the end): 1007",
    async () => {
      await violation(
        () =>
          concat(
            text(Uint8Array.of(0x61, 0xe2, 0x82), false),
            continuation(Uint8Array.of(0x62), true),
          ),
        1007,
        /UTF-8/i,
      );
    },
  );

  hostile("invalid UTF-8 in a close reason: 1007", async () => {
    await violation(
      () => close(closeBody(1000, Uint8Array.of(0xff, 0xfe))),
      1007,
      /UTF-8/i,
    );
  });

  for (const code of [999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
    hostile(`a close frame with code ${code}: 1002`, async () => {
      await violation(() => close(closeBody(code)), 1002, /close code/i);
    });
  }

  hostile("a close frame with a one-byte body: 1002", async () => {
    await violation(() => close(Uint8Array.of(0x03)), 1002, /close/i);
  });

  hostile("a reserved opcode: 1002", async () => {
    await violation(() => frame(0x3, "x", { mask: false }), 1002, /opcode/i);
  });

  hostile("RSV1 without an agreed extension: 1002", async () => {
    await violation(
      () => frame(OP.Text, "x", { mask: false, rsv: 4 }),
      1002,
      /RSV|reserved/i,
    );
  });

  hostile("a fragmented ping: 1002", async () => {
    await violation(
      () => frame(OP.Ping, "x", { mask: false, fin: false }),
      1002,
      /./,
    );
  });

  hostile("a ping over 125 bytes: 1002", async () => {
    await violation(
      () => frame(OP.Ping, new Uint8Array(126), { mask: false }),
      1002,
      /./,
    );
  });

  hostile("a continuation with no message started: 1002", async () => {
    await violation(() => continuation("x"), 1002, /continuation/i);
  });

  hostile("a new message inside a fragmented one: 1002", async () => {
    await violation(
      () => concat(text("a", false), text("b")),
      1002,
      /./,
    );
  });

  hostile(
    "messages before the violation are delivered, nothing after it",
    async () => {
      const watched = await violation(
        () =>
          concat(
            text("first"),
            binary(new Uint8Array(3)),
            frame(OP.Text, "masked", { mask: true }),
            text("never"),
          ),
        1002,
        /mask/i,
      );
      assert.deepEqual(watched.log, [
        "open",
        "message first",
        "message 3",
        "error",
        "close 1002",
      ]);
    },
  );

  hostile(
    "a server that drops in the middle of a frame: close 1006, not clean",
    async () => {
      const peer = await server((p) => {
        p.write(concat(
          p.switching(),
          text("whole"),
          frame(OP.Binary, new Uint8Array(100), { mask: false }).subarray(
            0,
            40,
          ),
        ));
        setTimeout(() => p.socket.destroy(), 30);
      });
      const watched = client(peer);
      const event = await closeOf(watched);
      assert.equal(event.code, 1006);
      assert.equal(event.wasClean, false);
      assert.deepEqual(watched.log, [
        "open",
        "message whole",
        "error",
        "close 1006",
      ]);
      assert.deepEqual(watched.errors, [
        "The server closed the connection without a close frame (1006)",
      ]);
    },
  );

  hostile(
    "a server that ends (FIN) in the middle of a frame: close 1006",
    async () => {
      const peer = await server((p) => {
        p.write(
          concat(
            p.switching(),
            frame(OP.Text, "abcdef", { mask: false }).subarray(0, 4),
          ),
        );
        p.socket.end();
      });
      const watched = client(peer);
      const event = await closeOf(watched);
      assert.equal(event.code, 1006);
      assert.equal(event.wasClean, false);
      assert.deepEqual(watched.log, ["open", "error", "close 1006"]);
    },
  );

  hostile(
    "a server that ends right after the 101: error, close 1006",
    async () => {
      const peer = await server((p) => {
        p.write(p.switching());
        p.socket.end();
      });
      const watched = client(peer);
      const event = await closeOf(watched);
      assert.equal(event.code, 1006);
      assert.deepEqual(watched.log, ["open", "error", "close 1006"]);
      assert.deepEqual(watched.errors, [
        "The server closed the connection without a close frame (1006)",
      ]);
    },
  );

  hostile(
    "a server that sends a close and never closes TCP: the client drops it after closeTimeout",
    async () => {
      const peer = await server((p) =>
        p.write(concat(p.switching(), close(closeBody(4000, "bye"))))
      );
      const watched = client(peer, { closeTimeout: 200 });
      const event = await closeOf(watched);
      assert.equal(event.code, 4000);
      assert.equal(event.reason, "bye");
      assert.equal((await (await peer.peer()).nextClose()).code, 4000);
      assert.deepEqual(watched.errors, []);
    },
  );
});

describe("closes and silence from the server", () => {
  hostile(
    "a close with a code and reason, then the server ends TCP: clean, the code echoed",
    async () => {
      const peer = await server((p) =>
        p.write(concat(p.switching(), close(closeBody(1001, "going away"))))
      );
      const watched = client(peer);
      const event = await closeOf(watched);
      assert.deepEqual(
        { code: event.code, reason: event.reason, wasClean: event.wasClean },
        { code: 1001, reason: "going away", wasClean: true },
      );
      assert.deepEqual(watched.errors, []);
      assert.equal((await (await peer.peer()).nextClose()).code, 1001);
    },
  );

  hostile(
    "an empty close frame: close 1005, answered with an empty close frame",
    async () => {
      const peer = await server((p) =>
        p.write(concat(p.switching(), close(new Uint8Array(0))))
      );
      const watched = client(peer);
      const event = await closeOf(watched);
      assert.equal(event.code, 1005);
      assert.equal(event.wasClean, true);
      const p = await peer.peer();
      await p.nextClose();
      assert.equal(
        p.frames.find((f) => f.opcode === OP.Close)!.payload.length,
        0,
      );
    },
  );

  hostile(
    "a server that never answers pings: the client pings, then fails with 1011 after idleTimeout",
    async () => {
      const peer = await server((p) => p.write(p.switching()));
      const watched = client(peer, { pingInterval: 50, idleTimeout: 200 });
      const event = await closeOf(watched);
      assert.deepEqual(watched.errors, [
        "Keepalive timeout: no data from the peer",
      ]);
      assert.equal(event.code, 1011);
      assert.equal(event.wasClean, false);
      const ms = Date.now() - watched.started;
      assert.ok(ms >= 200 && ms < 3000, `closed after ${ms} ms`);
      const pings = (await peer.peer()).frames.filter((f) =>
        f.opcode === OP.Ping
      );
      assert.ok(pings.length >= 2, `${pings.length} pings`);
      assert.ok(pings.every((f) => f.masked), "client frames are masked");
    },
  );
});

// ── the client API around connecting ────────────────────────────────────

describe("the client API while connecting", () => {
  hostile(
    "close() right after the constructor: close 1006, no open, no error, no bytes sent",
    async () => {
      const peer = await server((p) => p.write(p.switching()));
      const watched = client(peer);
      watched.socket.close();
      assert.equal(watched.socket.readyState, 2, "CLOSING at once");
      const event = await closeOf(watched);
      assert.equal(event.code, 1006);
      assert.equal(event.wasClean, false);
      assert.deepEqual(watched.log, ["close 1006"]);
      await delay(50);
      assert.ok(
        peer.peers.every((p) => p.request === ""),
        "no request was sent",
      );
    },
  );

  hostile(
    "close() while handshaking: close 1006, the socket is dropped, no open even if the 101 comes",
    async () => {
      let answer: (() => void) | undefined;
      const peer = await server((p) => {
        answer = () => p.write(p.switching());
      });
      const watched = client(peer);
      const p = await peer.peer();
      watched.socket.close(1000, "never mind");
      answer!();
      const event = await closeOf(watched);
      assert.equal(event.code, 1006);
      assert.deepEqual(watched.log, ["close 1006"]);
      await waitFor(
        () => p.closed || p.ended,
        3000,
        "the server sees the drop",
      );
    },
  );

  hostile("terminate() while handshaking: the same", async () => {
    const peer = await server(undefined);
    const watched = client(peer);
    await peer.peer();
    watched.socket.terminate();
    const event = await closeOf(watched);
    assert.equal(event.code, 1006);
    assert.deepEqual(watched.log, ["close 1006"]);
  });

  hostile(
    "send() while connecting throws a UsageError; after close it returns false",
    async () => {
      const peer = await server((p) => p.write(p.switching()));
      const watched = client(peer);
      assert.throws(() => watched.socket.send("early"), UsageError);
      assert.throws(() => watched.socket.send(new Uint8Array(1)), UsageError);
      assert.equal(watched.socket.ping(), false);
      await waitFor(() => watched.log.includes("open"), 3000, "open");
      assert.equal(watched.socket.readyState, 1);
      watched.socket.close();
      assert.equal(watched.socket.readyState, 2);
      assert.equal(watched.socket.send("late"), false);
      watched.socket.terminate();
      await closeOf(watched);
      assert.equal(watched.socket.send("later"), false);
    },
  );

  hostile(
    "invalid close codes and reasons throw a UsageError, and nothing closes",
    async () => {
      const peer = await server((p) => p.write(p.switching()));
      const watched = client(peer);
      await waitFor(() => watched.log.includes("open"), 3000, "open");
      const { socket } = watched;
      for (
        const code of [
          0,
          999,
          1001,
          1002,
          1005,
          1006,
          1011,
          1015,
          2999,
          5000,
          3000.5,
          Number.NaN,
        ]
      ) {
        assert.throws(() => socket.close(code), UsageError, String(code));
      }
      assert.throws(() => socket.close(1000, "x".repeat(124)), UsageError);
      // 41 three-byte characters: 123 bytes, allowed; 42: 126 bytes, not.
      assert.throws(() => socket.close(1000, "€".repeat(42)), UsageError);
      assert.equal(socket.readyState, 1, "still open");
      socket.close(4999, "€".repeat(41));
      const sent = await (await peer.peer()).nextClose();
      assert.equal(sent.code, 4999);
      assert.equal(sent.reason, "€".repeat(41));
      socket.terminate();
      await closeOf(watched);
    },
  );

  hostile(
    "a refused connection: error naming the address, close 1006",
    async () => {
      const port = await freePort();
      const watched = client(`ws://127.0.0.1:${port}/`);
      const event = await closeOf(watched);
      assert.deepEqual(watched.errors, [
        `Connection refused: 127.0.0.1:${port}`,
      ]);
      assert.equal(event.code, 1006);
    },
  );
});

// ── the event client's reconnect ────────────────────────────────────────

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 0;
}

describe("the event client (connect) against refusals, on a fake clock", () => {
  hostile(
    "a refused connection is retried with the policy's delays until maxAttempts, then closes",
    async () => {
      const port = await freePort();
      const clock = new FakeClock();
      const client = connect(`ws://127.0.0.1:${port}/`, {
        session: false,
        clock,
        random: () => 0.5, // the middle of the jitter: the base delay exactly
        reconnect: {
          initialDelay: 100,
          factor: 2,
          maxDelay: 500,
          maxAttempts: 5,
        },
      });
      cleanups.push(() => client.close());
      const scheduled: ReconnectingInfo[] = [];
      const errors: string[] = [];
      const closes: Array<{ code: number; reconnecting: boolean }> = [];
      client.on("reconnecting", (info) => {
        scheduled.push(info);
      });
      client.on("error", (error) => {
        errors.push(error.message);
      });
      client.on("close", (info) => {
        closes.push({ code: info.code, reconnecting: info.reconnecting });
      });
      const delays = [100, 200, 400, 500, 500];
      for (let attempt = 1; attempt <= delays.length; attempt++) {
        await waitFor(
          () => scheduled.length === attempt,
          3000,
          `reconnecting #${attempt}`,
        );
        assert.deepEqual(
          {
            attempt: scheduled.at(-1)!.attempt,
            delay: scheduled.at(-1)!.delay,
          },
          { attempt, delay: delays[attempt - 1] },
        );
        assert.equal(scheduled.at(-1)!.code, 1006);
        // Not a millisecond early.
        clock.advance(delays[attempt - 1] - 1);
        await delay(30);
        assert.equal(errors.length, attempt, "no new attempt before the delay");
        clock.advance(1);
      }
      await waitFor(() => closes.length === 1, 3000, "the final close");
      assert.deepEqual(closes, [{ code: 1006, reconnecting: false }]);
      assert.equal(errors.length, 6, "the first attempt and five retries");
      for (const message of errors) {
        assert.match(
          message,
          new RegExp(`Connection refused: 127\\.0\\.0\\.1:${port}`),
        );
      }
      assert.equal(clock.pending, 0, "no timer left behind");
    },
  );

  hostile("jitter stays within ±50% of the base delay", async () => {
    const port = await freePort();
    for (const [random, expected] of [[0, 500], [0.999999, 1500]] as const) {
      const clock = new FakeClock();
      const client = connect(`ws://127.0.0.1:${port}/`, {
        session: false,
        clock,
        random: () => random,
        reconnect: { initialDelay: 1000, jitter: 0.5, maxAttempts: 1 },
      });
      cleanups.push(() => client.close());
      const info = await withTimeout(
        new Promise<ReconnectingInfo>((resolve) =>
          client.on("reconnecting", resolve)
        ),
        3000,
        "reconnecting",
      );
      assert.equal(info.delay, expected);
      client.close();
    }
  });

  hostile(
    "a 503 with Retry-After waits that long (capped by maxDelay); a 403 is not retried",
    async () => {
      let status = "503 Service Unavailable\r\nRetry-After: 3";
      const peer = await server((p) => {
        p.write(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`);
        p.socket.end();
      });
      const clock = new FakeClock();
      const client = connect(peer.url, {
        session: false,
        clock,
        random: () => 0.5,
        reconnect: { initialDelay: 100, maxDelay: 10_000 },
      });
      cleanups.push(() => client.close());
      const scheduled: ReconnectingInfo[] = [];
      const closes: Array<{ code: number; reconnecting: boolean }> = [];
      client.on("reconnecting", (info) => {
        scheduled.push(info);
      });
      client.on("error", () => {});
      client.on("close", (info) => {
        closes.push({ code: info.code, reconnecting: info.reconnecting });
      });
      await waitFor(() => scheduled.length === 1, 3000, "reconnecting");
      assert.equal(scheduled[0].delay, 3000);
      assert.equal(scheduled[0].status, 503);
      status = "403 Forbidden";
      clock.advance(3000);
      await waitFor(() => closes.length === 1, 3000, "the final close");
      assert.deepEqual(closes, [{ code: 1006, reconnecting: false }]);
      assert.equal(scheduled.length, 1);
      assert.equal(peer.peers.length, 2);
    },
  );

  hostile(
    "close() while waiting to retry stops it: no attempt after, no timer left",
    async () => {
      const port = await freePort();
      const clock = new FakeClock();
      const client = connect(`ws://127.0.0.1:${port}/`, {
        session: false,
        clock,
        reconnect: { initialDelay: 100 },
      });
      const errors: string[] = [];
      client.on("error", (error) => {
        errors.push(error.message);
      });
      const closed = new Promise<{ code: number }>((resolve) =>
        client.on("close", resolve)
      );
      await withTimeout(
        new Promise((resolve) => client.on("reconnecting", resolve)),
        3000,
        "reconnecting",
      );
      client.close();
      assert.equal((await withTimeout(closed, 1000, "close")).code, 1000);
      assert.equal(clock.pending, 0);
      clock.advance(10_000);
      await delay(30);
      assert.equal(errors.length, 1);
    },
  );
});
