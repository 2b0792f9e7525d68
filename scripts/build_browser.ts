/**
 * Bundles the browser event client (`src/client/browser.ts`) into one
 * self-contained ES module that a page can `import` directly (the server
 * can serve it as `/anyws.js`), with esbuild (a devDependency, pinned):
 * `deno bundle` of the pinned Deno 2.9.6 fetches its own esbuild from the
 * npm registry on first use and fails without it, so it is not used.
 *
 * ```sh
 * node scripts/build_browser.ts                  # dist/anyws.js
 * node scripts/build_browser.ts --out /tmp/a.js  # elsewhere
 * node scripts/build_browser.ts --minify         # smaller, same API
 * ```
 *
 * Runs with `node`, `deno run -A` and `bun`. Exits 1 with a one-line
 * reason if the build fails.
 *
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRY = resolve(ROOT, "src/client/browser.ts");
const DEFAULT_OUT = resolve(ROOT, "dist/anyws.js");

/**
 * Options of {@link bundleBrowserClient}.
 *
 * @example
 * ```ts
 * import type { BundleOptions } from "./build_browser.ts";
 * const options: BundleOptions = { minify: true };
 * ```
 */
export interface BundleOptions {
  /** Minify the output. Default `false` (readable in the browser's devtools). */
  minify?: boolean;
}

/**
 * The browser event client as the text of one ES module, with no import
 * left in it.
 *
 * @example
 * ```ts
 * import { bundleBrowserClient } from "./build_browser.ts";
 * const code = await bundleBrowserClient();
 * console.log(code.includes("class EventClient")); // true
 * ```
 */
export async function bundleBrowserClient(
  options: BundleOptions = {},
): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: options.minify ?? false,
    write: false,
    legalComments: "none",
    logLevel: "silent",
    banner: {
      js: "// anyws browser event client: one ES module, no dependencies.",
    },
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error("esbuild produced no output");
  return file.text;
}

async function main(argv: readonly string[]): Promise<void> {
  let out = DEFAULT_OUT;
  let minify = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out" && argv[i + 1] !== undefined) {
      out = resolve(argv[++i]);
    } else if (argv[i] === "--minify") minify = true;
    else {throw new Error(
        `Unknown argument: ${argv[i]} (use --out FILE, --minify)`,
      );}
  }
  const code = await bundleBrowserClient({ minify });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`${out}: ${code.length} bytes`);
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error) => {
      console.error(`build_browser: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
