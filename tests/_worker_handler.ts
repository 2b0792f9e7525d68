// A handler module for the CLI in tests: each connection is told the pid of
// the process it reached; "all <text>" is broadcast (cluster-wide);
// "room <name>" joins a room, "size <name>" answers its cluster-wide size.
// With ANYWS_TEST_CRASH=1, the worker dies (exit 1) just after it started: a
// worker that crashes in a loop. (A register() that throws is a bad
// configuration instead: the CLI exits 2 and the supervisor stops.)
import process from "node:process";
import type { Server } from "../mod.ts";

export function register(server: Server): void {
  if (process.env.ANYWS_TEST_CRASH === "1") {
    setTimeout(() => {
      console.error("crashing on purpose (ANYWS_TEST_CRASH=1)");
      process.exit(1);
    }, 20);
  }
  server.on("open", (_request, conn) => conn.send(`pid ${process.pid}`));
  server.on("message", (data, conn) => {
    const text = String(data);
    if (text.startsWith("all ")) server.broadcast(text);
    else if (text.startsWith("room ")) conn.join(text.slice(5));
    else if (text.startsWith("size ")) {
      conn.send(`size ${server.cluster?.roomSize(text.slice(5)) ?? -1}`);
    }
  });
}
