/**
 * The HTTP side of a server connection, before it is a WebSocket: reading
 * the request head, then either the opening handshake (validation, the
 * upgrade policy, the accept key) or a plain request with its body for the
 * application's `request` handler. It exists only until the connection is
 * open or answered, so an open connection keeps none of it.
 *
 * @module
 */

import { computeAcceptKey } from "../protocol/accept_key.ts";
import { hostProblem } from "../protocol/http_fields.ts";
import type { HttpRequest } from "../protocol/http_request.ts";
import {
  buildAcceptResponse,
  buildErrorResponse,
  serializeResponse,
} from "../protocol/http_response.ts";
import { RequestHeadReader } from "../protocol/request_head_reader.ts";
import { negotiateDeflate } from "../protocol/deflate/server_negotiation.ts";
import { PerMessageDeflate } from "../protocol/deflate/per_message_deflate.ts";
import {
  isWebSocketUpgrade,
  type UpgradeRequest,
  validateUpgrade,
} from "../protocol/server_handshake.ts";
import { joinBytes } from "../driver/join_bytes.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerHost, UpgradeDecision } from "./server_host.ts";

/** Where the exchange is: reading the head or a body, deciding, answering. */
const Step = {
  Head: 0,
  Body: 1,
  Upgrading: 2,
  Answering: 3,
  Done: 4,
} as const;
type Step = typeof Step[keyof typeof Step];

/** A plain request waiting for its body. */
interface PendingBody {
  request: HttpRequest;
  chunks: Uint8Array[];
  received: number;
  length: number;
}

/**
 * One connection's HTTP exchange. It reports to its driver: `upgraded`
 * (open the WebSocket with the 101 response and the bytes that followed the
 * head), `answered` (write a final response and close) and `dropped`.
 *
 * @example
 * ```ts
 * import { HttpPhase } from "./http_phase.ts";
 * import type { ServerConnection } from "./server_connection.ts";
 * import type { ServerHost, UpgradeDecision } from "./server_host.ts";
 * declare const host: ServerHost<unknown>;
 * declare const driver: ServerConnection<unknown>;
 * const phase = new HttpPhase(host, driver); // done by the connection
 * phase.onData(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
 * ```
 */
export class HttpPhase<Data> {
  #host: ServerHost<Data>;
  #driver: ServerConnection<Data>;
  #step: Step = Step.Head;
  #head: RequestHeadReader | undefined;
  // Bytes behind the head while the upgrade is decided; created on first use.
  #early: { chunks: Uint8Array[]; bytes: number } | undefined;
  #body: PendingBody | undefined;
  /** The peer half-closed before the exchange was over. */
  #peerEnded = false;

