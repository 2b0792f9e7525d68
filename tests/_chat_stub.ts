/**
 * A local stand-in for an OpenAI-compatible chat-completions HTTP API (the
 * real one is outside this machine): `POST /v1/chat/completions` answers
 * with `choices[0].message.content`, fails with 500, or holds its answer
 * until released. Built on `node:http`, which Deno, Bun and Node all serve.
 *
 * @module
 */

import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/**
 * One request the stand-in received.
 *
 * @example
 * ```ts
 * const [first] = stub.requests;
 * console.log(first.authorization); // "Bearer test-key"
 * ```
 */
export interface StubRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The parsed JSON body (`undefined` if it was not JSON). */
  body: {
    model?: unknown;
    messages?: Array<{ role: string; content: string }>;
  } | undefined;
}

/**
 * How the stand-in answers.
 *
 * @example
 * ```ts
 * stub.mode = "fail"; // 500 with an OpenAI-style error body
 * ```
 */
export type StubMode = "answer" | "fail";

/**
 * The stand-in server.
 *
 * @example
 * ```ts
 * const stub = await ChatCompletionsStub.start();
 * register(server, { assistant: { apiKey: "k", baseUrl: stub.baseUrl } });
 * await stub.close();
 * ```
 */
export class ChatCompletionsStub {
  /** Every request received, in order. */
  readonly requests: StubRequest[] = [];
  /** `"answer"` (200 with a completion) or `"fail"` (500 with an error body). */
  mode: StubMode = "answer";
  /** The completion text for a question (the last user message). */
  answer: (question: string) => string = (question) =>
    `Stand-in answer to: ${question}`;
  #server: HttpServer;
  #held: Array<() => void> = [];
  #holding = false;
  #arrived: Array<() => void> = [];

  private constructor(server: HttpServer) {
    this.#server = server;
  }

  /** Starts a stand-in on 127.0.0.1 and a free port. */
  static async start(): Promise<ChatCompletionsStub> {
    const server = createServer();
    const stub = new ChatCompletionsStub(server);
    server.on("request", (request, response) => {
      stub.#handle(request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return stub;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The API root to configure: `http://127.0.0.1:<port>/v1`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** From now on, answers wait until {@link release}. */
  hold(): void {
    this.#holding = true;
  }

  /** Sends every held answer and stops holding. */
  release(): void {
    this.#holding = false;
    const held = this.#held;
    this.#held = [];
    for (const send of held) send();
  }

  /** Resolves once `count` requests have arrived in total (at most `ms`). */
  async received(count: number, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.requests.length < count) {
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out after ${ms} ms: ${count} stand-in requests (got ${this.requests.length})`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 20);
        this.#arrived.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Answers what is held, then closes the server and its connections. */
  async close(): Promise<void> {
    this.release();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections?.();
    });
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Uint8Array[] = [];
    request.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    request.on("end", () => {
      const text = new TextDecoder().decode(concat(chunks));
      let body: StubRequest["body"];
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      this.requests.push({
        method: request.method ?? "",
        path: request.url ?? "",
        authorization: request.headers.authorization,
        contentType: request.headers["content-type"],
        body,
      });
      const arrived = this.#arrived;
      this.#arrived = [];
      for (const wake of arrived) wake();
      const send = () => this.#respond(request, response, body);
      if (this.#holding) this.#held.push(send);
      else send();
    });
  }

  #respond(
    request: IncomingMessage,
    response: ServerResponse,
    body: StubRequest["body"],
  ): void {
    const headers = {
      "Content-Type": "application/json",
      Connection: "close",
    };
    if (request.method !== "POST" || request.url !== "/v1/chat/completions") {
      response.writeHead(404, headers);
      response.end(JSON.stringify({ error: { message: "Not found" } }));
      return;
    }
    if (this.mode === "fail") {
      response.writeHead(500, "Internal Server Error", headers);
      response.end(
        JSON.stringify({
          error: { message: "Stand-in failure", type: "server_error" },
        }),
      );
      return;
    }
    const question = body?.messages?.findLast((m) => m.role === "user")
      ?.content ?? "";
    response.writeHead(200, headers);
    response.end(JSON.stringify({
      id: "chatcmpl-stub",
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: body?.model,
      choices: [{
        index: 0,
        message: { role: "assistant", content: this.answer(question) },
        finish_reason: "stop",
      }],
    }));
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
