/**
 * The engine contract, for those who write an engine or a DEFLATE
 * implementation: what a runtime adapter must provide so the driver can
 * run WebSocket connections over it. The engines themselves are
 * `@anyws/anyws/engines/{auto,deno,bun,node,memory}`.
 *
 * @example
 * ```ts
 * import type { Engine, Transport } from "@anyws/anyws/engines";
 * function describe(engine: Engine, transport: Transport): string {
 *   return `${engine.name}: ${transport.remoteAddress}`;
 * }
 * ```
 *
 * @module
 */

export type {
  AcceptTransport,
  ConnectOptions,
  ConnectTlsOptions,
  DeflateImplementation,
  Engine,
  Listener,
  ListenOptions,
  TlsOptions,
  Transport,
  TransportHandler,
} from "../src/driver/engine.ts";
export type {
  DeflateCodec,
  Deflater,
  DeflaterOptions,
  Inflater,
  MessageCodec,
} from "../src/protocol/deflate/codec.ts";
export {
  ConnectError,
  type ConnectFailure,
} from "../src/driver/connect_error.ts";
