// What the memory engine adds beyond the shared Transport conformance suite
// (tests/engines/engines_test.ts): its client API, options and socket-like timing.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type {
  AcceptTransport,
  Transport,
  TransportHandler,
} from "../../src/driver/engine.ts";
import { memoryEngine } from "../../engines/memory.ts";
import { SocketReader } from "../_memory_client.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const tick = (): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, 0));

/** An accept callback that records what the server side hears. */
function recorder(hooks: Partial<TransportHandler> = {}) {
  const seen = {
    transports: [] as Transport[],
    events: [] as string[],
    chunks: [] as Uint8Array[],
    errors: [] as Array<Error | undefined>,
  };
  const accept: AcceptTransport = (transport) => {
    seen.transports.push(transport);
    return {
      onData(bytes) {
        seen.events.push("data");
        seen.chunks.push(bytes);
        hooks.onData?.(bytes);
      },
      onDrain() {
        seen.events.push("drain");
        hooks.onDrain?.();
      },
      onEnd() {
        seen.events.push("end");
        if (hooks.onEnd) hooks.onEnd();
        else transport.end();
      },
      onClose(error) {
        seen.events.push("close");
        seen.errors.push(error);
        hooks.onClose?.(error);
      },
    };
  };
  return { seen, accept };
}

const where = { hostname: "127.0.0.1", port: 0 };

