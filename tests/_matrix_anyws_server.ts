// The anyws side of the client matrix (tests/client/client_matrix_test.ts), run as
// a child process on Deno, Bun or Node. Four Servers: plain and TLS (the
// certificate and key files in MATRIX_CERT and MATRIX_KEY), each "quiet"
// (no heartbeat: a client's pings are the only ones) and "beating" (the
// server pings every 100 ms and drops a client silent for 1.5 s: a client
// that answers pings stays). Every one speaks the matrix's
// commands (see tests/_matrix_commands.ts) and two JSON events: `hello`
// (sent back) and `add` (a request: the sum). Prints one line,
// `ready {"plain":…,"tls":…,"beatPlain":…,"beatTls":…}`, then serves until
// killed.

import { readFileSync } from "node:fs";
import process from "node:process";
import { Frame, Server } from "../mod.ts";
import { commandOf } from "./_matrix_commands.ts";

const tls = {
  cert: readFileSync(process.env.MATRIX_CERT!, "utf8"),
  key: readFileSync(process.env.MATRIX_KEY!, "utf8"),
};

/** Close codes and reasons received, by the tag the client gave. */
const closes = new Map<string, string>();

async function start(secure: boolean, beating: boolean): Promise<number> {
  const server = new Server<{ tag?: string }>({
    hostname: "127.0.0.1",
    port: 0,
    ...(secure ? { tls } : {}),
    deflate: true,
    protocols: ["echo.v1"],
    origins: "*",
    maxMessageSize: 4 * 1024 * 1024,
    pingInterval: beating ? 100 : 0,
    idleTimeout: beating ? 1500 : 0,
  });
  server.on("message", (data, conn) => {
    if (typeof data !== "string") {
      conn.send(data);
      return;
    }
    const command = commandOf(data);
    switch (command.kind) {
      case "tag":
        conn.data.tag = command.tag;
        conn.send(`tagged ${command.tag}`);
        return;
      case "closed?":
        conn.send(`closed ${command.tag} ${closes.get(command.tag) ?? "?"}`);
        return;
      case "fragment":
        for (let i = 0; i < command.count; i++) {
          const payload = new TextEncoder().encode(`frag-${i}`);
          conn.send(
            new Frame(i === 0 ? 0x1 : 0x0, payload, {
              fin: i === command.count - 1,
            }),
          );
        }
        return;
      case "close":
        conn.close(command.code, command.reason);
        return;
      case "ping-me":
        // Observed through the beating servers instead: say so.
        conn.send("pong-unobservable");
        return;
      case "echo":
        conn.send(data);
    }
  });
  server.on("hello", (data, conn) => {
    conn.emit("hello", data);
  });
  server.on("add", (data) => {
    const [a, b] = data as [number, number];
    return a + b;
  });
  server.on("close", ({ code, reason }, conn) => {
    if (conn.data.tag !== undefined) {
      closes.set(conn.data.tag, `${code} ${reason}`);
    }
  });
  server.on("error", () => {});
  await server.listen();
  return server.port;
}

const [plain, secure, beatPlain, beatTls] = await Promise.all([
  start(false, false),
  start(true, false),
  start(false, true),
  start(true, true),
]);
console.log(
  `ready ${JSON.stringify({ plain, tls: secure, beatPlain, beatTls })}`,
);
