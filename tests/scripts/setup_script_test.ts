// scripts/setup.sh (`npm run setup`) against stand-ins for dpkg-query,
// apt-get, sudo and id placed first on PATH: each stand-in records how it was
// called, so the tests see what the script would install and how, without
// touching the machine's packages.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(
  new URL("../../scripts/setup.sh", import.meta.url),
);
const BASH = "/bin/bash";
const ALL = [
  "python3-websockets",
  "chromium",
  "openssl",
  "redis-server",
  "gcc",
  "zlib1g-dev",
];

const dir = mkdtempSync(join(tmpdir(), "anyws-setup-test-"));
const fakes = join(dir, "bin");
const empty = join(dir, "empty");
const log = join(dir, "calls.log");
mkdirSync(fakes);
mkdirSync(empty);

function fake(name: string, body: string): void {
  const path = join(fakes, name);
  writeFileSync(path, `#!${BASH}\n${body}\n`);
  chmodSync(path, 0o755);
}

// dpkg-query -W -f='${Status}' <package>: "installed" for FAKE_INSTALLED.
fake(
  "dpkg-query",
  `pkg="\${@: -1}"
for p in $FAKE_INSTALLED; do
  if [ "$p" = "$pkg" ]; then printf 'install ok installed'; exit 0; fi
done
echo "dpkg-query: no packages found matching $pkg" >&2; exit 1`,
);
fake(
  "apt-get",
  `echo "apt-get $* (DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-unset})" >> "$FAKE_LOG"`,
);
fake("sudo", `echo "sudo" >> "$FAKE_LOG"; exec "$@"`);
fake("id", `echo "$FAKE_UID"`);

after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  calls: string[];
}

function runSetup(
  options: { installed: string[]; uid: number; path?: string },
): Run {
  rmSync(log, { force: true });
  const result = spawnSync(BASH, [SCRIPT], {
    encoding: "utf8",
    timeout: 20_000,
    env: {
      PATH: options.path ?? `${fakes}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      FAKE_INSTALLED: options.installed.join(" "),
      FAKE_UID: String(options.uid),
      FAKE_LOG: log,
    },
  });
  const calls = existsSync(log)
    ? readFileSync(log, "utf8").trimEnd().split("\n")
    : [];
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    calls,
  };
}

describe("scripts/setup.sh", () => {
  test("runs neither apt-get nor sudo when every package is installed", () => {
    const run = runSetup({ installed: ALL, uid: 1000 });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.calls, []);
    assert.equal(
      run.stdout,
      "setup: python3-websockets chromium openssl redis-server gcc zlib1g-dev already installed\n",
    );
  });

  test("as root installs only the missing packages, non-interactively, without sudo", () => {
    const run = runSetup({
      installed: ["python3-websockets", "openssl", "gcc", "zlib1g-dev"],
      uid: 0,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.calls, [
      "apt-get update -qq (DEBIAN_FRONTEND=noninteractive)",
      "apt-get install -y -qq --no-install-recommends chromium redis-server (DEBIAN_FRONTEND=noninteractive)",
    ]);
    assert.match(
      run.stdout,
      /^setup: installing chromium redis-server with apt-get$/m,
    );
  });

  test("as another user runs apt-get through sudo", () => {
    const run = runSetup({ installed: [], uid: 1000 });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.calls, [
      "sudo",
      "apt-get update -qq (DEBIAN_FRONTEND=noninteractive)",
      "sudo",
      `apt-get install -y -qq --no-install-recommends ${
        ALL.join(" ")
      } (DEBIAN_FRONTEND=noninteractive)`,
    ]);
    assert.match(run.stdout, /with sudo apt-get$/m);
  });

  test("as another user without sudo names the missing packages and exits 1", () => {
    const noSudo = join(dir, "no-sudo");
    mkdirSync(noSudo, { recursive: true });
    for (const name of ["dpkg-query", "apt-get", "id"]) {
      if (!existsSync(join(noSudo, name))) {
        symlinkSync(join(fakes, name), join(noSudo, name));
      }
    }
    const run = runSetup({ installed: ALL.slice(1), uid: 1000, path: noSudo });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      "setup: python3-websockets missing, and neither root nor sudo: run as root: apt-get install python3-websockets\n",
    );
    assert.deepEqual(run.calls, []);
  });

  test("without apt-get says so in one line and exits 1", () => {
    const run = runSetup({ installed: [], uid: 0, path: empty });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.equal(
      run.stderr,
      "setup: apt-get not found (this is not Debian or Ubuntu): install python3-websockets chromium openssl redis-server gcc zlib1g-dev with your package manager, then run npm test\n",
    );
    assert.deepEqual(run.calls, []);
  });

  test("a failing apt-get fails the setup", () => {
    fake(
      "apt-get",
      `echo "E: Unable to locate package chromium" >&2; exit 100`,
    );
    try {
      const run = runSetup({ installed: [], uid: 0 });
      assert.equal(run.code, 100);
      assert.match(run.stderr, /Unable to locate package chromium/);
      assert.doesNotMatch(run.stdout, /setup: installed/);
    } finally {
      fake(
        "apt-get",
        `echo "apt-get $* (DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-unset})" >> "$FAKE_LOG"`,
      );
    }
  });
});

describe("the README's test command", () => {
  const read = (path: string): string =>
    readFileSync(fileURLToPath(new URL(path, import.meta.url)), "utf8");

  test("is npm ci, then npm run setup, then npm test, and is exactly what .ci/run runs", () => {
    const readme = read("../../README.md");
    const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    const line = block.split("\n").find((text) => /\bnpm test\b/.test(text));
    const command = line?.replace(/\s*#.*$/, "");
    assert.equal(command, "npm ci && npm run setup && npm test");
    const commands = read("../../.ci/run").split("\n").filter((text) =>
      text.trim() !== "" && !text.startsWith("#") &&
      !/^(set -euo pipefail|cd "\$\(dirname "\$0"\)\/\.\.")$/.test(text)
    );
    assert.deepEqual(commands, [command]);
    const pkg = JSON.parse(read("../../package.json"));
    assert.equal(pkg.scripts.setup, "bash scripts/setup.sh");
  });
});
