/**
 * A metrics snapshot in the text exposition formats scrapers read: the
 * Prometheus text format 0.0.4 (`# HELP`, `# TYPE`, counters named
 * `_total`), or OpenMetrics 1.0 (the same samples; counter families named
 * without `_total`, and `# EOF` last). Labels are only close codes, HTTP
 * statuses and fixed words, so their number is bounded.
 *
 * @module
 */

import type { MetricsSnapshot } from "./metrics.ts";

/**
 * The `Content-Type` of each format.
 *
 * @example
 * ```ts
 * import { METRICS_CONTENT_TYPES } from "@anyws/anyws";
 * console.log(METRICS_CONTENT_TYPES.prometheus); // "text/plain; version=0.0.4; charset=utf-8"
 * ```
 */
export const METRICS_CONTENT_TYPES: Readonly<
  Record<MetricsFormat, string>
> = Object.freeze({
  prometheus: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
});

/**
 * A text exposition format.
 *
 * @example
 * ```ts
 * import type { MetricsFormat } from "@anyws/anyws";
 * const format: MetricsFormat = "openmetrics";
 * ```
 */
export type MetricsFormat = "prometheus" | "openmetrics";

/** One sample: its labels (in order) and value. */
type Sample = [labels: ReadonlyArray<[string, string]>, value: number];

/** One metric family. */
interface Family {
  name: string;
  type: "counter" | "gauge";
  help: string;
  samples: Sample[];
}

/**
 * The format a scraper asked for in its `Accept` header: OpenMetrics when
 * it names `application/openmetrics-text`, else the Prometheus text format.
 *
 * @example
 * ```ts
 * import { negotiateMetricsFormat } from "./prometheus.ts";
 * console.log(negotiateMetricsFormat("application/openmetrics-text;version=1.0.0")); // "openmetrics"
 * ```
 */
export function negotiateMetricsFormat(accept: string | null): MetricsFormat {
  return accept !== null && /application\/openmetrics-text/i.test(accept)
    ? "openmetrics"
    : "prometheus";
}

/**
 * Options of {@link formatMetrics}.
 *
 * @example
 * ```ts
 * import type { FormatMetricsOptions } from "@anyws/anyws";
 * const options: FormatMetricsOptions = { format: "openmetrics", help: { logins: "Logins." } };
 * ```
 */
export interface FormatMetricsOptions {
  /** Default `"prometheus"`. */
  format?: MetricsFormat;
  /** The help text of the snapshot's custom `counters`, by name. */
  help?: Readonly<Record<string, string>>;
}

/**
 * The snapshot as exposition text, one family per metric, every line ended
 * by a newline.
 *
 * @example
 * ```ts
 * import { Server, formatMetrics } from "@anyws/anyws";
 * const server = new Server({ port: 0 });
 * const text = formatMetrics(server.metrics());
 * console.log(text.split("\n")[0]); // "# HELP anyws_connections_open Open WebSocket connections."
 * ```
 */
export function formatMetrics(
  snapshot: MetricsSnapshot,
  options: FormatMetricsOptions = {},
): string {
  const { format = "prometheus", help = {} } = options;
  let text = "";
  for (const family of families(snapshot, help)) {
    const open = format === "openmetrics";
    // OpenMetrics names a counter family without its samples' `_total`.
    const familyName = open && family.type === "counter"
      ? family.name.slice(0, -"_total".length)
      : family.name;
    text += `# HELP ${familyName} ${escapeHelp(family.help)}\n`;
    text += `# TYPE ${familyName} ${family.type}\n`;
    for (const [labels, value] of family.samples) {
      text += `${family.name}${formatLabels(labels)} ${formatValue(value)}\n`;
    }
  }
  if (format === "openmetrics") text += "# EOF\n";
  return text;
}

