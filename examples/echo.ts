/**
 * Larafony's Quick Start, on any runtime:
 *
 *     deno run -A examples/echo.ts
 *     bun examples/echo.ts
 *     node examples/echo.ts
 *
 * `HOST` and `PORT` choose the address (default 0.0.0.0:8080).
 *
 * @module
 */

import { Server } from "@anyws/anyws";
import { env } from "./_env.ts";

const server = new Server({
  hostname: env("HOST", "0.0.0.0"),
  port: Number(env("PORT", "8080")),
});

server.on("open", (_request, conn) => {
  console.log(`Connected: ${conn.id} from ${conn.remoteAddress}`);
});

server.on("message", (payload, conn) => {
  conn.send(
    `Echo: ${
      typeof payload === "string" ? payload : payload.length + " bytes"
    }`,
  );
});

server.on("close", ({ code }, conn) => {
  console.log(`Disconnected: ${conn.id} (${code})`);
});

server.on("error", (error, conn) => {
  console.error(`Error on ${conn?.id ?? "server"}:`, error);
});

await server.listen();
console.log(`Listening on ${server.url}`);
