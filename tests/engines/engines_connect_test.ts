// Outbound connections (Engine.connect) on the engine of the runtime running
// the test (`deno test` checks the Deno engine, `bun test` the Bun engine,
// `node --test` the Node engine), against node:net and node:tls servers in
// the test, with certificates openssl makes in the setup (a private CA and
// a leaf it signs for localhost and 127.0.0.1): the transport of an outbound
// connection behaves like an accepted one (round trip, half-close both ways,
// backpressure and drain, pause and resume, abort, reset), and every way a
// connection can fail rejects with a ConnectError of the right kind: refused,
// unresolvable name, untrusted or mismatched certificate, timeout. The
// memory engine's connect is checked too.

import { SocketReader } from "../_memory_client.ts";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import {
  connect as netConnect,
  createServer as createTcpServer,
  type Server as TcpServer,
  type Socket,
} from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type {
  ConnectOptions,
  ConnectTlsOptions,
  Engine,
  Transport,
  TransportHandler,
} from "../../src/driver/engine.ts";
import { ConnectError } from "../../src/driver/connect_error.ts";
import { UsageError } from "../../src/protocol/errors.ts";
import { autoEngine, detectRuntime } from "../../engines/auto.ts";
import { memoryEngine } from "../../engines/memory.ts";
import { makePki, type Pki } from "../_pki.ts";

