// Long file: the demo chat's page (HTML, CSS and the browser script) served as one string; it is markup, not logic.
/**
 * The chat page: HTML, CSS and vanilla JavaScript in one string, served as
 * is (no build step). Its one import is anyws's browser client, which the
 * same server serves (the `clientScript` option, `/anyws.js` by default):
 * the page speaks the protocol documented in `app.ts` over
 * `ws(s)://<host>/ws` with it, its acks as requests. The client reconnects
 * with exponential backoff and jitter (250 ms doubling up to 5 s); after a
 * short drop the server resumes the session (same id, nickname and room),
 * and after a longer one (or a server restart) the page says hello and
 * enters its room again by itself.
 *
 * Hooks for tests: `#status[data-state]` is `connecting`, `joining`,
 * `connected` or `reconnecting`; `#messages > li` carry a `data-kind`
 * (`message`, `assistant`, `private`, `system`, `error`); `#typing`,
 * `#members`, `#rooms` hold the typing line, the presence list and the
 * room list.
 *
 * @module
 */

/**
 * The whole chat page, ready to serve as `text/html; charset=utf-8`, for a
 * server that serves the browser client at `script`.
 *
 * @example
 * ```ts
 * import { chatPage } from "./page.ts";
 * const response = new Response(chatPage("/anyws.js"), {
 *   headers: { "Content-Type": "text/html; charset=utf-8" },
 * });
 * ```
 */
export function chatPage(script: string): string {
  // A JSON string is a JavaScript string; "<" is escaped so that no path
  // can close the script element.
  return PAGE.replace(
    "__ANYWS_SCRIPT__",
    JSON.stringify(script).replaceAll("<", "\\u003c"),
  );
}

const PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>anyws chat</title>
<link rel="icon" href="data:,">
<style>
:root {
  --bg: #f4f5f9; --panel: #ffffff; --line: #e3e6ee; --text: #1d2433;
  --muted: #6b7385; --accent: #4f46e5; --accent-soft: #eef0ff;
  --private: #8a3ffc; --private-soft: #f5efff; --bot: #0f8a6a;
  --bot-soft: #e9f8f3; --danger: #c4314b; --danger-soft: #fdecef;
  --ok: #1f9d55; --warn: #d98a00;
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body {
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--text); background: var(--bg);
}
button, input { font: inherit; color: inherit; }
button { cursor: pointer; }
#app {
  display: grid; height: 100%;
  grid-template-columns: 260px 1fr; grid-template-rows: 56px 1fr;
  grid-template-areas: "top top" "side chat";
}
header.top {
  grid-area: top; display: flex; align-items: center; gap: 16px;
  padding: 0 20px; background: var(--panel); border-bottom: 1px solid var(--line);
}
.brand { font-weight: 700; font-size: 17px; display: flex; align-items: center; gap: 8px; width: 224px; }
.logo {
  width: 26px; height: 26px; border-radius: 8px; background: var(--accent); color: #fff;
  display: inline-grid; place-items: center; font-size: 14px;
}
#room-title { font-weight: 600; font-size: 16px; flex: 1; }
#room-title small { color: var(--muted); font-weight: 400; margin-left: 8px; font-size: 13px; }
.me { display: flex; align-items: center; gap: 10px; }
#me {
  border: 1px solid var(--line); background: var(--panel); border-radius: 999px;
  padding: 3px 12px 3px 3px; display: flex; align-items: center; gap: 8px;
}
#me:empty { display: none; }
.status {
  font-size: 13px; padding: 4px 10px; border-radius: 999px;
  background: #fff6e0; color: #8a5a00; white-space: nowrap;
}
.status::before {
  content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%;
  background: var(--warn); margin-right: 6px; vertical-align: 1px;
}
.status[data-state="connected"] { background: #e7f6ec; color: #17603a; }
.status[data-state="connected"]::before { background: var(--ok); }
.status[data-state="reconnecting"] { background: var(--danger-soft); color: var(--danger); }
.status[data-state="reconnecting"]::before { background: var(--danger); }
aside.side {
  grid-area: side; background: var(--panel); border-right: 1px solid var(--line);
  overflow-y: auto; padding: 14px 12px;
}
aside h2 {
  font-size: 12px; text-transform: uppercase; letter-spacing: .06em;
  color: var(--muted); margin: 6px 8px 8px; font-weight: 600;
}
aside section + section { margin-top: 18px; }
aside ul { list-style: none; margin: 0; padding: 0; }
#rooms button {
  width: 100%; display: flex; justify-content: space-between; align-items: center;
  border: 0; background: none; padding: 7px 10px; border-radius: 8px; text-align: left;
}
#rooms button:hover { background: var(--bg); }
#rooms li.current button { background: var(--accent-soft); color: var(--accent); font-weight: 600; }
.count {
  font-size: 12px; min-width: 22px; text-align: center; padding: 1px 7px;
  border-radius: 999px; background: var(--bg); color: var(--muted); font-weight: 500;
}
#rooms li.current .count { background: #fff; color: var(--accent); }
#new-room { display: flex; gap: 6px; margin: 8px 4px 0; }
#new-room input {
  flex: 1; min-width: 0; border: 1px solid var(--line); border-radius: 8px; padding: 5px 9px;
}
#new-room button, .secondary {
  border: 1px solid var(--line); background: var(--panel); border-radius: 8px; padding: 5px 10px;
}
#members li { display: flex; align-items: center; gap: 9px; padding: 5px 8px; border-radius: 8px; }
#members li:hover { background: var(--bg); }
#members .who { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#members .tag { font-size: 12px; color: var(--muted); }
#members .pm {
  border: 0; background: none; color: var(--private); font-size: 12px; padding: 2px 6px;
  border-radius: 6px; visibility: hidden;
}
#members li:hover .pm, #members .pm:focus { visibility: visible; background: var(--private-soft); }
.avatar {
  width: 28px; height: 28px; border-radius: 50%; display: inline-grid; place-items: center;
  color: #fff; font-weight: 600; font-size: 13px; flex: none; text-transform: uppercase;
}
#me .avatar { width: 24px; height: 24px; font-size: 12px; }
main.chat { grid-area: chat; display: flex; flex-direction: column; min-height: 0; }
#messages { list-style: none; margin: 0; padding: 18px 24px 6px; overflow-y: auto; flex: 1; }
#messages li { display: flex; gap: 12px; margin: 0 0 14px; max-width: 860px; }
#messages .content { min-width: 0; }
#messages .meta { font-size: 13px; color: var(--muted); }
#messages .meta b { color: var(--text); margin-right: 8px; }
#messages .body {
  margin-top: 2px; padding: 7px 12px; border-radius: 4px 12px 12px 12px;
  background: var(--panel); border: 1px solid var(--line);
  white-space: pre-wrap; overflow-wrap: anywhere;
}
#messages li.cont { margin-top: -8px; }
#messages li.cont .meta { display: none; }
#messages li.cont .avatar { visibility: hidden; height: 0; }
#messages li.mine .body { background: var(--accent-soft); border-color: #dcdfff; }
#messages li[data-kind="assistant"] .body { background: var(--bot-soft); border-color: #c9ecdf; }
#messages li[data-kind="assistant"].failed .body { background: var(--danger-soft); border-color: #f5c6cf; }
#messages li[data-kind="private"] .body { background: var(--private-soft); border-color: #e4d4ff; }
#messages .label {
  font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em;
  padding: 1px 6px; border-radius: 4px; margin-right: 8px;
}
#messages li[data-kind="private"] .label { background: var(--private); color: #fff; }
#messages li[data-kind="assistant"] .label { background: var(--bot); color: #fff; }
#messages li[data-kind="system"], #messages li[data-kind="error"] {
  justify-content: center; font-size: 13px; color: var(--muted); margin: 4px auto 12px;
}
#messages li[data-kind="error"] { color: var(--danger); }
.typing { height: 24px; padding: 0 24px; font-size: 13px; color: var(--muted); font-style: italic; }
.typing:not(:empty)::after { content: " •••"; letter-spacing: 1px; animation: blink 1.2s infinite; }
@keyframes blink { 50% { opacity: .3; } }
#composer {
  display: flex; flex-wrap: wrap; gap: 10px; padding: 12px 24px 18px;
  border-top: 1px solid var(--line); background: var(--panel);
}
#composer input {
  flex: 1; min-width: 0; border: 1px solid var(--line); border-radius: 10px;
  padding: 10px 14px; outline: none; background: #fbfbfd;
}
#composer input:focus, #login input:focus, #new-room input:focus {
  border-color: var(--accent); box-shadow: 0 0 0 3px var(--accent-soft); outline: none;
}
.primary {
  border: 0; background: var(--accent); color: #fff; border-radius: 10px;
  padding: 10px 20px; font-weight: 600;
}
.primary:disabled { opacity: .45; cursor: default; }
.private-to {
  flex-basis: 100%; font-size: 13px; color: var(--private); display: flex; align-items: center; gap: 6px;
}
.private-to[hidden] { display: none; }
.private-to button { border: 0; background: var(--private-soft); color: var(--private); border-radius: 6px; padding: 0 7px; }
#composer.private input { border-color: var(--private); }
.overlay {
  position: fixed; inset: 0; background: rgba(29, 36, 51, .35);
  display: grid; place-items: center; padding: 16px;
}
.overlay[hidden] { display: none; }
.card {
  background: var(--panel); border-radius: 16px; padding: 28px; width: 360px; max-width: 100%;
  box-shadow: 0 20px 50px rgba(29, 36, 51, .2); display: grid; gap: 14px;
}
.card h1 { margin: 0; font-size: 22px; display: flex; align-items: center; gap: 10px; }
.card p { margin: 0; color: var(--muted); font-size: 14px; }
.card label { display: grid; gap: 5px; font-size: 13px; font-weight: 600; color: var(--muted); }
.card input { border: 1px solid var(--line); border-radius: 10px; padding: 9px 12px; font-weight: 400; color: var(--text); }
.card .error { color: var(--danger); font-size: 14px; }
.card .error:empty { display: none; }
@media (max-width: 720px) {
  #app {
    grid-template-columns: minmax(0, 1fr); grid-template-rows: 56px auto minmax(0, 1fr);
    grid-template-areas: "top" "side" "chat";
  }
  header.top { gap: 10px; padding: 0 12px; }
  .brand { width: auto; font-size: 0; gap: 0; }
  #room-title { min-width: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  #room-title small { display: none; }
  /* A phone: rooms in one scrolling row, members as chips that wrap, so
     everyone in the room is in sight above the messages. */
  aside.side {
    max-height: 45vh; border-right: 0; border-bottom: 1px solid var(--line);
    padding: 8px 12px; display: grid; grid-template-columns: minmax(0, 1fr); gap: 8px;
  }
  aside section + section { margin-top: 0; }
  aside h2 { display: none; }
  aside section:first-child { display: flex; align-items: center; gap: 6px; }
  #rooms { display: flex; gap: 6px; flex: 1; min-width: 0; overflow-x: auto; }
  #rooms li { flex: none; }
  #rooms button { width: auto; gap: 6px; padding: 4px 8px; }
  #new-room { margin: 0; flex: none; }
  #new-room input { width: 100px; flex: none; }
  #members { display: flex; flex-wrap: wrap; gap: 6px; }
  #members li {
    max-width: 100%; gap: 6px; padding: 2px 6px 2px 2px;
    border: 1px solid var(--line); border-radius: 999px;
  }
  #members .who { flex: 0 1 auto; }
  #members .avatar { width: 22px; height: 22px; font-size: 11px; }
  #members .pm { visibility: visible; background: var(--private-soft); }
  #messages, #composer, .typing { padding-left: 12px; padding-right: 12px; }
}
</style>
</head>
<body>
<div id="app">
  <header class="top">
    <div class="brand"><span class="logo">&#9670;</span>anyws chat</div>
    <div id="room-title"></div>
    <div class="me">
      <button id="me" type="button" title="Change nickname"></button>
      <span id="status" class="status" data-state="connecting" role="status">Connecting</span>
    </div>
  </header>
  <aside class="side">
    <section>
      <h2>Rooms</h2>
      <ul id="rooms"></ul>
      <form id="new-room" autocomplete="off">
        <input id="new-room-name" maxlength="24" placeholder="new-room" aria-label="New room">
        <button type="submit">Enter</button>
      </form>
    </section>
    <section>
      <h2>In this room</h2>
      <ul id="members"></ul>
    </section>
  </aside>
  <main class="chat">
    <ol id="messages" aria-live="polite"></ol>
    <div id="typing" class="typing" aria-live="polite"></div>
    <form id="composer" autocomplete="off">
      <div id="private-to" class="private-to" hidden>
        Private message to <b id="private-nick"></b>
        <button type="button" id="private-cancel" title="Back to the room">&times;</button>
      </div>
      <input id="text" maxlength="2000" placeholder="Message" aria-label="Message">
      <button id="send" class="primary" type="submit" disabled>Send</button>
    </form>
  </main>
