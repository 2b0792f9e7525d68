// One cluster node in its own process, for tests/cluster/cluster_processes_test.ts.
// Usage: <runtime> tests/_cluster_child.ts <redis url> <name> <heartbeat ms> <deadAfter ms>
// It opens one local connection "c-<name>" of user <name> in room "lobby",
// prints "ready <node id>" once on Redis, "got <text>" for every frame
// delivered to it, and obeys stdin lines "broadcast <text>" and "quit".
import process from "node:process";
import { createInterface } from "node:readline";
import { redisBackplane } from "../engines/redis.ts";
import { SharedMessage } from "../src/driver/shared_message.ts";

const encodeMessage = (message: string | Uint8Array): Uint8Array =>
  SharedMessage.of(message).plainFrame();
import { TestHost } from "./_cluster_host.ts";

const [url, name, heartbeat, deadAfter] = process.argv.slice(2);
const backplane = redisBackplane({ url, log: () => {} });
const host = new TestHost();
const connection = `c-${name}`;
host.open(connection, name);
host.rooms.add("lobby", connection);
const node = host.attach(backplane, {
  nodeName: name,
  heartbeatInterval: Number(heartbeat),
  deadAfter: Number(deadAfter),
});
const record = host.received.push.bind(host.received);
host.received.push = (...entries: string[]) => {
  for (const entry of entries) {
    process.stdout.write(`got ${entry.slice(connection.length + 1)}\n`);
  }
  return record(...entries);
};

if (!(await backplane.whenUp(10_000))) {
  process.stdout.write("no redis\n");
  process.exit(1);
}
process.stdout.write(`ready ${node.id}\n`);

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  if (line.startsWith("broadcast ")) {
    node.broadcast(encodeMessage(line.slice("broadcast ".length)));
  } else if (line === "quit") {
    lines.close();
    await node.close();
    await backplane.close();
    process.exit(0);
  }
});
