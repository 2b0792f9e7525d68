/**
 * The demo chat, standalone, on any runtime:
 *
 *     node examples/chat/main.ts
 *     deno run -A examples/chat/main.ts
 *     bun examples/chat/main.ts
 *
 * Then open the URL it prints. `HOST` and `PORT` choose the address
 * (default 127.0.0.1:8080); `OPENAI_API_KEY` turns the assistant on
 * (`OPENAI_BASE_URL` and `OPENAI_MODEL` optional). Ctrl-C (SIGINT) or
 * SIGTERM closes every connection with 1001 and exits.
 *
 * @module
 */

import process from "node:process";
import { Server } from "../../mod.ts";
import { env } from "../_env.ts";
import { register } from "./app.ts";
import { Assistant } from "./assistant.ts";

const hostname = env("HOST", "127.0.0.1");
const server = new Server({
  hostname,
  port: Number(env("PORT", "8080")),
  // A chat needs no big messages; typing events are throttled by the page.
  maxMessageSize: 64 * 1024,
  rateLimit: { messages: 50, interval: 1000, action: "close" },
  // The page loads anyws's browser client from here, at /anyws.js.
  clientScript: true,
});
const assistant = new Assistant();
register(server, { assistant });
await server.listen();

const shown = hostname === "0.0.0.0" || hostname === "::"
  ? "127.0.0.1"
  : hostname.includes(":")
  ? `[${hostname}]`
  : hostname;
console.log(`Chat demo: http://${shown}:${server.port}/`);
console.log(
  assistant.configured
    ? `Assistant: ${assistant.model} at ${assistant.baseUrl}`
    : "Assistant: off (set OPENAI_API_KEY to turn it on)",
);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: closing connections`);
  server.stop({ code: 1001, reason: "Server shutting down", timeout: 2000 })
    .catch((error: unknown) => console.error("Chat: stop failed:", error))
    .finally(() => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      console.log("Stopped");
    });
};
const onInt = (): void => stop("SIGINT");
const onTerm = (): void => stop("SIGTERM");
process.on("SIGINT", onInt);
process.on("SIGTERM", onTerm);
