/**
 * The driver fuzzer's view of the server's side of each connection: the
 * transport the driver writes to and the handler the engine calls, both
 * recorded, so that every byte written and every call can be checked.
 *
 * @module
 */

import type { Transport, TransportHandler } from "../src/driver/engine.ts";
import type { Peer, Reporter } from "./_fuzz_model.ts";

/** Options of {@link recordConnection}. */
export interface RecordingOptions {
  /**
   * Report the transport's close on a later turn (`setImmediate`), as the
   * real engines do, instead of when the memory engine reports it.
   */
  lateClose: boolean;
}

/**
 * Accepts `transport` with `accept` (the server's), recording into `peer`
 * what the driver writes (before its end() or abort()) and reporting a
 * write after FIN or abort, any call after the close, and a second close.
 * Returns the handler to give the engine.
 */
export function recordConnection(
  peer: Peer,
  transport: Transport,
  accept: (transport: Transport) => TransportHandler,
  report: Reporter,
  options: RecordingOptions,
): TransportHandler {
  const afterClose = (what: string) => {
    if (peer.transportClosed) {
      report.problem(
        `${peer.label}: the driver called transport.${what}() after onClose`,
      );
    }
  };
  const recorded: Transport = {
    remoteAddress: transport.remoteAddress,
    remotePort: transport.remotePort,
    get unsentBytes() {
      return transport.unsentBytes;
    },
    write: (bytes) => {
      afterClose("write");
      report.count("transport writes");
      if (peer.serverEnded) {
        report.problem(
          `${peer.label}: the server wrote ${bytes.length} bytes after its FIN`,
        );
      } else if (peer.serverAborted) {
        report.problem(
          `${peer.label}: the server wrote ${bytes.length} bytes after abort()`,
        );
      } else {
        peer.wire.push(bytes);
      }
      return transport.write(bytes);
    },
    requestDrain: () => {
      afterClose("requestDrain");
      return transport.requestDrain();
    },
    end: () => {
      afterClose("end");
      if (!peer.serverEnded && !peer.serverAborted) {
        report.log(`${peer.label}: server FIN`);
        report.count("server FIN");
      }
      peer.serverEnded = true;
      transport.end();
    },
    abort: () => {
      afterClose("abort");
      if (!peer.serverAborted) {
        report.log(`${peer.label}: server abort`);
        report.count("server abort");
      }
      peer.serverAborted = true;
      transport.abort();
    },
    pause: () => {
      afterClose("pause");
      report.count("transport pause");
      transport.pause();
    },
    resume: () => {
      afterClose("resume");
      transport.resume();
    },
  };
  const handler = accept(recorded);
  peer.driver = handler as TransportHandler & { readyState: number };
  return {
    onData: (bytes) => {
      if (peer.transportClosed) {
        report.problem(`${peer.label}: onData after onClose`);
      }
      handler.onData(bytes);
    },
    onDrain: () => {
      report.count("transport drain");
      handler.onDrain();
    },
    onEnd: () => handler.onEnd(),
    onClose: (error) => {
      const close = () => {
        if (peer.transportClosed) {
          report.problem(`${peer.label}: onClose twice`);
        }
        peer.transportClosed = true;
        report.log(
          `${peer.label}: transport closed${
            error ? ` (${error.message})` : ""
          }`,
        );
        handler.onClose(error);
      };
      // Real engines report the close on a later turn: a dropped
      // connection waits for it, and everything else goes on meanwhile.
      if (options.lateClose) setImmediate(close);
      else close();
    },
  };
}
