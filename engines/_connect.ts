/**
 * Internal: what every engine's outbound connect shares: option checks,
 * the CA list, and sorting a runtime's error into a {@link ConnectError}.
 *
 * @module
 */

import type { ConnectOptions } from "../src/driver/engine.ts";
import { ConnectError } from "../src/driver/connect_error.ts";
import { UsageError } from "../src/protocol/errors.ts";

/**
 * Throws a `UsageError` when `options` cannot describe a connection.
 *
 * @example
 * ```ts
 * import { checkConnectOptions } from "./_connect.ts";
 * checkConnectOptions({ hostname: "127.0.0.1", port: 8080, timeout: 1000 });
 * ```
 */
export function checkConnectOptions(options: ConnectOptions): void {
  const { hostname, port, timeout, tls } = options;
  if (typeof hostname !== "string" || hostname === "") {
    throw new UsageError(`Invalid hostname: ${String(hostname)}`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`Invalid port: ${String(port)}`);
  }
  if (
    timeout !== undefined &&
    (typeof timeout !== "number" || !(timeout > 0) || timeout > 2 ** 31 - 1)
  ) {
    throw new UsageError(`Invalid timeout: ${String(timeout)}`);
  }
  if (tls === undefined) return;
  const { servername, ca, rejectUnauthorized } = tls;
  if (
    servername !== undefined &&
    (typeof servername !== "string" || servername === "")
  ) {
    throw new UsageError(`Invalid tls.servername: ${String(servername)}`);
  }
  if (
    ca !== undefined && typeof ca !== "string" &&
    !(Array.isArray(ca) && ca.every((pem) => typeof pem === "string"))
  ) {
    throw new UsageError("Invalid tls.ca: a PEM string or an array of them");
  }
  if (
    rejectUnauthorized !== undefined && typeof rejectUnauthorized !== "boolean"
  ) {
    throw new UsageError(
      `Invalid tls.rejectUnauthorized: ${String(rejectUnauthorized)}`,
    );
  }
}

/**
 * The extra CAs of `ca` as a list (empty when none).
 *
 * @example
 * ```ts
 * import { caList } from "./_connect.ts";
 * console.log(caList("-----BEGIN CERTIFICATE-----…").length); // 1
 * ```
 */
export function caList(ca: string | readonly string[] | undefined): string[] {
  if (ca === undefined) return [];
  return typeof ca === "string" ? [ca] : [...ca];
}

/**
 * `hostname` without the brackets of an IPv6 literal (`URL.hostname` keeps
 * them: `"[::1]"`), as the runtimes' connect functions take it.
 *
 * @example
 * ```ts
 * import { unbracketed } from "./_connect.ts";
 * console.log(unbracketed("[::1]"), unbracketed("example.com")); // "::1" "example.com"
 * ```
 */
export function unbracketed(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]")
    ? hostname.slice(1, -1)
    : hostname;
}

const DNS_CODES: ReadonlySet<string> = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EAI_NONAME",
  "EAI_NODATA",
]);

// Deno's resolver failure carries no code, only words.
const DNS_WORDS =
  /lookup address|getaddrinfo|name or service not known|nodename nor servname|no such host/i;

/**
 * Sorts an error from the TCP connect into a {@link ConnectError}:
 * `refused`, `dns` or `network`.
 *
 * @example
 * ```ts
 * import { tcpConnectError } from "./_connect.ts";
 * const error = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
 * console.log(tcpConnectError(error, { hostname: "127.0.0.1", port: 9 }).kind); // "refused"
 * ```
 */
export function tcpConnectError(
  error: unknown,
  options: ConnectOptions,
): ConnectError {
  const { code, name, message } = describe(error);
  const kind = code === "ECONNREFUSED" || name === "ConnectionRefused"
    ? "refused"
    : DNS_CODES.has(code) || DNS_WORDS.test(message)
    ? "dns"
    : "network";
  return new ConnectError(
    kind,
    options.hostname,
    options.port,
    kind === "refused" ? undefined : message,
    { cause: error },
  );
}

/**
 * A {@link ConnectError} of kind `tls` for an error met during the TLS
 * handshake.
 *
 * @example
 * ```ts
 * import { tlsConnectError } from "./_connect.ts";
 * const error = tlsConnectError(new Error("certificate has expired"), { hostname: "a.example", port: 443 });
 * console.log(error.message); // "TLS handshake failed: a.example:443 (certificate has expired)"
 * ```
 */
export function tlsConnectError(
  error: unknown,
  options: ConnectOptions,
): ConnectError {
  const { code, message } = describe(error);
  const detail = code !== "" && !message.includes(code)
    ? `${code}: ${message}`
    : message;
  return new ConnectError("tls", options.hostname, options.port, detail, {
    cause: error,
  });
}

/**
 * The {@link ConnectError} of an attempt that ran out of time.
 *
 * @example
 * ```ts
 * import { timeoutError } from "./_connect.ts";
 * console.log(timeoutError({ hostname: "a.example", port: 80, timeout: 500 }).message);
 * // "Connect timed out: a.example:80 (after 500 ms)"
 * ```
 */
export function timeoutError(options: ConnectOptions): ConnectError {
  return new ConnectError(
    "timeout",
    options.hostname,
    options.port,
    `after ${options.timeout} ms`,
  );
}

function describe(
  error: unknown,
): { code: string; name: string; message: string } {
  if (typeof error !== "object" || error === null) {
    return { code: "", name: "", message: String(error) };
  }
  const { code, name, message } = error as Record<string, unknown>;
  return {
    code: typeof code === "string" ? code : "",
    name: typeof name === "string" ? name : "",
    message: typeof message === "string" ? message : String(error),
  };
}
