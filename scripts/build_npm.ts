/**
 * Builds the npm package `@anyws/anyws` (the name it has on JSR, so one
 * `import { Server } from "@anyws/anyws"` works everywhere) for Node with
 * `deno pack` (Deno's successor to dnt): JavaScript plus `.d.ts`
 * declarations, the same exports as `jsr.json`, and the `anyws` command
 * (`cli/main.ts` compiled to `cli/main.js`) as its `bin`.
 *
 * ```sh
 * npm run build:npm                         # dist/npm and dist/anyws-anyws-<version>.tgz
 * node scripts/build_npm.ts --out /tmp/npm  # /tmp/npm and /tmp/anyws-anyws-<version>.tgz
 * node scripts/build_npm.ts --no-tarball    # the directory only
 * npm publish dist/anyws-anyws-<version>.tgz
 * ```
 *
 * The package is ESM without top-level await, and each export has a
 * `default` condition, so CommonJS code can `require("@anyws/anyws")` too
 * (Node 22.12+ loads ES modules from `require`). Its `engines` are the
 * repository's: `tests/scripts/npm_package_test.ts` runs it on that oldest Node
 * (`scripts/node22`) and on Node 24.
 *
 * How: the sources (`mod.ts`, `src/`, `engines/`, `cli/`, `examples/`,
 * README, LICENSE) are copied to a staging directory with a generated
 * `deno.json` whose exports add `./cli`, so that `deno pack` transpiles the
 * command and everything it loads (the demo chat included). `deno pack`
 * works offline but only knows JSR's scoped names and has no `bin`, so its
 * `package.json` is then rewritten: the npm name and metadata come from the
 * repository's `package.json` (minus `private`: the package is published,
 * with public access as a scoped package needs), `./cli` leaves the exports
 * and becomes the `bin`. `deno pack` also ships every file outside the module graph as is
 * (an "asset"): here only examples the command never loads, as `.ts` files
 * Node would not run from `node_modules`, so they are dropped. Finally
 * `npm pack` makes the tarball that gets published (and that
 * `tests/scripts/npm_package_test.ts` installs and runs on Node).
 *
 * Exits 1 with a one-line reason if a step fails.
 *
 * @module
 */

import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve, sep } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { run, type RunResult } from "./_run.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
/** What the package is made of (relative to the repository root). */
const SOURCES = [
  "mod.ts",
  "src",
  "engines",
  "cli",
  "examples",
  "README.md",
  "LICENSE",
];
const STEP_TIMEOUT_MS = 120_000;

/**
 * What {@link buildNpm} produced.
 *
 * @example
 * ```ts
 * import type { NpmBuild } from "./build_npm.ts";
 * const show = (b: NpmBuild): string => b.tarball ?? b.dir;
 * ```
 */
export interface NpmBuild {
  /** The package directory (its `package.json` is the one published). */
  dir: string;
  /** The `npm pack` tarball, unless it was not asked for. */
  tarball?: string;
  /** The package's `package.json`. */
  manifest: Record<string, unknown>;
}

/**
 * Options of {@link buildNpm}.
 *
 * @example
 * ```ts
 * import type { NpmBuildOptions } from "./build_npm.ts";
 * const options: NpmBuildOptions = { out: "/tmp/anyws-npm", tarball: false };
 * ```
 */
export interface NpmBuildOptions {
  /** The package directory to (re)create; default `dist/npm`. */
  out?: string;
  /** Also run `npm pack` into the parent of `out` (default `true`). */
  tarball?: boolean;
}

/**
 * Builds the npm package; throws an Error with a one-line message if a step
 * fails.
 *
 * @example
 * ```ts
 * import { buildNpm } from "./build_npm.ts";
 * const { dir, tarball } = await buildNpm({ out: "dist/npm" });
 * console.log(dir, tarball);
 * ```
 */
