// Long file: the demo chat's whole server side (nicknames, rooms, presence, typing, private messages, the assistant) in one module a reader can follow top to bottom.
/**
 * The demo chat: one page and one WebSocket endpoint on the same port
 * (Larafony's `registerDefaultHandlers`). Nicknames, rooms with member
 * counts and presence, messages, typing indicators, private messages and an
 * `@assistant` backed by any OpenAI-compatible chat-completions API.
 *
 * ## HTTP
 *
 * - `GET /` the page ({@link chatPage}; it connects to `/ws` with anyws's
 *   browser client)
 * - `GET /anyws.js` the browser client, served by the server itself: the
 *   chat needs a server made with `clientScript` on (`true`, or a path)
 * - `GET /healthz` `{"status": "ok", "connections": N}`
 * - anything else: 404
 *
 * ## WebSocket protocol
 *
 * Every message is a JSON event `{"event": name, "data": data}`. Client
 * events may carry an `"id"`; the server then acknowledges with
 * `{"ack": id, "data": result}` or `{"ack": id, "error": {"message",
 * "issues"}}` (invalid data, or a request made in the wrong state; the first
 * issue's `message` is written for people). Every client payload is checked;
 * nothing is trusted.
 *
 * Client to server:
 *
 * | event     | data                           | ack data                      |
 * | --------- | ------------------------------ | ----------------------------- |
 * | `hello`   | `{nick}` 1–24 characters       | `{id, nick}`                  |
 * | `enter`   | `{room}` `[a-z0-9_-]`, 1–24    | `{room, members}`             |
 * | `say`     | `{text}` 1–2000 characters     | `{id}` (the message id)       |
 * | `typing`  | `{typing: boolean}`            | `null`                        |
 * | `private` | `{to: connection id, text}`    | `{id}`                        |
 *
 * `hello` comes first (again to change the nickname). `enter` leaves the
 * current room, if any: a connection is in one room at a time (the event is
 * not called `join`: that name is the library's reserved presence event,
 * which clients cannot trigger). `say` and `typing` go to the current room
 * only. A `say` whose text starts with `@assistant` is also answered by the
 * assistant, into the room, without holding up anything else; one question
 * per connection at a time.
 *
 * Nicknames are unique within a room, compared without regard to case (and
 * after Unicode NFKC folding), so everyone in a room can tell its people
 * apart: an `enter` into a room where another connection goes by the
 * nickname, or a `hello` renaming to a nickname used in the current room,
 * is refused with `Nickname <nick> is taken in #<room>` and changes nothing.
 * The same nickname may be used in two different rooms. Presence is by
 * connection: members are listed with their connection id, and the
 * `system` notices of joins, leaves and renames carry `who`, the connection
 * `{id, nick}` they are about.
 *
 * Server to client:
 *
 * | event       | data                                                       |
 * | ----------- | ---------------------------------------------------------- |
 * | `welcome`   | `{id, assistant: boolean, rooms}` on connect               |
 * | `rooms`     | `{rooms: [{name, size}]}` to all, on every join and leave  |
 * | `presence`  | `{room, members: [{id, nick}]}` to the room on each change |
 * | `history`   | `{room, messages: [{event, data}]}` on entering a room     |
 * | `message`   | `{id, room, from: {id, nick}, text, at}`                   |
 * | `typing`    | `{room, from: {id, nick}, typing}` (not to the typist)     |
 * | `private`   | `{id, from, to, text, at}` to both ends                    |
 * | `assistant` | `{id, room, text, ok, replyTo, at}`                        |
 * | `system`    | `{room, text, at, who}` (`who` for joins, leaves, renames) |
 * | `error`     | `{event, message, issues}` invalid data sent without an id |
 *
 * `at` is a Unix time in ms. Message ids are unique across server restarts,
 * so a page can drop the copies a reconnect's `history` repeats. The
 * assistant's `from` in `typing` is `{id: "assistant", nick: "assistant"}`.
 *
 * ## On several nodes
 *
 * On a clustered server (`--redis`, `--workers`) the chat spans every node:
 * messages, typing, `system` notices and private messages reach people on
 * any node, and `presence` and `rooms` list everybody. Each connection's
 * user (`conn.setUser`) is its nickname, so the cluster's presence carries
 * it. Each node sends `presence` and `rooms` to its own connections when a
 * room changes anywhere (its own joins and leaves, and the `presence`
 * events of the others). Nicknames are unique within a room as far as this
 * node's view of the others goes (one Redis round trip behind). `history`
 * is what the node the page is on saw sent in the room: messages said on
 * another node before this page entered are not in it, and private
 * messages reach people in the sender's room only.
 *
 * @module
 */

