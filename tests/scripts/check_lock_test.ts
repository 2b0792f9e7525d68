import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { findLockProblems, type Lock } from "../../scripts/check_lock.ts";

const ROOT = new URL("../..", import.meta.url);
const PKG = JSON.parse(
  readFileSync(new URL("package.json", ROOT), "utf8"),
) as Record<string, unknown>;
const LOCK = JSON.parse(
  readFileSync(new URL("package-lock.json", ROOT), "utf8"),
) as Lock;

/** A deep copy of the repository's lock without the given entries. */
function lockWithout(...locations: string[]): Lock {
  const copy = structuredClone(LOCK);
  for (const location of locations) {
    assert.ok(copy.packages?.[location], `${location} is in the lock`);
    delete copy.packages?.[location];
  }
  return copy;
}

describe("the repository's package-lock.json", () => {
  test("has every package npm ci needs on every platform, and a root entry matching package.json", () => {
    assert.deepEqual(findLockProblems(PKG, LOCK), []);
  });

  test("locks every platform binary of the pinned deno and bun", () => {
    for (const runtime of ["deno", "bun"]) {
      const entry = LOCK.packages?.[`node_modules/${runtime}`];
      const platforms = Object.keys(
        (entry?.optionalDependencies ?? {}) as Record<string, string>,
      );
      assert.ok(platforms.length >= 6, `${runtime}: ${platforms}`);
      for (const name of platforms) {
        const locked = LOCK.packages?.[`node_modules/${name}`];
        assert.equal(locked?.version, entry?.version, name);
        assert.equal(locked?.optional, true, name);
      }
    }
  });
});

describe("findLockProblems", () => {
  test("reports a pinned runtime's platform package missing from the lock", () => {
    assert.deepEqual(
      findLockProblems(
        PKG,
        lockWithout(
          "node_modules/@deno/darwin-arm64",
          "node_modules/@oven/bun-windows-x64",
        ),
      ),
      [
        "node_modules/bun needs @oven/bun-windows-x64@1.4.5 (optional), which the lock lacks",
        "node_modules/deno needs @deno/darwin-arm64@2.9.6 (optional), which the lock lacks",
      ],
    );
  });

  test("reports a dev tool of package.json missing from the lock", () => {
    assert.deepEqual(findLockProblems(PKG, lockWithout("node_modules/ws")), [
      "package.json needs ws@8.18.3, which the lock lacks",
    ]);
  });

  test("reports a root entry out of step with package.json (what npm install would rewrite)", () => {
    const stale = structuredClone(LOCK);
    delete stale.packages?.[""].bin;
    assert.deepEqual(findLockProblems(PKG, stale), [
      `the lock's root bin is undefined, package.json says {"anyws":"cli/main.ts"}`,
    ]);
  });

  test("finds a dependency in its own node_modules or an enclosing one, and checks a pinned version", () => {
    const pkg = { name: "app", dependencies: { a: "1.0.0", b: "^2.0.0" } };
    const lock: Lock = {
      lockfileVersion: 3,
      packages: {
        "": { name: "app", dependencies: { a: "1.0.0", b: "^2.0.0" } },
        "node_modules/a": { version: "1.0.0", dependencies: { c: "3.0.0" } },
        "node_modules/a/node_modules/c": {
          version: "3.0.0",
          dependencies: { b: "^2.0.0", "@s/d": "4.0.0" },
        },
        "node_modules/b": { version: "2.1.0" },
        "node_modules/@s/d": { version: "4.0.1" },
      },
    };
    assert.deepEqual(findLockProblems(pkg, lock), [
      "node_modules/a/node_modules/c pins @s/d@4.0.0, the lock has 4.0.1 at node_modules/@s/d",
    ]);
  });

  test("does not look in a sibling's node_modules", () => {
    const pkg = { name: "app", dependencies: { a: "1.0.0", b: "1.0.0" } };
    const lock: Lock = {
      lockfileVersion: 3,
      packages: {
        "": { name: "app", dependencies: { a: "1.0.0", b: "1.0.0" } },
        "node_modules/a": { version: "1.0.0", dependencies: { c: "1.0.0" } },
        "node_modules/b": { version: "1.0.0" },
        "node_modules/b/node_modules/c": { version: "1.0.0" },
      },
    };
    assert.deepEqual(findLockProblems(pkg, lock), [
      "node_modules/a needs c@1.0.0, which the lock lacks",
    ]);
  });

  test("reports a lock npm 6 wrote", () => {
    const pkg = { name: "app" };
    assert.deepEqual(
      findLockProblems(pkg, { lockfileVersion: 1, packages: { "": pkg } }),
      ["lockfileVersion is 1, not 3: run npm install with npm 7 or later"],
    );
  });
});
