// wss:// on the runtime's own engine (Deno.listenTls, Bun.listen with tls,
// node:tls) from a PEM certificate and key that openssl generates in the
// test setup: real clients that trust the certificate (python-websockets
// with an SSL context, a node:tls client, and the Deno, Node and Bun
// WebSocket clients given the certificate as a CA) echo through it; clients
// that do not trust it are refused; hostile input over TLS gets the same
// answers as over TCP.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CloseInfo } from "../../src/driver/connection.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import type { Server } from "@anyws/anyws";
import {
  closeBody,
  frame,
  HOST,
  OP,
  ProcessWatch,
  RawClient,
  runProcess,
  SAMPLE_ACCEPT,
  startServer,
  stopServer,
  upgradeHead,
  waitFor,
} from "../_hostile_helpers.ts";

const PYTHON = "/usr/bin/python3";
const BIN = fileURLToPath(new URL("../../node_modules/.bin/", import.meta.url));

// python-websockets (10.4, legacy asyncio API) with an SSL context that
// trusts `cafile` (or the system's CAs when "trust" is false).
const PYTHON_CLIENT = `
import asyncio, json, ssl, sys
import websockets

async def main(config):
    context = ssl.create_default_context(cafile=config["cafile"] if config["trust"] else None)
    result = {}
    try:
        async with websockets.connect(config["uri"], ssl=context, max_size=None) as ws:
            await ws.send("héllo over wss")
            result["text"] = await ws.recv()
            payload = bytes((i * 7) & 255 for i in range(256 * 1024))
            await ws.send(payload)
            echoed = await ws.recv()
            result["binary_ok"] = echoed == payload
            result["cipher"] = ws.transport.get_extra_info("cipher")[0]
            await ws.close(1000, "done")
            result["close_code"] = ws.close_code
    except Exception as error:
        result["error"] = type(error).__name__
    print(json.dumps(result))

asyncio.run(asyncio.wait_for(main(json.loads(sys.stdin.read())), 15))
`;

// The runtime's own WebSocket client: text, then 100,000 bytes, then close.
const RUNTIME_CLIENT = `
const url = globalThis.Deno ? Deno.args[0] : process.argv[2];
const result = {};
const done = () => {
  clearTimeout(timer);
  console.log(JSON.stringify(result));
};
const timer = setTimeout(() => {
  result.timeout = true;
  done();
  ws.close();
}, 10000);
const ws = new WebSocket(url);
ws.binaryType = "arraybuffer";
const payload = new Uint8Array(100000).map((_, i) => (i * 7) & 255);
ws.onopen = () => ws.send("hello over wss");
ws.onmessage = (event) => {
  if (typeof event.data === "string") {
    result.text = event.data;
    ws.send(payload);
  } else {
    const echoed = new Uint8Array(event.data);
    result.binaryOk = echoed.length === payload.length &&
      echoed.every((b, i) => b === payload[i]);
    ws.close(1000, "done");
  }
};
ws.onerror = (event) => { result.error = String(event.message ?? event.type); };
ws.onclose = (event) => {
  result.code = event.code;
  done();
};
`;

