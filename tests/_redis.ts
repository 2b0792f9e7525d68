// A private redis-server for tests: the Debian package's binary on a free
// loopback port, no persistence, in a temporary directory. It can be
// SIGKILLed and restarted on the same port; stop() always cleans up.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REDIS_SERVER = "/usr/bin/redis-server";
const START_TIMEOUT_MS = 10_000;

/** A port nobody listens on right now (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }

  /** A server on `port` (default: a free one), not started yet. */
  static async create(port?: number): Promise<RedisServer> {
    return new RedisServer(
      port ?? await freePort(),
      mkdtempSync(join(tmpdir(), "anyws-redis-")),
    );
  }

  /** Starts a server on a free port and waits until it accepts connections. */
  static async start(): Promise<RedisServer> {
    const server = await RedisServer.create();
    try {
      await server.restart();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The redis-server process id while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** (Re)starts the server on the same port; resolves once it is ready. */
  async restart(): Promise<void> {
    if (this.#child) throw new Error("redis-server is already running");
    const child = spawn(REDIS_SERVER, [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      this.dir,
      "--daemonize",
      "no",
      "--protected-mode",
      "yes",
    ], { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once("exit", () => resolve())
    );
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        finish(new Error(`redis-server did not start in time:\n${output}`));
      }, START_TIMEOUT_MS);
      const onData = (chunk: Uint8Array) => {
        output += new TextDecoder().decode(chunk);
        if (output.includes("Ready to accept connections")) finish();
      };
      const onExit = (code: number | null) =>
        finish(new Error(`redis-server exited (${code}):\n${output}`));
      const onError = (error: Error) => finish(error);
      function finish(error?: Error): void {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.off("exit", onExit);
        child.off("error", onError);
        if (error) reject(error);
        else resolve();
      }
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.on("exit", onExit);
      child.on("error", onError);
    }).catch(async (error) => {
      await this.kill();
      throw error;
    });
    // From here on its output is not needed; keep the pipes drained.
    child.stdout?.resume();
    child.stderr?.resume();
  }

  /** SIGKILL: the server dies at once, as in a crash. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
    }
    await this.#exited;
    child.stdout?.destroy();
    child.stderr?.destroy();
  }

  /** Kills the server if it runs and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The same as {@link stop}. */
  close(): Promise<void> {
    return this.stop();
  }
}