import {
  type Connection,
  type SchemaIssue,
  type Server,
  type StandardSchema,
  UsageError,
  ValidationError,
} from "../../mod.ts";
import {
  Assistant,
  type AssistantOptions,
  mentionsAssistant,
  stripMention,
} from "./assistant.ts";
import { chatPage } from "./page.ts";

/**
 * Options of {@link register}.
 *
 * @example
 * ```ts
 * import type { ChatOptions } from "./app.ts";
 * const options: ChatOptions = {
 *   assistant: { apiKey: "sk-test", baseUrl: "http://127.0.0.1:9999/v1" },
 *   rooms: ["lobby", "help"],
 * };
 * ```
 */
export interface ChatOptions {
  /** The assistant, or its options; default: configured from the environment. */
  assistant?: Assistant | AssistantOptions;
  /** Rooms always listed, even empty; default {@link DEFAULT_ROOMS}. */
  rooms?: readonly string[];
}

/**
 * Rooms the page lists even when nobody is in them.
 *
 * @example
 * ```ts
 * import { DEFAULT_ROOMS } from "./app.ts";
 * console.log(DEFAULT_ROOMS[0]); // "lobby"
 * ```
 */
export const DEFAULT_ROOMS: readonly string[] = ["lobby", "dev", "random"];

/**
 * The limits every client payload is checked against.
 *
 * @example
 * ```ts
 * import { LIMITS } from "./app.ts";
 * console.log(LIMITS.text); // 2000
 * ```
 */
export const LIMITS = {
  /** Longest nickname, in characters. */
  nick: 24,
  /** Longest room name, in characters. */
  room: 24,
  /** Longest message, in characters. */
  text: 2000,
  /** Messages a room keeps for people who join later. */
  history: 50,
} as const;

/** The assistant's identity in `typing` events. */
const ASSISTANT_PEER = { id: "assistant", nick: "assistant" } as const;

/**
 * What the chat knows about one connection, kept in `conn.data.chat`: a
 * resumed session gets it back with its id and rooms (JSON, so that it
 * also resumes on another node of a cluster).
 */
interface ChatState {
  nick: string;
  room?: string;
}

/** A person as the page sees them. */
interface Peer {
  id: string;
  nick: string;
}

/** One entry of a room's history, replayed to those who join. */
interface Logged {
  event: "message" | "assistant";
  data: Record<string, unknown>;
}

/**
 * Installs the chat on `server`: the HTTP handler (page, health check, 404)
 * and every chat event. Call it before `listen()`.
 *
 * @example
 * ```ts
 * import { Server } from "../../mod.ts";
 * import { register } from "./app.ts";
 * const server = new Server({ hostname: "127.0.0.1", port: 8080 });
 * register(server);
 * await server.listen();
 * console.log(`Chat demo: http://127.0.0.1:${server.port}/`);
 * ```
 */