describe("memoryEngine()", () => {
  test("is named memory and gives each port-0 listener its own port", async () => {
    const engine = memoryEngine();
    assert.equal(engine.name, "memory");
    const a = await engine.listen(where, recorder().accept);
    const b = await engine.listen(where, recorder().accept);
    assert.notEqual(a.port, b.port);
    assert.equal(a.hostname, "127.0.0.1");
    await a.close();
    await b.close();
  });

  test("rejects listen() on a port in use with Address already in use", async () => {
    const engine = memoryEngine();
    const listener = await engine.listen(
      { hostname: "127.0.0.1", port: 8080 },
      recorder().accept,
    );
    assert.equal(listener.port, 8080);
    await assert.rejects(
      engine.listen({ hostname: "127.0.0.1", port: 8080 }, recorder().accept),
      { message: "Address already in use: memory port 8080" },
    );
    await listener.close();
  });

  test("connect() without a port reaches the only listener; refuses when none listens", async () => {
    const engine = memoryEngine();
    assert.throws(() => engine.connect(), {
      message: "Connection refused: memory port (none given)",
    });
    const { seen, accept } = recorder();
    const listener = await engine.listen(where, accept);
    const socket = engine.connect();
    assert.equal(seen.transports.length, 1, "accepted synchronously");
    socket.abort();
    await listener.close();
    assert.throws(() => engine.connect(listener.port), {
      message: `Connection refused: memory port ${listener.port}`,
    });
  });

  test("the server transport reports the addresses given to connect()", async () => {
    const engine = memoryEngine();
    const { seen, accept } = recorder();
    const listener = await engine.listen(where, accept);
    const socket = engine.connect(listener.port, {
      remoteAddress: "203.0.113.7",
      remotePort: 50123,
    });
    assert.equal(seen.transports[0].remoteAddress, "203.0.113.7");
    assert.equal(seen.transports[0].remotePort, 50123);
    assert.equal(socket.remoteAddress, "127.0.0.1");
    assert.equal(socket.remotePort, listener.port);
    socket.abort();
    await listener.close();
  });

  test("delivers asynchronously, never inside write()", async () => {
    const engine = memoryEngine();
    const { seen, accept } = recorder();
    const listener = await engine.listen(where, accept);
    const socket = engine.connect(listener.port);
    socket.write("abc");
    assert.deepEqual(seen.events, []);
    await tick();
    assert.deepEqual(seen.events, ["data"]);
    assert.equal(text(seen.chunks[0]), "abc");
    socket.abort();
    await listener.close();
  });

  test("splits deliveries at chunkSize", async () => {
    const engine = memoryEngine({ chunkSize: 3 });
    const { seen, accept } = recorder();
    const listener = await engine.listen(where, accept);
    const socket = engine.connect(listener.port);
    socket.write("0123456789");
    await tick();
    assert.deepEqual(seen.chunks.map(text), ["012", "345", "678", "9"]);
    socket.abort();
    await listener.close();
  });

  test("hands the receiver its own copy of the bytes", async () => {
    const engine = memoryEngine();
    const { seen, accept } = recorder({ onData: (bytes) => bytes.fill(0) });
    const listener = await engine.listen(where, accept);
    const socket = engine.connect(listener.port);
    const sent = new Uint8Array([1, 2, 3]);
    socket.write(sent);
    await tick();
    assert.deepEqual([...seen.chunks[0]], [0, 0, 0]);
    assert.deepEqual([...sent], [1, 2, 3]);
    socket.abort();
    await listener.close();
  });

  test("the client hears the server's bytes in order through onData, then onEnd, then onClose without an error", async () => {
    const engine = memoryEngine();
    const listener = await engine.listen(where, (transport) => ({
      onData: (bytes) => transport.write(bytes.slice()),
      onDrain: () => {},
      onEnd: () => transport.end(),
      onClose: () => {},
    }));
    const socket = engine.connect(listener.port);
    const received: string[] = [];
    const events: string[] = [];
    socket.onData = (bytes) => received.push(text(bytes));
    socket.onEnd = () => events.push("end");
    socket.onClose = (error) => events.push(`close ${error}`);
    socket.write("hello ");
    socket.write("world");
    socket.end();
    assert.equal(await socket.closed, undefined);
    assert.equal(received.join(""), "hello world");
    assert.deepEqual(events, ["end", "close undefined"]);
    await listener.close();
  });

  test("drops the bytes that arrive while onData is unset", async () => {
    const engine = memoryEngine();
    let server!: Transport;
    const listener = await engine.listen(where, (transport) => {
      server = transport;
      return recorder().accept(transport);
    });
    const socket = engine.connect(listener.port);
    server.write(new TextEncoder().encode("unheard"));
    await tick();
    const received: string[] = [];
    socket.onData = (bytes) => received.push(text(bytes));
    server.write(new TextEncoder().encode("heard"));
    await tick();
    assert.deepEqual(received, ["heard"]);
    socket.abort();
    await listener.close();
  });

  test("write() returns false above highWaterMark; drain fires once a paused reader resumes", async () => {
    const engine = memoryEngine({ highWaterMark: 10 });
    let server!: Transport;
    const { seen, accept } = recorder();
    const listener = await engine.listen(where, (transport) => {
      server = transport;
      return accept(transport);
    });
    const socket = engine.connect(listener.port);
    const reader = new SocketReader(socket);
    socket.pause();
    assert.equal(server.write(new Uint8Array(6)), true);
    assert.equal(server.write(new Uint8Array(6)), false);
    await tick();
    assert.deepEqual(seen.events, [], "no drain while the reader is paused");
    socket.resume();
    assert.equal((await reader.read(12)).length, 12);
    await tick();
    assert.deepEqual(seen.events, ["drain"]);
    socket.abort();
    await listener.close();
  });

  test("holds the FIN behind the data until a paused reader resumes", async () => {
    const engine = memoryEngine();
    const listener = await engine.listen(where, (transport) => {
      transport.write(new TextEncoder().encode("last words"));
      transport.end();
      return {
        onData: () => {},
        onDrain: () => {},
        onEnd: () => {},
        onClose: () => {},
      };
    });
    const socket = engine.connect(listener.port);
    const events: string[] = [];
    socket.onData = (bytes) => events.push(text(bytes));
    socket.onEnd = () => events.push("end");
    socket.pause();
    await tick();
    assert.deepEqual(events, []);
    socket.resume();
    await tick();
    assert.deepEqual(events, ["last words", "end"]);
    socket.end();
    await socket.closed;
    await listener.close();
  });

  test("abort() by the server resets the client; the server closes without an error", async () => {
    const engine = memoryEngine();
    const { seen, accept } = recorder({
      onData: () => seen.transports[0].abort(),
    });
    const listener = await engine.listen(where, accept);
    const socket = engine.connect(listener.port);
    socket.write("x");
    const error = await socket.closed;
    assert.equal(error?.message, "Connection reset by peer");
    assert.deepEqual(seen.events, ["data", "close"]);
    assert.deepEqual(seen.errors, [undefined]);
    assert.equal(socket.write("ignored"), true);
    await listener.close();
  });
});
