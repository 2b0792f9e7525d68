// Typed JSON events: routing, Standard Schema validation, acknowledgements,
// hostile names and keys, reserved names and the JSON limits, through a
// Server on the runtime's own engine and the runtime's own WebSocket.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Connection, EventMap } from "../../src/driver/connection.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { RESERVED_EVENTS, Server } from "@anyws/anyws";
import type { ServerOptions } from "../../src/server/options.ts";
import {
  type SchemaIssue,
  type SchemaOutput,
  type SchemaResult,
  type StandardSchema,
  ValidationError,
} from "../../src/server/validation.ts";
import {
  deferred,
  delay,
  HOST,
  openClient,
  waitFor,
  withTimeout,
  type WsClient,
} from "../_clients.ts";

// ── schemas ───────────────────────────────────────────────────────────────

/** A hand-written, synchronous Standard Schema: `{ text: non-empty string }`, trimmed. */
const sayData: StandardSchema<unknown, { text: string }> = {
  "~standard": {
    version: 1,
    vendor: "hand-written",
    validate(value) {
      const text = typeof value === "object" && value !== null
        ? (value as { text?: unknown }).text
        : undefined;
      if (typeof text !== "string" || text.trim() === "") {
        return {
          issues: [{ message: "Expected a non-empty string", path: ["text"] }],
        };
      }
      return { value: { text: text.trim() } };
    },
  },
};

/** A tiny "zod-like" builder whose schemas always validate asynchronously. */
function fake<T>(
  check: (value: unknown) => SchemaResult<T> | Promise<SchemaResult<T>>,
): StandardSchema<unknown, T> {
  return {
    "~standard": {
      version: 1,
      vendor: "zod-like",
      validate: (value) => Promise.resolve().then(() => check(value)),
    },
  };
}

const z = {
  number: (): StandardSchema<unknown, number> =>
    fake<number>((value) =>
      typeof value === "number" && Number.isFinite(value)
        ? { value }
        : { issues: [{ message: "Expected number" }] }
    ),
  string: (): StandardSchema<unknown, string> =>
    fake<string>((value) =>
      typeof value === "string"
        ? { value }
        : { issues: [{ message: "Expected string" }] }
    ),
  /** Like zod's object(): unknown keys are stripped from the output. */
  object: <Shape extends Record<string, StandardSchema>>(
    shape: Shape,
  ): StandardSchema<unknown, { [K in keyof Shape]: SchemaOutput<Shape[K]> }> =>
    fake<{ [K in keyof Shape]: SchemaOutput<Shape[K]> }>(async (value) => {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return { issues: [{ message: "Expected object" }] };
      }
      const out: Record<string, unknown> = {};
      const issues: SchemaIssue[] = [];
      for (const key of Object.keys(shape)) {
        const result = await shape[key]["~standard"].validate(
          (value as Record<string, unknown>)[key],
        );
        if (result.issues === undefined) out[key] = result.value;
        else {
          for (const issue of result.issues) {
            issues.push({ ...issue, path: [key, ...(issue.path ?? [])] });
          }
        }
      }
      return issues.length > 0
        ? { issues }
        : { value: out as { [K in keyof Shape]: SchemaOutput<Shape[K]> } };
    }),
};

const point = z.object({ x: z.number(), y: z.number() });

// ── helpers ───────────────────────────────────────────────────────────────

/** The runtime's WebSocket with JSON helpers. */
class Client {
  readonly client: WsClient;

  constructor(client: WsClient) {
    this.client = client;
  }

  static async open(server: { port: number }): Promise<Client> {
    return new Client(await openClient(`ws://${HOST}:${server.port}/`));
  }

  send(message: unknown): void {
    if (typeof message === "string") this.client.ws.send(message);
    else if (message instanceof Uint8Array) {
      this.client.ws.send(message as Uint8Array<ArrayBuffer>);
    } else {
      this.client.ws.send(JSON.stringify(message));
    }
  }

  /** The next message, as text. */
  async next(): Promise<string> {
    const message = await this.client.next();
    assert.equal(typeof message, "string");
    return message as string;
  }