describe("TLS: wss:// from a PEM certificate and key", () => {
  const watch = new ProcessWatch();
  let dir: string;
  let certPath: string;
  let cert: string;
  let server: Server;
  const errors: unknown[] = [];
  const closes = new Map<string, CloseInfo>();

  before(async () => {
    watch.install();
    dir = mkdtempSync(join(tmpdir(), "anyws-tls-"));
    certPath = join(dir, "cert.pem");
    const keyPath = join(dir, "key.pem");
    // A self-signed leaf (CA:FALSE: rustls, behind Deno's client, refuses a
    // CA certificate used as an end entity) for localhost and 127.0.0.1.
    const openssl = await runProcess("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "extendedKeyUsage=serverAuth",
    ]);
    assert.equal(openssl.code, 0, openssl.stderr);
    cert = readFileSync(certPath, "utf8");
    const key = readFileSync(keyPath, "utf8");
    writeFileSync(join(dir, "client.mjs"), RUNTIME_CLIENT);
    server = await startServer({ tls: { cert, key } }, (s) => {
      s.on("message", (data, conn) => conn.send(data));
      s.on("error", (error) => errors.push(error));
      s.on("close", (info, conn) => {
        const tag = conn.request.query.get("tag");
        if (tag !== null) closes.set(tag, info);
      });
    });
  });

  after(async () => {
    await stopServer(server);
    if (dir) rmSync(dir, { recursive: true, force: true });
    watch.uninstall();
  });

  test("server.url is a wss:// URL", () => {
    assert.equal(server.url, `wss://${HOST}:${server.port}`);
  });

  test("a node:tls client trusting the certificate upgrades and echoes text and 1 MiB", async () => {
    const raw = await RawClient.connect(server.port, { tls: { ca: cert } });
    try {
      assert.equal(raw.tlsSocket.authorized, true);
      assert.equal(raw.tlsSocket.getPeerCertificate().subject.CN, "localhost");
      const response = await raw.handshake("/?tag=tls");
      assert.equal(response.headers.get("sec-websocket-accept"), SAMPLE_ACCEPT);
      raw.write(frame(OP.Text, "over TLS"));
      assert.equal(await raw.readText(), "over TLS");
      const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 13) & 255);
      raw.write(frame(OP.Binary, big));
      const echoed = await raw.readFrame(10_000);
      assert.equal(echoed.opcode, OP.Binary);
      assert.equal(echoed.payload.length, big.length);
      assert.deepEqual(echoed.payload, big);
      raw.write(frame(OP.Close, closeBody(1000, "bye")));
      const close = await raw.readClose();
      assert.equal(close.code, 1000);
      await raw.waitGone();
    } finally {
      raw.destroy();
    }
  });

  test("a node:tls client that does not trust the certificate is refused", async () => {
    await assert.rejects(RawClient.connect(server.port, { tls: {} }));
  });

  test(
    "python-websockets with an SSL context trusting the certificate echoes; without it, verification fails",
    { timeout: 60_000 },
    async () => {
      const uri = `wss://${HOST}:${server.port}/`;
      const [trusted, untrusted] = await Promise.all([true, false].map(
        async (trust) => {
          const run = await runProcess(PYTHON, ["-c", PYTHON_CLIENT], {
            input: JSON.stringify({ uri, cafile: certPath, trust }),
          });
          assert.equal(run.code, 0, run.stderr);
          return JSON.parse(run.stdout);
        },
      ));
      assert.equal(trusted.error, undefined);
      assert.equal(trusted.text, "héllo over wss");
      assert.equal(trusted.binary_ok, true);
      assert.equal(trusted.close_code, 1000);
      assert.equal(typeof trusted.cipher, "string");
      assert.equal(untrusted.error, "SSLCertVerificationError");
    },
  );

  test(
    "the Deno, Node and Bun WebSocket clients given the certificate as a CA echo over wss://",
    { timeout: 60_000 },
    async () => {
      const url = `wss://${HOST}:${server.port}/`;
      const script = join(dir, "client.mjs");
      const clients: Array<[string, string[], Record<string, string>]> = [
        ["node", [script, url], { NODE_EXTRA_CA_CERTS: certPath }],
        ["bun", [script, url], { NODE_EXTRA_CA_CERTS: certPath }],
        ["deno", ["run", "--allow-net", "--cert", certPath, script, url], {}],
      ];
      const results = await Promise.all(
        clients.map(async ([name, args, env]) => {
          const bin = join(BIN, name);
          assert.ok(existsSync(bin), `${bin} is installed`);
          const run = await runProcess(bin, args, { env, ms: 30_000 });
          assert.equal(run.code, 0, `${name}: ${run.stderr}`);
          return [name, JSON.parse(run.stdout.trim().split("\n").at(-1)!)];
        }),
      );
      for (const [name, result] of results) {
        assert.deepEqual(
          result,
          { text: "hello over wss", binaryOk: true, code: 1000 },
          name,
        );
      }
    },
  );

  test("a plaintext HTTP client on the TLS port gets no HTTP answer and the server keeps serving", async () => {
    const plain = await RawClient.connect(server.port);
    try {
      plain.write(upgradeHead());
      await plain.waitGone();
      // At most a TLS alert: never an HTTP response in clear text.
      const received = new TextDecoder().decode(plain.takeAll());
      assert.equal(received.includes("HTTP/"), false, received);
    } finally {
      plain.destroy();
    }
    const raw = await RawClient.connect(server.port, { tls: { ca: cert } });
    try {
      await raw.handshake();
      raw.write(frame(OP.Text, "still serving"));
      assert.equal(await raw.readText(), "still serving");
    } finally {
      raw.destroy();
    }
  });

  test("hostile input over TLS gets the same answers as over TCP", async () => {
    const http = await RawClient.connect(server.port, { tls: { ca: cert } });
    try {
      http.write(upgradeHead("/", { omit: ["sec-websocket-key"] }));
      const response = await http.readResponse();
      assert.equal(response.status, 400);
      assert.equal(response.body, "Missing header: Sec-WebSocket-Key");
    } finally {
      http.destroy();
    }
    const cases: Array<[string, Uint8Array, number]> = [
      ["unmasked", frame(OP.Text, "x", { mask: false }), 1002],
      [
        "length",
        frame(OP.Binary, new Uint8Array(0), { length: 1n << 63n }),
        1002,
      ],
      ["utf8", frame(OP.Text, Uint8Array.of(0xff)), 1007],
      [
        "size",
        frame(OP.Binary, new Uint8Array(0), { length: 1n << 40n }),
        1009,
      ],
    ];
    for (const [name, bytes, code] of cases) {
      const raw = await RawClient.connect(server.port, { tls: { ca: cert } });
      try {
        await raw.handshake(`/?tag=${name}`);
        raw.write(bytes);
        const close = await raw.readClose();
        assert.equal(close.code, code, name);
        assert.deepEqual(close.before, []);
        raw.end();
        await raw.waitGone();
      } finally {
        raw.destroy();
      }
    }
    await waitFor(() => closes.size === 5, 5000, "server saw every close");
    assert.equal(closes.get("tls")?.code, 1000);
    for (const [name, , code] of cases) {
      assert.equal(closes.get(name)?.code, code, name);
    }
  });

  test("nothing was raised unhandled and the server reported no internal error", async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(watch.errors, []);
    const internal = errors.filter((e) => !(e instanceof ProtocolError));
    assert.deepEqual(internal.map(String), []);
  });
});
