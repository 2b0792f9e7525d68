// Transport conformance suite. It runs against the engine of the runtime
// running it (engines/auto.ts: `deno test` checks the Deno engine, `bun test`
// the Bun engine, `node --test` the Node engine) over real TCP (and TLS when
// openssl is available), and against the memory engine everywhere.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  Engine,
  Listener,
  TlsOptions,
  Transport,
  TransportHandler,
} from "../../src/driver/engine.ts";
import { autoEngine, detectRuntime } from "../../engines/auto.ts";
import { type MemoryEngine, memoryEngine } from "../../engines/memory.ts";

const MiB = 1024 * 1024;

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
class Checksum {
  value = 0;
  update(bytes: Uint8Array): void {
    let h = this.value;
    for (let i = 0; i < bytes.length; i++) {
      h = (Math.imul(h, 31) + bytes[i]) | 0;
    }
    this.value = h;
  }
}
function checksum(bytes: Uint8Array): number {
  const sum = new Checksum();
  sum.update(bytes);
  return sum.value;
}

/** Resolves when `condition()` holds, checking after every event; fails after `ms`. */
class Waiter {
  #wakers: Array<() => void> = [];
  notify(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }
  async until(
    condition: () => boolean,
    what: string,
    ms = 15_000,
  ): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for: ${what}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wakers.push(resolve);
        timer = setTimeout(resolve, Math.min(left, 100));
      });
      clearTimeout(timer);
    }
  }
}

/** The test's view of a client connection, whatever carries it. */
class Client {
  bytes = 0;
  /** `bytes` when the peer's FIN arrived. */
  bytesAtEnd = -1;
  text = "";
  events: string[] = [];
  sum = new Checksum();
  keepText = false;
  error: Error | undefined;
  waiter = new Waiter();
  write: (bytes: Uint8Array) => void = () => {};
  end: () => void = () => {};
  pause: () => void = () => {};
  resume: () => void = () => {};
  destroy: () => void = () => {};

  onData(bytes: Uint8Array): void {
    if (this.events.at(-1) !== "data") this.events.push("data");
    this.bytes += bytes.length;
    this.sum.update(bytes);
    if (this.keepText) this.text += new TextDecoder().decode(bytes);
    this.waiter.notify();
  }
  onEvent(name: string, error?: Error): void {
    if (name === "end") this.bytesAtEnd = this.bytes;
    this.events.push(name);
    this.error ??= error;
    this.waiter.notify();
  }
  get closed(): boolean {
    return this.events.includes("close");
  }
}

function wrapSocket(socket: Socket): Client {
  const client = new Client();
  socket.on("data", (bytes: Uint8Array) => client.onData(bytes));
  socket.on("end", () => client.onEvent("end"));
  socket.on("error", (error: Error) => client.error ??= error);
  socket.on("close", () => client.onEvent("close"));
  client.write = (bytes) => socket.write(bytes);
  client.end = () => socket.end();
  client.pause = () => socket.pause();
  client.resume = () => socket.resume();
  client.destroy = () => socket.destroy();
  return client;
}

/** One accepted transport as the server side of a test sees it. */
interface Conn {
  transport: Transport;
  /** "data" (runs collapsed), "end", "close", "after-close" (a bug). */
  log: string[];
  drains: number;
  closeError: Error | undefined;
  closeCount: number;
  /** transport.unsentBytes inside onClose. */
  unsentAtClose: number;
  received: number;
  waiter: Waiter;
}

interface Hooks {
  accepted?(conn: Conn): void;
  data?(conn: Conn, bytes: Uint8Array): void;
  drain?(conn: Conn): void;
  end?(conn: Conn): void;
}

interface Harness {
  engine: Engine;
  /** Connects; `paused`: the client does not read until `resume()`. */
  connect(port: number, paused?: boolean): Promise<Client>;
}