  close(): Promise<unknown> {
    return this.client.close();
  }
}

interface Recorded {
  errors: Array<{ error: unknown; conn: Connection | undefined }>;
  messages: Array<string | Uint8Array>;
  calls: Array<{ event: string; data: unknown }>;
}

function stop(server: { stop(options: { timeout: number }): Promise<void> }) {
  return withTimeout(server.stop({ timeout: 1000 }), 5000, "server.stop()");
}

/** A server recording errors, unrouted messages and the calls of `record`ed handlers. */
async function recordingServer(
  options: ServerOptions = {},
  setup?: (server: Server, recorded: Recorded) => void,
): Promise<{ server: Server; recorded: Recorded }> {
  const server = new Server({ hostname: HOST, port: 0, ...options });
  const recorded: Recorded = { errors: [], messages: [], calls: [] };
  server.on("error", (error, conn) => recorded.errors.push({ error, conn }));
  server.on("message", (data) => recorded.messages.push(data));
  // A round trip: when its ack arrives, everything sent before was handled.
  server.on("sync", () => "synced");
  setup?.(server, recorded);
  await server.listen();
  return { server, recorded };
}

/** Sends `sync` with an ack id and asserts that its ack is the very next message. */
async function sync(client: Client): Promise<void> {
  client.send({ event: "sync", id: "sync" });
  assert.equal(await client.next(), '{"ack":"sync","data":"synced"}');
}

// ── typed events ──────────────────────────────────────────────────────────

interface ChatIn extends EventMap {
  say: { text: string };
  add: { a: number; b: number };
}

interface ChatOut extends EventMap {
  said: { from: string; text: string };
}

describe("typed events", () => {
  let server: Server<{ name: string }, ChatIn, ChatOut>;

  before(async () => {
    server = new Server<{ name: string }, ChatIn, ChatOut>({
      hostname: HOST,
      port: 0,
    });
    server.on("open", (request, conn) => {
      conn.data = { name: request.query.get("name") ?? "anonymous" };
    });
    // No casts: data is ChatIn["say"], conn.data is { name: string }, and
    // emit only takes ChatOut's events with their data.
    server.on("say", (data, conn) => {
      const text: string = data.text;
      server.emit("said", { from: conn.data.name, text });
    });
    server.on("add", (data) => data.a + data.b);
    // With a schema, data is the schema's output type.
    server.on("move", (data, conn) => {
      const sum: number = data.x + data.y;
      conn.emit("said", { from: "server", text: `moved ${sum}` });
      return sum;
    }, { schema: point });
    await server.listen();
  });

  after(() => stop(server));

  test("handlers get the typed data and typed connection; emits are typed", async () => {
    const client = new Client(
      await openClient(`ws://${HOST}:${server.port}/?name=ada`),
    );
    try {
      client.send({ event: "say", data: { text: "hi" } });
      assert.equal(
        await client.next(),
        '{"event":"said","data":{"from":"ada","text":"hi"}}',
      );
      client.send({ event: "add", data: { a: 2, b: 3 }, id: 1 });
      assert.equal(await client.next(), '{"ack":1,"data":5}');
      client.send({ event: "move", data: { x: 1, y: 2 }, id: 2 });
      assert.equal(
        await client.next(),
        '{"event":"said","data":{"from":"server","text":"moved 3"}}',
      );
      assert.equal(await client.next(), '{"ack":2,"data":3}');
    } finally {
      await client.close();
    }
  });

  test("the compiler refuses wrong event data (checked by tsc and deno check)", () => {
    // Never called: these lines only have to fail to compile.
    const wrong = (conn: Connection<{ name: string }, ChatOut>) => {
      // @ts-expect-error: said needs from and text
      server.emit("said", { text: 1 });
      // @ts-expect-error: said needs from and text
      conn.emit("said", { from: "x" });
      // @ts-expect-error: the data of say has no field named other
      server.on("say", (data) => data.other.length);
    };
    assert.equal(typeof wrong, "function");
  });
});

// ── validation ────────────────────────────────────────────────────────────

