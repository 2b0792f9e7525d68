// The npm package as Node users get it: scripts/build_npm.ts builds it with
// `deno pack`, `npm pack` makes the tarball, and the tarball is installed
// offline into a fresh project, then imported, type-checked and run as the
// `anyws` command on Node 24. It tests the Node package, so it runs on Node
// only; on Deno and Bun it reports a single skipped test saying so.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { CLI_USAGE } from "../src/cli_config.ts";

const RUNTIME = "Deno" in globalThis
  ? "Deno"
  : "Bun" in globalThis
  ? "Bun"
  : "Node";

if (RUNTIME !== "Node") {
  test(
    `npm package: not run on ${RUNTIME}, it builds the Node package and tests it on Node (node --test tests/npm_package_test.ts)`,
    { skip: `tests the npm package on Node, not ${RUNTIME}` },
    () => {},
  );
} else {
  nodePackageSuite();
}

function nodePackageSuite(): void {
  const ROOT = fileURLToPath(new URL("..", import.meta.url));
  const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const JSR = JSON.parse(readFileSync(join(ROOT, "jsr.json"), "utf8"));
  const HOST = "127.0.0.1";

  /** This node (24) first on PATH: for npm, npx and the bin's shebang. */
  function childEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) {
      // npm run sets npm_* variables that would redirect a nested npm.
      if (value === undefined || /^npm_/i.test(name)) continue;
      if (name.startsWith("WEBSOCKET_") || name.startsWith("OPENAI_")) continue;
      env[name] = value;
    }
    env.PATH = `${dirname(process.execPath)}${delimiter}${env.PATH ?? ""}`;
    env.NO_COLOR = "1";
    env.npm_config_update_notifier = "false";
    env.npm_config_fund = "false";
    env.npm_config_audit = "false";
    return env;
  }

  interface Result {
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
  }

  const running = new Set<ChildProcess>();

  /** Runs a command to completion, killed after `timeoutMs`. */
  function exec(
    command: string,
    args: readonly string[],
    options: { cwd: string; timeoutMs?: number },
  ): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: childEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      running.add(child);
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8");
      child.stderr.setEncoding("utf8");
      child.stdout.on("data", (text: string) => stdout += text);
      child.stderr.on("data", (text: string) => stderr += text);
      const ms = options.timeoutMs ?? 60_000;
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(
          new Error(
            `Timed out after ${ms} ms: ${command} ${
              args.join(" ")
            }\n${stdout}${stderr}`,
          ),
        );
      }, ms);
      child.on("error", (error) => {
        clearTimeout(timer);
        running.delete(child);
        reject(error);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        running.delete(child);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  /** Asserts a clean exit and returns stdout. */
  function ok(result: Result, what: string): string {
    assert.equal(
      result.code,
      0,
      `${what} failed:\n--- stdout ---\n${result.stdout}--- stderr ---\n${result.stderr}`,
    );
    return result.stdout;
  }

  describe(
    "the npm package (deno pack, npm pack, installed offline, run on Node)",
    {
      timeout: 300_000,
    },
    () => {
      const dir = mkdtempSync(join(tmpdir(), "anyws-npm-test-"));
      const out = join(dir, "npm");
      const project = join(dir, "project");
      const installed = join(project, "node_modules", "anyws");
      let tarball = "";

      before(async () => {
        const build = await exec(
          process.execPath,
          [join(ROOT, "scripts", "build_npm.ts"), "--out", out],
          { cwd: ROOT, timeoutMs: 120_000 },
        );
        ok(build, "node scripts/build_npm.ts");
        tarball = join(dir, `anyws-${PKG.version}.tgz`);
        assert.ok(existsSync(tarball), `No tarball: ${build.stdout}`);

        // A fresh Node project that installs the tarball (no dependencies,
        // redis is an optional peer: no registry is needed).
        rmSync(project, { recursive: true, force: true });
        mkdirSync(project, { recursive: true });
        writeFileSync(
          join(project, "package.json"),
          JSON.stringify({ name: "consumer", private: true, type: "module" }),
        );
        ok(
          await exec(
            "npm",
            [
              "install",
              "--offline",
              "--no-audit",
              "--no-fund",
              "--ignore-scripts",
              tarball,
            ],
            { cwd: project, timeoutMs: 90_000 },
          ),
          "npm install --offline",
        );
      }, { timeout: 240_000 });

      after(() => {
        for (const child of running) child.kill("SIGKILL");
        rmSync(dir, { recursive: true, force: true });
      });

      test("is named anyws, with the version of package.json, the anyws bin and jsr.json's exports", () => {
        const manifest = JSON.parse(
          readFileSync(join(installed, "package.json"), "utf8"),
        );
        assert.equal(manifest.name, "anyws");
        assert.equal(manifest.version, PKG.version);
        assert.equal(manifest.license, PKG.license);
        assert.equal(manifest.type, "module");
        assert.deepEqual(manifest.bin, { anyws: "./cli.js" });
        assert.deepEqual(
          Object.keys(manifest.exports).sort(),
          Object.keys(JSR.exports).sort(),
        );
        for (const [key, source] of Object.entries(JSR.exports)) {
          const js = String(source).replace(/\.ts$/, ".js");
          const dts = String(source).replace(/\.ts$/, ".d.ts");
          assert.deepEqual(
            manifest.exports[key],
            { types: dts, import: js, default: js },
            key,
          );
          assert.ok(existsSync(join(installed, js)), js);
          assert.ok(existsSync(join(installed, dts)), dts);
        }
        assert.equal(manifest.dependencies, undefined);
        // Only anyws/engines/redis needs it; installing anyws does not.
        assert.deepEqual(manifest.peerDependencies, {
          redis: PKG.dependencies.redis,
        });
        assert.deepEqual(manifest.peerDependenciesMeta, {
          redis: { optional: true },
        });
      });

      test("ships JavaScript, declarations, README and LICENSE only (no TypeScript sources)", () => {
        const files = readdirSync(installed, {
          recursive: true,
          withFileTypes: true,
        }).filter((entry) => entry.isFile()).map((entry) =>
          join(entry.parentPath, entry.name).slice(installed.length + 1)
        );
        const odd = files.filter((file) =>
          !/\.(js|d\.ts)$/.test(file) &&
          !["package.json", "README.md", "LICENSE"].includes(file)
        );
        assert.deepEqual(odd, []);
        assert.ok(files.includes("cli.js"));
        assert.ok(files.includes("examples/chat/app.js"), "the demo chat");
        assert.equal(
          readFileSync(join(installed, "cli.js"), "utf8").split("\n")[0],
          "#!/usr/bin/env node",
        );
      });

      test("a Node script importing anyws runs a Server that echoes to a WebSocket client", async () => {
        writeFileSync(
          join(project, "echo.mjs"),
          `import { Server, CloseCode } from "anyws";
import { nodeEngine } from "anyws/engines/node";

const server = new Server(nodeEngine(), { hostname: "${HOST}", port: 0 });
server.on("message", (data, conn) => conn.send("echo:" + data));
await server.listen();
const ws = new WebSocket(server.url);
const timer = setTimeout(() => { console.log("timeout"); process.exit(3); }, 10000);
ws.onopen = () => ws.send("hello from node");
ws.onmessage = (event) => {
  console.log(event.data);
  ws.close(CloseCode.Normal, "done");
};
ws.onclose = async (event) => {
  console.log("closed " + event.code + " clean " + event.wasClean);
  await server.stop();
  clearTimeout(timer);
};
`,
        );
        const result = await exec(process.execPath, ["echo.mjs"], {
          cwd: project,
          timeoutMs: 30_000,
        });
        assert.equal(
          ok(result, "node echo.mjs"),
          "echo:hello from node\nclosed 1000 clean true\n",
        );
        assert.equal(result.stderr, "");
      });

      test("its declarations type-check a strict TypeScript consumer", async () => {
        writeFileSync(
          join(project, "consumer.ts"),
          `import { CloseCode, type Connection, parseCliConfig, Server } from "anyws";
import { autoEngine } from "anyws/engines/auto";
import { memoryEngine } from "anyws/engines/memory";

const server: Server = new Server({ hostname: "127.0.0.1", port: 0 });
server.on("message", (data, conn: Connection) => conn.send(\`echo:\${data}\`));
const code: 1001 = CloseCode.GoingAway;
const port: number = parseCliConfig(["start"], {}).port;
export const used = [autoEngine, memoryEngine, code, port];
`,
        );
        writeFileSync(
          join(project, "tsconfig.json"),
          JSON.stringify({
            compilerOptions: {
              target: "ES2022",
              module: "NodeNext",
              moduleResolution: "NodeNext",
              strict: true,
              noEmit: true,
              skipLibCheck: false,
              lib: ["ES2023", "DOM"],
              types: [],
            },
            files: ["consumer.ts"],
          }),
        );
        ok(
          await exec(
            process.execPath,
            [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "."],
            { cwd: project, timeoutMs: 60_000 },
          ),
          "tsc -p .",
        );
      });

      test("npx anyws --help prints the usage", async () => {
        const result = await exec("npx", ["--offline", "anyws", "--help"], {
          cwd: project,
          timeoutMs: 60_000,
        });
        assert.equal(ok(result, "npx anyws --help"), `${CLI_USAGE}\n`);
      });

      test("the installed bin starts the demo chat, serves /healthz and exits 0 on SIGTERM", async () => {
        const bin = join(project, "node_modules", ".bin", "anyws");
        const child = spawn(bin, ["start", "--host", HOST, "--port", "0"], {
          cwd: project,
          env: childEnv(),
          stdio: ["ignore", "pipe", "pipe"],
        });
        running.add(child);
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8");
        child.stderr.setEncoding("utf8");
        child.stdout.on("data", (text: string) => stdout += text);
        child.stderr.on("data", (text: string) => stderr += text);
        const exited = new Promise<[number | null, string | null]>((resolve) =>
          child.on("close", (code, signal) => {
            running.delete(child);
            resolve([code, signal]);
          })
        );
        const deadline = Date.now() + 20_000;
        let match: RegExpExecArray | null = null;
        while (
          (match = /^anyws listening on ws:\/\/127\.0\.0\.1:(\d+) /m.exec(
            stdout,
          )) === null
        ) {
          assert.ok(
            Date.now() < deadline && child.exitCode === null,
            `No start line:\n${stdout}${stderr}`,
          );
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const response = await fetch(`http://${HOST}:${match[1]}/healthz`, {
          signal: AbortSignal.timeout(5000),
        });
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), {
          status: "ok",
          connections: 0,
        });
        child.kill("SIGTERM");
        let timer: ReturnType<typeof setTimeout> | undefined;
        const exit = await Promise.race([
          exited,
          new Promise<string>((resolve) => {
            timer = setTimeout(() => resolve("timeout"), 10_000);
          }),
        ]);
        clearTimeout(timer);
        assert.deepEqual(exit, [0, null], `${stdout}${stderr}`);
        assert.equal(stderr, "");
      });
    },
  );
}