  /** The exchange of `driver`'s connection, under `host`'s options. */
  constructor(host: ServerHost<Data>, driver: ServerConnection<Data>) {
    this.#host = host;
    this.#driver = driver;
    const { options } = host;
    this.#head = new RequestHeadReader({
      maxHeadBytes: options.maxHeadBytes,
      maxHeaderCount: options.maxHeaderCount,
    });
  }

  /** Bytes arrived. */
  onData(bytes: Uint8Array): void {
    switch (this.#step) {
      case Step.Head:
        this.#readHead(bytes);
        return;
      case Step.Body:
        this.#readBody(bytes);
        return;
      case Step.Upgrading:
        this.#keepEarly(bytes);
        return;
    }
  }

  /**
   * The peer sent FIN. Whatever the exchange was doing, it still answers:
   * a client may half-close right after its request. Returns `true` when
   * nothing is pending, so the driver may end its side at once.
   */
  onEnd(): boolean {
    this.#peerEnded = true;
    return this.#step === Step.Head;
  }

  /** The exchange is over (the driver answered, opened, or dropped). */
  get done(): boolean {
    return this.#step === Step.Done;
  }

  #readHead(bytes: Uint8Array): void {
    const result = this.#head!.push(bytes);
    if (result.state === "incomplete") return;
    this.#head = undefined;
    if (result.state === "error") {
      this.#reject(result.status, result.message);
      return;
    }
    const { request, rest } = result;
    this.#driver.request = request;
    // RFC 9110 §7.8: a server may ignore an upgrade it does not support;
    // only a `websocket` upgrade starts the opening handshake.
    if (!isWebSocketUpgrade(request)) {
      this.#readRequestBody(request, rest);
      return;
    }
    const validation = validateUpgrade(request);
    if (!validation.ok) {
      this.#reject(validation.status, validation.message, validation.headers);
      return;
    }
    this.#step = Step.Upgrading;
    // The policy's decision: at once, unless an `authorize` hook answers
    // later (the bytes behind the head are kept meanwhile).
    let decision: UpgradeDecision | Promise<UpgradeDecision>;
    try {
      decision = this.#host.decide(
        request,
        validation.upgrade,
        this.#driver.remoteAddress,
      );
    } catch (error) {
      this.#upgradeFailed(error);
      return;
    }
    if (decision instanceof Promise) {
      if (rest.length > 0) this.#keepEarly(rest, false);
      decision.then(
        (answer) => this.#upgrade(validation.upgrade, answer, undefined),
      ).catch((error) => this.#upgradeFailed(error));
      return;
    }
    this.#upgrade(
      validation.upgrade,
      decision,
      rest.length > 0 ? [rest] : undefined,
    );
  }

  /** The decision could not be made: 500, or a crash once the connection is open. */
  #upgradeFailed(error: unknown): void {
    if (this.#step !== Step.Upgrading) {
      this.#driver.crashed(error);
      return;
    }
    this.#host.errored(error, this.#driver);
    this.#reject(500, "Internal Server Error");
  }

  /**
   * RFC 6455 §4.2.2: the policy's decision, then the 101 with the accept
   * key. `early`: the bytes that followed the head, when the decision came
   * at once (otherwise they were kept in `#early`).
   */
  #upgrade(
    upgrade: UpgradeRequest,
    decision: UpgradeDecision,
    early: Uint8Array[] | undefined,
  ): void {
    if (this.#step !== Step.Upgrading) return;
    if (!decision.accept) {
      this.#reject(
        decision.status,
        decision.body ?? "",
        decision.headers,
        decision.cause,
      );
      return;
    }
    // RFC 7692 §5: the first acceptable permessage-deflate offer, if the
    // server offers compression.
    const contexts = this.#host.deflate;
    const agreement = contexts === undefined
      ? undefined
      : negotiateDeflate(upgrade.extensions, contexts.options);
    let response: Uint8Array;
    try {
      response = buildAcceptResponse(computeAcceptKey(upgrade.key), {
        protocol: decision.protocol,
        extensions: agreement?.header,
        headers: decision.headers,
      });
    } catch (error) {
      this.#upgradeFailed(error);
      return;
    }
    this.#step = Step.Done;
    early ??= this.#early?.chunks;
    this.#early = undefined;
    const deflate = agreement === undefined
      ? undefined
      : new PerMessageDeflate(contexts!, agreement.parameters, "server");
    this.#driver.upgraded(decision, response, {
      early,
      peerEnded: this.#peerEnded,
      deflate,
    });
  }

  /**
   * A plain request. RFC 9112 §6.3: a body is delimited by Content-Length
   * (read here, up to `maxRequestBodySize`: 413 beyond) or by chunked
   * transfer coding (not supported: 411, so the client can retry with a
   * length).
   */
  #readRequestBody(request: HttpRequest, rest: Uint8Array): void {
    const badHost = hostProblem(request);
    if (badHost !== undefined) {
      this.#reject(400, badHost);
      return;
    }
    const { headers } = request;
    if (headers.has("transfer-encoding")) {
      this.#reject(411, "Length Required: send the body with a Content-Length");
      return;
    }
    const lengthField = headers.get("content-length");
    if (lengthField === null || lengthField === "0") {
      this.#serve(request, null);
      return;
    }
    if (!/^\d{1,15}$/.test(lengthField)) {
      this.#reject(400, "Bad Request: invalid Content-Length");
      return;
    }
    const length = Number(lengthField);
    const limit = this.#host.options.maxRequestBodySize;
    if (length > limit) {
      this.#reject(
        413,
        `Content Too Large: the limit is ${limit} bytes`,
        undefined,
        "maxRequestBodySize",
      );
      return;
    }
    this.#body = { request, chunks: [], received: 0, length };
    this.#step = Step.Body;
    this.#readBody(rest, false);
  }

  #readBody(bytes: Uint8Array, copy = true): void {
    const body = this.#body!;
    const take = Math.min(bytes.length, body.length - body.received);
    if (take > 0) {
      body.chunks.push(copy ? bytes.slice(0, take) : bytes.subarray(0, take));
      body.received += take;
    }
    if (body.received < body.length) return;
    this.#body = undefined;
    this.#serve(body.request, joinBytes(undefined, body.chunks, body.length));
  }

  /** A plain HTTP request: the application's `request` handler answers it, or 426. */
  #serve(request: HttpRequest, body: Uint8Array | null): void {
    this.#step = Step.Answering;
    let answer: Response | Promise<Response> | undefined;
    try {
      answer = this.#host.respond(request, body, this.#driver.remoteAddress);
    } catch (error) {
      this.#host.errored(error, this.#driver);
      this.#reject(500, "Internal Server Error");
      return;
    }
    if (answer === undefined) {
      // RFC 9110 §15.5.22: a 426 response MUST send an Upgrade header.
      this.#reject(426, "Upgrade Required: this is a WebSocket endpoint", {
        Upgrade: "websocket",
      });
      return;
    }
    let status = 0;
    Promise.resolve(answer)
      .then((response) => {
        if (!(response instanceof Response)) {
          throw new TypeError(
            `The request handler returned no Response: ${String(response)}`,
          );
        }
        status = response.status;
        return serializeResponse(response, { head: request.method === "HEAD" });
      })
      .then((bytes) => {
        if (this.#step !== Step.Answering) return;
        this.#host.served(this.#driver, status);
        this.#answer(bytes);
      })
      .catch((error) => {
        this.#host.errored(error, this.#driver);
        this.#reject(500, "Internal Server Error");
      });
  }

  /** Bytes behind the head while the upgrade is decided: at most one frame's worth. */
  #keepEarly(bytes: Uint8Array, copy = true): void {
    const early = this.#early ??= { chunks: [], bytes: 0 };
    early.bytes += bytes.length;
    if (early.bytes > this.#host.options.maxFrameSize + 14) {
      this.#step = Step.Done;
      this.#driver.terminate();
      return;
    }
    early.chunks.push(copy ? bytes.slice() : bytes);
  }

  #reject(
    status: number,
    message: string,
    headers?: HeadersInit,
    cause?: string,
  ): void {
    if (this.#step === Step.Done) return;
    this.#answer(buildErrorResponse(status, { body: message, headers }));
    // Reported once the answer is on its way: a failing report (a logger
    // that throws) cannot keep it from the client.
    this.#host.rejected(this.#driver, { status, reason: message, cause });
  }

  #answer(response: Uint8Array): void {
    this.#step = Step.Done;
    this.#body = undefined;
    this.#early = undefined;
    this.#driver.answered(response);
  }
}