</div>
<div id="login" class="overlay">
  <form id="login-form" class="card" autocomplete="off">
    <h1><span class="logo">&#9670;</span>anyws chat</h1>
    <p>Pick a nickname and a room. Start a message with @assistant to ask the assistant.</p>
    <label>Nickname <input id="nick" maxlength="24" required autofocus></label>
    <label>Room <input id="room" maxlength="24" value="lobby"></label>
    <div id="login-error" class="error" role="alert"></div>
    <button id="join" class="primary" type="submit">Join the chat</button>
  </form>
</div>
<script type="module">
import { connect, DisconnectedError, RequestRejectedError, RequestTimeoutError } from __ANYWS_SCRIPT__;

const $ = (id) => document.getElementById(id);
const store = window.sessionStorage;
const chat = {
  id: "", nick: store.getItem("anyws.nick") || "", room: store.getItem("anyws.room") || "lobby",
  shown: "", ready: false, joined: false, assistant: false, members: [], rooms: [],
  privateTo: null, seen: new Set(), typing: new Map(),
};
let countdown = 0;

function setStatus(state, text) {
  clearInterval(countdown);
  const el = $("status");
  el.dataset.state = state;
  el.textContent = text;
  chat.ready = state === "connected";
  $("send").disabled = !chat.ready;
}