describe("validation with Standard Schema", () => {
  let server: Server;
  let recorded: Recorded;

  before(async () => {
    ({ server, recorded } = await recordingServer({}, (server, recorded) => {
      server.on("say", (data, conn) => {
        recorded.calls.push({ event: "say", data });
        conn.emit("said", data.text);
      }, { schema: sayData });
      server.on("move", (data) => {
        recorded.calls.push({ event: "move", data });
        return data.x + data.y;
      }, { schema: point });
    }));
  });

  after(() => stop(server));

  test("a synchronous schema: valid data reaches the handler as the schema's output", async () => {
    const client = await Client.open(server);
    try {
      recorded.calls.length = 0;
      client.send({ event: "say", data: { text: "  hi  ", extra: 1 } });
      assert.equal(await client.next(), '{"event":"said","data":"hi"}');
      assert.deepEqual(recorded.calls, [{
        event: "say",
        data: { text: "hi" },
      }]);
    } finally {
      await client.close();
    }
  });

  test("invalid data never reaches the handler; the sender gets an error event with the issues", async () => {
    const client = await Client.open(server);
    try {
      recorded.calls.length = 0;
      recorded.errors.length = 0;
      client.send({ event: "say", data: { text: 42 } });
      assert.equal(
        await client.next(),
        JSON.stringify({
          event: "error",
          data: {
            event: "say",
            message:
              "Invalid data for event say: text: Expected a non-empty string",
            issues: [{
              message: "Expected a non-empty string",
              path: ["text"],
            }],
          },
        }),
      );
      await sync(client);
      assert.deepEqual(recorded.calls, []);
      assert.deepEqual(recorded.messages, []);
      assert.equal(recorded.errors.length, 1);
      const { error, conn } = recorded.errors[0];
      assert.ok(error instanceof ValidationError);
      assert.equal(error.event, "say");
      assert.deepEqual(error.issues, [
        { message: "Expected a non-empty string", path: ["text"] },
      ]);
      assert.equal(conn?.readyState, 1);
    } finally {
      await client.close();
    }
  });

  test("an asynchronous (zod-like) schema: valid data is transformed, unknown keys stripped", async () => {
    const client = await Client.open(server);
    try {
      recorded.calls.length = 0;
      client.send({
        event: "move",
        data: { x: 1, y: 2, admin: true },
        id: "m1",
      });
      assert.equal(await client.next(), '{"ack":"m1","data":3}');
      assert.deepEqual(recorded.calls, [
        { event: "move", data: { x: 1, y: 2 } },
      ]);
    } finally {
      await client.close();
    }
  });

  test("an asynchronous schema's issues reach the sender with their paths; the handler never runs", async () => {
    const client = await Client.open(server);
    try {
      recorded.calls.length = 0;
      recorded.errors.length = 0;
      client.send({ event: "move", data: { x: "1" } });
      assert.deepEqual(JSON.parse(await client.next()), {
        event: "error",
        data: {
          event: "move",
          message:
            "Invalid data for event move: x: Expected number; y: Expected number",
          issues: [
            { message: "Expected number", path: ["x"] },
            { message: "Expected number", path: ["y"] },
          ],
        },
      });
      await sync(client);
      assert.deepEqual(recorded.calls, []);
      assert.equal(recorded.errors.length, 1);
      assert.ok(recorded.errors[0].error instanceof ValidationError);
    } finally {
      await client.close();
    }
  });

  test("missing data is validated like any other value", async () => {
    const client = await Client.open(server);
    try {
      recorded.calls.length = 0;
      client.send({ event: "move" });
      assert.deepEqual(JSON.parse(await client.next()), {
        event: "error",
        data: {
          event: "move",
          message: "Invalid data for event move: Expected object",
          issues: [{ message: "Expected object" }],
        },
      });
      client.send('{"event":"say","id":7}');
      assert.deepEqual(JSON.parse(await client.next()), {
        ack: 7,
        error: {
          message:
            "Invalid data for event say: text: Expected a non-empty string",
          issues: [{ message: "Expected a non-empty string", path: ["text"] }],
        },
      });
      assert.deepEqual(recorded.calls, []);
    } finally {
      await client.close();
    }
  });
});

