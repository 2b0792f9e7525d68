// The `ws` side of the client matrix (tests/client/client_matrix_test.ts), run as
// a Node child process: ws's WebSocketServer with permessage-deflate on,
// choosing the subprotocol echo.v1, over plain HTTP and HTTPS (the
// certificate and key files in MATRIX_CERT and MATRIX_KEY), speaking the
// matrix's commands (tests/_matrix_commands.ts). Prints one line,
// `ready {"plain":…,"tls":…}`, then serves until killed.

import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import process from "node:process";
import { type WebSocket, WebSocketServer } from "ws";
import { commandOf } from "./_matrix_commands.ts";

const closes = new Map<string, string>();

function serve(socket: WebSocket): void {
  let tag: string | undefined;
  socket.on("message", (data: Uint8Array, isBinary: boolean) => {
    if (isBinary) {
      socket.send(data, { binary: true });
      return;
    }
    const text = new TextDecoder().decode(data);
    const command = commandOf(text);
    switch (command.kind) {
      case "tag":
        tag = command.tag;
        socket.send(`tagged ${tag}`);
        return;
      case "closed?":
        socket.send(`closed ${command.tag} ${closes.get(command.tag) ?? "?"}`);
        return;
      case "fragment":
        for (let i = 0; i < command.count; i++) {
          socket.send(`frag-${i}`, {
            binary: false,
            fin: i === command.count - 1,
          });
        }
        return;
      case "close":
        socket.close(command.code, command.reason);
        return;
      case "ping-me":
        socket.once("pong", () => socket.send("pong-ok"));
        socket.ping("srv");
        return;
      case "echo":
        socket.send(text);
    }
  });
  socket.on("close", (code: number, reason: Uint8Array) => {
    if (tag !== undefined) {
      closes.set(tag, `${code} ${new TextDecoder().decode(reason)}`);
    }
  });
  socket.on("error", () => {});
}

async function start(http: Server): Promise<number> {
  const wss = new WebSocketServer({
    server: http,
    perMessageDeflate: true,
    handleProtocols: (offered: Set<string>) =>
      offered.has("echo.v1") ? "echo.v1" : false,
  });
  wss.on("connection", serve);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const address = http.address();
  return typeof address === "object" && address !== null ? address.port : 0;
}

const tls = {
  cert: readFileSync(process.env.MATRIX_CERT!, "utf8"),
  key: readFileSync(process.env.MATRIX_KEY!, "utf8"),
};
const [plain, secure] = await Promise.all([
  start(createHttpServer()),
  start(createHttpsServer(tls)),
]);
console.log(`ready ${JSON.stringify({ plain, tls: secure })}`);