// ── the connection: anyws's browser client ───────────────────────────
// It reconnects by itself (backoff 250 ms doubling up to 5 s, each wait
// drawn between half and one and a half of it), and after a short drop
// the server resumes the session: same id, nickname and room.
const client = connect("/ws", { reconnect: { initialDelay: 250, maxDelay: 5000 } });

// A new session: the first connection, or after the server lost ours (a
// restart, a long outage): say hello and enter the room again.
client.on("open", () => {
  setStatus("joining", "Online");
  if (chat.nick) login(false);
});

// The same session again: the server kept our nickname and room.
client.on("resume", () => {
  if (!chat.joined) {
    setStatus("joining", "Online");
    if (chat.nick) login(false);
    return;
  }
  addNote("system", "Reconnected");
  setStatus("connected", "Connected");
});

client.on("close", ({ reconnecting }) => {
  clearTyping();
  setStatus("reconnecting", reconnecting ? "Offline" : "Disconnected");
});

client.on("reconnecting", ({ delay }) => {
  const due = Date.now() + delay;
  const show = () => {
    const left = Math.max(0, due - Date.now()) / 1000;
    setStatus("reconnecting", "Offline, retrying in " + left.toFixed(1) + " s");
  };
  show();
  countdown = setInterval(show, 100);
});

client.on("error", () => {}); // refused attempts while the server is down are expected

// Sends an event now, or not at all: typing is worth nothing later.
function send(event, data) {
  if (client.readyState === 1) client.emit(event, data);
}

async function request(event, data) {
  try {
    return await client.request(event, data, { timeout: 10000 });
  } catch (error) {
    throw new Error(problem(error));
  }
}

