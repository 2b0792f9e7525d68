// The client benchmark end to end (npm run bench:client), briefly: anyws's
// client and the runtime's own WebSocket on the runtime this test runs on,
// 5 connections, 0.1 s warm-up and 0.4 s measured each, against the same
// echo server. It must give the row with nonzero throughput and CPU time
// per message for both, and no error. The figures mean nothing (a smoke
// run).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClientRow } from "../../scripts/bench/client_rows.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const runtime = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

test(`bench:client measures anyws and the built-in WebSocket on ${runtime}`, {
  timeout: 30_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "anyws-bench-client-"));
  try {
    const out = join(dir, "client.md");
    const result = spawnSync(
      join(ROOT, "node_modules", ".bin", "node"),
      [
        join(ROOT, "scripts", "bench", "client.ts"),
        "--quick",
        "--runtime",
        runtime,
        "--clients=WebSocket",
        "--connections=5",
        "--warmup=0.1",
        "--duration=0.4",
        "--no-pin",
        "--out",
        out,
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 25_000 },
    );
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    const report = JSON.parse(readFileSync(join(dir, "client.json"), "utf8"));
    const rows = report.rows as ClientRow[];
    assert.equal(rows.length, 1, result.stderr);
    assert.equal(rows[0].peer, "WebSocket");
    for (const row of rows) {
      assert.equal(row.runtime, runtime);
      for (const summary of [row.anyws, row.other]) {
        assert.deepEqual(summary.errors, [], result.stderr);
        assert.ok(summary.metrics.msgs_per_s > 0, result.stderr);
        assert.ok(summary.metrics.client_cpu_us_per_msg > 0, result.stderr);
      }
      assert.ok((row.throughputRatio ?? 0) > 0);
    }
    const markdown = readFileSync(out, "utf8");
    assert.match(markdown, /\| runtime \| peer client \| anyws msgs\/s \|/);
    assert.match(markdown, /echo 5 × 16 × 32 B of text/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