export function register(server: Server, options: ChatOptions = {}): void {
  const assistant = options.assistant instanceof Assistant
    ? options.assistant
    : new Assistant(options.assistant);
  const listed = options.rooms ?? DEFAULT_ROOMS;
  const script = server.options.clientScript;
  if (script === false) {
    throw new UsageError(
      "The chat page loads anyws's browser client from the server: create it with clientScript: true",
    );
  }
  const page = chatPage(script);
  const states = {
    get: (conn: Connection): ChatState | undefined =>
      conn.data.chat as ChatState | undefined,
    set: (conn: Connection, state: ChatState): void => {
      conn.data.chat = state;
    },
  };
  /** Connections (by id, kept across a resume) whose question the assistant is answering. */
  const asking = new Set<string>();
  const histories = new Map<string, Logged[]>();
  // Ids unique across restarts: a page keeps its messages over a reconnect.
  const boot = Math.random().toString(36).slice(2, 8);
  let sequence = 0;
  const nextId = (): string => `${boot}-${(++sequence).toString(36)}`;

  server.handleRequests((request) => {
    const { pathname } = new URL(request.url);
    const get = request.method === "GET" || request.method === "HEAD";
    if (get && (pathname === "/" || pathname === "/index.html")) {
      return new Response(page, { headers: PAGE_HEADERS });
    }
    if (get && pathname === "/healthz") {
      const health = cluster === undefined
        ? { status: "ok", connections: server.connections.size }
        : {
          status: "ok",
          connections: server.connections.size,
          node: cluster.id,
          nodes: cluster.nodes().length,
          backplane: cluster.status,
        };
      return new Response(JSON.stringify(health), {
        headers: {
          "Content-Type": "application/json",
          "Cache-Control": "no-store",
        },
      });
    }
    return new Response("Not Found", {
      status: 404,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  });

  const peerOf = (conn: Connection, state: ChatState): Peer => ({
    id: conn.id,
    nick: state.nick,
  });

  const cluster = server.cluster;

  const membersOf = (room: string): Peer[] => {
    if (cluster !== undefined) {
      // Every member has said hello (entering needs it): the user is the nick.
      return cluster.roomMembers(room).map((member) => ({
        id: member.connection,
        nick: member.user ?? "?",
      }));
    }
    const members: Peer[] = [];
    for (const member of server.room(room)) {
      const state = states.get(member);
      if (state !== undefined) members.push(peerOf(member, state));
    }
    return members;
  };

  const roomList = (): Array<{ name: string; size: number }> => {
    const names = new Set(listed);
    for (const name of cluster?.rooms() ?? server.rooms()) names.add(name);
    return [...names].map((name) => ({
      name,
      size: cluster?.roomSize(name) ?? server.room(name).size,
    }));
  };

  // Each node tells its own connections (see "On several nodes").
  const pushRooms = (): void => {
    server.local.emit("rooms", { rooms: roomList() });
  };

  const pushPresence = (room: string): void => {
    server.room(room).local.emit("presence", {
      room,
      members: membersOf(room),
    });
  };

  const toRoom = (room: string, event: string, data: unknown): void => {
    server.room(room).emit(event, data);
  };

  const log = (room: string, entry: Logged): void => {
    let history = histories.get(room);
    if (history === undefined) histories.set(room, history = []);
    history.push(entry);
    if (history.length > LIMITS.history) history.shift();
  };

  const stateOf = (conn: Connection, event: string): ChatState => {
    const state = states.get(conn);
    if (state === undefined) refuse(event, "Say hello first");
    return state;
  };

  /** Whether another connection in `room` goes by `nick`. */
  const nickTaken = (room: string, nick: string, self: Connection): boolean => {
    const key = nickKey(nick);
    if (cluster !== undefined) {
      return membersOf(room).some((peer) =>
        peer.id !== self.id && nickKey(peer.nick) === key
      );
    }
    for (const member of server.room(room)) {
      const state = member === self ? undefined : states.get(member);
      if (state !== undefined && nickKey(state.nick) === key) return true;
    }
    return false;
  };

  const roomOf = (state: ChatState, event: string): string => {
    if (state.room === undefined) refuse(event, "Join a room first");
    return state.room;
  };

  // A resumed session (the page's browser client reconnected in time) has
  // its nickname and room back: welcome it again all the same.
  const welcome = (_request: unknown, conn: Connection): void => {
    conn.emit("welcome", {
      id: conn.id,
      assistant: assistant.configured,
      rooms: roomList(),
    });
  };
  server.on("open", welcome);
  server.on("resume", welcome);

  server.on("error", (error, conn) => {
    // Invalid client data is answered to the client; not worth a log line.
    if (error instanceof ValidationError) return;
    console.error(`Chat: error on ${conn?.id ?? "the server"}:`, error);
  });

  server.on("hello", (data, conn) => {
    const old = states.get(conn);
    if (old === undefined) {
      states.set(conn, { nick: data.nick });
      conn.setUser(data.nick);
    } else if (old.nick !== data.nick) {
      if (old.room !== undefined && nickTaken(old.room, data.nick, conn)) {
        refuse("hello", `Nickname ${data.nick} is taken in #${old.room}`);
      }
      const before = old.nick;
      old.nick = data.nick;
      conn.setUser(data.nick);
      if (old.room !== undefined) {
        toRoom(old.room, "system", {
          room: old.room,
          text: `${before} is now known as ${data.nick}`,
          at: Date.now(),
          who: peerOf(conn, old),
        });
        toRoom(old.room, "presence", {
          room: old.room,
          members: membersOf(old.room),
        });
      }
    }
    return { id: conn.id, nick: data.nick };
  }, { schema: HELLO });

  server.on("enter", (data, conn) => {
    const state = stateOf(conn, "enter");
    const { room } = data;
    if (state.room !== room) {
      if (nickTaken(room, state.nick, conn)) {
        refuse("enter", `Nickname ${state.nick} is taken in #${room}`);
      }
      if (state.room !== undefined) conn.leave(state.room);
      state.room = room;
      conn.emit("history", { room, messages: histories.get(room) ?? [] });
      conn.join(room);
    }
    return { room, members: membersOf(room) };
  }, { schema: ENTER });

  server.on("say", (data, conn) => {
    const state = stateOf(conn, "say");
    const room = roomOf(state, "say");
    const message = {
      id: nextId(),
      room,
      from: peerOf(conn, state),
      text: data.text,
      at: Date.now(),
    };
    log(room, { event: "message", data: message });
    toRoom(room, "message", message);
    if (mentionsAssistant(data.text)) ask(conn, state, message);
    return { id: message.id };
  }, { schema: SAY });

  server.on("typing", (data, conn) => {
    const state = stateOf(conn, "typing");
    const room = roomOf(state, "typing");
    const text = JSON.stringify({
      event: "typing",
      data: { room, from: peerOf(conn, state), typing: data.typing },
    });
    server.room(room).broadcast(text, { except: conn });
    return null;
  }, { schema: TYPING });

  server.on("private", (data, conn) => {
    const state = stateOf(conn, "private");
    const target = server.connections.get(data.to);
    const targetState = target && states.get(target);
    // On another node: a member of the sender's room, as presence lists it.
    const to = target !== undefined && targetState !== undefined
      ? peerOf(target, targetState)
      : cluster !== undefined && state.room !== undefined
      ? membersOf(state.room).find((peer) => peer.id === data.to)
      : undefined;
    if (to === undefined) {
      refuse("private", "That person is no longer connected");
    }
    if (to.id === conn.id) {
      refuse("private", "You cannot send a private message to yourself");
    }
    const message = {
      id: nextId(),
      from: peerOf(conn, state),
      to,
      text: data.text,
      at: Date.now(),
    };
    server.connection(to.id).emit("private", message);
    conn.emit("private", message);
    return { id: message.id };
  }, { schema: PRIVATE });

  // Presence. On close the server sends `close` first, then `leave` for
  // each room the connection was in: the leave handler covers both.
  server.on("join", ({ room }, conn) => {
    const state = states.get(conn);
    if (state === undefined) return;
    pushPresence(room);
    toRoom(room, "system", {
      room,
      text: `${state.nick} joined #${room}`,
      at: Date.now(),
      who: peerOf(conn, state),
    });
    pushRooms();
  });

  server.on("leave", ({ room, size }, conn) => {
    const state = states.get(conn);
    if (state === undefined) return;
    if (size === 0) histories.delete(room);
    pushPresence(room);
    toRoom(room, "typing", {
      room,
      from: peerOf(conn, state),
      typing: false,
    });
    toRoom(room, "system", {
      room,
      text: `${state.nick} left #${room}`,
      at: Date.now(),
      who: peerOf(conn, state),
    });
    pushRooms();
  });

  // A room changed on another node (or a node died): tell ours.
  server.on("presence", ({ room }) => {
    pushPresence(room);
    pushRooms();
  });

  /** Answers `message` through the assistant, later, into its room. */
  const ask = (
    conn: Connection,
    state: ChatState,
    message: { id: string; room: string; text: string },
  ): void => {
    const { room } = message;
    if (asking.has(conn.id)) {
      conn.emit("system", {
        room,
        text: "The assistant is still answering your previous question",
        at: Date.now(),
      });
      return;
    }
    asking.add(conn.id);
    toRoom(room, "typing", { room, from: ASSISTANT_PEER, typing: true });
    assistant.ask(stripMention(message.text), { nick: state.nick, room })
      .catch((error: unknown) => ({
        ok: false,
        text: `The assistant failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
      }))
      .then((reply) => {
        asking.delete(conn.id);
        const answer = {
          id: nextId(),
          room,
          text: reply.text,
          ok: reply.ok,
          replyTo: message.id,
          at: Date.now(),
        };
        toRoom(room, "typing", { room, from: ASSISTANT_PEER, typing: false });
        if (server.room(room).size > 0) {
          log(room, { event: "assistant", data: answer });
        }
        toRoom(room, "assistant", answer);
      });
  };
}

const PAGE_HEADERS: HeadersInit = {
  "Content-Type": "text/html; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self' 'unsafe-inline'; " +
    "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

// ── validation ───────────────────────────────────────────────────────────

/** A request the connection may not make now, reported like invalid data. */
function refuse(event: string, message: string): never {
  throw new ValidationError(event, [{ message }]);
}

/** One field that failed its check. */
class Invalid extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(message);
    this.key = key;
  }
}

/** A hand-written Standard Schema for an object, checked by `parse`. */
function objectSchema<T>(
  parse: (value: Record<string, unknown>) => T,
): StandardSchema<unknown, T> {
  return {
    "~standard": {
      version: 1,
      vendor: "anyws-chat",
      validate(value) {
        if (
          typeof value !== "object" || value === null || Array.isArray(value)
        ) {
          return { issues: [{ message: "Expected an object" }] };
        }
        try {
          return { value: parse(value as Record<string, unknown>) };
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          const issue: SchemaIssue = {
            message: error.message,
            path: [error.key],
          };
          return { issues: [issue] };
        }
      },
    },
  };
}

/** Control characters, bar tab and newlines (for messages). */
const CONTROL = /[^\P{Cc}\t\n\r]/u;
/** Control characters and line or paragraph separators (for names). */
const CONTROL_OR_BREAK = /[\p{Cc}\u2028\u2029]/u;

/** How one text field is checked. */
interface TextRule {
  /** The field's name in messages, e.g. `"Nickname"`. */
  label: string;
  /** Most characters, after trimming. */
  max: number;
  /** Characters refused. */
  refused: RegExp;
}

/** The trimmed string at `value[key]`, or an {@link Invalid} error. */
function field(
  value: Record<string, unknown>,
  key: string,
  { label, max, refused }: TextRule,
): string {
  const raw = value[key];
  if (typeof raw !== "string") throw new Invalid(key, `${label} must be text`);
  const trimmed = raw.trim();
  if (trimmed.length === 0 || trimmed.length > max) {
    throw new Invalid(key, `${label} must be 1 to ${max} characters`);
  }
  if (refused.test(trimmed)) {
    throw new Invalid(key, `${label} must not contain control characters`);
  }
  return trimmed;
}

/** A nickname as compared for uniqueness: NFKC-folded, lower case. */
function nickKey(nick: string): string {
  return nick.normalize("NFKC").toLowerCase();
}

const NICK: TextRule = {
  label: "Nickname",
  max: LIMITS.nick,
  refused: CONTROL_OR_BREAK,
};
const ROOM: TextRule = {
  label: "Room name",
  max: LIMITS.room,
  refused: CONTROL_OR_BREAK,
};
const TEXT: TextRule = {
  label: "Message",
  max: LIMITS.text,
  refused: CONTROL,
};

const HELLO = objectSchema((value) => {
  const nick = field(value, "nick", NICK);
  if (nick.toLowerCase() === ASSISTANT_PEER.nick) {
    throw new Invalid("nick", "Nickname assistant is taken by the assistant");
  }
  return { nick };
});

const ENTER = objectSchema((value) => {
  const room = field(value, "room", ROOM)
    .toLowerCase();
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(room)) {
    throw new Invalid(
      "room",
      "Room name must be letters, digits, - and _ and start with a letter or digit",
    );
  }
  return { room };
});

const SAY = objectSchema((value) => ({
  text: field(value, "text", TEXT),
}));

const TYPING = objectSchema((value) => {
  if (typeof value.typing !== "boolean") {
    throw new Invalid("typing", "Typing must be true or false");
  }
  return { typing: value.typing };
});

const PRIVATE = objectSchema((value) => {
  const to = value.to;
  if (typeof to !== "string" || to.length === 0 || to.length > 64) {
    throw new Invalid("to", "Recipient must be a connection id");
  }
  return { to, text: field(value, "text", TEXT) };
});
