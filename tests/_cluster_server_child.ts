// One clustered anyws Server in its own process, for the cross-runtime
// tests. Usage: <runtime> tests/_cluster_server_child.ts <redis url> <name>
// <heartbeat ms> <deadAfter ms>. Prints "ready <port> <node id>" once
// listening and on Redis; stops (clients get 1001) on SIGTERM or when its
// stdin closes. Clients drive it with text commands:
//   login U | join R | leave R | all T | room R T | user U T | conn ID T
//   id | size R | members R | nodes | count
import process from "node:process";
import { Server } from "../mod.ts";
import { redisBackplane } from "../engines/redis.ts";

const [url, name, heartbeat, deadAfter] = process.argv.slice(2);
const backplane = redisBackplane({ url, log: () => {} });
const server = new Server({
  hostname: "127.0.0.1",
  port: 0,
  backplane,
  cluster: {
    nodeName: name,
    heartbeatInterval: Number(heartbeat),
    deadAfter: Number(deadAfter),
  },
});
server.on("error", (error) => {
  process.stderr.write(`${name} error: ${String(error)}\n`);
});
server.on("message", (data, conn) => {
  const [command, arg = "", text = ""] = String(data).split(" ");
  const cluster = server.cluster!;
  switch (command) {
    case "login":
      conn.setUser(arg);
      conn.send(`login ${arg}`);
      break;
    case "join":
      conn.join(arg);
      conn.send(`joined ${arg}`);
      break;
    case "leave":
      conn.leave(arg);
      break;
    case "all":
      server.broadcast(`all ${arg}`);
      break;
    case "room":
      server.room(arg).broadcast(`room ${text}`);
      break;
    case "user":
      server.user(arg).broadcast(`user ${text}`);
      break;
    case "conn":
      server.connection(arg).broadcast(`conn ${text}`);
      break;
    case "id":
      conn.send(`id ${conn.id}`);
      break;
    case "size":
      conn.send(`size ${cluster.roomSize(arg)}`);
      break;
    case "members":
      conn.send(
        `members ${
          cluster.roomMembers(arg).map((m) => m.user ?? "-").sort().join(",")
        }`,
      );
      break;
    case "nodes":
      conn.send(`nodes ${cluster.nodes().length}`);
      break;
    case "count":
      cluster.queryConnections().then(({ value, missing }) =>
        conn.send(`count ${value} missing ${missing.length}`)
      );
      break;
  }
});

await server.listen();
if (!(await backplane.whenUp(10_000))) {
  process.stdout.write("no redis\n");
  process.exit(1);
}
process.stdout.write(`ready ${server.port} ${server.cluster!.id}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop({ timeout: 2000 });
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.stdin.on("end", () => void stop());
process.stdin.resume();
