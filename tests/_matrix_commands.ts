// The text commands the client matrix's servers understand (the anyws
// server in tests/_matrix_anyws_server.ts, `ws` in
// tests/_matrix_ws_server.ts, python-websockets in
// tests/_matrix_python_server.py implement the same):
//
//   tag X            remember X as this connection's tag; answer "tagged X"
//   closed? X        answer "closed X <code> <reason>" for the connection
//                    tagged X once it closed, or "closed X ?"
//   fragment N       send one text message in N frames: "frag-0" ... "frag-(N-1)"
//   close CODE TEXT  close with CODE and reason TEXT
//   ping-me          ping the client; answer "pong-ok" when its pong comes
//   anything else    echoed back (binary messages always are)

/** A parsed command. */
export type Command =
  | { kind: "tag"; tag: string }
  | { kind: "closed?"; tag: string }
  | { kind: "fragment"; count: number }
  | { kind: "close"; code: number; reason: string }
  | { kind: "ping-me" }
  | { kind: "echo" };

/** What `text` asks for. */
export function commandOf(text: string): Command {
  let match = /^tag (\S+)$/.exec(text);
  if (match !== null) return { kind: "tag", tag: match[1] };
  match = /^closed\? (\S+)$/.exec(text);
  if (match !== null) return { kind: "closed?", tag: match[1] };
  match = /^fragment ([0-9]+)$/.exec(text);
  if (match !== null) return { kind: "fragment", count: Number(match[1]) };
  match = /^close ([0-9]+) (.*)$/.exec(text);
  if (match !== null) {
    return { kind: "close", code: Number(match[1]), reason: match[2] };
  }
  if (text === "ping-me") return { kind: "ping-me" };
  return { kind: "echo" };
}