const MiB = 1024 * 1024;
const HOST = "127.0.0.1";
const runtime = detectRuntime();
const engine: Engine = autoEngine();

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(
  predicate: () => boolean,
  what: string,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting: ${what}`);
    await delay(5);
  }
}

/** Byte i of every test stream: a pattern with a long period. */
function pattern(size: number, start = 0): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const n = start + i;
    bytes[i] = (n ^ (n >>> 8) ^ (n >>> 16)) & 0xff;
  }
  return bytes;
}

/** Position-sensitive checksum, fed chunk by chunk. */
function checksum(bytes: Uint8Array, seed = 0): number {
  let h = seed;
  for (let i = 0; i < bytes.length; i++) h = (Math.imul(h, 31) + bytes[i]) | 0;
  return h;
}

// ── the client side: a handler that records what the engine reports ─────

/** The handler of one outbound transport, recording every callback. */
class Probe implements TransportHandler {
  transport: Transport | undefined;
  /** "data" (runs collapsed), "end", "close"; "after-close" is a bug. */
  log: string[] = [];
  drains = 0;
  bytes = 0;
  sum = 0;
  text = "";
  closeCount = 0;
  closeError: Error | undefined;
  unsentAtClose = -1;
  inAbort = false;
  closedInsideAbort = false;
  /** Called with the transport as the engine hands it over. */
  onAccept: ((transport: Transport) => void) | undefined;
  onEndHook: (() => void) | undefined;
  onDrainHook: (() => void) | undefined;

  accept = (transport: Transport): TransportHandler => {
    this.transport = transport;
    this.onAccept?.(transport);
    return this;
  };

  get t(): Transport {
    assert.ok(this.transport, "the transport was handed over");
    return this.transport;
  }

  #record(name: string): void {
    if (this.closeCount > 0) this.log.push("after-close");
    if (name !== "data" || this.log.at(-1) !== "data") this.log.push(name);
  }

  onData(bytes: Uint8Array): void {
    this.#record("data");
    this.bytes += bytes.length;
    this.sum = checksum(bytes, this.sum);
    this.text += new TextDecoder().decode(bytes);
  }
  onDrain(): void {
    if (this.closeCount > 0) this.log.push("after-close");
    this.drains++;
    this.onDrainHook?.();
  }
  onEnd(): void {
    this.#record("end");
    this.onEndHook?.();
  }
  onClose(error?: Error): void {
    this.#record("close");
    this.closeCount++;
    this.closeError = error;
    this.unsentAtClose = this.t.unsentBytes;
    if (this.inAbort) this.closedInsideAbort = true;
  }
  get closed(): boolean {
    return this.closeCount > 0;
  }
}

// ── the server side: node:net and node:tls servers in this process ──────

/** One connection as the test's server sees it. */
class PeerConn {
  received = 0;
  sum = 0;
  text = "";
  ended = false;
  closed = false;
  error: Error | undefined;
  readonly socket: Socket;
  constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (bytes: Uint8Array) => {
      this.received += bytes.length;
      this.sum = checksum(bytes, this.sum);
      if (this.text.length < 1024) this.text += new TextDecoder().decode(bytes);
    });
    socket.on("end", () => this.ended = true);
    socket.on("error", (error: Error) => this.error ??= error);
    socket.on("close", () => this.closed = true);
  }
}

interface Peer {
  port: number;
  conns: PeerConn[];
  /** The SNI names the TLS server saw, one per connection. */
  servernames: Array<string | false | null>;
  next(index?: number): Promise<PeerConn>;
  close(): Promise<void>;
}

const cleanups: Array<() => unknown> = [];
async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch { /* best effort */ }
  }
}

/**
 * A server that allows half-open connections and runs `onConn` for each;
 * over TLS when `tls` is given.
 */
async function startPeer(
  onConn: (conn: PeerConn) => void,
  tls?: { cert: string; key: string },
  host = HOST,
): Promise<Peer> {
  const conns: PeerConn[] = [];
  const servernames: Array<string | false | null> = [];
  const sockets = new Set<Socket>();
  const handle = (socket: Socket): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (tls !== undefined) servernames.push((socket as TLSSocket).servername);
    const conn = new PeerConn(socket);
    conns.push(conn);
    onConn(conn);
  };
  const server: TcpServer = tls === undefined
    ? createTcpServer({ allowHalfOpen: true }, handle)
    : createTlsServer({ allowHalfOpen: true, ...tls }, handle);
  // A client that gives up mid-handshake is no failure of the server.
  server.on("tlsClientError", () => {});
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null
    ? address.port
    : 0;
  const peer: Peer = {
    port,
    conns,
    servernames,
    async next(index = 0) {
      await waitFor(() => conns.length > index, "the server to accept");
      return conns[index];
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(resolve, 100);
      });
    },
  };
  cleanups.push(() => peer.close());
  return peer;
}

/**
 * A TCP relay to `port` that stops reading from its clients on `pause()`
 * (their writes back up into the kernel's buffers, then into their
 * engine's) until `resume()`. It relays bytes as they are, FIN included.
 */
async function startRelay(
  port: number,
): Promise<{ port: number; pause(): void; resume(): void }> {
  const fronts: Socket[] = [];
  const server = createTcpServer({ allowHalfOpen: true }, (front) => {
    fronts.push(front);
    const back = netConnect({ host: HOST, port, allowHalfOpen: true });
    front.on("data", (bytes: Uint8Array) => back.write(bytes));
    back.on("data", (bytes: Uint8Array) => front.write(bytes));
    front.on("end", () => back.end());
    back.on("end", () => front.end());
    front.on("error", () => back.destroy());
    back.on("error", () => front.destroy());
    front.on("close", () => back.destroy());
    back.on("close", () => front.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  cleanups.push(() => {
    for (const front of fronts) front.destroy();
    server.close();
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : 0,
    pause: () => fronts.forEach((front) => front.pause()),
    resume: () => fronts.forEach((front) => front.resume()),
  };
}

const echoing = (conn: PeerConn): void => {
  conn.socket.on("data", (bytes: Uint8Array) => conn.socket.write(bytes));
  conn.socket.on("end", () => conn.socket.end());
};

/** Connects with `probe` as the handler; the transport is closed after the test. */
async function connect(
  probe: Probe,
  port: number,
  tls?: ConnectTlsOptions,
  on: Engine = engine,
): Promise<Transport> {
  await on.connect!({ hostname: HOST, port, tls }, probe.accept);
  cleanups.push(() => probe.transport?.abort());
  return probe.t;
}

/** The ConnectError a connect attempt rejects with (and `accept` never ran). */
async function failure(
  options: ConnectOptions,
  on: Engine = engine,
): Promise<{ error: ConnectError; ms: number }> {
  const probe = new Probe();
  const started = Date.now();
  let error: unknown;
  try {
    await on.connect!(options, probe.accept);
  } catch (caught) {
    error = caught;
  }
  const ms = Date.now() - started;
  probe.transport?.abort();
  assert.ok(error instanceof ConnectError, `a ConnectError: ${error}`);
  assert.equal(probe.transport, undefined, "accept is never called");
  return { error, ms };
}

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 0;
}

// ── certificates ─────────────────────────────────────────────────────────

let pki: Pki;
let pkiDir: string;
before(() => {
  pkiDir = mkdtempSync(join(tmpdir(), "anyws-connect-"));
  pki = makePki(pkiDir);
});
after(() => rmSync(pkiDir, { recursive: true, force: true }));

/** A test whose servers and transports are closed afterwards, pass or fail. */
function check(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: 30_000 }, async () => {
    try {
      await fn();
    } finally {
      await runCleanups();
    }
  });
}

// ── the transport of an outbound connection, over TCP and over TLS ──────

for (const secure of [false, true]) {
  const over = secure ? "TLS" : "TCP";
  const serverTls = () => secure ? { cert: pki.cert, key: pki.key } : undefined;
  const clientTls = (): ConnectTlsOptions | undefined =>
    secure ? { ca: pki.ca } : undefined;

  describe(`${runtime} engine: an outbound ${over} transport`, () => {
    check(
      "is handed over connected: 1 MiB round-trips intact; remoteAddress and remotePort are the server's",
      async () => {
        const peer = await startPeer(echoing, serverTls());
        const probe = new Probe();
        const transport = await connect(probe, peer.port, clientTls());
        assert.ok(
          transport.remoteAddress.endsWith(HOST),
          transport.remoteAddress,
        );
        assert.equal(transport.remotePort, peer.port);
        const data = pattern(MiB, 3);
        for (let offset = 0; offset < data.length; offset += 64 * 1024) {
          transport.write(data.subarray(offset, offset + 64 * 1024));
        }
        await waitFor(() => probe.bytes >= data.length, "1 MiB back");
        assert.equal(probe.bytes, data.length);
        assert.equal(probe.sum, checksum(data));
        const conn = await peer.next();
        assert.equal(conn.received, data.length);
        transport.end();
        await waitFor(() => probe.closed, "close");
        assert.deepEqual(probe.log, ["data", "end", "close"]);
        assert.equal(probe.closeError, undefined);
      },
    );

    check(
      "end() half-closes: the server reads to its end, still answers, and the client reads the answer before end and close; unsentBytes is 0 in onClose",
      async () => {
        const peer = await startPeer((conn) => {
          conn.socket.on("end", () => {
            conn.socket.write(`got ${conn.text}; bye`);
            conn.socket.end();
          });
        }, serverTls());
        const probe = new Probe();
        const transport = await connect(probe, peer.port, clientTls());
        transport.write(new TextEncoder().encode("hello"));
        transport.end();
        // Ignored after end(): neither sent nor an error.
        assert.equal(transport.write(new TextEncoder().encode("late")), true);
        await waitFor(() => probe.closed, "close");
        assert.equal(probe.text, "got hello; bye");
        assert.deepEqual(probe.log, ["data", "end", "close"]);
        assert.equal(probe.closeError, undefined);
        assert.equal(probe.unsentAtClose, 0);
        const conn = await peer.next();
        await waitFor(() => conn.closed, "the server's close");
        assert.equal(conn.text, "hello");
        assert.equal(conn.ended, true);
      },
    );

    check(
      "the server's FIN arrives as onEnd after its data; the transport stays writable until it ends too",
      async () => {
        const peer = await startPeer((conn) => {
          conn.socket.end("first words");
        }, serverTls());
        const probe = new Probe();
        probe.onEndHook = () => {
          probe.t.write(new TextEncoder().encode("answer after FIN"));
          probe.t.end();
        };
        await connect(probe, peer.port, clientTls());
        await waitFor(() => probe.closed, "close");
        assert.equal(probe.text, "first words");
        assert.deepEqual(probe.log, ["data", "end", "close"]);
        assert.equal(probe.closeError, undefined);
        const conn = await peer.next();
        await waitFor(() => conn.ended, "the server sees our FIN");
        assert.equal(conn.text, "answer after FIN");
      },
    );

    check(
      "write() returns false against a server that does not read; requestDrain() and onDrain report the flush once it reads; every byte arrives",
      async () => {
        const peer = await startPeer(() => {}, serverTls());
        // Deno's node:tls server sockets read on through pause(): a plain
        // TCP relay in front of the server stops reading instead.
        const relay = await startRelay(peer.port);
        const probe = new Probe();
        const transport = await connect(probe, relay.port, clientTls());
        relay.pause();
        const chunk = pattern(64 * 1024);
        let written = 0;
        // Write until a false write() is not followed by a drain for a while:
        // the kernel's buffers are full too. Bounded at 256 MiB.
        for (;;) {
          assert.ok(written < 256 * MiB, "the writer never stalled");
          written += chunk.length;
          if (transport.write(chunk)) continue;
          const drains = probe.drains;
          const deadline = Date.now() + 200;
          while (probe.drains === drains && Date.now() < deadline) {
            await delay(2);
          }
          if (probe.drains === drains) break;
        }
        assert.ok(transport.unsentBytes > 0, "bytes wait in the engine");
        assert.equal(transport.requestDrain(), false);
        const drainsBefore = probe.drains;
        relay.resume();
        await waitFor(() => probe.drains > drainsBefore, "onDrain");
        // (Over TLS the server has the connection only once the client's
        // last handshake message is through the relay.)
        const conn = await peer.next();
        assert.equal(transport.unsentBytes, 0);
        assert.equal(transport.requestDrain(), true);
        transport.end();
        await waitFor(() => conn.ended, "every byte, then FIN");
        assert.equal(conn.received, written);
        let expected = 0;
        for (let i = 0; i < written / chunk.length; i++) {
          expected = checksum(chunk, expected);
        }
        assert.equal(conn.sum, expected);
      },
    );

    check(
      "pause() stops onData and the server's writes back up; resume() delivers all 16 MiB in order",
      async () => {
        const total = 16 * MiB;
        const chunk = pattern(64 * 1024, 11);
        let sent = 0;
        let stalls = 0;
        const peer = await startPeer((conn) => {
          const pump = (): void => {
            while (sent < total) {
              sent += chunk.length;
              if (!conn.socket.write(chunk)) {
                stalls++;
                conn.socket.once("drain", pump);
                return;
              }
            }
            conn.socket.end();
          };
          pump();
        }, serverTls());
        const probe = new Probe();
        probe.onAccept = (transport) => transport.pause();
        await connect(probe, peer.port, clientTls());
        // Stalled: the server's write said false and nothing moved since.
        let last = -1;
        let still = 0;
        await waitFor(() => {
          still = sent === last ? still + 1 : 0;
          last = sent;
          return stalls > 0 && still >= 20;
        }, "the server to stall");
        assert.ok(sent < total, `stalled after ${sent} bytes`);
        // One read already under way may still be delivered.
        assert.ok(
          probe.bytes <= 256 * 1024,
          `${probe.bytes} bytes while paused`,
        );
        probe.t.resume();
        await waitFor(() => probe.log.includes("end"), "all bytes, then FIN");
        assert.equal(probe.bytes, total);
        let expected = 0;
        for (let i = 0; i < total / chunk.length; i++) {
          expected = checksum(chunk, expected);
        }
        assert.equal(probe.sum, expected);
        probe.t.end();
        await waitFor(() => probe.closed, "close");
      },
    );

    check(
      "abort() drops the connection: onClose once, without an error, never inside abort(); later write() and end() are ignored; the server sees it go",
      async () => {
        const peer = await startPeer(echoing, serverTls());
        const probe = new Probe();
        const transport = await connect(probe, peer.port, clientTls());
        transport.write(new TextEncoder().encode("x"));
        await waitFor(() => probe.bytes === 1, "the echo");
        probe.inAbort = true;
        transport.abort();
        probe.inAbort = false;
        assert.equal(probe.closedInsideAbort, false);
        assert.equal(transport.write(new Uint8Array(10)), true);
        transport.end();
        transport.abort();
        await waitFor(() => probe.closed, "close");
        const conn = await peer.next();
        await waitFor(() => conn.closed, "the server's close");
        await delay(20);
        assert.equal(probe.closeCount, 1);
        assert.equal(probe.closeError, undefined);
        assert.deepEqual(probe.log, ["data", "close"]);
        assert.equal(conn.received, 1);
      },
    );

    check(
      "a reset by the server is reported as onClose with an error, exactly once",
      async () => {
        // Closing a socket with unread bytes in its receive buffer resets
        // the connection (RFC 2525 §2.17; Linux does).
        const peer = await startPeer(
          (conn) => conn.socket.pause(),
          serverTls(),
        );
        const probe = new Probe();
        const transport = await connect(probe, peer.port, clientTls());
        transport.write(pattern(2 * MiB));
        const conn = await peer.next();
        await delay(50);
        conn.socket.destroy();
        await waitFor(() => probe.closed, "close");
        await delay(20);
        assert.equal(probe.closeCount, 1);
        assert.ok(probe.closeError instanceof Error, `${probe.closeError}`);
        assert.equal(probe.log.includes("after-close"), false);
      },
    );
  });
}

// ── failures: each rejects with a ConnectError of its kind ──────────────

/**
 * A listener that never accepts, on loopback: python3 listens with a
 * backlog of 0 and fills it, so the kernel drops further SYNs and a
 * connect attempt waits for the SYN to be retried (1 s, 3 s, …).
 */
async function startBlackhole(): Promise<number> {
  const script = [
    "import socket, sys",
    "s = socket.socket()",
    "s.bind(('127.0.0.1', 0))",
    "s.listen(0)",
    "port = s.getsockname()[1]",
    "fillers = []",
    "for i in range(3):",
    "    c = socket.socket()",
    "    c.setblocking(False)",
    "    try: c.connect(('127.0.0.1', port))",
    "    except BlockingIOError: pass",
    "    fillers.append(c)",
    "print(port, flush=True)",
    "sys.stdin.read()",
  ].join("\n");
  const child = spawn("/usr/bin/python3", ["-c", script], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  cleanups.push(() => {
    child.stdin!.end();
    child.kill();
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.stdout!.once("data", (bytes: Uint8Array) => {
      resolve(Number(new TextDecoder().decode(bytes).trim()));
    });
  });
  // The fillers' handshakes complete (one queued) or wait (the rest).
  await delay(100);
  return port;
}

describe(`${runtime} engine: a connection that cannot be made`, () => {
  check("a port nothing listens on: kind refused, at once", async () => {
    const port = await freePort();
    const { error, ms } = await failure({ hostname: HOST, port });
    assert.equal(error.kind, "refused");
    assert.equal(error.message, `Connection refused: ${HOST}:${port}`);
    assert.equal(error.hostname, HOST);
    assert.equal(error.port, port);
    assert.ok(ms < 2000, `${ms} ms`);
  });

  check("a name that does not resolve: kind dns", async () => {
    // RFC 6761 §6.4: names under .invalid never resolve.
    const { error } = await failure({
      hostname: "no-such-host.invalid",
      port: 80,
    });
    assert.equal(error.kind, "dns");
    assert.match(
      error.message,
      /^Host name not resolved: no-such-host\.invalid:80/,
    );
  });

  check(
    "a listener that never accepts: kind timeout, within the timeout",
    async () => {
      const port = await startBlackhole();
      const { error, ms } = await failure({
        hostname: HOST,
        port,
        timeout: 300,
      });
      assert.equal(error.kind, "timeout");
      assert.equal(
        error.message,
        `Connect timed out: ${HOST}:${port} (after 300 ms)`,
      );
      assert.ok(ms >= 250 && ms < 1000, `${ms} ms`);
    },
  );

  check(
    "a TLS server that never answers the handshake: kind timeout",
    async () => {
      const silent = await startPeer(() => {});
      const { error, ms } = await failure({
        hostname: HOST,
        port: silent.port,
        tls: { ca: pki.ca },
        timeout: 300,
      });
      assert.equal(error.kind, "timeout");
      assert.ok(ms >= 250 && ms < 1000, `${ms} ms`);
    },
  );

  check("TLS to a server that does not speak TLS: kind tls", async () => {
    const plain = await startPeer((conn) => {
      conn.socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    const { error } = await failure({
      hostname: HOST,
      port: plain.port,
      tls: { ca: pki.ca },
    });
    assert.equal(error.kind, "tls");
    if (runtime === "deno") return; // (no rejectUnauthorized: false there)
    // Accepting any certificate still takes a TLS server.
    const anyCertificate = await failure({
      hostname: HOST,
      port: plain.port,
      tls: { rejectUnauthorized: false },
    });
    assert.equal(anyCertificate.error.kind, "tls");
  });

  check(
    "a certificate from an unknown CA: kind tls, without tls.ca and with the wrong one",
    async () => {
      const peer = await startPeer(echoing, { cert: pki.cert, key: pki.key });
      for (const tls of [{}, { ca: pki.otherCa }]) {
        const { error } = await failure({
          hostname: HOST,
          port: peer.port,
          tls,
        });
        assert.equal(error.kind, "tls", JSON.stringify(tls));
        assert.match(
          error.message,
          /^TLS handshake failed: 127\.0\.0\.1:\d+ \(.+\)$/,
        );
      }
      assert.equal(peer.conns.length, 0, "no connection completed");
    },
  );

  check(
    "a servername the certificate is not for: kind tls",
    async () => {
      const peer = await startPeer(echoing, { cert: pki.cert, key: pki.key });
      const { error } = await failure({
        hostname: HOST,
        port: peer.port,
        tls: { ca: pki.ca, servername: "example.com" },
      });
      assert.equal(error.kind, "tls");
    },
  );

  check(
    "an accept that throws: connect rejects with its error and the connection is dropped",
    async () => {
      for (const tls of [undefined, { ca: pki.ca }]) {
        const peer = await startPeer(() => {}, tls && pki);
        const bug = new Error("bug in accept");
        await assert.rejects(
          engine.connect!({ hostname: HOST, port: peer.port, tls }, () => {
            throw bug;
          }),
          (error) => error === bug,
        );
        // Over TLS the server may never have completed its side.
        if (tls === undefined) await peer.next();
        await waitFor(
          () => peer.conns.every((conn) => conn.ended || conn.closed),
          "the server sees the drop",
        );
      }
    },
  );

  check(
    "invalid options reject with a UsageError before connecting",
    async () => {
      const port = await freePort();
      const cases: ConnectOptions[] = [
        { hostname: "", port },
        { hostname: HOST, port: 0 },
        { hostname: HOST, port: 65536 },
        { hostname: HOST, port: 1.5 },
        { hostname: HOST, port, timeout: 0 },
        { hostname: HOST, port, timeout: Number.NaN },
        { hostname: HOST, port, tls: { servername: "" } },
        { hostname: HOST, port, tls: { ca: [1] as unknown as string[] } },
      ];
      for (const options of cases) {
        const probe = new Probe();
        await assert.rejects(
          engine.connect!(options, probe.accept),
          UsageError,
          JSON.stringify(options),
        );
        assert.equal(probe.transport, undefined);
      }
    },
  );
});

// ── the TLS options that let a connection through ───────────────────────

describe(`${runtime} engine: TLS options`, () => {
  check(
    "tls.ca as a list (the wrong CA and the right one) is trusted",
    async () => {
      const peer = await startPeer(echoing, { cert: pki.cert, key: pki.key });
      const probe = new Probe();
      const transport = await connect(probe, peer.port, {
        ca: [pki.otherCa, pki.ca],
      });
      transport.write(new TextEncoder().encode("ping"));
      await waitFor(() => probe.text === "ping", "the echo");
    },
  );

  check(
    "tls.ca adds to the default trust, never replaces it: with the CA in the runtime's default store and another CA in tls.ca, the server is trusted",
    async () => {
      const peer = await startPeer(echoing, { cert: pki.cert, key: pki.key });
      // A child process of this runtime whose default store holds the CA:
      // NODE_EXTRA_CA_CERTS (Node, Bun) or DENO_CERT (Deno).
      const auto = new URL("../../engines/auto.ts", import.meta.url).href;
      const script = join(pkiDir, "child.ts");
      writeFileSync(
        script,
        `import { autoEngine } from ${JSON.stringify(auto)};
const [port, ca] = ${
          runtime === "deno" ? "Deno.args" : "process.argv.slice(2)"
        };
const tls = ca === undefined ? {} : { ca };
try {
  await autoEngine().connect({ hostname: "127.0.0.1", port: Number(port), tls }, (transport) => {
    transport.end();
    return { onData() {}, onDrain() {}, onEnd() {}, onClose() {} };
  });
  console.log("connected");
} catch (error) {
  console.log(error.message);
}
`,
      );
      const caFile = join(pkiDir, "ca.pem");
      const run = (ca?: string): Promise<string> =>
        new Promise((resolve, reject) => {
          const args = [script, String(peer.port), ...(ca ? [ca] : [])];
          const child = spawn(
            process.execPath,
            // The child lives in a temporary folder: Deno needs the
            // repository's config for its import map (the engines import
            // "pako").
            runtime === "deno"
              ? [
                "run",
                "-A",
                "--config",
                fileURLToPath(new URL("../../deno.json", import.meta.url)),
                ...args,
              ]
              : args,
            {
              env: {
                ...process.env,
                NODE_EXTRA_CA_CERTS: caFile,
                DENO_CERT: caFile,
              },
              stdio: ["ignore", "pipe", "inherit"],
            },
          );
          let out = "";
          child.stdout!.on("data", (bytes: Uint8Array) => {
            out += new TextDecoder().decode(bytes);
          });
          child.on("error", reject);
          child.on("close", () => resolve(out.trim()));
        });
      const [withDefaults, withOtherCa] = await Promise.all([
        run(),
        run(pki.otherCa),
      ]);
      assert.equal(withDefaults, "connected");
      assert.equal(withOtherCa, "connected");
    },
  );

  check(
    "without tls.servername a host name is checked and sent in SNI; an IP address is checked but not sent (RFC 6066 §3)",
    async () => {
      const peer = await startPeer(echoing, { cert: pki.cert, key: pki.key });
      for (const hostname of ["localhost", HOST]) {
        const probe = new Probe();
        await engine.connect!(
          { hostname, port: peer.port, tls: { ca: pki.ca } },
          probe.accept,
        );
        cleanups.push(() => probe.transport?.abort());
        probe.t.write(new TextEncoder().encode("ping"));
        await waitFor(() => probe.text === "ping", `the echo via ${hostname}`);
      }
      // Deno's node:tls server does not report the SNI name it received.
      if (runtime === "deno") return;
      assert.equal(peer.servernames[0], "localhost");
      assert.ok(!peer.servernames[1], `SNI ${peer.servernames[1]}`);
    },
  );

  check(
    "without tls.servername the certificate must name the address connected to: 127.0.0.2 is not in it",
    async () => {
      const peer = await startPeer(
        echoing,
        { cert: pki.cert, key: pki.key },
        "127.0.0.2",
      );
      const { error } = await failure({
        hostname: "127.0.0.2",
        port: peer.port,
        tls: { ca: pki.ca },
      });
      assert.equal(error.kind, "tls");
    },
  );

  check(
    "tls.servername is checked against the certificate and sent in SNI, while the address connected to is 127.0.0.1",
    async () => {
      const peer = await startPeer(echoing, { cert: pki.cert, key: pki.key });
      const probe = new Probe();
      const transport = await connect(probe, peer.port, {
        ca: pki.ca,
        servername: "localhost",
      });
      transport.write(new TextEncoder().encode("ping"));
      await waitFor(() => probe.text === "ping", "the echo");
      assert.equal(transport.remoteAddress, HOST);
      // Deno's node:tls server does not report the SNI name it received.
      if (runtime !== "deno") assert.deepEqual(peer.servernames, ["localhost"]);
    },
  );

  check(
    runtime === "deno"
      ? "tls.rejectUnauthorized false is refused with a UsageError that says why (Deno verifies every certificate)"
      : "tls.rejectUnauthorized false accepts a certificate nobody trusts",
    async () => {
      const peer = await startPeer(echoing, { cert: pki.cert, key: pki.key });
      const probe = new Probe();
      const options: ConnectOptions = {
        hostname: HOST,
        port: peer.port,
        tls: { rejectUnauthorized: false, servername: "example.com" },
      };
      if (runtime === "deno") {
        await assert.rejects(
          engine.connect!(options, probe.accept),
          (error: unknown) =>
            error instanceof UsageError &&
            /rejectUnauthorized/.test(error.message) &&
            /tls\.ca/.test(error.message),
        );
        assert.equal(probe.transport, undefined);
        assert.equal(peer.conns.length, 0);
        return;
      }
      await engine.connect!(options, probe.accept);
      cleanups.push(() => probe.transport?.abort());
      probe.t.write(new TextEncoder().encode("ping"));
      await waitFor(() => probe.text === "ping", "the echo");
    },
  );
});

// ── the memory engine and the auto engine ───────────────────────────────

describe(`${runtime} engine: IPv6`, () => {
  check(
    "connects to ::1 given with or without brackets (URL.hostname keeps them)",
    async () => {
      const peer = await startPeer(echoing, undefined, "::1");
      for (const hostname of ["::1", "[::1]"]) {
        const probe = new Probe();
        await engine.connect!({ hostname, port: peer.port }, probe.accept);
        cleanups.push(() => probe.transport?.abort());
        probe.t.write(new TextEncoder().encode("ping"));
        await waitFor(() => probe.text === "ping", `the echo via ${hostname}`);
        assert.equal(probe.t.remoteAddress, "::1");
      }
    },
  );

  check("a refusal on [::1] names the address as a URL would", async () => {
    const server = createTcpServer();
    await new Promise<void>((resolve) => server.listen(0, "::1", resolve));
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const port = typeof address === "object" && address !== null
      ? address.port
      : 0;
    const { error } = await failure({ hostname: "[::1]", port });
    assert.equal(error.kind, "refused");
    assert.equal(error.message, `Connection refused: [::1]:${port}`);
  });
});

describe("memory engine: connect", () => {
  check(
    "connects to the listener on options.port: bytes both ways, half-close, close",
    async () => {
      const memory = memoryEngine();
      const listener = await memory.listen(
        { hostname: HOST, port: 0 },
        (transport) => ({
          onData: (bytes) => transport.write(bytes.slice()),
          onDrain: () => {},
          onEnd: () => transport.end(),
          onClose: () => {},
        }),
      );
      const probe = new Probe();
      const transport = await connect(probe, listener.port, undefined, memory);
      assert.equal(transport.remotePort, listener.port);
      transport.write(new TextEncoder().encode("ping"));
      transport.end();
      await waitFor(() => probe.closed, "close");
      assert.equal(probe.text, "ping");
      assert.deepEqual(probe.log, ["data", "end", "close"]);
      assert.equal(probe.unsentAtClose, 0);
      await listener.close();
    },
  );

  check(
    "an accept that throws: connect rejects with its error; the listener never hears of it",
    async () => {
      const memory = memoryEngine();
      let accepted = 0;
      const listener = await memory.listen({ hostname: HOST, port: 0 }, () => {
        accepted++;
        return { onData() {}, onDrain() {}, onEnd() {}, onClose() {} };
      });
      const bug = new Error("bug in accept");
      await assert.rejects(
        memory.connect({ hostname: HOST, port: listener.port }, () => {
          throw bug;
        }),
        (error) => error === bug,
      );
      assert.equal(accepted, 0);
      await listener.close();
    },
  );

  check("a port nothing listens on: kind refused", async () => {
    const { error } = await failure(
      { hostname: HOST, port: 4321 },
      memoryEngine(),
    );
    assert.equal(error.kind, "refused");
  });

  check("the raw client API still connects by port", async () => {
    const memory = memoryEngine();
    const listener = await memory.listen(
      { hostname: HOST, port: 0 },
      (transport) => ({
        onData: (bytes) => transport.write(bytes.slice()),
        onDrain: () => {},
        onEnd: () => transport.end(),
        onClose: () => {},
      }),
    );
    const socket = memory.connect(listener.port);
    const reader = new SocketReader(socket);
    socket.write("raw");
    assert.equal(new TextDecoder().decode(await reader.read(3)), "raw");
    socket.end();
    await socket.closed;
    await listener.close();
  });
});

describe("auto engine: connect", () => {
  check("delegates to the runtime's engine", async () => {
    const peer = await startPeer(echoing);
    const probe = new Probe();
    const transport = await connect(probe, peer.port, undefined, autoEngine());
    transport.write(new TextEncoder().encode("ping"));
    await waitFor(() => probe.text === "ping", "the echo");
  });
});
