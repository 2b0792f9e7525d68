// examples/chat_rooms.ts, the README's chat-room example, run as it is in a
// child process of the current runtime (on a free port) and driven by the
// runtime's own WebSocket.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtimeCommand } from "../_cli_process.ts";
import { HOST, openClient, withTimeout, type WsClient } from "../_clients.ts";

const EXAMPLE = fileURLToPath(
  new URL("../../examples/chat_rooms.ts", import.meta.url),
);

/** Starts the example on port 0; resolves with the child and the URL it printed. */
function startExample(): Promise<{ child: ChildProcess; url: string }> {
  const [command, args] = runtimeCommand(EXAMPLE);
  const child = spawn(command, args, {
    env: { ...process.env, HOST, PORT: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const started = new Promise<{ child: ChildProcess; url: string }>(
    (resolve, reject) => {
      const onData = (chunk: Uint8Array) => {
        output += new TextDecoder().decode(chunk);
        const match = /Chat rooms on (ws:\/\/\S+)/.exec(output);
        if (match) resolve({ child, url: match[1] });
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.on("error", reject);
      child.on("exit", (code) => {
        reject(new Error(`Example exited with ${code}: ${output}`));
      });
    },
  );
  return withTimeout(started, 20_000, "example start").catch((error) => {
    child.kill("SIGKILL");
    throw error;
  });
}

/** Stops the example and waits (bounded) for it to exit. */
async function stopExample(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    child.on("exit", () => resolve())
  );
  child.kill("SIGTERM");
  await withTimeout(exited, 5000, "example exit").catch(() => {
    child.kill("SIGKILL");
  });
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** A presence event as the example sends it. */
type Presence = {
  event: string;
  data: { room: string; size: number; id: string };
};

/** A chat client: sends events, reads JSON. */
class ChatClient {
  readonly client: WsClient;
  #ack = 0;

  constructor(client: WsClient) {
    this.client = client;
  }

  send(event: string, data: unknown, id?: number): void {
    this.client.ws.send(JSON.stringify({ event, data, id }));
  }

  /** Sends with an ack id; returns the ack id. */
  call(event: string, data: unknown): number {
    const id = ++this.#ack;
    this.send(event, data, id);
    return id;
  }

  async next(): Promise<unknown> {
    return JSON.parse(await this.client.next() as string);
  }
}

describe("examples/chat_rooms.ts", () => {
  let child: ChildProcess | undefined;
  let url: string;

  before(async () => ({ child, url } = await startExample()));
  after(() => stopExample(child));

  test("join, message the room, private message and presence work as the README says", async () => {
    const alice = new ChatClient(await openClient(url));
    const bob = new ChatClient(await openClient(url));
    const eve = new ChatClient(await openClient(url));
    try {
      // Alice joins: she hears her own arrival, then the ack.
      let id = alice.call("enter", "lobby");
      const joined = await alice.next() as Presence;
      const aliceId = joined.data.id;
      assert.equal(typeof aliceId, "string");
      assert.deepEqual(joined, {
        event: "joined",
        data: { room: "lobby", size: 1, id: aliceId },
      });
      assert.deepEqual(await alice.next(), { ack: id, data: true });

      // Bob joins: the whole room hears it.
      id = bob.call("enter", "lobby");
      const bobJoined = await bob.next() as Presence;
      const bobId = bobJoined.data.id;
      assert.notEqual(bobId, aliceId);
      assert.deepEqual(bobJoined, {
        event: "joined",
        data: { room: "lobby", size: 2, id: bobId },
      });
      assert.deepEqual(await bob.next(), { ack: id, data: true });
      assert.deepEqual(await alice.next(), bobJoined);

      // Joining twice changes nothing.
      id = bob.call("enter", "lobby");
      assert.deepEqual(await bob.next(), { ack: id, data: false });

      // Eve is not in the lobby: she cannot post to it and does not hear it.
      eve.send("say", { room: "lobby", text: "spam" });
      alice.send("say", { room: "lobby", text: "hi all" });
      const said = {
        event: "said",
        data: { room: "lobby", text: "hi all", from: aliceId },
      };
      assert.deepEqual(await alice.next(), said);
      assert.deepEqual(await bob.next(), said);

      // A private message reaches only its addressee.
      bob.send("whisper", { to: aliceId, text: "psst" });
      assert.deepEqual(await alice.next(), {
        event: "whispered",
        data: { text: "psst", from: bobId },
      });
      id = bob.call("whisper", { to: "no-such-id", text: "?" });
      assert.deepEqual(await bob.next(), { ack: id, data: null });

      // Eve heard none of it: her next message is the answer to her own join.
      id = eve.call("enter", "games");
      assert.equal((await eve.next() as { event: string }).event, "joined");
      assert.deepEqual(await eve.next(), { ack: id, data: true });

      // Bob leaves: the room hears it, with its new size.
      await bob.client.close();
      assert.deepEqual(await alice.next(), {
        event: "left",
        data: { room: "lobby", size: 1, id: bobId },
      });
    } finally {
      await Promise.all([alice, bob, eve].map((c) => c.client.close()));
    }
  });

  test("is under 40 lines, as the README promises", async () => {
    const { readFile } = await import("node:fs/promises");
    const text = await readFile(EXAMPLE, "utf8");
    const lines = text.trimEnd().split("\n").length;
    assert.ok(lines < 40, `${lines} lines`);
  });
});
