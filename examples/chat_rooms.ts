/**
 * Chat rooms: join, message a room, private messages, presence.
 * @module
 */

import { Server } from "@anyws/anyws";
import { env } from "./_env.ts";

type In = {
  enter: string;
  say: { room: string; text: string };
  whisper: { to: string; text: string };
};
const server = new Server<Record<string, unknown>, In>({
  hostname: env("HOST", "0.0.0.0"),
  port: Number(env("PORT", "8080")),
});

// {"event": "enter", "data": "lobby"}
server.on("enter", (room, conn) => conn.join(String(room)));
// {"event": "say", "data": {"room": "lobby", "text": "hi"}}: members only
server.on("say", ({ room, text }, conn) => {
  if (!conn.rooms.has(room)) return;
  server.room(room).emit("said", { room, text, from: conn.id });
});
// {"event": "whisper", "data": {"to": "<connection id>", "text": "psst"}}
server.on("whisper", ({ to, text }, conn) => {
  server.connections.get(to)?.emit("whispered", { text, from: conn.id });
});
// Presence: the room hears who came and who left, and its new size
server.on("join", ({ room, size }, conn) => {
  server.room(room).emit("joined", { room, size, id: conn.id });
});
server.on("leave", ({ room, size }, conn) => {
  server.room(room).emit("left", { room, size, id: conn.id });
});

await server.listen();
console.log(`Chat rooms on ${server.url}`);
