// The command lines of the benchmark's servers: examples/bench_server.ts
// (examples/_bench_flags.ts: --deflate[=shared|dedicated],
// --deflate-threshold, DEFLATE and DEFLATE_THRESHOLD) and the native peers
// (scripts/bench/peers/peer_flags.ts: --deflate, --bufferutil), and the
// commands scripts/bench/servers.ts builds from them for each case.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  benchServerFlags,
  describeDeflate,
} from "../../examples/_bench_flags.ts";
import {
  peerFlags,
  type PeerSupport,
} from "../../scripts/bench/peers/peer_flags.ts";
import { compileFailure } from "../../scripts/bench/load_client.ts";
import { RUNTIME_DEFS, serverCommand } from "../../scripts/bench/servers.ts";

const noEnv = (): undefined => undefined;
const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

describe("bench_server.ts flags", () => {
  test("without options it listens on the port given and does not compress", () => {
    assert.deepEqual(benchServerFlags(["9001"], noEnv), {
      port: 9001,
      deflate: false,
      redis: "",
    });
  });

  test("--redis URL (or REDIS_URL) makes it a cluster node; the flag wins", () => {
    assert.equal(
      benchServerFlags(["--redis", "redis://127.0.0.1:1", "9001"], noEnv).redis,
      "redis://127.0.0.1:1",
    );
    const env = envOf({ REDIS_URL: "redis://a:1" });
    assert.equal(benchServerFlags([], env).redis, "redis://a:1");
    assert.equal(
      benchServerFlags(["--redis", "redis://b:2"], env).redis,
      "redis://b:2",
    );
    assert.throws(() => benchServerFlags(["--redis"], noEnv), {
      message: /^--redis needs a URL/,
    });
  });

  test("falls back to PORT, then 8080", () => {
    assert.equal(benchServerFlags([], envOf({ PORT: "7000" })).port, 7000);
    assert.equal(benchServerFlags([], noEnv).port, 8080);
  });

  test("--deflate is shared mode with the library's default threshold", () => {
    assert.deepEqual(benchServerFlags(["--deflate", "0"], noEnv), {
      port: 0,
      deflate: { mode: "shared" },
      redis: "",
    });
  });

  test("--deflate=dedicated and --deflate-threshold=0 (the port may come first)", () => {
    assert.deepEqual(
      benchServerFlags(
        ["9001", "--deflate=dedicated", "--deflate-threshold=0"],
        noEnv,
      ),
      { port: 9001, deflate: { mode: "dedicated", threshold: 0 }, redis: "" },
    );
  });

  test("DEFLATE and DEFLATE_THRESHOLD do the same, and flags win over them", () => {
    const env = envOf({ DEFLATE: "dedicated", DEFLATE_THRESHOLD: "64" });
    assert.deepEqual(benchServerFlags([], env).deflate, {
      mode: "dedicated",
      threshold: 64,
    });
    assert.deepEqual(
      benchServerFlags(["--deflate=shared", "--deflate-threshold=0"], env)
        .deflate,
      { mode: "shared", threshold: 0 },
    );
    assert.equal(benchServerFlags([], envOf({ DEFLATE: "" })).deflate, false);
  });

  test("rejects a mode, threshold, port or option it does not know, naming it", () => {
    assert.throws(() => benchServerFlags(["--deflate=fast"], noEnv), {
      message: /^Invalid --deflate: fast \(expected shared or dedicated\)/,
    });
    assert.throws(() => benchServerFlags([], envOf({ DEFLATE: "on" })), {
      message: /^Invalid DEFLATE: on/,
    });
    for (const bad of ["-1", "1.5", "x", ""]) {
      assert.throws(
        () =>
          benchServerFlags(["--deflate", `--deflate-threshold=${bad}`], noEnv),
        { message: new RegExp(`^Invalid --deflate-threshold: ${bad} `) },
      );
    }
    assert.throws(() => benchServerFlags(["70000"], noEnv), {
      message: /^Invalid port: 70000/,
    });
    assert.throws(() => benchServerFlags(["--deflat"], noEnv), {
      message: /^Unknown option: --deflat/,
    });
    assert.throws(() => benchServerFlags(["1", "2"], noEnv), {
      message: /^Unexpected argument: 2/,
    });
  });

  test("a threshold without compression is a mistake, not silently ignored", () => {
    assert.throws(() => benchServerFlags(["--deflate-threshold=0"], noEnv), {
      message: /^A deflate threshold without --deflate/,
    });
  });

  test("the ready line says how it compresses", () => {
    assert.equal(describeDeflate(false), "no compression");
    assert.equal(
      describeDeflate({ mode: "shared", threshold: 0 }),
      "permessage-deflate shared, threshold 0 B",
    );
  });
});

