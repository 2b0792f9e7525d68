/**
 * The API reference: `deno doc --html` over every entry point the package
 * exports (`deno.json`'s `exports`, the same as `jsr.json`'s), written to `docs/api/` (open `docs/api/index.html`).
 *
 * ```sh
 * node scripts/build_api_docs.ts          # (re)write docs/api
 * node scripts/build_api_docs.ts --check  # exit 1 when docs/api is stale
 * ```
 *
 * `npm test` runs the check, so the committed reference always matches the
 * JSDoc: after changing an exported symbol's documentation or signature,
 * run `npm run docs:api` and commit the result. The output is
 * deterministic (no dates, no absolute paths), so an unchanged API leaves
 * `docs/api` unchanged.
 *
 * Runs with `node`, `deno run -A` and `bun`.
 *
 * @module
 */

import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { run } from "./_run.ts";
import { entryPoints } from "./check_doc_examples.ts";
import { ROOT } from "./test/paths.ts";
import { DENO } from "./test/toolchain.ts";

/** Where the reference is committed. */
export const API_DOCS_DIR: string = join(ROOT, "docs", "api");

/**
 * Writes the HTML reference of every entry point into `outDir` (emptied
 * first). Throws with deno's output when it fails.
 *
 * @example
 * ```ts
 * import { buildApiDocs } from "./build_api_docs.ts";
 * await buildApiDocs("/tmp/anyws-api");
 * ```
 */
export async function buildApiDocs(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  const result = await run(DENO, [
    "doc",
    "--html",
    "--name=@anyws/anyws",
    `--output=${outDir}`,
    ...entryPoints(),
  ], { cwd: ROOT, stream: false, timeoutMs: 120_000 });
  if (result.code !== 0) {
    throw new Error(`deno doc --html failed:\n${result.output}`);
  }
  relativizeSourceLinks(outDir);
}

/** `/` as deno doc escapes it in attributes. */
const SLASH = "&#x2F;";

/**
 * deno doc links each symbol to its source as `file:///<checkout>/…`,
 * which would make the output depend on where the repository is checked
 * out: the links become relative paths from the page (as it sits under
 * `docs/api/`) to the source file.
 */
function relativizeSourceLinks(outDir: string): void {
  const absolute = `file:${SLASH}${SLASH}${
    ROOT.replace(/\/$/, "").replaceAll("/", SLASH)
  }${SLASH}`;
  for (const entry of readdirSync(outDir, { recursive: true }) as string[]) {
    if (!entry.endsWith(".html")) continue;
    const path = join(outDir, entry);
    const text = readFileSync(path, "utf8");
    if (!text.includes(absolute)) continue;
    const up = relative(dirname(join(API_DOCS_DIR, entry)), ROOT);
    writeFileSync(
      path,
      text.replaceAll(absolute, `${up.replaceAll("/", SLASH)}${SLASH}`),
    );
  }
}

/**
 * The files that differ between two trees (missing on either side, or
 * with other bytes), as paths relative to them, sorted.
 *
 * @example
 * ```ts
 * import { treeDifferences } from "./build_api_docs.ts";
 * console.log(treeDifferences("docs/api", "docs/api")); // []
 * ```
 */
export function treeDifferences(a: string, b: string): string[] {
  const left = files(a);
  const right = files(b);
  const differ: string[] = [];
  for (const path of new Set([...left.keys(), ...right.keys()])) {
    const x = left.get(path);
    const y = right.get(path);
    if (x === undefined || y === undefined || !x.equals(y)) differ.push(path);
  }
  return differ.sort();
}

function files(root: string): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  let entries: string[];
  try {
    entries = readdirSync(root, { recursive: true }) as string[];
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(root, entry);
    try {
      found.set(relative(root, path), readFileSync(path));
    } catch {
      // A directory.
    }
  }
  return found;
}

async function main(args: string[]): Promise<number> {
  if (!args.includes("--check")) {
    await buildApiDocs(API_DOCS_DIR);
    console.log(`API reference written to ${relative(ROOT, API_DOCS_DIR)}/`);
    return 0;
  }
  const fresh = mkdtempSync(join(tmpdir(), "anyws-api-"));
  try {
    await buildApiDocs(fresh);
    const stale = treeDifferences(API_DOCS_DIR, fresh);
    if (stale.length === 0) {
      console.log("docs/api matches the JSDoc");
      return 0;
    }
    console.log(
      `docs/api is stale (${stale.length} file(s) differ, e.g. ${
        stale.slice(0, 5).join(", ")
      }): run npm run docs:api and commit docs/api`,
    );
    return 1;
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
