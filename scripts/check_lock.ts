/**
 * Lock file check: `package-lock.json` must let `npm ci` install on every
 * platform, and `npm install` must leave it byte-identical.
 *
 * Two ways a lock goes wrong, both checked here:
 * - a package the lock lists needs a dependency the lock lacks. The usual
 *   case is a platform package of a pinned runtime (`deno` and `bun` ship
 *   their binaries as optional dependencies such as `@deno/darwin-arm64`):
 *   a lock written where such packages were skipped makes `npm ci` fail with
 *   `Missing: @deno/darwin-arm64@2.9.6 from lock file`, and `npm install`
 *   adds them back.
 * - the lock's root entry disagrees with `package.json` (name, version,
 *   dependencies, engines, bin), which `npm install` rewrites.
 *
 * Run it with `node scripts/check_lock.ts [dir]` (default: the repository).
 * It prints one line per problem and exits 1 if there is any.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** A `package.json`, or one entry of a lock's `packages`. */
type Manifest = Record<string, unknown>;

/**
 * A `package-lock.json` (lockfileVersion 2 or 3).
 *
 * @example
 * ```ts
 * import type { Lock } from "./check_lock.ts";
 * const empty: Lock = { lockfileVersion: 3, packages: { "": {} } };
 * ```
 */
export interface Lock {
  lockfileVersion?: number;
  packages?: Record<string, Manifest>;
}

/** The dependency lists npm must find in the lock for an installed entry. */
const INSTALLED = ["dependencies", "optionalDependencies"] as const;
/** The lists it must find for the root, which also installs its dev tools. */
const ROOT_LISTS = [...INSTALLED, "devDependencies"] as const;
/** Root fields `npm install` copies from package.json into the lock. */
const ROOT_FIELDS = [
  "name",
  "version",
  "license",
  "dependencies",
  "devDependencies",
  "optionalDependencies",
  "peerDependencies",
  "engines",
  "bin",
] as const;

/**
 * Lists what is wrong with `lock` for the project whose `package.json` is
 * `pkg`, one sentence per problem (empty when the lock is complete).
 *
 * @example
 * ```ts
 * import { findLockProblems } from "./check_lock.ts";
 * const pkg = { name: "app", devDependencies: { deno: "2.9.6" } };
 * findLockProblems(pkg, {
 *   lockfileVersion: 3,
 *   packages: {
 *     "": { name: "app", devDependencies: { deno: "2.9.6" } },
 *     "node_modules/deno": {
 *       version: "2.9.6",
 *       optionalDependencies: { "@deno/darwin-arm64": "2.9.6" },
 *     },
 *   },
 * });
 * // ["node_modules/deno needs @deno/darwin-arm64@2.9.6 (optional), which the lock lacks"]
 * ```
 */
export function findLockProblems(pkg: Manifest, lock: Lock): string[] {
  const problems: string[] = [];
  if (lock.lockfileVersion !== 2 && lock.lockfileVersion !== 3) {
    problems.push(
      `lockfileVersion is ${lock.lockfileVersion}, not 3: run npm install with npm 7 or later`,
    );
  }
  const packages = lock.packages ?? {};
  const root = packages[""];
  if (root === undefined) {
    return [...problems, 'the lock has no root entry ("" in packages)'];
  }
  for (const field of ROOT_FIELDS) {
    const expected = normalized(field, pkg[field]);
    const actual = normalized(field, root[field]);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      problems.push(
        `the lock's root ${field} is ${
          JSON.stringify(actual)
        }, package.json says ${JSON.stringify(expected)}`,
      );
    }
  }
  for (const [location, entry] of Object.entries(packages)) {
    // A link's dependencies belong to its target, which has its own entry;
    // bundled packages come inside their parent's tarball.
    if (entry.link === true || entry.inBundle === true) continue;
    // npm installs the root's dev tools, never a dependency's (nor a linked
    // folder's).
    const lists = location === "" ? ROOT_LISTS : INSTALLED;
    for (const list of lists) {
      const wanted = entry[list] as Record<string, string> | undefined;
      for (const [name, range] of Object.entries(wanted ?? {})) {
        const found = resolve(packages, location, name);
        const who = location === "" ? "package.json" : location;
        const kind = list === "optionalDependencies" ? " (optional)" : "";
        if (found === undefined) {
          problems.push(
            `${who} needs ${name}@${range}${kind}, which the lock lacks`,
          );
        } else if (
          /^\d+\.\d+\.\d+$/.test(range) && found.entry.version !== range
        ) {
          problems.push(
            `${who} pins ${name}@${range}${kind}, the lock has ${found.entry.version} at ${found.location}`,
          );
        }
      }
    }
  }
  return problems;
}

/**
 * Where Node would find `name` from the package at `location`: its own
 * `node_modules`, then each enclosing folder's, up to the root's.
 */
function resolve(
  packages: Record<string, Manifest>,
  location: string,
  name: string,
): { location: string; entry: Manifest } | undefined {
  let dir = location;
  for (;;) {
    if (!/(^|\/)node_modules$/.test(dir)) {
      const candidate = `${dir === "" ? "" : `${dir}/`}node_modules/${name}`;
      const entry = packages[candidate];
      if (entry !== undefined) return { location: candidate, entry };
    }
    if (dir === "") return undefined;
    const slash = dir.lastIndexOf("/");
    dir = slash < 0 ? "" : dir.slice(0, slash);
  }
}

/** npm writes bin paths without a leading `./` and drops empty objects. */
function normalized(field: string, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (field === "bin" && typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, path]) => [
        key,
        String(path).replace(/^\.\//, ""),
      ]),
    );
  }
  if (
    typeof value === "object" && value !== null &&
    Object.keys(value).length === 0
  ) {
    return undefined;
  }
  return value;
}

/**
 * Checks the project in `dir`, printing one line per problem; returns the
 * exit code (0 when the lock is complete, else 1).
 *
 * @example
 * ```ts
 * import { main } from "./check_lock.ts";
 * const code = main("."); // the project in the current folder
 * ```
 */
export function main(dir: string): number {
  const read = (file: string): Manifest =>
    JSON.parse(readFileSync(join(dir, file), "utf8")) as Manifest;
  const problems = findLockProblems(
    read("package.json"),
    read("package-lock.json"),
  );
  for (const problem of problems) console.log(`package-lock.json: ${problem}`);
  if (problems.length > 0) {
    console.log(
      "Regenerate it with `npm install` (npm 7 or later, without --omit or --no-optional) and commit it.",
    );
  }
  return problems.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  process.exitCode = main(process.argv[2] ?? root);
}
