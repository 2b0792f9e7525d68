// How the benchmark's report reads samples (scripts/bench/rows.ts and
// tables.ts): one row per native peer (Node: ws and ws+bufferutil), a
// compression case on a peer without permessage-deflate is n/a (not an
// error), the idle-with-compression target is the difference to the idle
// case of the same run, and the compression table says what each server
// agreed to. Nothing is measured.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CASES } from "../../scripts/bench/cases.ts";
import { buildRow } from "../../scripts/bench/rows.ts";
import type { Sample } from "../../scripts/bench/sample.ts";
import { RUNTIME_DEFS } from "../../scripts/bench/servers.ts";
import { compressionTable, headlineTable } from "../../scripts/bench/tables.ts";

function sample(
  fields: Partial<Sample> & Pick<Sample, "case" | "runtime" | "impl">,
): Sample {
  return {
    pass: 1,
    metrics: {},
    error: null,
    client: null,
    wallMs: 1,
    ...fields,
  };
}

const [WS, WS_BUFFERUTIL] = RUNTIME_DEFS.node.peers;

describe("rows", () => {
  const samples: Sample[] = [
    sample({
      case: "echo16k",
      runtime: "node",
      impl: "anyws",
      metrics: { mb_per_s: 600 },
    }),
    sample({
      case: "echo16k",
      runtime: "node",
      impl: "native",
      peer: "ws",
      metrics: { mb_per_s: 400 },
    }),
    sample({
      case: "echo16k",
      runtime: "node",
      impl: "native",
      peer: "ws+bufferutil",
      metrics: { mb_per_s: 800 },
    }),
  ];

  test("each Node peer has its own row and ratio against the same anyws figure", () => {
    const alone = buildRow(CASES.echo16k, "node", WS, samples);
    const withAddon = buildRow(CASES.echo16k, "node", WS_BUFFERUTIL, samples);
    assert.equal(alone.peer, "ws");
    assert.equal(alone.ratios.mb_per_s, 1.5);
    assert.equal(alone.target.met, true);
    assert.equal(withAddon.peer, "ws+bufferutil");
    assert.equal(withAddon.ratios.mb_per_s, 0.75);
    assert.equal(withAddon.target.met, false);
    assert.match(
      headlineTable([alone, withAddon]),
      /\(ws\+bufferutil\) \| 0\.750× \| ≥ 1× \| \*\*no\*\*/,
    );
  });

  test("a native sample recorded without a peer is the runtime's first peer's", () => {
    const old = samples.map(({ peer: _peer, ...rest }) => rest);
    const row = buildRow(CASES.echo16k, "node", WS, old);
    assert.equal(row.native.metrics.mb_per_s, 600); // median of 400 and 800
    const second = buildRow(CASES.echo16k, "node", WS_BUFFERUTIL, old);
    assert.equal(second.native.ok, 0);
  });

  test("a compression case on Deno.serve is n/a, with no target and no error", () => {
    const row = buildRow(
      CASES.echo_deflate,
      "deno",
      RUNTIME_DEFS.deno.peers[0],
      [sample({
        case: "echo_deflate",
        runtime: "deno",
        impl: "anyws",
        metrics: { msgs_per_s: 50_000 },
      })],
    );
    assert.match(row.native.na ?? "", /^Deno\.serve has no permessage-deflate/);
    assert.deepEqual(row.native.errors, []);
    assert.equal(row.target.value, null);
    assert.equal(row.target.met, null);
    assert.match(
      headlineTable([row]),
      /\| 50\.0 k \| n\/a \(Deno\.serve\) \| n\/a \| – \| n\/a \(no peer\) \|/,
    );
  });

  test("idle with compression is held to the idle case's figure plus 0.5 KiB", () => {
    const idle = (id: "idle" | "idle_deflate", kib: number): Sample =>
      sample({
        case: id,
        runtime: "bun",
        impl: "anyws",
        metrics: { rss_per_conn_kib: kib },
      });
    const peer = RUNTIME_DEFS.bun.peers[0];
    const within = buildRow(CASES.idle_deflate, "bun", peer, [
      idle("idle", 4.0),
      idle("idle_deflate", 4.25),
    ]);
    assert.equal(within.target.kind, "delta");
    assert.equal(within.target.actual, 0.25);
    assert.equal(within.target.limit, 4.5);
    assert.equal(within.target.met, true);
    const over = buildRow(CASES.idle_deflate, "bun", peer, [
      idle("idle", 4.0),
      idle("idle_deflate", 4.75),
    ]);
    assert.equal(over.target.met, false);
    assert.match(
      headlineTable([over]),
      /≤ idle \+ 0\.50 KiB \| \*\*no\*\* \(\+0\.75 KiB\)/,
    );
    const alone = buildRow(CASES.idle_deflate, "bun", peer, [
      idle("idle_deflate", 4.75),
    ]);
    assert.equal(alone.target.met, null);
    assert.match(headlineTable([alone]), /\? \(run idle too\)/);
  });
});

describe("the compression table", () => {
  test("gives each server's agreed extension, compressed share and bytes per message", () => {
    const rows = [
      buildRow(CASES.echo_deflate, "bun", RUNTIME_DEFS.bun.peers[0], [
        sample({
          case: "echo_deflate",
          runtime: "bun",
          impl: "anyws",
          metrics: {
            msgs_per_s: 1,
            compressed_pct: 100,
            wire_in_per_msg: 275.4,
            wire_out_per_msg: 276.7,
          },
          client: {
            extension:
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
          },
        }),
        sample({
          case: "echo_deflate",
          runtime: "bun",
          impl: "native",
          peer: "Bun.serve",
          metrics: { msgs_per_s: 1, compressed_pct: 0 },
          client: { extension: null },
        }),
      ]),
    ];
    const table = compressionTable(rows).split("\n");
    assert.equal(table.length, 4);
    assert.match(
      table[2],
      /\| anyws \| `deflate: \{ mode: "shared", threshold: 0 \}` \| `permessage-deflate; server_no_context_takeover; client_no_context_takeover` \| 100% \| 275 B \| 277 B \|$/,
    );
    assert.match(
      table[3],
      /\| Bun\.serve \| `perMessageDeflate: true .*` \| none \(declined\) \| 0% \| – \| – \|$/,
    );
  });

  test("is empty when no compression case ran", () => {
    assert.equal(
      compressionTable([buildRow(CASES.echo16, "node", WS, [])]),
      "",
    );
  });
});
