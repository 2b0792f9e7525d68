// The client matrix: anyws's runtime client (ClientSocket and connect) on
// Deno, Bun and Node, each in a child process (tests/_matrix_client.ts),
// against the anyws server on Deno, Bun and Node (children running
// tests/_matrix_anyws_server.ts): the 9 pairs; and against ws's server
// (tests/_matrix_ws_server.ts, on Node) and python-websockets' server
// (tests/_matrix_python_server.py); each over ws:// and over wss:// with a
// CA openssl makes at test time (tests/_pki.ts). Every server runs once
// and every client runs all its targets at once, so the whole matrix takes
// a few seconds whichever runtime runs this file.
//
// For each pair: open (readyState 0 then 1, bufferedAmount 0), the
// subprotocol agreed (echo.v1 out of two offered), permessage-deflate
// agreed, text and binary echoes (binary as ArrayBuffer), 64 KiB of text
// and 1 MiB of bytes (a quarter of it noise) echoed intact (bufferedAmount over 0
// right after the send, 0 after the echo), a message the server sends in 4
// fragments, pings both ways answered, a close from the client (code and
// reason as the server received them; readyState 2 while closing) and one
// from the server (code and reason as sent; clean; readyState 3), and the
// event client: an event sent back; a request answered by anyws servers.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, ROOT, Spawned } from "../_cli_process.ts";
import { makePki } from "../_pki.ts";
import type { MatrixReport, MatrixTarget } from "../_matrix_client.ts";

const BIN = `${ROOT}node_modules/.bin`;
const PYTHON = "/usr/bin/python3";
const RUNTIMES = ["deno", "bun", "node"] as const;
type Runtime = typeof RUNTIMES[number];

function command(runtime: Runtime, script: string): [string, string[]] {
  const path = `${ROOT}tests/${script}`;
  return runtime === "deno"
    ? [`${BIN}/deno`, ["run", "-A", path]]
    : [`${BIN}/${runtime}`, [path]];
}

/** The `ready {...}` line of a server child, parsed. */
async function ready(child: Spawned): Promise<Record<string, number>> {
  const line = await child.line(/^ready (\{.*\})$/, 30_000);
  return JSON.parse(line[1]) as Record<string, number>;
}

let dir: string;
const reports = new Map<string, MatrixReport>();
const targets: MatrixTarget[] = [];
const clientOutput = new Map<Runtime, string>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "anyws-matrix-"));
  makePki(dir);
  const env = {
    MATRIX_CERT: join(dir, "leaf.pem"),
    MATRIX_KEY: join(dir, "leaf.key"),
  };
  const anyws = RUNTIMES.map((runtime) => {
    const [cmd, args] = command(runtime, "_matrix_anyws_server.ts");
    return { runtime, child: new Spawned(cmd, args, { env }) };
  });
  const [wsCmd, wsArgs] = command("node", "_matrix_ws_server.ts");
  const ws = new Spawned(wsCmd, wsArgs, { env });
  const python = new Spawned(
    PYTHON,
    [`${ROOT}tests/_matrix_python_server.py`],
    { env },
  );
  const [anywsPorts, wsPorts, pythonPorts] = await Promise.all([
    Promise.all(anyws.map(({ child }) => ready(child))),
    ready(ws),
    ready(python),
  ]);
  for (const secure of [false, true]) {
    const scheme = secure ? "wss" : "ws";
    const url = (port: number) => `${scheme}://127.0.0.1:${port}/`;
    anyws.forEach(({ runtime }, i) => {
      const ports = anywsPorts[i];
      targets.push({
        name: `anyws on ${runtime} (${scheme})`,
        url: url(secure ? ports.tls : ports.plain),
        beatUrl: url(secure ? ports.beatTls : ports.beatPlain),
        requests: true,
      });
    });
    targets.push({
      name: `ws (${scheme})`,
      url: url(secure ? wsPorts.tls : wsPorts.plain),
      requests: false,
    });
    targets.push({
      name: `python-websockets (${scheme})`,
      url: url(secure ? pythonPorts.tls : pythonPorts.plain),
      requests: false,
    });
  }
  const clients = RUNTIMES.map((runtime) => {
    const [cmd, args] = command(runtime, "_matrix_client.ts");
    const child = new Spawned(cmd, args, {
      env: {
        MATRIX_TARGETS: JSON.stringify(targets),
        MATRIX_CA: join(dir, "ca.pem"),
      },
    });
    return { runtime, child };
  });
  await Promise.all(clients.map(async ({ runtime, child }) => {
    await child.waitExit(60_000).catch(() => child.kill("SIGKILL"));
    clientOutput.set(runtime, child.output());
    for (const line of child.lines()) {
      const match = /^result (\{.*\})$/.exec(line);
      if (match === null) continue;
      const { name, report } = JSON.parse(match[1]) as {
        name: string;
        report: MatrixReport;
      };
      reports.set(`${runtime} → ${name}`, report);
    }
  }));
}, { timeout: 120_000 });