// ── acknowledgements ──────────────────────────────────────────────────────

describe("acknowledgements", () => {
  let server: Server;
  let recorded: Recorded;
  let gate = deferred<void>();

  before(async () => {
    ({ server, recorded } = await recordingServer({}, (server, recorded) => {
      server.on("echo", (data) => {
        recorded.calls.push({ event: "echo", data });
        return data;
      });
      server.on("nothing", () => {});
      // Finishes only once a later event opened the gate.
      server.on("later", async (data) => {
        await gate.promise;
        return { later: data };
      });
      server.on("open_gate", () => {
        gate.resolve();
        return "open";
      });
      server.on("boom", () => {
        throw new Error("Secret database password in this message");
      });
      server.on("reject", async () => {
        await delay(5);
        throw new Error("Secret async details");
      });
      server.on("unserializable", () => ({ big: 10n }));
      server.on("two", () => "first");
      server.on("two", () => "second");
      server.on("move", (data) => data.x * data.y, { schema: point });
    }));
  });

  after(() => stop(server));

  test("a synchronous handler's return value comes back as {ack, data}", async () => {
    const client = await Client.open(server);
    try {
      client.send({ event: "echo", data: { a: [1, "x"] }, id: 1 });
      assert.equal(await client.next(), '{"ack":1,"data":{"a":[1,"x"]}}');
    } finally {
      await client.close();
    }
  });

  test("undefined comes back as null, and so does missing data echoed", async () => {
    const client = await Client.open(server);
    try {
      client.send({ event: "nothing", data: 1, id: 2 });
      assert.equal(await client.next(), '{"ack":2,"data":null}');
      recorded.calls.length = 0;
      client.send('{"event":"echo","id":3}');
      assert.equal(await client.next(), '{"ack":3,"data":null}');
      assert.deepEqual(recorded.calls, [{ event: "echo", data: undefined }]);
    } finally {
      await client.close();
    }
  });

  test("an async handler's resolved value comes back once it resolves; later events are not held up", async () => {
    const client = await Client.open(server);
    try {
      gate = deferred<void>();
      client.send({ event: "later", data: 5, id: "slow" });
      client.send({ event: "open_gate", id: "gate" });
      assert.equal(await client.next(), '{"ack":"gate","data":"open"}');
      assert.equal(await client.next(), '{"ack":"slow","data":{"later":5}}');
    } finally {
      await client.close();
    }
  });

  test("a throwing handler: the sender gets a generic error, the server the real one", async () => {
    const client = await Client.open(server);
    try {
      recorded.errors.length = 0;
      client.send({ event: "boom", id: 4 });
      const reply = await client.next();
      assert.equal(reply, '{"ack":4,"error":{"message":"Internal error"}}');
      assert.equal(recorded.errors.length, 1);
      assert.equal(
        (recorded.errors[0].error as Error).message,
        "Secret database password in this message",
      );
      assert.ok(recorded.errors[0].conn !== undefined);
    } finally {
      await client.close();
    }
  });

  test("a rejecting handler: the same generic error, after the rejection", async () => {
    const client = await Client.open(server);
    try {
      recorded.errors.length = 0;
      client.send({ event: "reject", id: "r" });
      assert.equal(
        await client.next(),
        '{"ack":"r","error":{"message":"Internal error"}}',
      );
      assert.equal(recorded.errors.length, 1);
      assert.equal(
        (recorded.errors[0].error as Error).message,
        "Secret async details",
      );
    } finally {
      await client.close();
    }
  });

  test("a throwing handler without an ack id tells the sender nothing", async () => {
    const client = await Client.open(server);
    try {
      recorded.errors.length = 0;
      client.send({ event: "boom" });
      client.send({ event: "reject" });
      await waitFor(() => recorded.errors.length === 2, 2000, "two errors");
      await sync(client);
    } finally {
      await client.close();
    }
  });

  test("a validation failure comes back as {ack, error: {message, issues}} and no error event", async () => {
    const client = await Client.open(server);
    try {
      client.send({ event: "move", data: { x: 2 }, id: 5 });
      assert.equal(
        await client.next(),
        JSON.stringify({
          ack: 5,
          error: {
            message: "Invalid data for event move: y: Expected number",
            issues: [{ message: "Expected number", path: ["y"] }],
          },
        }),
      );
      await sync(client);
      client.send({ event: "move", data: { x: 2, y: 4 }, id: 6 });
      assert.equal(await client.next(), '{"ack":6,"data":8}');
    } finally {
      await client.close();
    }
  });

  test("a result JSON cannot encode is an internal error", async () => {
    const client = await Client.open(server);
    try {
      recorded.errors.length = 0;
      client.send({ event: "unserializable", id: 8 });
      assert.equal(
        await client.next(),
        '{"ack":8,"error":{"message":"Internal error"}}',
      );
      assert.equal(recorded.errors.length, 1);
      assert.ok(recorded.errors[0].error instanceof TypeError);
    } finally {
      await client.close();
    }
  });

  test("with several handlers, the last one's value is the ack, sent once", async () => {
    const client = await Client.open(server);
    try {
      client.send({ event: "two", id: 9 });
      assert.equal(await client.next(), '{"ack":9,"data":"second"}');
      await sync(client);
    } finally {
      await client.close();
    }
  });

  test("ids: strings up to 128 characters and finite numbers, echoed exactly", async () => {
    const client = await Client.open(server);
    try {
      for (const id of ["", "x".repeat(128), 0, -1.5, 2 ** 53, "ü✓"]) {
        client.send({ event: "echo", data: 1, id });
        assert.deepEqual(JSON.parse(await client.next()), { ack: id, data: 1 });
      }
    } finally {
      await client.close();
    }
  });

  test("other ids get no ack, but the handler still runs", async () => {
    const client = await Client.open(server);
    try {
      recorded.calls.length = 0;
      const ids = [
        '"' + "x".repeat(129) + '"',
        "1e999",
        "null",
        "true",
        "{}",
        "[1]",
      ];
      for (const id of ids) {
        client.send(`{"event":"echo","data":${JSON.stringify(id)},"id":${id}}`);
      }
      await sync(client);
      assert.deepEqual(recorded.calls.map((c) => c.data), ids);
    } finally {
      await client.close();
    }
  });
});