function problem(error) {
  if (error instanceof RequestRejectedError) {
    if (Array.isArray(error.issues) && error.issues.length > 0) return error.issues[0].message;
    return error.message;
  }
  if (error instanceof DisconnectedError) return "Connection lost";
  if (error instanceof RequestTimeoutError) return "No answer from the server";
  return (error && error.message) || "Something went wrong";
}

// ── joining ──────────────────────────────────────────────────────────
async function login(fromForm) {
  try {
    const hello = await request("hello", { nick: chat.nick });
    chat.id = hello.id;
    chat.nick = hello.nick;
    store.setItem("anyws.nick", chat.nick);
    renderMe();
    const shown = chat.shown;
    await enter(chat.room);
    $("login").hidden = true;
    if (!fromForm && chat.joined && shown === chat.room) addNote("system", "Reconnected");
    chat.joined = true;
    setStatus("connected", "Connected");
    if (fromForm) $("text").focus();
  } catch (error) {
    if (client.readyState !== 1) return;
    setStatus("joining", "Not joined");
    $("login-error").textContent = error.message;
    showLogin();
  }
}

// The messages shown are those of chat.shown. The server lets a page into
// a room with the room's history, before the ack: that is when the page
// switches what it shows, so a refused enter (say, the nickname is taken
// there) leaves the page in the room it was in.
function showRoom(room) {
  if (room === chat.shown) return;
  $("messages").textContent = "";
  chat.seen.clear();
  chat.shown = room;
  clearTyping();
}

async function enter(room) {
  room = room.trim().toLowerCase();
  const previous = chat.room;
  chat.room = room;
  renderRoomTitle();
  renderRooms();
  let result;
  try {
    result = await request("enter", { room: room });
  } catch (error) {
    if (chat.room === room) {
      chat.room = previous;
      renderRoomTitle();
      renderRooms();
    }
    throw error;
  }
  showRoom(result.room);
  chat.room = result.room;
  store.setItem("anyws.room", chat.room);
  renderMembers(result.members);
}

function showLogin() {
  $("nick").value = chat.nick;
  $("room").value = chat.room;
  $("login").hidden = false;
  $("nick").focus();
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  chat.nick = $("nick").value.trim();
  chat.room = $("room").value.trim().toLowerCase() || "lobby";
  $("login-error").textContent = "";
  // Not connected: the next session logs in with these.
  if (client.readyState === 1) login(true);
});

$("me").addEventListener("click", showLogin);

// ── incoming events ──────────────────────────────────────────────────
const here = (data) => data.room === chat.room;
const on = (event, handler) => client.on(event, (data) => handler(data || {}));

on("welcome", (data) => {
  chat.assistant = data.assistant === true;
  renderRooms(data.rooms);
  renderMembers(chat.members);
});
on("rooms", (data) => renderRooms(data.rooms));
on("presence", (data) => { if (here(data)) renderMembers(data.members); });
on("history", (data) => {
  if (!here(data)) return;
  showRoom(data.room);
  for (const entry of data.messages) showEntry(entry.event, entry.data);
});
on("assistant", (data) => { if (here(data)) showEntry("assistant", data); });
on("private", (data) => showEntry("private", data));
on("typing", (data) => { if (here(data)) setTyping(data.from, data.typing === true); });
on("system", (data) => { if (here(data)) addNote("system", data.text); });

// "message" and "error" are the client's own event names: the chat's
// events of those names arrive as the raw text of a message.
client.on("message", (text) => {
  let message;
  try { message = JSON.parse(text); } catch { return; }
  if (message === null || typeof message !== "object") return;
  const data = message.data || {};
  if (message.event === "message" && here(data)) {
    setTyping(data.from, false);
    showEntry("message", data);
  } else if (message.event === "error") {
    addNote("error", data.message || "The server refused a message");
  }
});

// ── rendering (text only: nothing a peer sends becomes markup) ───────
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function hue(name) {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) % 360;
  return h;
}