/** Listens with `hooks`; `conns` fills as transports are accepted. */
async function serve(harness: Harness, hooks: Hooks, tls?: TlsOptions) {
  const conns: Conn[] = [];
  const waiter = new Waiter();
  const listener: Listener = await harness.engine.listen(
    { hostname: "127.0.0.1", port: 0, tls },
    (transport): TransportHandler => {
      const conn: Conn = {
        transport,
        log: [],
        closeError: undefined,
        closeCount: 0,
        unsentAtClose: -1,
        drains: 0,
        received: 0,
        waiter: new Waiter(),
      };
      const record = (name: string): void => {
        if (conn.closeCount > 0) conn.log.push("after-close");
        if (name !== "data" || conn.log.at(-1) !== "data") conn.log.push(name);
        conn.waiter.notify();
      };
      conns.push(conn);
      waiter.notify();
      queueMicrotask(() => hooks.accepted?.(conn));
      return {
        onData(bytes) {
          record("data");
          conn.received += bytes.length;
          hooks.data?.(conn, bytes);
        },
        onDrain() {
          if (conn.closeCount > 0) conn.log.push("after-close");
          conn.drains++;
          hooks.drain?.(conn);
        },
        onEnd() {
          record("end");
          if (hooks.end) hooks.end(conn);
          else transport.end();
        },
        onClose(error) {
          record("close");
          conn.closeCount++;
          conn.closeError = error;
          conn.unsentAtClose = transport.unsentBytes;
        },
      };
    },
  );
  cleanups.push(() => {
    for (const conn of conns) conn.transport.abort();
    return listener.close();
  });
  const nextConn = async (index = 0): Promise<Conn> => {
    await waiter.until(() => conns.length > index, "an accepted transport");
    return conns[index];
  };
  return { listener, conns, nextConn };
}

// Whatever a test opened is closed after it, pass or fail, so that a failing
// test cannot keep the process alive.
const cleanups: Array<() => unknown> = [];
function check(
  name: string,
  fn: (t: { skip(message?: string): void }) => Promise<void> | void,
): void {
  test(name, { timeout: 30_000 }, async (t) => {
    try {
      await fn(t);
    } finally {
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch { /* best effort */ }
      }
    }
  });
}

const echo: Hooks = {
  data: (conn, bytes) => conn.transport.write(bytes.slice()),
};

function closedOnce(conn: Conn): Promise<void> {
  return conn.waiter.until(() => conn.closeCount > 0, "handler.onClose()");
}