// ── hostile names and keys ────────────────────────────────────────────────

describe("hostile event names and keys", () => {
  let server: Server;
  let recorded: Recorded;

  before(async () => {
    ({ server, recorded } = await recordingServer({}, (server, recorded) => {
      server.on("inspect", (data) => {
        recorded.calls.push({ event: "inspect", data });
        const object = data as Record<string, unknown>;
        return {
          prototypeIsObject: Object.getPrototypeOf(object) === Object.prototype,
          ownKeys: Object.keys(object),
          admin: (object as { admin?: unknown }).admin ?? null,
          polluted: ({} as { admin?: unknown }).admin ?? null,
        };
      });
    }));
  });

  after(() => stop(server));

  test("__proto__ and constructor keys in data stay plain own properties: no prototype change, no pollution", async () => {
    const client = await Client.open(server);
    try {
      client.send(
        '{"event":"inspect","id":1,"data":{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}}',
      );
      assert.deepEqual(JSON.parse(await client.next()), {
        ack: 1,
        data: {
          prototypeIsObject: true,
          ownKeys: ["__proto__", "constructor"],
          admin: null,
          polluted: null,
        },
      });
      assert.equal(({} as { admin?: unknown }).admin, undefined);
      assert.equal(
        Object.prototype.hasOwnProperty.call(Object.prototype, "admin"),
        false,
      );
    } finally {
      await client.close();
    }
  });

  test("a __proto__ key at the top level cannot supply the event name", async () => {
    const client = await Client.open(server);
    try {
      recorded.messages.length = 0;
      recorded.calls.length = 0;
      const text = '{"__proto__":{"event":"inspect","data":1,"id":1}}';
      client.send(text);
      await sync(client);
      assert.deepEqual(recorded.messages, [text]);
      assert.deepEqual(recorded.calls, []);
    } finally {
      await client.close();
    }
  });

  test("Object.prototype names as event names go to message when nobody listens to them", async () => {
    const client = await Client.open(server);
    try {
      recorded.messages.length = 0;
      recorded.errors.length = 0;
      const texts = [
        "__proto__",
        "constructor",
        "toString",
        "hasOwnProperty",
        "valueOf",
      ]
        .map((event) => JSON.stringify({ event, data: 1, id: 1 }));
      for (const text of texts) client.send(text);
      await sync(client);
      assert.deepEqual(recorded.messages, texts);
      assert.deepEqual(recorded.errors, []);
    } finally {
      await client.close();
    }
  });

  test("Object.prototype names are routable event names once they have handlers", async () => {
    const offs = ["__proto__", "constructor"].map((event) =>
      server.on(event, (data) => `${event}:${data}`)
    );
    const client = await Client.open(server);
    try {
      client.send({ event: "__proto__", data: 1, id: 1 });
      assert.equal(await client.next(), '{"ack":1,"data":"__proto__:1"}');
      client.send({ event: "constructor", data: 2, id: 2 });
      assert.equal(await client.next(), '{"ack":2,"data":"constructor:2"}');
    } finally {
      offs.forEach((off) => off());
      await client.close();
    }
  });

  test("messages that are not event objects go to message unchanged", async () => {
    const client = await Client.open(server);
    try {
      recorded.messages.length = 0;
      const texts = [
        '{"event":42,"data":1}',
        '{"event":["inspect"],"data":1}',
        '{"data":1}',
        '["inspect",1]',
        '"inspect"',
        "null",
        "{not json",
        "{}",
      ];
      for (const text of texts) client.send(text);
      client.send(Uint8Array.from([0x7b, 0x7d]));
      await sync(client);
      assert.deepEqual(recorded.messages, [
        ...texts,
        Uint8Array.from([0x7b, 0x7d]),
      ]);
    } finally {
      await client.close();
    }
  });
});