export async function buildNpm(
  options: NpmBuildOptions = {},
): Promise<NpmBuild> {
  const out = resolve(options.out ?? join(ROOT, "dist", "npm"));
  // `out` is deleted and recreated: never the repository or a folder above it.
  if (`${ROOT}${sep}`.startsWith(out.endsWith(sep) ? out : `${out}${sep}`)) {
    throw new Error(`Refusing to replace ${out}: it contains the repository`);
  }
  const pkg = readJson(join(ROOT, "package.json"));
  const jsr = readJson(join(ROOT, "jsr.json"));
  if (pkg.name !== jsr.name) {
    throw new Error(
      `package.json is named ${pkg.name}, jsr.json ${jsr.name}: one name everywhere`,
    );
  }
  const version = String(pkg.version);
  const stage = mkdtempSync(join(tmpdir(), "anyws-npm-"));
  try {
    // 1. The sources, and a deno.json that also exports the command.
    for (const entry of SOURCES) {
      cpSync(join(ROOT, entry), join(stage, entry), { recursive: true });
    }
    const deno = readJson(join(ROOT, "deno.json"));
    writeFileSync(
      join(stage, "deno.json"),
      JSON.stringify(
        {
          name: jsr.name,
          version,
          license: pkg.license,
          exports: {
            ...(jsr.exports as Record<string, string>),
            "./cli": "./cli/main.ts",
          },
          compilerOptions: deno.compilerOptions,
          // Bare specifiers such as "pako" map to npm: packages; deno pack
          // lists them as the package's dependencies.
          imports: deno.imports,
        },
        null,
        2,
      ),
    );

    // 2. deno pack: .js, .d.ts and a package.json, in a tarball.
    const packed = join(stage, "deno_pack.tgz");
    await step(
      "deno pack",
      tool("deno"),
      ["pack", "--no-source-maps", "--set-version", version, "-o", packed],
      stage,
    );
    const extracted = join(stage, "extracted");
    mkdirSync(extracted);
    await step("tar", "tar", ["-xzf", packed, "-C", extracted], stage);

    // 3. The npm manifest: npm name and metadata, cli as bin not export.
    const dir = join(extracted, "package");
    const generated = readJson(join(dir, "package.json"));
    const manifest = npmManifest(pkg, generated);
    writeFileSync(
      join(dir, "package.json"),
      `${JSON.stringify(manifest, null, 2)}\n`,
    );
    rmSync(join(dir, "cli", "main.d.ts"), { force: true });
    // Assets: .ts files outside the module graph (see the module doc).
    for (
      const file of readdirSync(dir, { recursive: true, encoding: "utf8" })
    ) {
      if (/\.[mc]?ts$/.test(file) && !/\.d\.[mc]?ts$/.test(file)) {
        rmSync(join(dir, file));
      }
    }
    const cli = join(dir, "cli", "main.js");
    if (!existsSync(cli)) throw new Error("deno pack did not emit cli/main.js");
    if (!readFileSync(cli, "utf8").startsWith("#!/usr/bin/env node\n")) {
      throw new Error("cli/main.js does not start with #!/usr/bin/env node");
    }
    chmodSync(cli, 0o755);

    rmSync(out, { recursive: true, force: true });
    mkdirSync(dirname(out), { recursive: true });
    try {
      renameSync(dir, out);
    } catch {
      // Another file system: copy instead.
      cpSync(dir, out, { recursive: true });
    }

    // 4. npm pack: the tarball that gets published.
    let tarball: string | undefined;
    if (options.tarball ?? true) {
      const result = await step(
        "npm pack",
        "npm",
        ["pack", "--json", "--pack-destination", dirname(out)],
        out,
      );
      const json = result.output.slice(result.output.indexOf("["));
      const [{ filename }] = JSON.parse(json) as Array<{ filename: string }>;
      tarball = join(dirname(out), filename);
    }
    return { dir: out, tarball, manifest };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * Packages only an optional entry point imports (`redis`: only
 * `anyws/engines/redis`): optional peer dependencies, so that installing
 * anyws does not install them.
 */
const OPTIONAL_PEERS: ReadonlySet<string> = new Set(["redis"]);

/** The published package.json: `generated` exports, `pkg` identity, a bin. */
function npmManifest(
  pkg: Record<string, unknown>,
  generated: Record<string, unknown>,
): Record<string, unknown> {
  const exports = { ...(generated.exports as Record<string, unknown>) };
  delete exports["./cli"];
  const manifest: Record<string, unknown> = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    type: "module",
    main: generated.main,
    types: generated.types,
    exports,
    bin: { anyws: "./cli/main.js" },
    engines: pkg.engines,
    publishConfig: { access: "public" },
  };
  for (const key of ["keywords", "repository", "homepage", "bugs", "author"]) {
    if (pkg[key] !== undefined) manifest[key] = pkg[key];
  }
  const dependencies: Record<string, string> = {};
  const peers: Record<string, string> = {};
  for (
    const [name, range] of Object.entries(
      (generated.dependencies ?? {}) as Record<string, string>,
    )
  ) {
    if (OPTIONAL_PEERS.has(name)) peers[name] = range;
    else dependencies[name] = range;
  }
  if (Object.keys(dependencies).length > 0) {
    manifest.dependencies = dependencies;
  }
  if (Object.keys(peers).length > 0) {
    manifest.peerDependencies = peers;
    manifest.peerDependenciesMeta = Object.fromEntries(
      Object.keys(peers).map((name) => [name, { optional: true }]),
    );
  }
  return manifest;
}

/** Runs one build step, throwing its last output line if it fails. */
async function step(
  name: string,
  command: string,
  args: string[],
  cwd: string,
): Promise<RunResult> {
  const result = await run(command, args, {
    cwd,
    stream: false,
    timeoutMs: STEP_TIMEOUT_MS,
    // npm is a node script: let it run on this (Node 24) node.
    env: {
      ...process.env,
      NO_COLOR: "1",
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
    },
  });
  if (result.code !== 0 || result.timedOut) {
    const last = result.output.trim().split("\n").filter(Boolean).slice(-12)
      .join("\n");
    throw new Error(
      `${name} failed (${
        result.timedOut ? "timed out" : `exit ${result.code}`
      }): ${last ?? "no output"}`,
    );
  }
  return result;
}

/** The repository's own copy of a tool (node_modules/.bin), else PATH's. */
function tool(name: string): string {
  const local = join(ROOT, "node_modules", ".bin", name);
  return existsSync(local) ? local : name;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

function parseArgs(
  args: readonly string[],
): NpmBuildOptions {
  const options: NpmBuildOptions = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--no-tarball") {
      options.tarball = false;
    } else if (arg === "--out" || arg.startsWith("--out=")) {
      const value = arg === "--out" ? args[++i] : arg.slice(6);
      if (value === undefined || value.trim() === "") {
        throw new Error("Missing value for --out");
      }
      options.out = value;
    } else {
      throw new Error(`Unknown argument: ${arg}`);
    }
  }
  return options;
}

if (import.meta.main) {
  try {
    const started = performance.now();
    const build = await buildNpm(parseArgs(process.argv.slice(2)));
    const files = readdirSync(build.dir, { recursive: true }).length;
    console.log(
      `Built ${build.manifest.name}@${build.manifest.version} in ${build.dir} (${files} entries)${
        build.tarball === undefined ? "" : `, packed ${build.tarball}`
      } in ${Math.round(performance.now() - started)} ms`,
    );
  } catch (error) {
    console.error(
      `build_npm: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = 1;
  }
}