function avatar(name, bot) {
  const node = el("span", "avatar", bot ? "AI" : Array.from(name)[0] || "?");
  node.style.background = bot ? "var(--bot)" : "hsl(" + hue(name) + " 55% 52%)";
  if (bot) node.style.fontSize = "11px";
  return node;
}

function time(at) {
  const d = new Date(at);
  return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
}

function scrollDown(list, stick) {
  if (stick) list.scrollTop = list.scrollHeight;
}

function showEntry(kind, data) {
  if (!data || typeof data.id !== "string" || chat.seen.has(data.id)) return;
  chat.seen.add(data.id);
  const list = $("messages");
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const item = el("li");
  item.dataset.kind = kind;
  item.dataset.id = data.id;
  const content = el("div", "content");
  const meta = el("div", "meta");
  if (kind === "assistant") {
    item.append(avatar("assistant", true));
    meta.append(el("b", "", "assistant"), el("span", "label", "bot"));
    if (!data.ok) item.classList.add("failed");
  } else if (kind === "private") {
    const incoming = data.to && data.to.id === chat.id;
    const other = incoming ? data.from : data.to;
    item.append(avatar(data.from.nick));
    meta.append(el("b", "", data.from.nick), el("span", "label", incoming ? "private to you" : "private to " + other.nick));
    if (!incoming) item.classList.add("mine");
  } else {
    item.append(avatar(data.from.nick));
    meta.append(el("b", "", data.from.nick));
    if (data.from.id === chat.id) item.classList.add("mine");
    // Consecutive messages of one person within 5 minutes form a group.
    const prev = list.lastElementChild;
    item.dataset.from = data.from.id;
    item.dataset.at = String(data.at);
    if (
      prev && prev.dataset.kind === "message" && prev.dataset.from === data.from.id &&
      data.at - Number(prev.dataset.at) < 300000
    ) item.classList.add("cont");
  }
  meta.append(el("time", "", time(data.at)));
  content.append(meta, el("div", "body", data.text));
  item.append(content);
  list.append(item);
  scrollDown(list, stick);
}

function addNote(kind, text) {
  const list = $("messages");
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const item = el("li", "", text);
  item.dataset.kind = kind;
  list.append(item);
  scrollDown(list, stick);
}

function renderMe() {
  const me = $("me");
  me.textContent = "";
  me.append(avatar(chat.nick), el("span", "", chat.nick));
}

function renderRoomTitle() {
  const title = $("room-title");
  title.textContent = "# " + chat.room;
  const count = chat.members.length;
  if (count > 0) title.append(el("small", "", count + (count === 1 ? " member" : " members")));
  $("text").placeholder = chat.privateTo
    ? "Private message to " + chat.privateTo.nick
    : "Message #" + chat.room + ", or @assistant to ask the assistant";
}

function renderRooms(rooms) {
  if (Array.isArray(rooms)) chat.rooms = rooms;
  const list = $("rooms");
  list.textContent = "";
  for (const room of chat.rooms) {
    const item = el("li");
    item.dataset.room = room.name;
    if (room.name === chat.room) item.className = "current";
    const button = el("button");
    button.type = "button";
    button.append(el("span", "name", "# " + room.name), el("span", "count", String(room.size)));
    button.addEventListener("click", () => switchRoom(room.name));
    item.append(button);
    list.append(item);
  }
}

function renderMembers(members) {
  chat.members = Array.isArray(members) ? members : [];
  const list = $("members");
  list.textContent = "";
  for (const member of chat.members) {
    const item = el("li");
    item.dataset.id = member.id;
    const self = member.id === chat.id;
    item.append(avatar(member.nick), el("span", "who", member.nick));
    if (self) item.append(el("span", "tag", "you"));
    else {
      const pm = el("button", "pm", "private");
      pm.type = "button";
      pm.title = "Send " + member.nick + " a private message";
      pm.addEventListener("click", () => setPrivate(member));
      item.append(pm);
    }
    list.append(item);
  }
  const bot = el("li");
  bot.dataset.id = "assistant";
  bot.append(avatar("assistant", true), el("span", "who", "assistant"), el("span", "tag", chat.assistant ? "bot" : "not configured"));
  list.append(bot);
  for (const id of Array.from(chat.typing.keys())) {
    if (id !== "assistant" && !chat.members.some((m) => m.id === id)) setTyping({ id: id }, false);
  }
  if (chat.privateTo && !chat.members.some((m) => m.id === chat.privateTo.id)) setPrivate(null);
  renderRoomTitle();
}