function families(
  s: MetricsSnapshot,
  help: Readonly<Record<string, string>>,
): Family[] {
  const list: Family[] = [
    gauge("anyws_connections_open", "Open WebSocket connections.", [
      [[], s.connections.open],
    ]),
    gauge(
      "anyws_connections_pending",
      "Accepted sockets not open as WebSocket connections: handshakes and plain HTTP exchanges.",
      [[[], s.connections.pending]],
    ),
    counter(
      "anyws_connections_opened_total",
      "WebSocket connections opened.",
      [[[], s.connections.opened]],
    ),
    counter(
      "anyws_connections_closed_total",
      "WebSocket connections closed, by close code (1000-1015, 3xxx, 4xxx, other).",
      labelled("code", s.connections.closed),
    ),
    counter(
      "anyws_handshakes_total",
      "Opening handshakes by outcome (accepted, rejected, abandoned) and HTTP status.",
      [
        [[["outcome", "accepted"], ["status", "101"]], s.handshakes.accepted],
        ...labelled("status", s.handshakes.rejected).map(
          ([labels, value]): Sample => [
            [["outcome", "rejected"], ...labels],
            value,
          ],
        ),
        [
          [["outcome", "abandoned"], ["status", "none"]],
          s.handshakes.abandoned,
        ],
      ],
    ),
    counter(
      "anyws_http_responses_total",
      "Plain HTTP requests answered, by who answered (handler, server) and HTTP status.",
      [
        ...withLabel("source", "handler", labelled("status", s.http.served)),
        ...withLabel("source", "server", labelled("status", s.http.refused)),
      ],
    ),
    counter(
      "anyws_messages_received_total",
      "WebSocket messages received.",
      [[[], s.messages.received]],
    ),
    counter(
      "anyws_messages_sent_total",
      "WebSocket messages queued for sending, one per receiving connection.",
      [[[], s.messages.sent]],
    ),
    counter(
      "anyws_messages_rate_limited_total",
      "Messages over the per-connection rate limit, not delivered.",
      [[[], s.messages.rateLimited]],
    ),
    counter("anyws_received_bytes_total", "Bytes read from the sockets.", [
      [[], s.bytes.received],
    ]),
    counter("anyws_sent_bytes_total", "Bytes written to the sockets.", [
      [[], s.bytes.sent],
    ]),
    gauge(
      "anyws_buffered_bytes",
      "Bytes queued for the open connections and not yet sent.",
      [[[], s.bytes.buffered]],
    ),
    counter(
      "anyws_backpressure_pauses_total",
      "Times a connection stopped being read until its peer caught up.",
      [[[], s.backpressure.pauses]],
    ),
    counter(
      "anyws_buffer_limit_closes_total",
      "Connections closed for going over maxBufferedAmount.",
      [[[], s.backpressure.bufferLimitCloses]],
    ),
    counter(
      "anyws_broadcasts_total",
      "Broadcasts (server, room, user) addressed to at least one connection.",
      [[[], s.broadcasts.sent]],
    ),
    counter(
      "anyws_broadcast_deliveries_total",
      "Messages queued by broadcasts and relayed cluster messages, one per connection.",
      [[[], s.broadcasts.deliveries]],
    ),
    counter(
      "anyws_deflate_input_bytes_total",
      "Bytes of outgoing messages compressed with permessage-deflate.",
      [[[], s.compression.compressedIn]],
    ),
    counter(
      "anyws_deflate_output_bytes_total",
      "What those bytes compressed to.",
      [[[], s.compression.compressedOut]],
    ),
    counter(
      "anyws_inflate_input_bytes_total",
      "Bytes of incoming compressed messages.",
      [[[], s.compression.decompressedIn]],
    ),
    counter(
      "anyws_inflate_output_bytes_total",
      "What those bytes decompressed to.",
      [[[], s.compression.decompressedOut]],
    ),
    gauge(
      "anyws_ready",
      "1 while the server takes new connections, 0 before listening and from stop() on.",
      [[[], s.ready ? 1 : 0]],
    ),
  ];
  for (const [name, value] of Object.entries(s.counters)) {
    const text = Object.hasOwn(help, name)
      ? help[name]
      : `The ${name} counter.`;
    list.push(counter(`anyws_${name}_total`, text, [[[], value]]));
  }
  return list;
}

function counter(name: string, help: string, samples: Sample[]): Family {
  return { name, type: "counter", help, samples };
}

function gauge(name: string, help: string, samples: Sample[]): Family {
  return { name, type: "gauge", help, samples };
}

/** One sample per key of `counts`, in a stable order. */
function labelled(label: string, counts: Record<string, number>): Sample[] {
  return Object.keys(counts).sort().map((key) => [[[label, key]], counts[key]]);
}

function withLabel(label: string, value: string, samples: Sample[]): Sample[] {
  return samples.map(([labels, count]) => [[[label, value], ...labels], count]);
}

function formatLabels(labels: ReadonlyArray<[string, string]>): string {
  if (labels.length === 0) return "";
  return `{${
    labels.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(",")
  }}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** The exposition format's escapes in HELP text: backslash and newline. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** The escapes in label values: backslash, double quote, newline. */
function escapeLabel(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(
    /\n/g,
    "\\n",
  );
}