// ── reserved names ────────────────────────────────────────────────────────

describe("reserved event names", () => {
  test("clients can never trigger lifecycle handlers, even ones registered under reserved names", async () => {
    const triggered: string[] = [];
    const { server, recorded } = await recordingServer({}, (server) => {
      for (const event of RESERVED_EVENTS) {
        if (event === "message" || event === "error") continue;
        server.on(event, () => triggered.push(event));
      }
    });
    const client = await Client.open(server);
    try {
      const opens = triggered.length; // the client's own open
      assert.deepEqual(triggered, ["open"]);
      recorded.errors.length = 0;
      const texts = [...RESERVED_EVENTS].map((event) =>
        JSON.stringify({
          event,
          data: { code: 1000, reason: "fake", room: "x", size: 1 },
          id: event,
        })
      );
      for (const text of texts) client.send(text);
      await sync(client); // no ack came for any of them
      assert.equal(triggered.length, opens);
      assert.deepEqual(recorded.messages, texts);
      assert.deepEqual(recorded.errors, []);
    } finally {
      await client.close();
      await stop(server);
    }
  });

  test("the reserved names include every lifecycle and presence event", () => {
    for (
      const name of [
        "open",
        "message",
        "close",
        "error",
        "drain",
        "ping",
        "pong",
        "join",
        "leave",
      ]
    ) {
      assert.equal(RESERVED_EVENTS.has(name), true, name);
    }
  });
});

// ── JSON limits ───────────────────────────────────────────────────────────