describe("the native peers' flags", () => {
  const ws: PeerSupport = {
    name: "ws_server",
    deflate: true,
    bufferutil: true,
  };
  const deno: PeerSupport = {
    name: "deno_server",
    deflate: "Deno.serve has no permessage-deflate (deno#7681)",
    bufferutil: "bufferutil is a ws add-on",
  };

  test("reads --deflate, --bufferutil and the port, in any order", () => {
    assert.deepEqual(peerFlags(["--bufferutil", "9001", "--deflate"], ws), {
      port: 9001,
      deflate: true,
      bufferutil: true,
    });
    assert.deepEqual(peerFlags([], ws), {
      port: 8080,
      deflate: false,
      bufferutil: false,
    });
  });

  test("refuses a switch the peer cannot honour, saying why", () => {
    assert.throws(() => peerFlags(["--deflate", "0"], deno), {
      message:
        "deno_server: --deflate: Deno.serve has no permessage-deflate (deno#7681)",
    });
  });

  test("refuses unknown options and bad ports", () => {
    assert.throws(() => peerFlags(["--compress"], ws), {
      message:
        /^ws_server: unknown option --compress\nusage: ws_server \[--deflate\] \[--bufferutil\] \[PORT\]$/,
    });
    assert.throws(() => peerFlags(["port"], ws), {
      message: /^ws_server: invalid port port/,
    });
  });
});

describe("the servers of each case", () => {
  const SHARED = ["--deflate=shared", "--deflate-threshold=0"];

  test("Node has ws alone and ws with bufferutil; the second asks for the add-on", () => {
    const [alone, withAddon] = RUNTIME_DEFS.node.peers;
    assert.equal(alone.id, "ws");
    assert.equal(withAddon.id, "ws+bufferutil");
    const plain = serverCommand("node", "native", "ws+bufferutil", null);
    assert.ok("command" in plain);
    assert.deepEqual(plain.command.slice(-2), [
      "scripts/bench/peers/ws_server.mjs",
      "--bufferutil",
    ]);
    const compressed = serverCommand("node", "native", "ws", SHARED);
    assert.ok("command" in compressed);
    assert.equal(compressed.command.at(-1), "--deflate");
  });

  test("anyws gets the case's compression arguments; a plain case adds none", () => {
    const compressed = serverCommand("bun", "anyws", undefined, SHARED);
    assert.ok("command" in compressed);
    assert.deepEqual(compressed.command.slice(-3), [
      "examples/bench_server.ts",
      ...SHARED,
    ]);
    const plain = serverCommand("bun", "anyws", undefined, null);
    assert.ok("command" in plain);
    assert.equal(plain.command.at(-1), "examples/bench_server.ts");
  });

  test("a compression case on Deno.serve is n/a, with the reason", () => {
    assert.deepEqual(serverCommand("deno", "native", "Deno.serve", SHARED), {
      unsupported: "Deno.serve has no permessage-deflate (deno#7681)",
    });
    assert.ok("command" in serverCommand("deno", "native", "Deno.serve", null));
  });
});

describe("compiling the load client", () => {
  test("names zlib1g-dev when zlib's header or library is missing", () => {
    for (
      const stderr of [
        "bench_pmd.h:27:10: fatal error: zlib.h: No such file or directory",
        "/usr/bin/ld: cannot find -lz: No such file or directory",
      ]
    ) {
      assert.match(
        compileFailure(stderr, null),
        /zlib's headers are missing .* Install zlib1g-dev \(npm run setup does\)$/,
      );
    }
  });

  test("names the compiler when cc cannot be run", () => {
    assert.match(
      compileFailure("", "spawnSync cc ENOENT"),
      /no C compiler \(cc: spawnSync cc ENOENT\)/,
    );
  });
});
