// The npm package as Node users get it: scripts/build_npm.ts builds it with
// `deno pack`, `npm pack` makes the tarball, and the tarball is installed
// offline into a fresh project made by `npm init -y` (a CommonJS project on
// npm 11), then imported from an ES module, required from CommonJS,
// type-checked and run as the `anyws` command, on Node 24 and on the oldest
// Node its `engines` allow (pinned in scripts/node22). It tests the Node
// package, so it runs on Node only; on Deno and Bun it reports a single
// skipped test saying so.
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
import { CLI_USAGE } from "../../cli/config.ts";

const RUNTIME = "Deno" in globalThis
  ? "Deno"
  : "Bun" in globalThis
  ? "Bun"
  : "Node";

if (RUNTIME !== "Node") {
  test(
    `npm package: not run on ${RUNTIME}, it builds the Node package and tests it on Node (node --test tests/scripts/npm_package_test.ts)`,
    { skip: `tests the npm package on Node, not ${RUNTIME}` },
    () => {},
  );
} else {
  nodePackageSuite();
}

function nodePackageSuite(): void {
  const ROOT = fileURLToPath(new URL("../..", import.meta.url));
  const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const JSR = JSON.parse(readFileSync(join(ROOT, "jsr.json"), "utf8"));
  const NODE22 = JSON.parse(
    readFileSync(join(ROOT, "scripts", "node22", "package.json"), "utf8"),
  );
  const HOST = "127.0.0.1";
  const NAME = "@anyws/anyws";

  /** A Node to run the package on. */
  interface NodeBinary {
    version: string;
    path: string;
  }

  /** The Node running this test (the pinned 24) and the oldest supported. */
  const NODES: NodeBinary[] = [
    { version: process.version.slice(1), path: process.execPath },
    {
      version: NODE22.dependencies.node,
      path: join(
        ROOT,
        "scripts",
        "node22",
        "node_modules",
        "node",
        "bin",
        "node",
      ),
    },
  ];

  /** `node` first on PATH: for npm, npx and the bin's shebang. */
  function childEnv(node = process.execPath): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) {
      // npm run sets npm_* variables that would redirect a nested npm.
      if (value === undefined || /^npm_/i.test(name)) continue;
      if (name.startsWith("WEBSOCKET_") || name.startsWith("OPENAI_")) continue;
      env[name] = value;
    }
    env.PATH = `${dirname(node)}${delimiter}${env.PATH ?? ""}`;
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
    options: { cwd: string; timeoutMs?: number; node?: string },
  ): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: childEnv(options.node),
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

  /**
   * A client half shared by the ES module and CommonJS scripts: sends one
   * message, prints the echo and the close, then stops `server`.
   */
  const CLIENT = `
  const ws = new WebSocket(server.url);
  const timer = setTimeout(() => { console.log("timeout"); process.exit(3); }, 10000);
  ws.onopen = () => ws.send("hello from " + kind);
  ws.onmessage = (event) => {
    console.log(event.data);
    ws.close(CloseCode.Normal, "done");
  };
  ws.onclose = async (event) => {
    console.log("closed " + event.code + " clean " + event.wasClean);
    await server.stop();
    clearTimeout(timer);
  };
`;

  describe(
    "the npm package (deno pack, npm pack, installed offline into an npm init -y project, run on Node)",
    { timeout: 300_000 },
    () => {
      const dir = mkdtempSync(join(tmpdir(), "anyws-npm-test-"));
      const out = join(dir, "npm");
      const project = join(dir, "project");
      const installed = join(project, "node_modules", ...NAME.split("/"));
      let tarball = "";

      before(async () => {
        const build = await exec(
          process.execPath,
          [join(ROOT, "scripts", "build_npm.ts"), "--out", out],
          { cwd: ROOT, timeoutMs: 120_000 },
        );
        ok(build, "node scripts/build_npm.ts");
        tarball = join(dir, `anyws-anyws-${PKG.version}.tgz`);
        assert.ok(existsSync(tarball), `No tarball: ${build.stdout}`);

        // A fresh Node project as a newcomer makes one, which installs the
        // tarball (its one dependency, pako, comes from npm's cache; redis
        // is an optional peer).
        rmSync(project, { recursive: true, force: true });
        mkdirSync(project, { recursive: true });
        ok(
          await exec("npm", ["init", "-y"], { cwd: project }),
          "npm init -y",
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

      test("is named @anyws/anyws as on JSR, with package.json's version and engines, the anyws bin and jsr.json's exports", () => {
        assert.equal(PKG.name, NAME);
        assert.equal(JSR.name, NAME);
        const manifest = JSON.parse(
          readFileSync(join(installed, "package.json"), "utf8"),
        );
        assert.equal(manifest.name, NAME);
        assert.equal(manifest.version, PKG.version);
        assert.equal(manifest.license, PKG.license);
        assert.equal(manifest.type, "module");
        assert.deepEqual(manifest.engines, PKG.engines);
        assert.deepEqual(manifest.bin, { anyws: "./cli/main.js" });
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
        assert.deepEqual(manifest.dependencies, {
          pako: PKG.dependencies.pako,
        });
        // Only anyws/engines/redis needs it; installing anyws does not.
        assert.deepEqual(manifest.peerDependencies, {
          redis: PKG.dependencies.redis,
        });
        assert.deepEqual(manifest.peerDependenciesMeta, {
          redis: { optional: true },
        });
      });

      test("is publishable: not private, public access, accepted by npm publish --dry-run", async () => {
        const manifest = JSON.parse(
          readFileSync(join(out, "package.json"), "utf8"),
        );
        assert.equal(manifest.private, undefined);
        assert.deepEqual(manifest.publishConfig, { access: "public" });
        const result = await exec(
          "npm",
          ["publish", "--dry-run", "--offline"],
          { cwd: out, timeoutMs: 60_000 },
        );
        const text = ok(result, "npm publish --dry-run") + result.stderr;
        assert.match(text, /with tag latest and public access \(dry-run\)/);
        assert.match(text, new RegExp(`^\\+ ${NAME}@${PKG.version}$`, "m"));
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
        assert.ok(files.includes("cli/main.js"));
        assert.ok(files.includes("examples/chat/app.js"), "the demo chat");
        assert.equal(
          readFileSync(join(installed, "cli", "main.js"), "utf8").split(
            "\n",
          )[0],
          "#!/usr/bin/env node",
        );
      });

      test('the project npm init -y made is CommonJS (no "type": "module")', () => {
        const manifest = JSON.parse(
          readFileSync(join(project, "package.json"), "utf8"),
        );
        assert.notEqual(manifest.type, "module");
      });

      test("engines.node is the oldest Node tested here: scripts/node22 pins it", async () => {
        assert.equal(PKG.engines.node, `>=${NODE22.dependencies.node}`);
        assert.ok(
          existsSync(NODES[1].path),
          `${NODES[1].path} is missing: run npm ci (or npm install)`,
        );
        const result = await exec(NODES[1].path, ["--version"], {
          cwd: project,
        });
        assert.equal(
          ok(result, "node --version").trim(),
          `v${NODES[1].version}`,
        );
      });

      for (const node of NODES) {
        test(`Node ${node.version}: an ES module (.mjs) imports ${NAME} and runs a Server that echoes to a WebSocket client`, async () => {
          writeFileSync(
            join(project, "echo.mjs"),
            `import { CloseCode, Server } from "${NAME}";

const kind = "an ES module";
const server = new Server({ hostname: "${HOST}", port: 0 });
server.on("message", (data, conn) => conn.send("echo:" + data));
await server.listen();
${CLIENT}`,
          );
          const result = await exec(node.path, ["echo.mjs"], {
            cwd: project,
            timeoutMs: 30_000,
          });
          assert.equal(
            ok(result, "node echo.mjs"),
            "echo:hello from an ES module\nclosed 1000 clean true\n",
          );
          assert.equal(result.stderr, "");
        });

        test(`Node ${node.version}: CommonJS (index.js of the npm init -y project) requires ${NAME} and its engines and runs the same echo`, async () => {
          writeFileSync(
            join(project, "index.js"),
            `const { CloseCode, Server } = require("${NAME}");
const { nodeEngine } = require("${NAME}/engines/node");

const kind = "CommonJS";
const server = new Server(nodeEngine(), { hostname: "${HOST}", port: 0 });
server.on("message", (data, conn) => conn.send("echo:" + data));
server.listen().then(() => {
${CLIENT}});
`,
          );
          const result = await exec(node.path, ["index.js"], {
            cwd: project,
            timeoutMs: 30_000,
          });
          assert.equal(
            ok(result, "node index.js"),
            "echo:hello from CommonJS\nclosed 1000 clean true\n",
          );
          // No ExperimentalWarning about require() of an ES module either.
          assert.equal(result.stderr, "");
        });

        test(`Node ${node.version}: the installed bin starts the demo chat, serves /healthz and exits 0 on SIGTERM`, async () => {
          const bin = join(project, "node_modules", ".bin", "anyws");
          const child = spawn(bin, ["start", "--host", HOST, "--port", "0"], {
            cwd: project,
            // The bin's `#!/usr/bin/env node` finds this node first.
            env: childEnv(node.path),
            stdio: ["ignore", "pipe", "pipe"],
          });
          running.add(child);
          let stdout = "";
          let stderr = "";
          child.stdout.setEncoding("utf8");
          child.stderr.setEncoding("utf8");
          child.stdout.on("data", (text: string) => stdout += text);
          child.stderr.on("data", (text: string) => stderr += text);
          const exited = new Promise<[number | null, string | null]>((
            resolve,
          ) =>
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
      }

      test("its declarations type-check strict TypeScript consumers, ES module and CommonJS", async () => {
        const consumer =
          `import { CloseCode, type Connection, Server } from "${NAME}";
import { Protocol } from "${NAME}/protocol";
import { autoEngine } from "${NAME}/engines/auto";
import { memoryEngine } from "${NAME}/engines/memory";

const server: Server = new Server({ hostname: "127.0.0.1", port: 0 });
server.on("message", (data, conn: Connection) => conn.send(\`echo:\${data}\`));
const code: 1001 = CloseCode.GoingAway;
const state: number = new Protocol({ role: "client" }).readyState;
export const used = [autoEngine, memoryEngine, code, state];
`;
        // consumer.mts is an ES module; consumer.ts is CommonJS in this
        // project, so TypeScript compiles its imports to require().
        writeFileSync(join(project, "consumer.mts"), consumer);
        writeFileSync(join(project, "consumer.ts"), consumer);
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
            files: ["consumer.mts", "consumer.ts"],
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
    },
  );
}