describe("JSON limits", () => {
  let server: Server;
  let recorded: Recorded;

  before(async () => {
    ({ server, recorded } = await recordingServer(
      { maxJsonSize: 64, maxJsonDepth: 3 },
      (server, recorded) => {
        server.on("echo", (data) => {
          recorded.calls.push({ event: "echo", data });
          return data;
        });
      },
    ));
  });

  after(() => stop(server));

  test("an event of exactly maxJsonSize characters is handled; one more is dropped with an error to both sides", async () => {
    const client = await Client.open(server);
    try {
      recorded.calls.length = 0;
      recorded.errors.length = 0;
      const base = '{"event":"echo","id":1,"data":""}';
      const fits = base.replace('""', `"${"a".repeat(64 - base.length)}"`);
      assert.equal(fits.length, 64);
      client.send(fits);
      assert.equal(await client.next(), `{"ack":1,"data":"${"a".repeat(31)}"}`);
      const over = fits.replace('"a', '"aa');
      assert.equal(over.length, 65);
      client.send(over);
      assert.equal(
        await client.next(),
        '{"event":"error","data":{"message":"JSON event too large: over 64 characters"}}',
      );
      await sync(client);
      assert.equal(recorded.calls.length, 1);
      assert.deepEqual(recorded.messages, []);
      assert.equal(recorded.errors.length, 1);
      const error = recorded.errors[0].error;
      assert.ok(error instanceof ProtocolError);
      assert.equal(error.code, 1008);
      assert.equal(error.message, "JSON event too large: over 64 characters");
    } finally {
      await client.close();
    }
  });

  test("an event nested maxJsonDepth deep is handled; one level more is dropped with an error", async () => {
    const client = await Client.open(server);
    try {
      recorded.errors.length = 0;
      client.send('{"event":"echo","id":2,"data":{"a":[1]}}');
      assert.equal(await client.next(), '{"ack":2,"data":{"a":[1]}}');
      client.send('{"event":"echo","id":3,"data":{"a":[[1]]}}');
      assert.equal(
        await client.next(),
        '{"event":"error","data":{"message":"JSON event too deep: over 3 levels"}}',
      );
      assert.equal(recorded.errors.length, 1);
      assert.equal((recorded.errors[0].error as ProtocolError).code, 1008);
      // Brackets inside strings do not count.
      client.send('{"event":"echo","id":4,"data":"[[[[{{{{"}');
      assert.equal(await client.next(), '{"ack":4,"data":"[[[[{{{{"}');
    } finally {
      await client.close();
    }
  });

  test("the limits apply to JSON events only: long or deep non-object text is an ordinary message", async () => {
    const client = await Client.open(server);
    try {
      recorded.messages.length = 0;
      const texts = [
        "x".repeat(200),
        "[[[[[[[[]]]]]]]]",
        "[" + "1,".repeat(50) + "1]",
      ];
      for (const text of texts) client.send(text);
      await sync(client);
      assert.deepEqual(recorded.messages, texts);
    } finally {
      await client.close();
    }
  });

  test("the connection stays open after a dropped event", async () => {
    const client = await Client.open(server);
    try {
      client.send("{" + "x".repeat(100) + "}");
      assert.match(await client.next(), /JSON event too large/);
      client.send({ event: "echo", data: "ok", id: 5 });
      assert.equal(await client.next(), '{"ack":5,"data":"ok"}');
    } finally {
      await client.close();
    }
  });

  test("by default, events up to 1 MiB and 32 levels are handled", async () => {
    const { server, recorded } = await recordingServer({}, (server) => {
      server.on("echo", () => "ok");
    });
    const client = await Client.open(server);
    try {
      const deep = (n: number) => "[".repeat(n - 1) + "]".repeat(n - 1);
      client.send(`{"event":"echo","id":1,"data":${deep(32)}}`);
      assert.equal(await client.next(), '{"ack":1,"data":"ok"}');
      client.send(`{"event":"echo","id":2,"data":${deep(33)}}`);
      assert.equal(
        await client.next(),
        '{"event":"error","data":{"message":"JSON event too deep: over 32 levels"}}',
      );
      const base = '{"event":"echo","id":3,"data":""}';
      const big = base.replace(
        '""',
        `"${"a".repeat(1024 * 1024 - base.length)}"`,
      );
      client.send(big);
      assert.equal(await client.next(), '{"ack":3,"data":"ok"}');
      client.send(big.replace('"a', '"aa'));
      assert.equal(
        await client.next(),
        '{"event":"error","data":{"message":"JSON event too large: over 1048576 characters"}}',
      );
      assert.equal(recorded.errors.length, 2);
    } finally {
      await client.close();
      await stop(server);
    }
  });
});