// ── typing, both ways ────────────────────────────────────────────────
function setTyping(from, typing) {
  if (!from || typeof from.id !== "string") return;
  const old = chat.typing.get(from.id);
  if (old) clearTimeout(old.timer);
  if (typing) {
    // A typist repeats every 2 s; silence for 6 s means they stopped.
    const timer = setTimeout(() => setTyping(from, false), from.id === "assistant" ? 60000 : 6000);
    chat.typing.set(from.id, { nick: String(from.nick), timer: timer });
  } else {
    chat.typing.delete(from.id);
  }
  renderTyping();
}

function clearTyping() {
  for (const { timer } of chat.typing.values()) clearTimeout(timer);
  chat.typing.clear();
  renderTyping();
}

function renderTyping() {
  const nicks = Array.from(chat.typing.values(), (t) => t.nick);
  let text = "";
  if (nicks.length === 1) text = nicks[0] + " is typing";
  else if (nicks.length === 2) text = nicks[0] + " and " + nicks[1] + " are typing";
  else if (nicks.length > 2) text = "Several people are typing";
  $("typing").textContent = text;
}

let typingSince = 0;
let typingTimer = 0;
function stopTyping() {
  clearTimeout(typingTimer);
  if (typingSince !== 0) {
    typingSince = 0;
    send("typing", { typing: false });
  }
}

$("text").addEventListener("input", () => {
  if (!chat.ready || chat.privateTo) return;
  if ($("text").value.trim() === "") return stopTyping();
  const now = Date.now();
  if (now - typingSince > 2000) {
    typingSince = now;
    send("typing", { typing: true });
  }
  clearTimeout(typingTimer);
  typingTimer = setTimeout(stopTyping, 3000);
});

// ── sending ──────────────────────────────────────────────────────────
function setPrivate(member) {
  chat.privateTo = member ? { id: member.id, nick: member.nick } : null;
  $("private-to").hidden = !member;
  $("private-nick").textContent = member ? member.nick : "";
  $("composer").classList.toggle("private", !!member);
  if (member) stopTyping();
  renderRoomTitle();
  $("text").focus();
}
$("private-cancel").addEventListener("click", () => setPrivate(null));

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("text");
  const text = input.value.trim();
  if (!text || !chat.ready) return;
  input.value = "";
  stopTyping();
  try {
    if (chat.privateTo) await request("private", { to: chat.privateTo.id, text: text });
    else await request("say", { text: text });
  } catch (error) {
    addNote("error", "Not sent: " + error.message);
    if (input.value === "") input.value = text;
  }
});

async function switchRoom(name) {
  if (!chat.ready || name === chat.room) return;
  if (!/^[a-z0-9][a-z0-9_-]{0,23}$/.test(name)) {
    addNote("error", "Room names are letters, digits, - and _");
    return;
  }
  stopTyping();
  setPrivate(null);
  try {
    await enter(name);
  } catch (error) {
    addNote("error", error.message);
  }
}

$("new-room").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = $("new-room-name").value.trim().toLowerCase();
  if (!name) return;
  $("new-room-name").value = "";
  switchRoom(name);
});

// ── start ────────────────────────────────────────────────────────────
renderRoomTitle();
if (chat.nick) {
  $("login").hidden = true;
  renderMe();
}
</script>
</body>
</html>
`;

/**
 * The page for the default path, `/anyws.js`.
 *
 * @example
 * ```ts
 * import { PAGE_HTML } from "./page.ts";
 * const response = new Response(PAGE_HTML, {
 *   headers: { "Content-Type": "text/html; charset=utf-8" },
 * });
 * ```
 */
export const PAGE_HTML: string = chatPage("/anyws.js");
