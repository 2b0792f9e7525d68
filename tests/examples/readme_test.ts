// Every ```ts and ```html block of README.md, run as a reader would run it
// (its imports of "@anyws/anyws" resolve to this checkout), on the runtime
// running this test. How each block is run is said by the directive above
// it (tests/_readme_snippets.ts): servers are started and probed, clients
// and programs must exit 0 and print what the directive expects, pages are
// loaded in Chromium from the server they name.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import {
  type PortMap,
  readSnippets,
  type Snippet,
  withPorts,
} from "../_readme_snippets.ts";
import { killAll, runtimeCommand, Spawned } from "../_cli_process.ts";
import { delay } from "../_clients.ts";
import { makePki } from "../_pki.ts";
import { freePort, RedisServer } from "../_redis.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const README = join(ROOT, "README.md");
const CHROMIUM = "/usr/bin/chromium";
const HOST = "127.0.0.1";
const RUN_LIMIT = 30_000;
const TEST = { timeout: 90_000 };

const markdown = readFileSync(README, "utf8");
let snippets: Snippet[] = [];
let readError: unknown;
try {
  snippets = readSnippets(markdown);
} catch (error) {
  readError = error;
}

/** Starts a snippet's file on this runtime, in `cwd`. */
function start(file: string, cwd: string): Spawned {
  const [command, args] = runtimeCommand(file);
  return new Spawned(command, args, { cwd });
}

/** Everything a snippet's process printed, stdout then stderr. */
const printed = (spawned: Spawned): string => spawned.stdout + spawned.stderr;

/** A private CA (ca.pem) and a leaf it signs for localhost (cert.pem, key.pem), in `dir`. */
function writeCertificates(dir: string): void {
  const pki = makePki(dir);
  writeFileSync(join(dir, "ca.pem"), pki.ca);
  writeFileSync(join(dir, "cert.pem"), pki.cert);
  writeFileSync(join(dir, "key.pem"), pki.key);
}

/** Resolves once `port` accepts a TCP connection; fails if `running` exits first. */
async function waitForPort(port: number, running: Spawned): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (running.exit !== undefined) {
      throw new Error(
        `the server exited (${running.exit.code}) before listening:${running.output()}`,
      );
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, HOST);
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await delay(100);
  }
  throw new Error(
    `nothing listened on ${port} within 20 s:${running.output()}`,
  );
}

async function stop(running: Spawned): Promise<void> {
  running.kill("SIGTERM");
  await running.waitExit(5000).catch(() => running.kill("SIGKILL"));
}

function describeSnippet(snippet: Snippet): string {
  const first =
    snippet.code.split("\n").find((line) =>
      line.trim() !== "" && !line.startsWith("import")
    ) ?? "";
  return `README line ${snippet.line} (${snippet.kind}): ${
    first.trim().slice(0, 60)
  }`;
}

describe("README.md's code blocks", () => {
  const dir = join(
    ROOT,
    ".readme",
    `${
      "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node"
    }-${process.pid}`,
  );
  const ports = new Map<string, number>();
  let redis: RedisServer | undefined;

  before(async () => {
    mkdirSync(dir, { recursive: true });
    ports.set("8080", await freePort());
    ports.set("3000", await freePort());
    ports.set("8443", await freePort());
    if (snippets.some((snippet) => snippet.attributes.files === "tls")) {
      writeCertificates(dir);
    }
    if (snippets.some((snippet) => snippet.code.includes("6379"))) {
      redis = await RedisServer.start();
      ports.set("6379", redis.port);
    }
  });

  after(async () => {
    await killAll();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const file = (snippet: Snippet, portMap: PortMap): string => {
    const path = join(dir, `line_${snippet.line}.${snippet.language}`);
    writeFileSync(path, withPorts(snippet.code, portMap));
    return path;
  };

  /** Runs a program snippet to its end and checks its exit code and output. */
  const runProgram = async (snippet: Snippet): Promise<void> => {
    const running = start(file(snippet, ports), dir);
    const exit = await running.waitExit(RUN_LIMIT).catch((error) => {
      running.kill("SIGKILL");
      throw error;
    });
    assert.equal(exit.code, 0, `exit code ${exit.code}${running.output()}`);
    const expected = snippet.attributes.expect;
    if (expected !== undefined) {
      assert.ok(
        printed(running).includes(expected),
        `expected ${JSON.stringify(expected)} in:${running.output()}`,
      );
    }
  };

  /** Loads a page snippet in Chromium from the server on `port`; waits for `expect` on its console. */
  const runPage = async (snippet: Snippet, port: number): Promise<void> => {
    assert.ok(
      existsSync(CHROMIUM),
      `Chromium not found: ${CHROMIUM} (npm run setup installs it)`,
    );
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
    });
    try {
      const page = await browser.newPage();
      const logged: string[] = [];
      page.on("console", (message) => logged.push(message.text()));
      page.on(
        "pageerror",
        (error) => logged.push(`page error: ${error.message}`),
      );
      const origin = `http://${HOST}:${port}`;
      // The page is written into a document the server served, so it has the
      // server's origin (a page from elsewhere would be refused by the
      // Origin check and by Chromium's local network access rules).
      await page.goto(`${origin}/anyws.js`);
      await page.setContent(withPorts(snippet.code, ports));
      const expected = snippet.attributes.expect ?? "";
      const deadline = Date.now() + 15_000;
      while (
        !logged.some((line) => line.includes(expected)) && Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(
        logged.some((line) => line.includes(expected)),
        `expected ${JSON.stringify(expected)} on the console:\n${
          logged.join("\n")
        }`,
      );
    } finally {
      await browser.close();
    }
  };

  test("every ts and html block has a directive saying how it is tested", () => {
    assert.equal(readError, undefined, String(readError));
    assert.ok(snippets.length >= 10, `only ${snippets.length} snippets found`);
  });

  test("the names that `with` uses are served by a snippet", () => {
    const served = new Set(
      snippets.filter((s) => s.kind === "serve").map((s) => s.attributes.as),
    );
    for (const snippet of snippets) {
      if (snippet.attributes.with !== undefined) {
        assert.ok(
          served.has(snippet.attributes.with),
          `README line ${snippet.line}: no snippet serves ${snippet.attributes.with}`,
        );
      }
    }
  });

  for (const snippet of snippets) {
    if (snippet.kind === "run" && snippet.attributes.with === undefined) {
      test(describeSnippet(snippet), TEST, () => runProgram(snippet));
    }
    if (snippet.kind !== "serve") continue;
    const clients = snippets.filter((other) =>
      other.attributes.with === snippet.attributes.as
    );
    const label = clients.length === 0
      ? ""
      : `, with ${clients.map((c) => `line ${c.line}`).join(", ")}`;
    test(`${describeSnippet(snippet)}${label}`, TEST, async () => {
      const port = ports.get(snippet.attributes.port ?? "8080")!;
      const running = start(file(snippet, ports), dir);
      try {
        await waitForPort(port, running);
        if (snippet.attributes.get !== undefined) {
          const response = await fetch(
            `http://${HOST}:${port}${snippet.attributes.get}`,
          );
          const body = await response.text();
          assert.ok(
            body.includes(snippet.attributes.expect ?? ""),
            `GET ${snippet.attributes.get}: ${response.status} ${
              body.slice(0, 500)
            }`,
          );
        }
        for (const client of clients) {
          if (client.kind === "page") await runPage(client, port);
          else await runProgram(client);
        }
        assert.equal(
          running.exit,
          undefined,
          `the server exited:${running.output()}`,
        );
      } finally {
        await stop(running);
      }
    });
  }
});
