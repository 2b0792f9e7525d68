/**
 * The Autobahn|Testsuite client testee: anyws's runtime client driven by
 * the suite's fuzzingserver.
 *
 *     wstest -m fuzzingserver            # serves ws://127.0.0.1:9001
 *     deno run -A examples/autobahn_client.ts ws://127.0.0.1:9001 anyws-deno
 *     bun examples/autobahn_client.ts ws://127.0.0.1:9001 anyws-bun
 *     node examples/autobahn_client.ts ws://127.0.0.1:9001 anyws-node
 *
 * It reads the number of cases from `BASE_URL/getCaseCount` (one text
 * message), runs each case on `BASE_URL/runCase?case=N&agent=AGENT`,
 * echoing every message with its opcode (text as text, binary as binary)
 * until the server closes, then asks for the reports with
 * `BASE_URL/updateReports?agent=AGENT`. AGENT defaults to `anyws`. The
 * client offers permessage-deflate (the suite's cases 12 and 13) and
 * accepts messages of up to 64 MiB (case 9 sends 16 MiB).
 *
 * Prints one line per case (`case N/M: close CODE`), then
 * `reports updated for AGENT`; exits 1 when the server cannot be reached.
 *
 * @module
 */

import { ClientSocket } from "../mod.ts";
import { args } from "./_env.ts";

const [base, agent = "anyws"] = args();
if (base === undefined) {
  console.error("usage: autobahn_client.ts BASE_URL [AGENT]");
  throw new Error("BASE_URL is missing");
}

/** What one connection ended with, and its first message. */
interface Ended {
  code: number;
  reason: string;
  error?: string;
  first?: string | Uint8Array;
}

/**
 * Connects to `path` under the base URL; `onMessage` sees every message.
 * Resolves when the connection has closed, however it closed.
 */
function visit(
  path: string,
  onMessage: (socket: ClientSocket, data: string | Uint8Array) => void,
): Promise<Ended> {
  const url = new URL(path, base.endsWith("/") ? base : `${base}/`);
  const socket = new ClientSocket(url, {
    maxMessageSize: 64 * 1024 * 1024,
    // The suite's own timeouts decide: no heartbeat of ours.
    pingInterval: 0,
    idleTimeout: 0,
  });
  socket.binaryType = "uint8array";
  const ended: Ended = { code: 0, reason: "" };
  return new Promise((resolve) => {
    socket.addEventListener("message", (event) => {
      const data = event.data as string | Uint8Array;
      if (ended.first === undefined) ended.first = data;
      onMessage(socket, data);
    });
    socket.addEventListener("error", (event) => {
      ended.error ??= event.message;
    });
    socket.addEventListener("close", (event) => {
      ended.code = event.code;
      ended.reason = event.reason;
      resolve(ended);
    });
  });
}

const counted = await visit("getCaseCount", () => {});
const count = Number(counted.first);
if (typeof counted.first !== "string" || !Number.isInteger(count)) {
  console.error(
    `getCaseCount: no case count (${counted.error ?? `close ${counted.code}`})`,
  );
  // Exit code 1 on every runtime: an uncaught error ends the program.
  throw new Error("No case count from the fuzzing server");
}
console.log(`${count} cases`);

for (let n = 1; n <= count; n++) {
  const query = `case=${n}&agent=${encodeURIComponent(agent)}`;
  const ended = await visit(`runCase?${query}`, (socket, data) => {
    // Text as text, binary as binary: send() picks the opcode by type.
    socket.send(data);
  });
  console.log(
    `case ${n}/${count}: close ${ended.code}${
      ended.error === undefined ? "" : ` (${ended.error})`
    }`,
  );
}

await visit(`updateReports?agent=${encodeURIComponent(agent)}`, () => {});
console.log(`reports updated for ${agent}`);
