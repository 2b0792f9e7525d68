/**
 * Runs a server module and writes a heap snapshot of it on `SIGUSR2`
 * (`scripts/bench/heap_per_conn.ts` drives it). A measuring instrument, not a
 * library.
 *
 * Environment: `HEAP_TARGET`, the server module to import (it reads its port
 * from the last command-line argument, as the benchmark servers do);
 * `HEAP_OUT`, where to write: the N-th signal writes `HEAP_OUT.N`. On each
 * signal it collects garbage, writes the snapshot and prints
 * `heap snapshot N written`. Node and Deno write V8's
 * format (`node:v8` `writeHeapSnapshot`; start them with `--expose-gc` and
 * `--v8-flags=--expose-gc`), Bun writes JavaScriptCore's
 * (`Bun.generateHeapSnapshot()` as JSON).
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import process from "node:process";

interface BunHeap {
  gc(force: boolean): void;
  generateHeapSnapshot(): unknown;
}

const target = process.env.HEAP_TARGET;
const out = process.env.HEAP_OUT;
if (!target || !out) {
  console.error("heap_probe: set HEAP_TARGET and HEAP_OUT");
  process.exit(2);
}

let taken = 0;
process.on("SIGUSR2", async () => {
  const n = ++taken;
  const file = `${out}.${n}`;
  const bun = (globalThis as { Bun?: BunHeap }).Bun;
  if (bun !== undefined) {
    bun.gc(true);
    writeFileSync(file, JSON.stringify(bun.generateHeapSnapshot()));
  } else {
    (globalThis as { gc?: () => void }).gc?.();
    const { writeHeapSnapshot } = await import("node:v8");
    writeHeapSnapshot(file);
  }
  console.log(`heap snapshot ${n} written`);
});

await import(target);