function conformance(
  name: string,
  harness: () => Harness,
  tls?: () => TlsOptions | undefined,
): void {
  describe(`${name}: Transport conformance`, () => {
    check(
      "reports the bound hostname and the real port for port 0",
      async () => {
        const { listener } = await serve(harness(), {}, tls?.());
        assert.equal(listener.hostname, "127.0.0.1");
        assert.equal(typeof listener.port, "number");
        assert.ok(
          listener.port > 0 && listener.port < 65536,
          `port ${listener.port}`,
        );
        await listener.close();
      },
    );

    check("echoes a single byte", async () => {
      const h = harness();
      const { listener, nextConn } = await serve(h, echo, tls?.());
      const client = await h.connect(listener.port);
      client.write(new Uint8Array([0xa5]));
      await client.waiter.until(() => client.bytes === 1, "1 byte back");
      assert.equal(client.sum.value, checksum(new Uint8Array([0xa5])));
      const conn = await nextConn();
      assert.equal(
        conn.transport.remoteAddress.endsWith("127.0.0.1"),
        true,
        conn.transport.remoteAddress,
      );
      assert.ok(
        conn.transport.remotePort > 0,
        `remotePort ${conn.transport.remotePort}`,
      );
      client.end();
      await closedOnce(conn);
      await client.waiter.until(() => client.closed, "client close");
      assert.deepEqual(conn.log, ["data", "end", "close"]);
      assert.equal(conn.closeError, undefined);
      await listener.close();
    });

    check("echoes 8 MiB intact and in order", async () => {
      const h = harness();
      const { listener, nextConn } = await serve(h, echo, tls?.());
      const client = await h.connect(listener.port);
      const data = pattern(8 * MiB);
      for (let offset = 0; offset < data.length; offset += 100_000) {
        client.write(data.subarray(offset, offset + 100_000));
      }
      await client.waiter.until(
        () => client.bytes >= data.length,
        "8 MiB back",
      );
      assert.equal(client.bytes, data.length);
      assert.equal(client.sum.value, checksum(data));
      const conn = await nextConn();
      assert.equal(conn.received, data.length);
      client.end();
      await closedOnce(conn);
      await listener.close();
    });

    check(
      "write() returns false while the client does not read; drain fires after it resumes; all 64 MiB arrive",
      async () => {
        const total = 64 * MiB;
        const chunk = pattern(16 * 1024);
        let sent = 0;
        let falses = 0;
        let drains = 0;
        const pump = (conn: Conn): void => {
          while (sent < total) {
            sent += chunk.length;
            if (!conn.transport.write(chunk)) {
              falses++;
              return;
            }
          }
          conn.transport.end();
        };
        const h = harness();
        const { listener, nextConn } = await serve(h, {
          accepted: pump,
          drain: (conn) => {
            drains++;
            pump(conn);
          },
        }, tls?.());
        const client = await h.connect(listener.port, true);
        const conn = await nextConn();
        // Stalled: write() said false and nothing moved for a while.
        let last = -1;
        let still = 0;
        await client.waiter.until(() => {
          still = sent === last ? still + 1 : 0;
          last = sent;
          return falses > 0 && still >= 3;
        }, "the writer to stall");
        assert.ok(sent < total, `stalled after ${sent} bytes`);
        assert.equal(client.bytes, 0);
        const drainsWhilePaused = drains;
        client.resume();
        await client.waiter.until(
          () => client.events.includes("end"),
          "all bytes then FIN",
        );
        assert.equal(client.bytes, total);
        assert.equal(sent, total);
        assert.ok(
          drains > drainsWhilePaused,
          `drains ${drainsWhilePaused} -> ${drains}`,
        );
        await closedOnce(conn);
        assert.equal(conn.log.includes("after-close"), false);
        assert.equal(conn.log.at(-1), "close");
        await listener.close();
      },
    );

    check("end() delivers every queued byte before FIN", async () => {
      const size = 4 * MiB;
      const data = pattern(size, 7);
      const h = harness();
      let firstWrite: boolean | undefined;
      const { listener, nextConn } = await serve(h, {
        accepted: (conn) => {
          for (let offset = 0; offset < size; offset += 64 * 1024) {
            const ok = conn.transport.write(
              data.subarray(offset, offset + 64 * 1024),
            );
            firstWrite ??= ok;
          }
          conn.transport.end();
          // Ignored after end(): must neither throw nor be sent.
          conn.transport.write(new Uint8Array(10));
        },
      }, tls?.());
      const client = await h.connect(listener.port);
      const conn = await nextConn();
      await client.waiter.until(() => client.closed, "client close");
      assert.equal(client.bytesAtEnd, size);
      assert.equal(client.bytes, size);
      assert.equal(client.sum.value, checksum(data));
      assert.deepEqual(client.events, ["data", "end", "close"]);
      await closedOnce(conn);
      assert.deepEqual(conn.log, ["end", "close"]);
      assert.equal(conn.closeError, undefined);
      await listener.close();
    });

    check(
      "reports the peer's FIN as end() then close(), and the transport stays writable in between",
      async () => {
        const h = harness();
        const { listener, nextConn } = await serve(h, {
          end: (conn) => {
            conn.transport.write(new TextEncoder().encode("bye"));
            conn.transport.end();
          },
        }, tls?.());
        const client = await h.connect(listener.port);
        client.keepText = true;
        client.write(new TextEncoder().encode("hello"));
        client.end();
        const conn = await nextConn();
        await closedOnce(conn);
        await client.waiter.until(() => client.closed, "client close");
        assert.equal(conn.received, 5);
        assert.deepEqual(conn.log, ["data", "end", "close"]);
        assert.equal(conn.closeCount, 1);
        assert.equal(conn.closeError, undefined);
        assert.equal(client.text, "bye");
        assert.deepEqual(client.events, ["data", "end", "close"]);
        await listener.close();
      },
    );

    check(
      "abort() drops the connection at once; later writes and end() are ignored",
      async () => {
        const h = harness();
        const { listener, nextConn } = await serve(h, {
          data: (conn) => {
            conn.transport.write(pattern(1024));
            conn.transport.abort();
            assert.equal(
              conn.closeCount,
              0,
              "close() must not run inside abort()",
            );
            assert.equal(conn.transport.write(new Uint8Array(5)), true);
            conn.transport.end();
            conn.transport.abort();
          },
        }, tls?.());
        const client = await h.connect(listener.port);
        client.write(new Uint8Array([1, 2, 3]));
        const conn = await nextConn();
        await closedOnce(conn);
        await client.waiter.until(() => client.closed, "client sees the drop");
        assert.deepEqual(conn.log, ["data", "close"]);
        assert.equal(conn.closeError, undefined);
        // Give any stray event a chance to (wrongly) arrive.
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(conn.closeCount, 1);
        await listener.close();
      },
    );

    check("reports a reset by the peer as close() exactly once", async () => {
      const h = harness();
      const { listener, nextConn } = await serve(h, {
        // Fill the client's receive buffer so that its close becomes a reset.
        data: (conn) => conn.transport.write(pattern(256 * 1024)),
      }, tls?.());
      const client = await h.connect(listener.port, true);
      client.write(new Uint8Array([1]));
      const conn = await nextConn();
      await conn.waiter.until(
        () => conn.log.includes("data"),
        "server got data",
      );
      await new Promise((resolve) => setTimeout(resolve, 30));
      client.destroy();
      await closedOnce(conn);
      assert.ok(
        conn.closeError instanceof Error,
        `close error: ${conn.closeError}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(conn.closeCount, 1);
      assert.equal(conn.log.at(-1), "close");
      assert.equal(conn.log.includes("after-close"), false);
      await listener.close();
    });

    check(
      "unsentBytes counts every write outstanding at once and reaches 0 with one onDrain",
      async () => {
        const h = harness();
        let written = 0;
        let unsentAfterWrites = -1;
        let drainNow: boolean | undefined;
        const { listener, nextConn } = await serve(h, {
          data: (conn) => {
            // Many writes in one turn to a peer that does not read: on
            // Node most are outstanding together (their callbacks come in
            // a later turn).
            for (let i = 0; i < 256; i++) {
              const chunk = pattern(1000 + i, written);
              written += chunk.length;
              conn.transport.write(chunk);
            }
            unsentAfterWrites = conn.transport.unsentBytes;
            drainNow = conn.transport.requestDrain();
          },
        }, tls?.());
        const client = await h.connect(listener.port, true);
        client.write(new Uint8Array([1]));
        const conn = await nextConn();
        await conn.waiter.until(() => conn.received > 0, "server got data");
        client.resume();
        await client.waiter.until(() => client.bytes === written, "all bytes");
        const start = Date.now();
        while (!drainNow && conn.drains === 0 && Date.now() - start < 5000) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        assert.ok(unsentAfterWrites >= 0 && unsentAfterWrites <= written);
        // requestDrain() answers true only when nothing is unsent, and
        // otherwise brings exactly one onDrain once the count reaches 0.
        assert.equal(drainNow, unsentAfterWrites === 0);
        assert.equal(conn.drains, drainNow ? 0 : 1);
        assert.equal(conn.transport.unsentBytes, 0);
        assert.equal(conn.transport.requestDrain(), true);
        assert.equal(client.sum.value, checksum(pattern(written)));
        await listener.close();
      },
    );

    check(
      "unsentBytes inside onClose still holds what a reset connection never sent",
      async () => {
        const h = harness();
        const { listener, nextConn } = await serve(h, {
          data: (conn) => {
            // Past the kernel's buffers and the engine's high-water mark.
            for (let i = 0; i < 512; i++) {
              if (!conn.transport.write(pattern(64 * 1024))) break;
            }
            conn.transport.write(pattern(16 * MiB));
          },
        }, tls?.());
        const client = await h.connect(listener.port, true);
        client.write(new Uint8Array([1]));
        const conn = await nextConn();
        await conn.waiter.until(() => conn.received > 0, "server got data");
        await new Promise((resolve) => setTimeout(resolve, 30));
        const unsent = conn.transport.unsentBytes;
        assert.ok(unsent >= MiB, `unsent before the reset: ${unsent}`);
        client.destroy();
        await closedOnce(conn);
        assert.ok(
          conn.unsentAtClose > 0 && conn.unsentAtClose <= unsent,
          `unsent at close: ${conn.unsentAtClose} (before: ${unsent})`,
        );
        await listener.close();
      },
    );

    check(
      "readsAreFresh is claimed by Node's own sockets only, and holds: each read in a buffer of its own, left intact",
      async () => {
        const h = harness();
        const reads: Array<[Uint8Array, Uint8Array]> = [];
        const { listener, nextConn } = await serve(h, {
          data: (_conn, bytes) => reads.push([bytes, bytes.slice()]),
        }, tls?.());
        const client = await h.connect(listener.port);
        const conn = await nextConn();
        let sent = 0;
        for (let i = 0; i < 40; i++) {
          client.write(pattern(100 + i * 97, sent));
          sent += 100 + i * 97;
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        await conn.waiter.until(() => conn.received === sent, "every byte");
        assert.equal(
          conn.transport.readsAreFresh === true,
          name.startsWith("node engine"),
        );
        if (conn.transport.readsAreFresh) {
          const buffers = new Set(reads.map(([bytes]) => bytes.buffer));
          assert.equal(buffers.size, reads.length);
          for (const [bytes, copy] of reads) assert.deepEqual(bytes, copy);
        }
        await listener.close();
      },
    );

    check(
      "Listener.close() stops accepting; accepted transports stay open",
      async () => {
        const h = harness();
        const { listener, nextConn } = await serve(h, echo, tls?.());
        const client = await h.connect(listener.port);
        client.write(new Uint8Array([1]));
        await client.waiter.until(() => client.bytes === 1, "first echo");
        await listener.close();
        await listener.close(); // idempotent
        await assert.rejects(h.connect(listener.port));
        client.write(new Uint8Array([2, 3]));
        await client.waiter.until(
          () => client.bytes === 3,
          "echo after close()",
        );
        const conn = await nextConn();
        client.end();
        await closedOnce(conn);
        assert.deepEqual(conn.log, ["data", "end", "close"]);
      },
    );
  });
}

// ── the current runtime's engine, over TCP ──────────────────────────────

function tcpHarness(
  engine: Engine,
  tls?: () => TlsOptions | undefined,
): () => Harness {
  return () => ({
    engine,
    connect: (port, paused) =>
      new Promise<Client>((resolve, reject) => {
        const options = tls?.();
        const socket: Socket = options === undefined
          ? netConnect({ host: "127.0.0.1", port }, () => resolve(client))
          : tlsConnect({
            host: "127.0.0.1",
            port,
            ca: options.cert,
            servername: "localhost",
          }, () => resolve(client));
        const client = wrapSocket(socket);
        cleanups.push(() => socket.destroy());
        if (paused) socket.pause();
        socket.once("error", reject);
      }),
  });
}

describe(`engine of this runtime (${detectRuntime()})`, () => {
  test("autoEngine() picks the engine named after the runtime", () => {
    assert.equal(autoEngine().name, detectRuntime());
  });
});

conformance(`${detectRuntime()} engine over TCP`, tcpHarness(autoEngine()));

// ── the same over TLS, with a throw-away self-signed certificate ────────

let tlsFiles: TlsOptions | undefined;
let tlsDir: string | undefined;
describe(`${detectRuntime()} engine over TLS`, () => {
  before(() => {
    try {
      tlsDir = mkdtempSync(join(tmpdir(), "anyws-tls-"));
      execFileSync("openssl", [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        join(tlsDir, "k.pem"),
        "-out",
        join(tlsDir, "c.pem"),
        "-days",
        "1",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ], { stdio: "ignore" });
      tlsFiles = {
        cert: readFileSync(join(tlsDir, "c.pem"), "utf8"),
        key: readFileSync(join(tlsDir, "k.pem"), "utf8"),
      };
    } catch {
      tlsFiles = undefined; // no openssl: the TLS cases below are skipped
    }
  });
  after(() => {
    if (tlsDir !== undefined) rmSync(tlsDir, { recursive: true, force: true });
  });
  const files = () => tlsFiles;
  const tlsHarness = tcpHarness(autoEngine(), files);
  check("echoes 1 MiB intact over TLS", async (t) => {
    if (tlsFiles === undefined) return t.skip("openssl is not available");
    const h = tlsHarness();
    const { listener, nextConn } = await serve(h, echo, tlsFiles);
    const client = await h.connect(listener.port);
    const data = pattern(MiB, 3);
    client.write(data);
    await client.waiter.until(() => client.bytes >= data.length, "1 MiB back");
    assert.equal(client.bytes, data.length);
    assert.equal(client.sum.value, checksum(data));
    client.end();
    const conn = await nextConn();
    await closedOnce(conn);
    assert.deepEqual(conn.log, ["data", "end", "close"]);
    await listener.close();
  });
  check(
    "end() over TLS delivers queued bytes, then the connection closes",
    async (t) => {
      if (tlsFiles === undefined) return t.skip("openssl is not available");
      const h = tlsHarness();
      const data = pattern(MiB, 5);
      const { listener, nextConn } = await serve(h, {
        accepted: (conn) => {
          conn.transport.write(data);
          conn.transport.end();
        },
      }, tlsFiles);
      const client = await h.connect(listener.port);
      await client.waiter.until(() => client.closed, "client close");
      assert.equal(client.bytes, data.length);
      assert.equal(client.sum.value, checksum(data));
      const conn = await nextConn();
      await closedOnce(conn);
      assert.equal(conn.log.at(-1), "close");
      await listener.close();
    },
  );
});

// ── the memory engine, in every runtime ─────────────────────────────────

function memoryHarness(): Harness {
  const engine: MemoryEngine = memoryEngine();
  return {
    engine,
    connect: (port, paused) => {
      try {
        const socket = engine.connect(port);
        if (paused) socket.pause();
        const client = new Client();
        cleanups.push(() => socket.abort());
        socket.onData = (bytes) => client.onData(bytes);
        // Like a TCP client without allowHalfOpen: answer FIN with FIN.
        socket.onEnd = () => {
          client.onEvent("end");
          socket.end();
        };
        socket.onClose = (error) => client.onEvent("close", error);
        client.write = (bytes) => socket.write(bytes);
        client.end = () => socket.end();
        client.pause = () => socket.pause();
        client.resume = () => socket.resume();
        client.destroy = () => socket.abort();
        return Promise.resolve(client);
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}

conformance("memory engine", memoryHarness);