after(async () => {
  await killAll();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** The report of `client` against `target`, or a failure that shows the child's output. */
function reportOf(client: Runtime, target: string): MatrixReport {
  const report = reports.get(`${client} → ${target}`);
  assert.ok(
    report !== undefined,
    `no report from the ${client} client${clientOutput.get(client) ?? ""}`,
  );
  assert.equal(report.failure, undefined, JSON.stringify(report, null, 1));
  assert.equal(
    report.eventFailure,
    undefined,
    JSON.stringify(report, null, 1),
  );
  return report;
}

const SERVERS = [
  ...RUNTIMES.map((runtime) => `anyws on ${runtime}`),
  "ws",
  "python-websockets",
];

for (const client of RUNTIMES) {
  describe(`the anyws client on ${client}`, () => {
    for (const server of SERVERS) {
      for (const scheme of ["ws", "wss"]) {
        const target = `${server} (${scheme})`;
        test(`against ${target}`, () => {
          const r = reportOf(client, target);
          assert.deepEqual(r.errors, [], "no error events");
          assert.equal(r.constructedState, 0, "CONNECTING when created");
          assert.equal(r.constructedBuffered, 0);
          assert.equal(r.openState, 1, "OPEN on open");
          assert.equal(r.protocol, "echo.v1", "the subprotocol agreed");
          assert.match(
            r.extensions ?? "",
            /^permessage-deflate(;|$)/,
            "permessage-deflate agreed",
          );
          assert.equal(r.text, true, "text echo");
          assert.equal(r.binary, true, "binary echo");
          assert.equal(r.binaryType, "[object ArrayBuffer]");
          assert.equal(r.bigText, true, "64 KiB text echo");
          assert.equal(r.bigBinary, true, "1 MiB binary echo");
          assert.ok(
            (r.bufferedAfterSend ?? 0) > 0,
            `bufferedAmount right after sending 1 MiB: ${r.bufferedAfterSend}`,
          );
          assert.ok(
            (r.bufferedAfterEcho ?? Infinity) < 1024,
            `bufferedAmount once echoed (a ping or pong may be queued): ${r.bufferedAfterEcho}`,
          );
          assert.equal(r.fragmented, "frag-0frag-1frag-2frag-3");
          assert.equal(
            r.serverPing,
            server.startsWith("anyws") ? "stayed" : "pong-ok",
            "the server's ping answered",
          );
          assert.equal(
            r.clientPing,
            "still there",
            "the client's pings answered",
          );
          assert.equal(r.closingState, 2, "CLOSING after close()");
          assert.equal(r.clientClose?.code, 4000);
          assert.equal(r.clientClose?.wasClean, true);
          assert.equal(r.serverSawClose, "4000 client bye");
          assert.deepEqual(r.serverClose, {
            code: 4001,
            reason: "server bye",
            wasClean: true,
          });
          assert.equal(r.closedState, 3);
          assert.deepEqual(r.eventEcho, { from: "matrix", n: 1 });
          if (server.startsWith("anyws")) assert.equal(r.request, 5);
        });
      }
    }
  });
}
